"""Writes of licences: e-seals (create, grant, use, revoke), licence issue and state changes,
show tokens (亮证), and verification (which logs itself in the ledger).

Every service checks its actor first and runs in one transaction with its ledger entry; events
to other modules go through kernel.events' outbox.
"""

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.kernel.crypto.public import Signature, digest, digest_algorithm, signing_key, verify_signature
from zhengtong.kernel.events.public import publish
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ledger import auditor
from zhengtong.kernel.ledger.public import (
    LedgerError,
    inclusion_proof_get,
    leaf_get,
    ledger_append,
    tree_head_get,
)
from zhengtong.kernel.masking.public import mask_value
from zhengtong.kernel.org.models import Department

from .errors import LicenceInvalid, LicenceNotFound, LicencePermissionDenied, ShowTokenInvalid
from .models import Licence, LicenceState, LicenceType, Seal, SealKeeper, SealState
from .pdf import LicenceFontMissing, PresentedPdf, licence_pdf_render, pdf_read
from .types import DEMO_TYPES

EVENT_ISSUED = "licences.issued"
EVENT_STATE_CHANGED = "licences.state_changed"
SHOW_UNIT = "licences-show"
LEAF_BODY_VERSION = 1  # kernel.ledger's leaf body layout, re-hashed to tie a leaf to its licence
HOLDER_MASK = {"citizen": "resident_id", "company": "credit_code"}


def show_token_seconds() -> int:
    return int(getattr(settings, "LICENCE_SHOW_TOKEN_SECONDS", 120))


def actor_label(actor: Actor | None) -> str:
    """Who acted, as the ledger names them (the registry's and exchange's scheme)."""
    if actor is None:
        return "system"
    if actor.kind == "api_client":
        return f"api_client:{actor.api_client_id}"
    if actor.user_id is not None:
        return f"{actor.kind}:{actor.user_id}"
    return actor.kind


def canonical_json(value) -> bytes:
    """Sorted keys, no whitespace, UTF-8, no floats: the bytes a seal signs.

    kernel.ledger's encoder is not in its public API, so this is the same subset (RFC 8785 for
    the values a licence holds: strings, integers, booleans, null, lists and objects).
    """
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- e-seals -------------------------------------------------------------------------------------


def _leader_of(actor: Actor, department_id: int) -> bool:
    return actor.kind == "staff" and actor.department_id == department_id and actor.has_role("leader")


def seal_create(*, actor: Actor, department_id: int, name: str) -> Seal:
    """A new e-seal of the department (its leader only); its key is made by kernel.crypto."""
    if not _leader_of(actor, department_id):
        raise LicencePermissionDenied(_("Only a leader of the department may create its e-seals."))
    name = (name or "").strip()
    if not name:
        raise LicenceInvalid(_("The seal needs a name."))
    department = Department.objects.get(pk=department_id)
    with transaction.atomic():
        seal = Seal(department=department, name=name[:128], created_by_id=actor.user_id)
        seal.unit = f"seal-{department.code}-{seal.public_id.hex[:12]}"
        key = signing_key(seal.unit)  # generated on first use: the seal's key exists from now on
        seal.ledger_leaf_id = ledger_append(kind="seal.created", subject=f"seal:{seal.public_id}",
                                            actor=actor_label(actor),
                                            payload={"department": department.code, "name": seal.name,
                                                     "key_id": key.key_id, "public_key": key.public_key_pem})
        seal.save()
    return seal


def seal_keeper_grant(*, actor: Actor, seal: Seal, user_id: int) -> SealKeeper:
    """Let a staff member of the seal's department use it (the department's leader grants)."""
    if not _leader_of(actor, seal.department_id):
        raise LicencePermissionDenied(_("Only a leader of the seal's department may grant its use."))
    from zhengtong.kernel.identity.models import StaffMember

    if not StaffMember.objects.filter(user_id=user_id, department_id=seal.department_id).exists():
        raise LicenceInvalid(_("Only staff of the seal's department may keep its seal."))
    with transaction.atomic():
        keeper, _created = SealKeeper.objects.get_or_create(seal=seal, user_id=user_id,
                                                            defaults={"granted_by_id": actor.user_id})
        ledger_append(kind="seal.keeper_granted", subject=f"seal:{seal.public_id}", actor=actor_label(actor),
                      payload={"user": user_id})
    return keeper


def seal_revoke(*, actor: Actor, seal: Seal, reason: str) -> Seal:
    """Revoke the seal (its department's leader, with a reason): it signs nothing from now on."""
    if not _leader_of(actor, seal.department_id):
        raise LicencePermissionDenied(_("Only a leader of the seal's department may revoke it."))
    reason = (reason or "").strip()
    if not reason:
        raise LicenceInvalid(_("Give the reason for revoking the seal."))
    with transaction.atomic():
        seal = Seal.objects.select_for_update().get(pk=seal.pk)
        if seal.state == SealState.REVOKED:
            raise LicenceInvalid(_("The seal is already revoked."))
        seal.state, seal.revoked_reason, seal.revoked_at = SealState.REVOKED, reason[:500], timezone.now()
        seal.save(update_fields=["state", "revoked_reason", "revoked_at"])
        ledger_append(kind="seal.revoked", subject=f"seal:{seal.public_id}", actor=actor_label(actor),
                      payload={"reason": seal.revoked_reason})
    return seal


def seal_may_use(actor: Actor, seal: Seal) -> bool:
    """A leader of the seal's department, or a keeper it granted (still in the department)."""
    if actor.kind == "system":
        return True  # issuance on approval: the platform seals for the approving department
    if actor.kind != "staff" or actor.department_id != seal.department_id:
        return False
    return actor.has_role("leader") or SealKeeper.objects.filter(seal=seal, user_id=actor.user_id).exists()


def _seal_check(actor: Actor, seal: Seal, purpose: str) -> None:
    """Refuse a use by someone without the right (the refusal is logged: call it outside a
    transaction that the refusal rolls back) or of a revoked seal."""
    if not seal_may_use(actor, seal):
        with transaction.atomic():
            ledger_append(kind="seal.use_refused", subject=f"seal:{seal.public_id}", actor=actor_label(actor),
                          payload={"reason": "not_authorized", "purpose": purpose[:200]})
        raise LicencePermissionDenied(_("You may not use the seal “%(seal)s”: only its department's leaders "
                                        "and the keepers they granted may.") % {"seal": seal.name})
    # Read afresh: a seal object held since before its revocation must not sign.
    state, reason = Seal.objects.filter(pk=seal.pk).values_list("state", "revoked_reason").get()
    if state != SealState.ACTIVE:
        raise LicenceInvalid(_("The seal “%(seal)s” was revoked (%(reason)s) and signs nothing.")
                             % {"seal": seal.name, "reason": reason})


def seal_use(*, actor: Actor, seal: Seal, data: bytes, purpose: str = "") -> Signature:
    """Sign `data` with the seal, for an actor who may use it; the use is logged in the ledger.

    Run inside the caller's transaction when the signature belongs to a write (licence_issue),
    so the log and the write commit together.
    """
    _seal_check(actor, seal, purpose)
    signature = signing_key(seal.unit).sign(data)
    with transaction.atomic():
        ledger_append(kind="seal.used", subject=f"seal:{seal.public_id}", actor=actor_label(actor),
                      payload={"digest": digest(data).hex(), "key_id": signature.key_id, "purpose": purpose[:200]})
    return signature


def seal_for(department_id: int) -> Seal | None:
    """The department's active seal (the oldest, when it has several)."""
    return Seal.objects.filter(department_id=department_id, state=SealState.ACTIVE).order_by("created_at").first()


# --- licence types -------------------------------------------------------------------------------

def licence_types_ensure() -> list[LicenceType]:
    """The demo licence types (types.DEMO_TYPES: 营业执照, 出生医学证明, 结婚证, 不动产权证书, 社会保障卡 and the
    results of the demo's service items), made when missing."""
    found = []
    for spec in DEMO_TYPES:
        defaults = {k: v for k, v in spec.items() if k != "code"}
        licence_type, _created = LicenceType.objects.get_or_create(code=spec["code"], defaults=defaults)
        found.append(licence_type)
    return found


# --- licences: issue -----------------------------------------------------------------------------


def licence_payload(licence: Licence) -> dict:
    """What the seal signs: the licence as canonical JSON (also what a QR code carries)."""
    return {
        "version": 1,
        "id": str(licence.public_id),
        "number": licence.number,
        "type": licence.type.code,
        "holder": {"kind": licence.holder_kind, "name": licence.holder_name,
                   "identifier": licence.holder_identifier},
        "fields": licence.fields,
        "issued_at": licence.issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "issuer": licence.department.code,
        "seal": str(licence.seal.public_id),
    }


def _number(licence_type: LicenceType, department: Department, issued_at: datetime) -> str:
    return f"{department.code}-{issued_at:%Y%m%d}-{secrets.token_hex(5).upper()}"


def _clean_fields(licence_type: LicenceType, fields: dict) -> dict:
    names = {spec["name"] for spec in licence_type.schema}
    unknown = sorted(set(fields) - names)
    if unknown:
        raise LicenceInvalid(_("“%(type)s” has no field %(fields)s.")
                             % {"type": licence_type.name, "fields": ", ".join(unknown)})
    clean = {}
    for name, value in fields.items():
        if isinstance(value, float) or not isinstance(value, (str, int, bool, type(None))):
            raise LicenceInvalid(_("The field %(field)s must be text or a whole number.") % {"field": name})
        clean[name] = value
    return clean


def _ledger_payload(licence: Licence) -> dict:
    return {"digest": licence.digest, "number": licence.number, "type": licence.type.code,
            "issuer": licence.department.code}


def licence_issue(*, actor: Actor, licence_type: LicenceType, department_id: int, holder_kind: str,
                  holder_user_id: int | None, holder_name: str, holder_identifier: str, fields: dict,
                  source_application: UUID | None = None, seal: Seal | None = None) -> Licence:
    """Issue a licence: checked, sealed with the department's seal, recorded in the ledger and
    announced (licences.issued). One licence per source application."""
    department = Department.objects.get(pk=department_id)
    if actor.kind != "system" and not (actor.kind == "staff" and actor.department_id == department_id):
        raise LicencePermissionDenied(_("Only the issuing department's staff may issue its licences."))
    if department.kind != licence_type.issuing_department_kind:
        raise LicenceInvalid(_("“%(department)s” does not issue “%(type)s”.")
                             % {"department": department.name, "type": licence_type.name})
    if holder_kind not in HOLDER_MASK or not holder_identifier or not holder_name:
        raise LicenceInvalid(_("A licence needs its holder: a citizen or a company, named and identified."))
    fields = _clean_fields(licence_type, fields or {})
    seal = seal or seal_for(department_id)
    if seal is None or seal.department_id != department_id:
        raise LicenceInvalid(_("“%(department)s” has no active e-seal to issue with.") % {"department": department.name})
    # Checked before the issuing transaction, so a refused use stays in the ledger.
    _seal_check(actor, seal, "licence")
    issued_at = timezone.now().replace(microsecond=0)
    valid_until = (timezone.localdate(issued_at) + timedelta(days=licence_type.validity_days)
                   if licence_type.validity_days else None)
    stored = ""
    try:
        with transaction.atomic():
            licence = _licence_issue_sealed(
                actor=actor, licence_type=licence_type, department=department, seal=seal, issued_at=issued_at,
                valid_until=valid_until, holder_kind=holder_kind, holder_user_id=holder_user_id,
                holder_name=holder_name, holder_identifier=holder_identifier, fields=fields,
                source_application=source_application)
            document = _pdf_at_issue(licence)
            licence.pdf_sha256 = hashlib.sha256(document).hexdigest() if document is not None else ""
            licence.ledger_leaf_id = ledger_append(kind="licence.issued", subject=f"licence:{licence.public_id}",
                                                   actor=actor_label(actor), payload=_ledger_payload(licence))
            licence.save()
            publish(EVENT_ISSUED, {"licence": str(licence.public_id), "type": licence_type.code,
                                   "department": department.code, "holder_user": holder_user_id,
                                   "application": str(source_application) if source_application else None})
            if document is not None:  # last: a failure before it stores nothing, and one after it is removed
                stored = default_storage.save(pdf_storage_name(licence), ContentFile(document))
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise
    return licence


def _licence_issue_sealed(*, actor, licence_type, department, seal, issued_at, valid_until, holder_kind,
                          holder_user_id, holder_name, holder_identifier, fields, source_application) -> Licence:
    """The licence, numbered and signed with the seal (the use logged), not yet saved."""
    licence = Licence(
        number=_number(licence_type, department, issued_at), type=licence_type, holder_kind=holder_kind,
        holder_user_id=holder_user_id, holder_name=holder_name, holder_identifier=holder_identifier.strip().upper(),
        fields=fields, issued_at=issued_at, valid_until=valid_until, department=department, seal=seal,
        source_application=source_application,
    )
    signed = canonical_json(licence_payload(licence))
    signature = seal_use(actor=actor, seal=seal, data=signed, purpose=f"licence:{licence.number}")
    licence.signature_algorithm, licence.signature_key_id = signature.algorithm, signature.key_id
    licence.signature, licence.digest = signature.value, digest(signed).hex()
    licence.issued_by = actor_label(actor)
    return licence


def pdf_storage_name(licence: Licence) -> str:
    return f"licences/{licence.public_id}.pdf"


def _pdf_at_issue(licence: Licence) -> bytes | None:
    """The licence's PDF, or None when there is no CJK font to draw it (issuing goes on without)."""
    try:
        return licence_pdf_render(licence)
    except LicenceFontMissing:
        return None


def licence_pdf_get(*, actor: Actor, licence_id: UUID) -> tuple[Licence, bytes]:
    """The holder's licence PDF: as stored at issue, else rendered again (the same bytes)."""
    licence = Licence.objects.select_related("type", "department", "seal").filter(public_id=licence_id).first()
    if licence is None or actor.user_id is None or licence.holder_user_id != actor.user_id:
        raise LicenceNotFound(_("No such licence in your wallet."))
    name = pdf_storage_name(licence)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as handle:
            return licence, handle.read()
    return licence, licence_pdf_render(licence)  # LicenceFontMissing when no font


# --- licences: state -----------------------------------------------------------------------------

_TRANSITIONS = {
    "suspend": ({LicenceState.ACTIVE}, LicenceState.SUSPENDED),
    "revoke": ({LicenceState.ACTIVE, LicenceState.SUSPENDED}, LicenceState.REVOKED),
    "reinstate": ({LicenceState.SUSPENDED}, LicenceState.ACTIVE),
}


def _licence_state_change(*, actor: Actor, licence_id: UUID, action: str, reason: str) -> Licence:
    reason = (reason or "").strip()
    if not reason:
        raise LicenceInvalid(_("Give the reason."))
    with transaction.atomic():
        licence = Licence.objects.select_for_update().select_related("type").filter(public_id=licence_id).first()
        if licence is None:
            raise LicenceNotFound(_("No such licence."))
        if not (actor.kind == "staff" and actor.department_id == licence.department_id
                and (actor.has_role("leader") or actor.has_role("case_officer"))):
            raise LicencePermissionDenied(_("Only the issuing department's case officers and leaders may "
                                            "change this licence."))
        allowed, target = _TRANSITIONS[action]
        if licence.state not in allowed:
            raise LicenceInvalid(_("A licence that is %(state)s cannot be changed that way.")
                                 % {"state": licence.get_state_display()})
        licence.state, licence.state_reason, licence.state_changed_at = target, reason[:500], timezone.now()
        licence.save(update_fields=["state", "state_reason", "state_changed_at"])
        ledger_append(kind=f"licence.{action}d" if action.endswith("e") else f"licence.{action}ed",
                      subject=f"licence:{licence.public_id}", actor=actor_label(actor),
                      payload={"number": licence.number, "state": target, "reason": licence.state_reason})
        publish(EVENT_STATE_CHANGED, {"licence": str(licence.public_id), "state": target,
                                      "holder_user": licence.holder_user_id})
    return licence


def licence_suspend(*, actor: Actor, licence_id: UUID, reason: str) -> Licence:
    return _licence_state_change(actor=actor, licence_id=licence_id, action="suspend", reason=reason)


def licence_revoke(*, actor: Actor, licence_id: UUID, reason: str) -> Licence:
    return _licence_state_change(actor=actor, licence_id=licence_id, action="revoke", reason=reason)


def licence_reinstate(*, actor: Actor, licence_id: UUID, reason: str) -> Licence:
    return _licence_state_change(actor=actor, licence_id=licence_id, action="reinstate", reason=reason)


def licences_expire(*, today: date | None = None) -> int:
    """Mark active and suspended licences past their validity as expired (a scheduled job); the count."""
    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        due = list(Licence.objects.select_for_update()
                   .filter(state__in=[LicenceState.ACTIVE, LicenceState.SUSPENDED], valid_until__lt=today)
                   .values_list("pk", "public_id", "number"))
        if not due:
            return 0
        Licence.objects.filter(pk__in=[pk for pk, _p, _n in due]).update(
            state=LicenceState.EXPIRED, state_reason="validity ended", state_changed_at=now)
        for _pk, public_id, number in due:
            ledger_append(kind="licence.expired", subject=f"licence:{public_id}", actor="system",
                          payload={"number": number})
    return len(due)


# --- show tokens (亮证) --------------------------------------------------------------------------


def show_token_create(*, actor: Actor, licence_id: UUID) -> tuple[str, datetime]:
    """A short-lived token naming the holder's licence, signed by the platform: what the QR shows."""
    licence = Licence.objects.filter(public_id=licence_id).first()
    if licence is None or actor.user_id is None or licence.holder_user_id != actor.user_id:
        raise LicenceNotFound(_("No such licence in your wallet."))
    if licence.state != LicenceState.ACTIVE:
        raise LicenceInvalid(_("A licence that is %(state)s cannot be shown.") % {"state": licence.get_state_display()})
    issued = int(time.time())
    expires = issued + show_token_seconds()
    key = signing_key(SHOW_UNIT)
    body = canonical_json({"licence": str(licence.public_id), "number": licence.number, "iat": issued,
                           "exp": expires, "alg": key.algorithm, "kid": key.key_id})
    signature = key.sign(body)
    return f"{_b64(body)}.{_b64(signature.value)}", datetime.fromtimestamp(expires, tz=UTC)


def show_token_read(token: str) -> dict:
    """The claims of a valid show token; ShowTokenInvalid says why it is not."""
    try:
        body_text, signature_text = (token or "").strip().split(".")
        body, value = _unb64(body_text), _unb64(signature_text)
        claims = json.loads(body)
        algorithm, key_id = claims["alg"], claims["kid"]
        expires = int(claims["exp"])
        UUID(claims["licence"])
    except (ValueError, KeyError, TypeError):
        raise ShowTokenInvalid(_("This is not a licence show code.")) from None
    # Only the platform's show key vouches for a token: a seal's or the ledger's signature does not.
    if not str(key_id).startswith(SHOW_UNIT + "/") or not verify_signature(body, Signature(algorithm, key_id, value)):
        raise ShowTokenInvalid(_("The show code was altered or not issued by this platform."))
    if time.time() >= expires:
        raise ShowTokenInvalid(_("The show code expired at %(time)s: ask the holder to show it again.")
                               % {"time": datetime.fromtimestamp(expires, tz=UTC).strftime("%H:%M:%S UTC")})
    return claims


# --- verification --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str  # signature, ledger, state, validity, issuer, type
    passed: bool
    detail: str


@dataclass(frozen=True)
class VerificationResult:
    valid: bool
    reason: str  # "" when valid, else the first failed check's detail
    checks: tuple[Check, ...] = ()
    number: str = ""
    type_code: str = ""
    type_name: str = ""
    issuer: str = ""
    issuer_name: str = ""
    state: str = ""
    issued_at: datetime | None = None
    valid_until: date | None = None
    holder: str = ""  # masked
    fields: dict = field(default_factory=dict)  # masked per the type's schema


def masked_fields(licence_type: LicenceType, fields: dict) -> dict:
    kinds = {spec["name"]: spec.get("masking_kind", "free_text") for spec in licence_type.schema}
    return {name: mask_value(kinds.get(name, "free_text"), value if isinstance(value, str) else str(value))
            for name, value in fields.items() if name in kinds}


def masked_holder(licence: Licence) -> str:
    """A citizen's name and resident ID masked; a company's name and credit code are public
    (kernel.masking returns credit codes unchanged), so they show as they are."""
    name_kind = "name" if licence.holder_kind == "citizen" else "plain"
    identifier = mask_value(HOLDER_MASK[licence.holder_kind], licence.holder_identifier)
    return f"{mask_value(name_kind, licence.holder_name)} {identifier}"


def _ledger_check(licence: Licence) -> Check:
    if licence.ledger_leaf_id is None:
        return Check("ledger", False, _("The licence was never recorded in the ledger."))
    try:
        leaf = leaf_get(leaf_id=licence.ledger_leaf_id)
    except LedgerError:
        return Check("ledger", False, _("The licence's ledger entry is missing from the ledger."))
    body = canonical_json({
        "actor": licence.issued_by, "created_at": leaf.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "id": str(leaf.id), "kind": "licence.issued", "payload": _ledger_payload(licence),
        "subject": f"licence:{licence.public_id}", "version": LEAF_BODY_VERSION,
    })
    if leaf.kind != "licence.issued" or auditor.leaf_hash(digest_algorithm(), body) != leaf.leaf_hash:
        return Check("ledger", False, _("The ledger entry does not record this licence as it stands."))
    if leaf.leaf_index is None:
        return Check("ledger", True, _("Recorded in the ledger; not yet sequenced."))
    try:
        proof = inclusion_proof_get(leaf=leaf.id)
        head = tree_head_get(tree_size=proof.tree_size)
        auditor.verify_inclusion(hash_algorithm=proof.hash_algorithm, leaf_hash=proof.leaf_hash,
                                 leaf_index=proof.leaf_index, tree_size=proof.tree_size,
                                 inclusion_path=proof.inclusion_path, root_hash=head.root_hash)
    except LedgerError:
        return Check("ledger", True, _("Recorded in the ledger at index %(index)s; not yet under a signed tree "
                                       "head.") % {"index": leaf.leaf_index})
    except auditor.VerificationError:
        return Check("ledger", False, _("The ledger's inclusion proof of this licence does not hold."))
    return Check("ledger", True, _("Recorded in the ledger at index %(index)s, proved included in the signed tree "
                                   "of size %(size)s.") % {"index": leaf.leaf_index, "size": proof.tree_size})


def _signature_check(licence: Licence, presented: dict | None) -> Check:
    """The seal's signature over the canonical licence: the presented payload when one is given
    (what a QR code or a PDF carried), else the licence as the register holds it."""
    payload = presented if presented is not None else licence_payload(licence)
    if presented is not None and presented != licence_payload(licence):
        return Check("signature", False, _("The presented licence differs from the one issued: it was altered."))
    try:
        data = canonical_json(payload)
    except (TypeError, ValueError):
        return Check("signature", False, _("The presented licence is not valid licence data."))
    signature = Signature(licence.signature_algorithm, licence.signature_key_id, bytes(licence.signature))
    if not licence.signature_key_id.startswith(licence.seal.unit + "/") or not verify_signature(data, signature):
        return Check("signature", False, _("The seal's signature does not match the licence: it was altered."))
    if digest(data).hex() != licence.digest:
        return Check("signature", False, _("The licence does not match the digest recorded when it was issued."))
    return Check("signature", True, _("Sealed by “%(seal)s” (%(algorithm)s).")
                 % {"seal": licence.seal.name, "algorithm": licence.signature_algorithm})


def _state_checks(licence: Licence, today: date) -> list[Check]:
    checks = []
    if licence.state == LicenceState.REVOKED:
        checks.append(Check("state", False, _("The licence was revoked: %(reason)s") % {"reason": licence.state_reason}))
    elif licence.state == LicenceState.SUSPENDED:
        checks.append(Check("state", False, _("The licence is suspended: %(reason)s") % {"reason": licence.state_reason}))
    elif licence.state == LicenceState.EXPIRED:
        checks.append(Check("state", False, _("The licence has expired.")))
    else:
        checks.append(Check("state", True, _("Active.")))
    if licence.valid_until and licence.valid_until < today:
        checks.append(Check("validity", False, _("The licence was valid until %(date)s.")
                            % {"date": licence.valid_until.isoformat()}))
    else:
        until = licence.valid_until.isoformat() if licence.valid_until else _("no end date")
        checks.append(Check("validity", True, _("Valid from %(start)s until %(end)s.")
                            % {"start": timezone.localdate(licence.issued_at).isoformat(), "end": until}))
    return checks


def _find(number: str = "", public_id=None) -> Licence | None:
    rows = Licence.objects.select_related("type", "department", "seal")
    if public_id:
        try:
            return rows.filter(public_id=UUID(str(public_id))).first()
        except ValueError:
            return None
    return rows.filter(number=(number or "").strip()).first() if number else None


def _document_check(licence: Licence, presented: PresentedPdf) -> Check:
    """The presented PDF is, byte for byte, the one rendered for this licence at issue."""
    if not licence.pdf_sha256:
        return Check("document", False, _("No PDF was recorded for this licence when it was issued."))
    if presented.sha256 != licence.pdf_sha256:
        return Check("document", False, _("The PDF is not the one issued for this licence: its content was "
                                          "altered or it belongs to another licence."))
    return Check("document", True, _("The PDF is the one issued (SHA-256 %(hash)s…).")
                 % {"hash": presented.sha256[:16]})


def licence_verify(*, actor: Actor, number: str = "", public_id=None, payload: dict | None = None,
                   token: str = "", pdf: bytes | None = None) -> VerificationResult:
    """Verify a licence given by number, public id, a presented payload (its "id" or "number"), a
    show token or its PDF (the embedded payload, and the file's hash against the one recorded at
    issue); the result names each check. The verification is logged in the ledger.
    Anyone may verify: the result shows the holder masked."""
    presented_pdf = None
    if pdf is not None:
        try:
            presented_pdf = pdf_read(pdf)
        except LicenceInvalid as error:
            result = VerificationResult(valid=False, reason=str(error.message),
                                        checks=(Check("document", False, str(error.message)),))
            _verification_log(actor, None, result, presented="pdf")
            return result
        payload = presented_pdf.payload
    if token:
        try:
            claims = show_token_read(token)
        except ShowTokenInvalid as error:
            result = VerificationResult(valid=False, reason=str(error.message),
                                        checks=(Check("token", False, str(error.message)),))
            _verification_log(actor, None, result)
            return result
        public_id = claims["licence"]
    if payload is not None and not (number or public_id):
        if not isinstance(payload, dict):
            payload = {}
        number, public_id = str(payload.get("number") or ""), payload.get("id")
    licence = _find(number, public_id)
    if licence is None:
        result = VerificationResult(valid=False, reason=_("No licence has this number or id."),
                                    checks=(Check("found", False, _("No licence has this number or id.")),))
        _verification_log(actor, None, result)
        return result
    today = timezone.localdate()
    checks = [Check("token", True, _("Show code signed by the platform, not expired."))] if token else []
    if presented_pdf is not None:
        checks.append(_document_check(licence, presented_pdf))
    checks += [_signature_check(licence, payload), _ledger_check(licence), *_state_checks(licence, today)]
    checks.append(Check("issuer", True, licence.department.name))
    checks.append(Check("type", True, licence.type.name))
    failed = next((check for check in checks if not check.passed), None)
    result = VerificationResult(
        valid=failed is None, reason=failed.detail if failed else "", checks=tuple(checks), number=licence.number,
        type_code=licence.type.code, type_name=licence.type.name, issuer=licence.department.code,
        issuer_name=licence.department.name, state=licence.state, issued_at=licence.issued_at,
        valid_until=licence.valid_until, holder=masked_holder(licence),
        fields=masked_fields(licence.type, licence.fields),
    )
    _verification_log(actor, licence, result, presented="pdf" if presented_pdf is not None else "")
    return result


def _verification_log(actor: Actor, licence: Licence | None, result: VerificationResult, presented: str = "") -> None:
    payload = {"valid": result.valid, "failed": [c.name for c in result.checks if not c.passed]}
    if presented:
        payload["presented"] = presented
    with transaction.atomic():
        ledger_append(kind="licence.verified", subject=f"licence:{licence.public_id}" if licence else "licence:unknown",
                      actor=actor_label(actor), payload=payload)


# --- issuance on approval ------------------------------------------------------------------------


def _holder_record(user_id: int) -> tuple[str, str, str, dict[str, str]] | None:
    """(kind, name, identifier, record) of an applicant: the record is what a licence field may
    take as "holder.<attribute>"."""
    from zhengtong.kernel.identity.models import Citizen, Company

    citizen = Citizen.objects.filter(user_id=user_id).first()
    if citizen is not None:
        return ("citizen", citizen.name, citizen.resident_id,
                {"name": citizen.name, "resident_id": citizen.resident_id,
                 "birth_date": citizen.birth_date.isoformat() if citizen.birth_date else "",
                 "address": citizen.address})
    company = Company.objects.filter(user_id=user_id).select_related("legal_representative").first()
    if company is not None:
        representative = company.legal_representative.name if company.legal_representative_id else ""
        return ("company", company.name, company.uscc,
                {"name": company.name, "uscc": company.uscc, "company_name": company.name,
                 "legal_representative": representative, "address": company.address})
    return None


def licence_fields_from(licence_type: LicenceType, *, answers: dict, record: dict[str, str],
                        choices: dict[str, dict[str, str]] | None = None) -> dict[str, str]:
    """A licence's fields from an approved application: each field from its "source" (an answer's
    name, or "holder.<attribute>"), by default the answer of its own name, else the holder's
    attribute of that name; a chosen answer reads as its label (自主创业, not self_employed); a field
    found nowhere is left out."""
    choices = choices or {}
    fields = {}
    for spec in licence_type.schema:
        name = spec["name"]
        source = spec.get("source") or name
        if source.startswith("holder."):
            value = record.get(source.removeprefix("holder."), "")
        else:
            value = str(answers.get(source) or "")
            value = choices.get(source, {}).get(value, value) or record.get(name, "")
        if value:
            fields[name] = str(value)
    return fields


def licence_issue_for_application(*, application_id) -> Licence | None:
    """The licence an approved application yields, issued once (a second call returns the same).

    None when the application was not approved or its implementation issues no known licence type.
    """
    from zhengtong.services.applications.public import application_answers_get, application_ref_get
    from zhengtong.services.guide.public import implementation_get

    ref = application_ref_get(application_id)
    if ref is None or ref.state != "approved":
        return None
    existing = Licence.objects.filter(source_application=ref.public_id).first()
    if existing is not None:
        return existing
    implementation = implementation_get(public_id=ref.implementation_id) if ref.implementation_id else None
    if implementation is None or not implementation.result_licence_type:
        return None
    licence_type = LicenceType.objects.filter(code=implementation.result_licence_type).first()
    if licence_type is None:
        return None
    holder = _holder_record(ref.applicant_user_id)
    if holder is None:
        return None
    kind, name, identifier, record = holder
    choices = {field.name: {str(value): str(text) for value, text in field.choices}
               for field in implementation.form_fields if field.choices}
    fields = licence_fields_from(licence_type, answers=application_answers_get(ref.public_id) or {}, record=record,
                                 choices=choices)
    try:
        return licence_issue(actor=Actor(kind="system"), licence_type=licence_type,
                             department_id=implementation.department_id, holder_kind=kind,
                             holder_user_id=ref.applicant_user_id, holder_name=name,
                             holder_identifier=identifier, fields=fields, source_application=ref.public_id)
    except IntegrityError:  # a concurrent delivery issued it first
        return Licence.objects.filter(source_application=ref.public_id).first()
