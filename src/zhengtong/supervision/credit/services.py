"""Writes of 公共信用. Authorization first, then validation, then the change and its ledger entry in
one transaction.

Every write about a subject is logged in the ledger under the subject's exchange subject ref
("person:…" / "company:…", data.exchange.subject_ref), so the person's or company's own access log
(mydata) lists the records filed about them, their grades and the measures applied to them.
"""

import calendar
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.data.exchange.public import subject_ref
from zhengtong.data.registry.public import registry_lookup
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ids.public import IdValidationError, resident_id_parse, uscc_parse
from zhengtong.kernel.ledger.public import ledger_append

from . import evaluation
from .evaluation import Evaluation, credit_model, evaluate_counts
from .models import (
    CreditGrade,
    CreditRecord,
    PenaltyDomain,
    RecordCategory,
    RecordState,
    SubjectKind,
)
from .subjects import company_key, normalize, person_key, subject_key

TITLE_MAX_LENGTH = 300
BASIS_MAX_LENGTH = 500
TAX_LEVELS = ("A", "B", "M", "C", "D")
# Publication periods in months (NDRC Order 58, 2023): a penalty at least 3 months (12 in special
# equipment, work safety and fire safety), at most 3 years; a serious-dishonesty list entry at least
# 1 year, at most 3. Other categories are not removed by time (a court lifts its own list).
MIN_MONTHS = {RecordCategory.PENALTY: 3, RecordCategory.BLACK_LIST: 12}
MIN_MONTHS_STRICT_DOMAINS = 12
MAX_MONTHS = {RecordCategory.PENALTY: 36, RecordCategory.BLACK_LIST: 36}
STRICT_DOMAINS = (PenaltyDomain.SPECIAL_EQUIPMENT, PenaltyDomain.WORK_SAFETY, PenaltyDomain.FIRE_SAFETY)


def actor_label(actor: Actor | None) -> str:
    """Who acted, as the ledger names them (the registry's and exchange's scheme)."""
    if actor is None:
        return "system"
    if actor.kind == "api_client":
        return f"api_client:{actor.api_client_id}"
    if actor.user_id is not None:
        return f"{actor.kind}:{actor.user_id}"
    return actor.kind


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def publication_period(category: str, domain: str, published_on: date) -> tuple[date | None, date | None]:
    """(earliest early removal, automatic removal) of a record published on `published_on`."""
    if category not in MIN_MONTHS:
        return None, None
    months = MIN_MONTHS[category]
    if category == RecordCategory.PENALTY and domain in STRICT_DOMAINS:
        months = MIN_MONTHS_STRICT_DOMAINS
    return add_months(published_on, months), add_months(published_on, MAX_MONTHS[category])


def identifier_kind(identifier: str) -> str:
    """"person" for a valid resident ID, "company" for a valid credit code; ValidationError else."""
    normalized = normalize(identifier)
    try:
        resident_id_parse(normalized)
        return SubjectKind.PERSON
    except (IdValidationError, ValueError):
        pass
    try:
        uscc_parse(normalized)
        return SubjectKind.COMPANY
    except (IdValidationError, ValueError):
        raise ValidationError({"identifier": _("Give a valid unified social credit code or resident ID.")},
                              code="identifier") from None


def _checked_identifier(kind: str, identifier: str) -> str:
    normalized = normalize(identifier)
    try:
        (uscc_parse if kind == SubjectKind.COMPANY else resident_id_parse)(normalized)
    except (IdValidationError, ValueError):
        message = (_("Give a valid unified social credit code.") if kind == SubjectKind.COMPANY
                   else _("Give a valid resident ID."))
        raise ValidationError({"identifier": message}, code="identifier") from None
    return normalized


def ledger_subject(kind: str, identifier: str) -> str:
    return subject_ref(kind, identifier)


# --- grades -------------------------------------------------------------------------------------


def _grade_replace(*, key: str, kind: str, grade: str, score: int | None, lists: str, counts: dict, manual: bool,
                   reason: str, model_version: str) -> CreditGrade:
    CreditGrade.objects.filter(subject_key=key, current=True).update(current=False)
    return CreditGrade.objects.create(
        subject_key=key, subject_kind=kind, grade=grade, score=score, lists=lists, counts=counts, manual=manual,
        reason=reason, model_version=model_version, current=True, evaluated_at=timezone.now(),
    )


@transaction.atomic
def credit_class_set(identifier: str, klass: str, *, reason: str) -> None:
    """Set a subject's grade by hand (demo data, other modules' tests), kept as a manual evaluation
    with its reason and logged. The next evaluation of a subject with records replaces it."""
    klass = str(klass or "").strip().upper()
    if klass not in evaluation.GRADES:
        raise ValidationError({"grade": _("A credit grade is one of A, B, C and D.")}, code="grade")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for setting the grade by hand.")}, code="required")
    kind = identifier_kind(identifier)
    normalized = normalize(identifier)
    _grade_replace(key=subject_key(kind, normalized), kind=kind, grade=klass, score=None, lists="", counts={},
                   manual=True, reason=reason[:500], model_version="manual")
    ledger_append(kind="credit.grade_set", subject=ledger_subject(kind, normalized), actor="system",
                  payload={"grade": klass, "reason": reason[:500]})


def _counts_of(model, key: str) -> dict:
    rows = CreditRecord.objects.filter(subject_key=key, state=RecordState.PUBLISHED).values_list(
        "category", "serious", "level")
    return evaluation.count_records(model, rows)


@transaction.atomic
def credit_evaluate(identifier: str, *, kind: str | None = None) -> Evaluation:
    """Evaluate one subject from its published records: grade, score and each indicator's
    contribution (the reasons, in Chinese); stored as its current grade (the old one kept)."""
    kind = kind or identifier_kind(identifier)
    normalized = _checked_identifier(kind, identifier)
    model = credit_model()
    key = subject_key(kind, normalized)
    result = evaluate_counts(model, kind, _counts_of(model, key))
    _grade_replace(key=key, kind=kind, grade=result.grade, score=result.score, lists=" ".join(result.lists),
                   counts=result.counts, manual=False, reason="", model_version=model.version)
    return result


def _evaluate_key(key: str, kind: str) -> None:
    model = credit_model()
    result = evaluate_counts(model, kind, _counts_of(model, key))
    _grade_replace(key=key, kind=kind, grade=result.grade, score=result.score, lists=" ".join(result.lists),
                   counts=result.counts, manual=False, reason="", model_version=model.version)


def _evaluate_all_sql(model, *, keys_sql: str = "") -> tuple[str, list]:
    """One SELECT grading every subject that has records (or those `keys_sql` selects), from the
    model: (k, kind, grade, score, lists, counts) with the indicator counts by GROUP BY, the score
    as their weighted sum, the grade by the thresholds and the caps (grades compare as letters:
    A < B < C < D). Subjects whose records are all removed are graded too (back to the start)."""
    q = connection.ops.quote_name
    records = q(CreditRecord._meta.db_table)
    postgres = connection.vendor == "postgresql"
    greatest = "GREATEST" if postgres else "MAX"
    params: list = []
    count_columns = []
    for n, indicator in enumerate(model.indicators):
        condition = f"{q('state')} = %s AND {q('category')} = %s"
        params += [RecordState.PUBLISHED, indicator.category]
        if indicator.serious is not None:
            condition += f" AND {q('serious')} = %s"
            params.append(indicator.serious)
        if indicator.level is not None:
            condition += f" AND {q('level')} = %s"
            params.append(indicator.level)
        count_columns.append(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS c{n}")
    where = f"WHERE {q('subject_key')} IN ({keys_sql})" if keys_sql else ""
    counted = (f"SELECT {q('subject_key')} AS k, MIN({q('subject_kind')}) AS kind, "
               f"{', '.join(count_columns) or '0 AS c0'} FROM {records} {where} GROUP BY {q('subject_key')}")
    start_company, start_person = int(model.start.get("company", 100)), int(model.start.get("person", 100))
    score = (f"(CASE WHEN kind = 'company' THEN {start_company} ELSE {start_person} END"
             + "".join(f" + c{n} * ({int(i.points)})" for n, i in enumerate(model.indicators)) + ")")
    base = (f"(CASE WHEN score >= {model.thresholds['A']} THEN 'A' WHEN score >= {model.thresholds['B']} THEN 'B' "
            f"WHEN score >= {model.thresholds['C']} THEN 'C' ELSE 'D' END)")
    caps = [f"(CASE WHEN c{n} > 0 THEN '{i.grade_cap}' ELSE 'A' END)"
            for n, i in enumerate(model.indicators) if i.grade_cap]
    grade = f"{greatest}({base}, {', '.join(caps)})" if caps else base
    list_parts = []
    for name, category in model.lists.items():
        columns = [f"c{n}" for n, i in enumerate(model.indicators) if i.category == category]
        if columns and name.isidentifier():
            list_parts.append(f"(CASE WHEN {' + '.join(columns)} > 0 THEN '{name} ' ELSE '' END)")
    lists = f"TRIM({' || '.join(list_parts)})" if list_parts else "''"
    pairs = ", ".join(f"'{i.code}', c{n}" for n, i in enumerate(model.indicators) if i.code.isidentifier())
    counts_json = f"jsonb_build_object({pairs})" if postgres else f"json_object({pairs})"
    scored = f"SELECT counted.*, {score} AS score FROM ({counted}) AS counted"
    select = (f"SELECT k, kind, {grade} AS grade, score, {lists} AS lists, {counts_json} AS counts "
              f"FROM ({scored}) AS scored")
    return select, params


NEW_GRADES = "credit_new_grades"
EVALUATE_ALL_WORK_MEM = "256MB"


@transaction.atomic
def credit_evaluate_all() -> int:
    """Evaluate every subject with records, set-based, and write the grades that changed; the
    number written. A fixed number of statements whatever the count: the new grades computed into a
    temporary table by one SELECT over the records (GROUP BY) joined to the current grades, keeping
    the changed ones; their current grades retired (kept as history), the new ones inserted. A
    grade set by hand is always replaced. Unchanged grades are not rewritten, so a nightly run costs
    the aggregation and a join, not a million writes."""
    model = credit_model()
    q = connection.ops.quote_name
    grades, new = q(CreditGrade._meta.db_table), q(NEW_GRADES)
    select, params = _evaluate_all_sql(model)
    same = (f"n.grade = g.{q('grade')} AND NOT g.{q('manual')} AND g.{q('score')} IS NOT NULL AND "
            f"n.score = g.{q('score')} AND n.lists = g.{q('lists')} AND n.counts = g.{q('counts')}")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Hash aggregate and hash join over every subject, not walks of the key indexes: a batch
            # job's memory.
            cursor.execute(f"SET LOCAL work_mem = '{EVALUATE_ALL_WORK_MEM}'")
        cursor.execute(f"DROP TABLE IF EXISTS {new}")
        # Only the grades that changed reach the temporary table (in one pass: the new grades
        # joined to the current ones), and every read of the grades happens before the first write
        # to them: a statement probing the grades while inserting into them would scan its own new
        # rows again and again.
        cursor.execute(
            f"CREATE TEMPORARY TABLE {new} AS SELECT n.* FROM ({select}) AS n LEFT JOIN {grades} g "
            f"ON g.{q('current')} = %s AND g.{q('subject_key')} = n.k WHERE g.{q('id')} IS NULL OR NOT ({same})",
            [*params, True])
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {new}")  # temporary tables get no statistics otherwise
        cursor.execute(f"UPDATE {grades} SET {q('current')} = %s WHERE {q('current')} = %s AND {q('subject_key')} IN "
                       f"(SELECT k FROM {new})", [False, True])
        cursor.execute(
            f"INSERT INTO {grades} ({q('subject_key')}, {q('subject_kind')}, {q('grade')}, {q('score')}, {q('lists')}, "
            f"{q('counts')}, {q('manual')}, {q('reason')}, {q('model_version')}, {q('current')}, {q('evaluated_at')}) "
            f"SELECT n.k, n.kind, n.grade, n.score, n.lists, n.counts, %s, '', %s, %s, %s FROM {new} n",
            [False, model.version, True, timezone.now()])
        written = cursor.rowcount
        cursor.execute(f"DROP TABLE {new}")
    return written


# --- records ------------------------------------------------------------------------------------


def _record_ledger_payload(record: CreditRecord) -> dict:
    return {
        "record": str(record.public_id), "category": record.category, "serious": record.serious,
        "title": record.title, "department": record.department_id, "legal_basis": record.legal_basis,
        "decided_on": record.decided_on.isoformat(), "state": record.state,
        "publish_max_until": record.publish_max_until.isoformat() if record.publish_max_until else None,
    }


@transaction.atomic
def credit_record_file(*, actor: Actor | None, subject_kind: str, identifier: str, name: str, category: str,
                       title: str, legal_basis: str, decided_on: date, department_id: int | None = None,
                       serious: bool = False, domain: str = "", level: str = "", decision_number: str = "",
                       published_on: date | None = None) -> CreditRecord:
    """File a credit record about a company (USCC) or person (resident ID), with its legal basis.

    `actor` None is the system (another module through public.py, an event handler); staff file
    for their own department only. The subject is linked to its registry record when known, the
    record is logged in the ledger under the subject and the subject re-evaluated."""
    if actor is not None:
        if not actor.is_staff_member:
            raise PermissionDenied(_("Only department staff may file credit records."))
        if department_id is not None and department_id != actor.department_id:
            raise PermissionDenied(_("You may only file credit records for your own department."))
        department_id = actor.department_id
    errors: dict = {}
    if subject_kind not in SubjectKind.values:
        errors["subject_kind"] = [_("Choose a company or a person.")]
    else:
        try:
            identifier = _checked_identifier(subject_kind, identifier)
        except ValidationError as error:
            errors.update(error.message_dict)
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the subject's name.")]
    if category not in RecordCategory.values:
        errors["category"] = [_("Choose a record category.")]
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX_LENGTH:
        errors["title"] = [_("Give a title of at most %(n)d characters.") % {"n": TITLE_MAX_LENGTH}]
    legal_basis = (legal_basis or "").strip()
    if not legal_basis:
        errors["legal_basis"] = [_("A credit record must cite its legal basis.")]
    elif len(legal_basis) > BASIS_MAX_LENGTH:
        errors["legal_basis"] = [_("The legal basis must be at most %(n)d characters.") % {"n": BASIS_MAX_LENGTH}]
    if domain not in PenaltyDomain.values:
        errors["domain"] = [_("Choose a field from the list.")]
    level = (level or "").strip().upper()
    if category == RecordCategory.TAX_CREDIT and level not in TAX_LEVELS:
        errors["level"] = [_("A tax credit record gives its level: A, B, M, C or D.")]
    if not isinstance(decided_on, date):
        errors["decided_on"] = [_("Give the date of the decision.")]
    if errors:
        raise ValidationError(errors)
    published_on = published_on or decided_on
    min_until, max_until = publication_period(category, domain, published_on)
    master = registry_lookup(kind=subject_kind, resident_id=identifier if subject_kind == SubjectKind.PERSON else "",
                             uscc=identifier if subject_kind == SubjectKind.COMPANY else "")
    record = CreditRecord.objects.create(
        subject_kind=subject_kind, subject_key=subject_key(subject_kind, identifier), subject_name=name,
        subject_identifier=identifier, registry_id=master.registry_id if master else "", category=category,
        serious=bool(serious) and category == RecordCategory.PENALTY, domain=domain,
        level=level if category == RecordCategory.TAX_CREDIT else "", title=title,
        decision_number=(decision_number or "").strip()[:100], department_id=department_id,
        legal_basis=legal_basis, decided_on=decided_on, published_on=published_on, publish_min_until=min_until,
        publish_max_until=max_until, created_by=actor_label(actor),
    )
    record.ledger_leaf_id = ledger_append(kind="credit.record_filed", subject=ledger_subject(subject_kind, identifier),
                                          actor=actor_label(actor), payload=_record_ledger_payload(record))
    record.save(update_fields=["ledger_leaf_id"])
    _evaluate_key(record.subject_key, subject_kind)
    return record


# --- repair and expiry --------------------------------------------------------------------------


def _own_keys(actor: Actor) -> set[str]:
    """The subject keys of a signed-in company or citizen."""
    from zhengtong.kernel.identity.models import Citizen, Company

    if actor.kind == "company" and actor.company_id is not None:
        company = Company.objects.filter(pk=actor.company_id).first()
        return {company_key(company.uscc)} if company else set()
    if actor.kind == "citizen" and actor.citizen_id is not None:
        citizen = Citizen.objects.filter(pk=actor.citizen_id).first()
        return {person_key(citizen.resident_id)} if citizen else set()
    return set()


@transaction.atomic
def repair_apply(*, actor: Actor, record_id, proof: str, today: date | None = None):
    """The subject applies to remove a published penalty record early, with proof of correction
    (信用修复). Refused before the minimum publication period, naming the day it becomes possible."""
    from .models import RepairRequest, RepairState

    record = CreditRecord.objects.select_for_update().filter(public_id=record_id).first()
    if record is None or record.subject_key not in _own_keys(actor):
        raise PermissionDenied(_("You may only apply to repair your own credit records."))
    if record.state != RecordState.PUBLISHED or record.publish_min_until is None:
        raise ValidationError(_("Only a published penalty or list record can be repaired."), code="not_repairable")
    today = today or timezone.localdate()
    if today < record.publish_min_until:
        raise ValidationError(
            _("This record must stay published until %(date)s; you may apply for repair from that day.")
            % {"date": record.publish_min_until.isoformat()}, code="too_early")
    proof = (proof or "").strip()
    if not proof:
        raise ValidationError({"proof": _("Describe the correction and attach its proof.")}, code="required")
    if RepairRequest.objects.filter(record=record, state=RepairState.PENDING).exists():
        raise ValidationError(_("A repair application for this record is already pending."), code="duplicate")
    request = RepairRequest.objects.create(record=record, applicant_id=actor.user_id, proof=proof[:5000])
    ledger_append(kind="credit.repair_applied", subject=ledger_subject(record.subject_kind, record.subject_identifier),
                  actor=actor_label(actor), payload={"record": str(record.public_id), "request": str(request.public_id)})
    return request


@transaction.atomic
def repair_decide(*, actor: Actor, request_id, approve: bool, note: str = ""):
    """Staff of the record's source department decide a repair application; an approved one
    removes the record from publication (已修复) and re-evaluates the subject."""
    from .models import RepairRequest, RepairState

    request = RepairRequest.objects.select_for_update().select_related("record").filter(public_id=request_id).first()
    if request is None or not actor.is_staff_member or request.record.department_id != actor.department_id:
        raise PermissionDenied(_("Only the record's source department decides its repair."))
    if request.state != RepairState.PENDING:
        raise ValidationError(_("This repair application is already decided."), code="decided")
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("Give the reason for rejecting the repair.")}, code="required")
    record = request.record
    request.state = RepairState.APPROVED if approve else RepairState.REJECTED
    request.decision_note, request.decided_by, request.decided_at = note[:500], actor_label(actor), timezone.now()
    request.save()
    if approve:
        record.state, record.state_reason, record.state_changed_at = RecordState.REPAIRED, note[:500], timezone.now()
        record.save(update_fields=["state", "state_reason", "state_changed_at"])
    ledger_append(kind="credit.repair_decided", subject=ledger_subject(record.subject_kind, record.subject_identifier),
                  actor=actor_label(actor),
                  payload={"record": str(record.public_id), "request": str(request.public_id), "approved": approve})
    if approve:
        _evaluate_key(record.subject_key, record.subject_kind)
    return request


@transaction.atomic
def credit_records_expire(today: date) -> int:
    """Remove from publication every record past its maximum period (到期移除) and re-evaluate the
    subjects concerned. Logged per record; idempotent."""
    due = list(CreditRecord.objects.select_for_update().filter(
        state=RecordState.PUBLISHED, publish_max_until__lte=today))
    now = timezone.now()
    subjects = {}
    for record in due:
        record.state, record.state_reason, record.state_changed_at = RecordState.EXPIRED, "", now
        subjects[record.subject_key] = record.subject_kind
    CreditRecord.objects.bulk_update(due, ["state", "state_reason", "state_changed_at"])
    for record in due:
        ledger_append(kind="credit.record_expired", subject=ledger_subject(record.subject_kind, record.subject_identifier),
                      actor="system", payload={"record": str(record.public_id), "on": today.isoformat()})
    for key, kind in subjects.items():
        _evaluate_key(key, kind)
    return len(due)


# --- reads that are logged ----------------------------------------------------------------------


def credit_mine(*, actor: Actor):
    """The signed-in company's or citizen's own credit (not logged: it is their own)."""
    from .selectors import credit_view

    keys = _own_keys(actor)
    if not keys:
        raise PermissionDenied(_("Sign in as a company or a citizen to see your credit."))
    key = next(iter(keys))
    kind = SubjectKind.COMPANY if key.startswith("C:") else SubjectKind.PERSON
    return credit_view(actor=actor, subject_key=key, kind=kind, own_keys=frozenset(keys))


@transaction.atomic
def credit_subject_read(*, actor: Actor, identifier: str, purpose: str = ""):
    """Staff read a subject's credit (their department's records; all for the credit lead). The
    read is logged in the ledger under the subject, so it appears in the subject's access log."""
    from .selectors import credit_view

    if not actor.is_staff_member:
        raise PermissionDenied(_("Only department staff may look up a subject's credit."))
    kind = identifier_kind(identifier)
    normalized = normalize(identifier)
    view = credit_view(actor=actor, subject_key=subject_key(kind, normalized), kind=kind)
    ledger_append(kind="credit.read", subject=ledger_subject(kind, normalized), actor=actor_label(actor),
                  payload={"department": actor.department_id, "purpose": (purpose or "")[:200],
                           "records": len(view.records)})
    return view
