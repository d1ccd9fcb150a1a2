"""What other modules may use of 公共信用 (credit): grades, records filed from elsewhere, measures.

    credit_classes(["91330106MA2B0R9X1L", "330106199101010078"])
    # → {"91330106MA2B0R9X1L": "A", "330106199101010078": "B"}
    credit_class_set("91330106MA2B0R9X1L", "D", reason="演示数据")
    credit_record_file(actor=None, subject_kind="company", identifier=uscc, name="某某公司",
                       category="penalty", title="…", legal_basis="《…》第…条", decided_on=date(…),
                       department_id=dept.id, serious=False, domain="work_safety")

A subject with no grade is "B". credit_classes costs one query per 5,000 identifiers (no query per
identifier), for the supervision draw's refresh of up to a million entities.

Events this app handles (registered in CreditConfig.ready):
  supervision.penalty_decided {uscc | resident_id, name, title, legal_basis, decided_on (ISO),
                               department_id, serious, domain, decision_number}
    → a penalty record filed by the system, as credit_record_file does.
"""

from .selectors import credit_classes
from .services import credit_class_set, credit_evaluate, credit_record_file

__all__ = ["credit_class_set", "credit_classes", "credit_evaluate", "credit_record_file"]
