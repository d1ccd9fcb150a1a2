"""Reads of 公共信用. Authorization first; staff see the subjects' records of their department only
unless they hold the credit role; a company or citizen sees its own."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.identity.public import Actor

from .evaluation import credit_model, evaluate_counts
from .models import AppliedMeasure, CreditGrade, CreditRecord, JointMeasure
from .subjects import may_be_resident_id, normalize, person_key

# The supervision draw refreshes up to a million entities: keys go to the database in chunks small
# enough for SQLite's variable limit and PostgreSQL's plan cache alike.
CLASSES_CHUNK = 5000
# The big-data bureau hosts the public credit platform (信用中心): its administrators see every
# subject's records.
CREDIT_ROLE = "big_data_admin"


def credit_classes(identifiers: list[str]) -> dict[str, str]:
    """USCC or resident ID → current grade ("A"-"D"); a subject with no grade is the model's
    default ("B"). One query per CLASSES_CHUNK keys, none per identifier.

    The supervision draw's hot path (a million identifiers): a plain statement rather than the
    ORM's (compiling an IN of thousands of parameters costs more than running it), and a resident
    ID's check digit and blind index computed only for identifiers shaped like one."""
    default = credit_model().default_grade
    answers: dict[str, str] = {}
    by_key: dict[str, str] = {}  # company key → the identifier asked
    person_keys: dict[str, str] = {}  # person key → the identifier asked
    for identifier in identifiers:
        if identifier in answers:
            continue
        answers[identifier] = default
        normalized = identifier.upper() if len(identifier) == 18 and identifier.isalnum() else normalize(identifier)
        if not normalized:
            continue
        by_key["C:" + normalized] = identifier
        if normalized[:17].isdigit() and may_be_resident_id(normalized):
            person_keys[person_key(normalized)] = identifier
    q = connection.ops.quote_name
    sql = (f"SELECT {q('subject_key')}, {q('grade')} FROM {q(CreditGrade._meta.db_table)} "
           f"WHERE {q('current')} = %s AND {q('subject_key')} IN ")
    keys = [*by_key, *person_keys]
    with connection.cursor() as cursor:
        for start in range(0, len(keys), CLASSES_CHUNK):
            chunk = keys[start:start + CLASSES_CHUNK]
            cursor.execute(sql + f"({', '.join(['%s'] * len(chunk))})", [True, *chunk])
            for key, grade in cursor.fetchall():
                if key in by_key:  # a company's key wins over the rare person key of an all-digit code
                    answers[by_key[key]] = grade
                elif answers[person_keys[key]] == default:
                    answers[person_keys[key]] = grade
    return answers


def grade_current(subject_key: str) -> CreditGrade | None:
    """The approval hook's one indexed query (the partial unique index on current grades)."""
    return CreditGrade.objects.filter(subject_key=subject_key, current=True).first()


def record_list(*, actor: Actor, subject_key: str, own_keys: frozenset[str] = frozenset()) -> list[CreditRecord]:
    """A subject's records: the subject sees all of its own; staff with the credit role every
    record; other staff the records their department filed."""
    if subject_key in own_keys:
        return list(CreditRecord.objects.filter(subject_key=subject_key))
    if not actor.is_staff_member:
        raise PermissionDenied(_("You may only see your own credit records."))
    rows = CreditRecord.objects.filter(subject_key=subject_key)
    if not (actor.has_role(CREDIT_ROLE) or actor.is_superuser):
        rows = rows.filter(department_id=actor.department_id)
    return list(rows)


def grade_history(subject_key: str, *, limit: int = 20) -> list[CreditGrade]:
    return list(CreditGrade.objects.filter(subject_key=subject_key).order_by("-evaluated_at", "-id")[:limit])


def applied_measures(subject_key: str, *, limit: int = 100) -> list[AppliedMeasure]:
    return list(AppliedMeasure.objects.filter(subject_key=subject_key).select_related("measure")[:limit])


def measure_list(*, active_only: bool = True) -> list[JointMeasure]:
    rows = JointMeasure.objects.all()
    if active_only:
        rows = rows.filter(active=True)
    return list(rows)


@dataclass(frozen=True)
class CreditView:
    """A subject's credit as its own page and the staff page show it."""

    subject_key: str
    kind: str
    grade: str
    score: int | None
    manual: bool
    manual_reason: str
    evaluated_at: object
    reasons: tuple  # evaluation.Reason
    lists: tuple[str, ...]
    records: list
    measures: list


def credit_view(*, actor: Actor, subject_key: str, kind: str, own_keys: frozenset[str] = frozenset()) -> CreditView:
    """Grade, score, reasons, records (scoped as record_list) and measures applied."""
    records = record_list(actor=actor, subject_key=subject_key, own_keys=own_keys)
    grade = grade_current(subject_key)
    model = credit_model()
    if grade is None:
        return CreditView(subject_key, kind, model.default_grade, None, False, "", None, (), (), records,
                          applied_measures(subject_key))
    evaluation_ = evaluate_counts(model, kind, grade.counts or {})
    return CreditView(subject_key, kind, grade.grade, grade.score, grade.manual, grade.reason, grade.evaluated_at,
                      evaluation_.reasons, tuple(grade.lists.split()), records, applied_measures(subject_key))


def repair_queue(*, actor: Actor) -> list:
    """Pending repair applications of the records the actor's department filed."""
    from .models import RepairRequest, RepairState

    if not actor.is_staff_member:
        raise PermissionDenied(_("Only the record's source department decides its repair."))
    return list(RepairRequest.objects.filter(state=RepairState.PENDING, record__department_id=actor.department_id)
                .select_related("record").order_by("created_at"))
