"""Subject refs: who a record concerns, without their identifier.

"person:" + a keyed blind index of the normalised resident ID, or "company:" + one of the credit
code. The gateway stores it on each call; mydata computes the same ref for the person signed in
and finds every call about them. The key is the kernel's field key (kernel.crypto), purpose
"exchange.subject": equal identifiers, equal refs; the ref reveals nothing without the key.
"""

from zhengtong.kernel.crypto.public import blind_index

from .models import SubjectKind

PURPOSE = "exchange.subject"


def subject_ref(kind: str, identifier: str | None) -> str:
    """The ref of the person (kind "person", a resident ID) or company ("company", a USCC); ""
    when the identifier is empty."""
    normalized = "".join(str(identifier or "").split()).upper()
    if not normalized:
        return ""
    if kind not in SubjectKind.values:
        raise ValueError(f"unknown subject kind {kind!r}")
    return f"{kind}:{blind_index(normalized, purpose=PURPOSE)}"
