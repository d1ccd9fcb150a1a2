"""Event handlers: penalties decided in supervision become credit records here.

Registered in CreditConfig.ready(). Each runs in the transaction that marks its delivery done; a
redelivered event finds its record by decision number and files nothing twice.
"""

from datetime import date

from zhengtong.kernel.events.public import Event

from .models import CreditRecord, RecordCategory, SubjectKind
from .services import credit_record_file

PENALTY_DECIDED = "supervision.penalty_decided"


def on_penalty_decided(event: Event) -> None:
    payload = event.payload
    kind = SubjectKind.COMPANY if payload.get("uscc") else SubjectKind.PERSON
    identifier = payload.get("uscc") or payload.get("resident_id") or ""
    number = str(payload.get("decision_number") or "")
    if number and CreditRecord.objects.filter(category=RecordCategory.PENALTY, decision_number=number,
                                              department_id=payload.get("department_id")).exists():
        return
    credit_record_file(
        actor=None, subject_kind=kind, identifier=identifier, name=payload.get("name", ""),
        category=RecordCategory.PENALTY, title=payload.get("title", ""), legal_basis=payload.get("legal_basis", ""),
        decided_on=date.fromisoformat(payload["decided_on"]), department_id=payload.get("department_id"),
        serious=bool(payload.get("serious")), domain=payload.get("domain", ""), decision_number=number,
    )


HANDLERS = {PENALTY_DECIDED: on_penalty_decided}
