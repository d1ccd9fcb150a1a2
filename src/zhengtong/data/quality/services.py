"""Writes of data quality: record each load's quality, and keep the problem loops in step with it.

首问责任制: every problem found in a department's data becomes a loop (kernel.loops, kind
"problem_data") on that department's desk, 发现→反馈→整改→共享. The department corrects the data
at its source and loads it again; the load that no longer has the problem closes the loop, because
the data itself is the verification. People may still close a loop the usual way (respond, verify,
close), and a later load that has the problem again opens a new one.

Everything here runs as the system: from ingest's "ingest.load_succeeded" event (handlers.py), from
loops' events about problem loops, and from the scheduler (quality_check_timeliness).
"""

import logging
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy as _

from zhengtong.data.catalog.public import DatasetRef, RuleKind, dataset_get, rules_for, schema_current
from zhengtong.data.ingest.public import load_get, validate_source, version_current
from zhengtong.kernel.events.public import publish
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.loops.public import InvalidTransition, LoopKindSpec, case_report, case_resolve_by_system

from . import scoring
from .models import TIMELINESS_CODE, ProblemLoop, QualitySnapshot, Resolution, RuleResult, TrackedDataset

logger = logging.getLogger(__name__)

# Working days per step: a day for a supervisor to pass a misrouted problem on, ten for the
# department to correct the data at its source and load it again (a monthly dataset's next load
# may need that long), three for the verifying side when a person answers instead of the data.
# No appeal step: a rule that is wrong is corrected in the catalog, and the next load then closes
# the loop.
PROBLEM_DATA = LoopKindSpec(
    code="problem_data",
    name=_("Problem data"),
    step_days={"assign": 1, "handle": 10, "verify": 3},
    verifier="assigning_department",
    escalate=True,
    reopen_days=10,
    description=_("Rows of a dataset fail a quality rule, or the dataset is late: the owner department corrects it."),
)

SYSTEM = Actor(kind="system")
CHINA = ZoneInfo("Asia/Shanghai")
RETIRED = "retired"  # catalog's DatasetStatus.RETIRED: a retired dataset is no longer expected to load


def now() -> datetime:
    """The services' one clock (tests set it)."""
    return timezone.now()


def china_date(moment: datetime) -> date:
    return timezone.localdate(moment, timezone=CHINA)


def subject_ref(dataset: DatasetRef, rule_code: str) -> str:
    return f"catalog.Dataset:{dataset.public_id}#{rule_code}"


def rule_label(kind: str) -> str:
    return str(RuleKind(kind).label) if kind in RuleKind.values else kind


# --- loads -------------------------------------------------------------------------------------


def load_record(*, event_id: UUID, payload: dict, occurred_at: datetime) -> QualitySnapshot | None:
    """Record one successful load's quality and bring the dataset's problem loops up to date.

    payload is ingest's "ingest.load_succeeded": {load_id, dataset_id, dataset_public_id, version,
    rows, problem_rows, rules: {code: {kind, field, failed}}}. Returns the new snapshot, or None
    when the load was recorded before (events come at least once: a repeat changes nothing) or the
    dataset no longer exists. A load older than the latest recorded one (a delayed event) gets its
    snapshot but leaves the loops to the newer load.
    """
    dataset = dataset_get(dataset_id=payload["dataset_id"])
    if dataset is None:
        logger.warning("Quality: load %s of dataset %s, which no longer exists", payload.get("load_id"),
                       payload.get("dataset_id"))
        return None
    load_id = str(payload["load_id"])
    rows, problem_rows = int(payload["rows"]), int(payload["problem_rows"])
    rules = {
        str(code): {"kind": str(result["kind"]), "field": str(result.get("field") or ""),
                    "failed": int(result["failed"])}
        for code, result in (payload.get("rules") or {}).items()
    }
    if QualitySnapshot.objects.filter(dataset_id=dataset.id, load_id=load_id).exists():
        return None  # a repeat, known before any work (checked again under the lock below)
    measured = _measure_incremental_version(dataset=dataset, load_id=load_id, rules=rules)
    if measured is not None:
        rows, problem_rows, rules = measured
    with transaction.atomic():
        TrackedDataset.objects.get_or_create(dataset_id=dataset.id)
        # The lock serialises the events of one dataset: two loads are applied one after the other.
        tracked = TrackedDataset.objects.select_for_update().get(dataset_id=dataset.id)
        if QualitySnapshot.objects.filter(dataset_id=dataset.id, load_id=load_id).exists():
            return None
        previous = (
            QualitySnapshot.objects.filter(dataset_id=dataset.id, loaded_at__lt=occurred_at)
            .order_by("-loaded_at", "-id").only("loaded_at").first()
        )
        allowance = scoring.allowed_days(dataset.update_cycle)
        if allowance is None:
            on_time = None
        elif previous is None:
            on_time = True
        else:
            on_time = (china_date(occurred_at) - china_date(previous.loaded_at)).days <= allowance
        scores = scoring.dimension_scores(
            rows=rows, failures=[(rule["kind"], rule["failed"]) for rule in rules.values()], on_time=on_time
        )
        snapshot = QualitySnapshot.objects.create(
            dataset_id=dataset.id, load_id=load_id, version=payload.get("version"), rows=rows,
            problem_rows=problem_rows, on_time=on_time, loaded_at=occurred_at, event_id=event_id,
            **scores,
        )
        RuleResult.objects.bulk_create([
            RuleResult(snapshot=snapshot, code=code, kind=rule["kind"], field=rule["field"],
                       dimension=scoring.dimension_of(rule["kind"]), failed=rule["failed"])
            for code, rule in sorted(rules.items()) if rule["kind"] != RuleKind.TIMELINESS
        ])
        if tracked.last_loaded_at is not None and occurred_at < tracked.last_loaded_at:
            return snapshot
        tracked.latest_snapshot = snapshot
        tracked.last_loaded_at = occurred_at
        tracked.save()
        # The dataset's score changed: modules that show it (the open-data portal) refresh theirs.
        publish("quality.dataset_scored", {"dataset_id": dataset.id, "version": payload.get("version"),
                                           "overall": str(snapshot.overall) if snapshot.overall is not None else None})
        _sync_rule_problems(dataset=dataset, snapshot=snapshot, rules=rules)
        _close_timeliness_problem(dataset=dataset, snapshot=snapshot)
        return snapshot


def _measure_incremental_version(
    *, dataset: DatasetRef, load_id: str, rules: dict[str, dict]
) -> tuple[int, int, dict[str, dict]] | None:
    """For an append or upsert load, the quality of the whole new version; None for a full load.

    Ingest checks the rows a load brings, which for a full load are the whole version. An
    incremental load's clean rows say nothing of the rows already there (the bad ones may still be
    in the version, or an upsert may just have replaced them), and uniqueness holds across both.
    A loop may close only when the dataset as it now is no longer has the problem, so the new
    version is checked again, with ingest's own rules engine over its Parquet file. Only the
    dataset's current version is checked: an older load's event changes no loop anyway.
    """
    load = load_get(load_id)
    if load is None or load.mode == "full" or load.version is None:
        return None
    current = version_current(dataset.id)
    if current is None or str(current.load_id) != str(load.load_id):
        return None
    schema = schema_current(dataset.id)
    specs = rules_for(dataset.id)
    summary = validate_source(schema=schema, rules=specs, source=current.path)
    measured = {spec.code: {"kind": str(spec.kind), "field": spec.field, "failed": summary.per_rule[spec.code]}
                for spec in specs if spec.code in summary.per_rule}
    # A rule the load reported but the catalog no longer has keeps the load's own count.
    for code, rule in rules.items():
        measured.setdefault(code, rule)
    return summary.rows, summary.problem_rows, measured


def _sync_rule_problems(*, dataset: DatasetRef, snapshot: QualitySnapshot, rules: dict[str, dict]) -> None:
    open_problems = {
        problem.rule_code: problem
        for problem in ProblemLoop.objects.select_for_update()
        .filter(dataset_id=dataset.id, closed_at__isnull=True).exclude(rule_code=TIMELINESS_CODE)
    }
    for code, rule in sorted(rules.items()):
        if rule["kind"] == RuleKind.TIMELINESS:
            continue  # quality judges timeliness itself, from the dates of the loads
        problem = open_problems.pop(code, None)
        if rule["failed"] > 0 and problem is None:
            _open_rule_problem(dataset=dataset, snapshot=snapshot, code=code, rule=rule)
        elif rule["failed"] > 0:
            problem.count = rule["failed"]
            problem.rows = snapshot.rows
            problem.last_load_id = snapshot.load_id
            problem.updated_at = now()
            problem.save(update_fields=["count", "rows", "last_load_id", "updated_at"])
        elif problem is not None:
            _resolve(problem, load_id=snapshot.load_id, note=_in_platform_language(
                _("Load %(load)s (version %(version)s) has no row failing the rule %(rule)s: the problem is "
                  "corrected."),
                load=snapshot.load_id, version=snapshot.version, rule=code,
            ))
    for problem in open_problems.values():
        _resolve(problem, load_id=snapshot.load_id, note=_in_platform_language(
            _("Load %(load)s (version %(version)s) is no longer checked against the rule %(rule)s: the problem "
              "no longer applies."),
            load=snapshot.load_id, version=snapshot.version, rule=problem.rule_code,
        ))


def _in_platform_language(message, **params) -> str:
    # Case titles and notes are stored text, read by the department's staff: in the platform's
    # language, whatever language the worker process happens to have active.
    with translation.override(settings.LANGUAGE_CODE):
        return str(message) % params if params else str(message)


def _field_title(dataset_id: int, field_name: str) -> str:
    if not field_name:
        return ""
    schema = schema_current(dataset_id)
    for spec in schema.fields if schema else ():
        if spec.name == field_name:
            return spec.title or spec.name
    return field_name


def _open_rule_problem(*, dataset: DatasetRef, snapshot: QualitySnapshot, code: str, rule: dict) -> ProblemLoop:
    with translation.override(settings.LANGUAGE_CODE):
        params = {
            "dataset": dataset.title, "resource_code": dataset.resource_code, "rule": code,
            "rule_label": rule_label(rule["kind"]), "field": rule["field"], "failed": rule["failed"],
            "rows": snapshot.rows, "load": snapshot.load_id, "version": snapshot.version,
        }
        # Officers know their fields by title ("出生日期"), not by the rule's code ("date:birth_date").
        field_title = _field_title(dataset.id, rule["field"])
        if field_title:
            title = gettext("Problem data in %(dataset)s: %(field_title)s fails “%(rule_label)s”") % {
                **params, "field_title": field_title,
            }
        else:
            title = gettext("Problem data in %(dataset)s: rule %(rule)s") % params
        found = (
            gettext("Load %(load)s (version %(version)s) of %(dataset)s (%(resource_code)s) has %(failed)s of "
                    "%(rows)s rows failing the rule %(rule)s (%(rule_label)s, field %(field)s).")
            if rule["field"]
            else gettext("Load %(load)s (version %(version)s) of %(dataset)s (%(resource_code)s) has %(failed)s of "
                         "%(rows)s rows failing the rule %(rule)s (%(rule_label)s).")
        ) % params
        todo = gettext(
            "Correct the data at its source and load it again: this case closes itself when a load no longer "
            "has the problem."
        )
    return _open_problem(
        dataset=dataset, code=code, kind=rule["kind"], field=rule["field"], title=title,
        description=f"{found}\n{todo}", count=rule["failed"], rows=snapshot.rows, load_id=snapshot.load_id,
    )


def _open_problem(
    *, dataset: DatasetRef, code: str, kind: str, field: str, title: str, description: str, count: int,
    rows: int | None, load_id: str,
) -> ProblemLoop:
    case = case_report(
        actor=SYSTEM, kind=PROBLEM_DATA.code, title=_truncate(title, 200), description=description,
        assignee_department_id=dataset.owner_department_id, subject_ref=subject_ref(dataset, code),
    )
    moment = now()
    return ProblemLoop.objects.create(
        dataset_id=dataset.id, rule_code=code, rule_kind=kind, field=field,
        department_id=dataset.owner_department_id, case_id=case.public_id, count=count, first_count=count,
        rows=rows, opened_load_id=load_id, last_load_id=load_id, opened_at=moment, updated_at=moment,
    )


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _resolve(problem: ProblemLoop, *, load_id: str, note: str) -> None:
    try:
        case_resolve_by_system(case=problem.case_id, note=note)
        problem.resolution = Resolution.DATA
    except InvalidTransition:
        # People closed the case before this load came; their close event says so too.
        problem.resolution = Resolution.PEOPLE
    problem.closed_at = problem.updated_at = now()
    problem.closed_load_id = load_id
    problem.save(update_fields=["closed_at", "updated_at", "resolution", "closed_load_id"])


def _close_timeliness_problem(*, dataset: DatasetRef, snapshot: QualitySnapshot) -> None:
    problem = (
        ProblemLoop.objects.select_for_update()
        .filter(dataset_id=dataset.id, rule_code=TIMELINESS_CODE, closed_at__isnull=True).first()
    )
    if problem is not None:
        _resolve(problem, load_id=snapshot.load_id, note=_in_platform_language(
            _("Load %(load)s (version %(version)s) brings the dataset up to date."),
            load=snapshot.load_id, version=snapshot.version,
        ))


# --- timeliness --------------------------------------------------------------------------------


def quality_check_timeliness(today: date | None = None) -> int:
    """Open a timeliness loop for each dataset whose last successful load is older than its update
    cycle allows (daily and real-time 1 day, weekly 7, monthly 31, quarterly 92, yearly 366;
    irregular never), and close the loops of datasets that are no longer late (a changed update
    cycle, a retired dataset; a fresh load closes its loop at once). Idempotent: run it daily or
    more often. Returns how many loops it opened or closed.
    """
    today = today or china_date(now())
    changed = 0
    for dataset_id in TrackedDataset.objects.filter(last_loaded_at__isnull=False).order_by("dataset_id").values_list(
        "dataset_id", flat=True
    ):
        # One transaction per dataset: one failure does not undo the others.
        with transaction.atomic():
            changed += _check_dataset_timeliness(dataset_id=dataset_id, today=today)
    return changed


def _check_dataset_timeliness(*, dataset_id: int, today: date) -> int:
    dataset = dataset_get(dataset_id=dataset_id)
    tracked = TrackedDataset.objects.select_for_update().get(dataset_id=dataset_id)
    last_load = china_date(tracked.last_loaded_at)
    late = dataset.status != RETIRED and scoring.days_late(dataset.update_cycle, last_load, today) > 0
    days_since = (today - last_load).days
    problem = (
        ProblemLoop.objects.select_for_update()
        .filter(dataset_id=dataset_id, rule_code=TIMELINESS_CODE, closed_at__isnull=True).first()
    )
    if late and problem is None:
        _open_timeliness_problem(dataset=dataset, tracked=tracked, last_load=last_load, days_since=days_since)
        return 1
    if late:
        if problem.count != days_since:
            problem.count, problem.updated_at = days_since, now()
            problem.save(update_fields=["count", "updated_at"])
        return 0
    if problem is not None:
        _resolve(problem, load_id="", note=_in_platform_language(
            _("The dataset is no longer late against its update cycle (the cycle changed, or the dataset was "
              "retired).")
        ))
        return 1
    return 0


def _open_timeliness_problem(*, dataset: DatasetRef, tracked: TrackedDataset, last_load: date, days_since: int):
    snapshot = tracked.latest_snapshot
    load_id = snapshot.load_id if snapshot else ""
    with translation.override(settings.LANGUAGE_CODE):
        params = {
            "dataset": dataset.title, "resource_code": dataset.resource_code, "date": last_load.isoformat(),
            "days": scoring.allowed_days(dataset.update_cycle), "since": days_since, "load": load_id,
        }
        title = gettext("%(dataset)s is late: no load since %(date)s") % params
        description = "\n".join([
            gettext("%(dataset)s (%(resource_code)s) is to be loaded at least every %(days)s days; its last "
                    "successful load (%(load)s) was on %(date)s, %(since)s days ago.") % params,
            gettext("Load the current data: this case closes itself with the next successful load."),
        ])
    return _open_problem(
        dataset=dataset, code=TIMELINESS_CODE, kind=RuleKind.TIMELINESS, field="", title=title,
        description=description, count=days_since, rows=None, load_id=load_id,
    )


# --- loops' own events about problem loops ------------------------------------------------------


def problem_closed_by_people(*, case_id: UUID) -> bool:
    """A problem loop was closed through the loop (verified and closed, not by a load): a later
    load that still has the problem opens a new one. Returns whether anything changed."""
    with transaction.atomic():
        problem = ProblemLoop.objects.select_for_update().filter(case_id=case_id, closed_at__isnull=True).first()
        if problem is None:
            return False
        problem.closed_at = problem.updated_at = now()
        problem.resolution = Resolution.PEOPLE
        problem.save(update_fields=["closed_at", "updated_at", "resolution"])
        return True


def problem_reopened(*, case_id: UUID) -> bool:
    """The verifying side reopened a problem loop: it is tracked again, so the next load that no
    longer has the problem closes it, unless a newer loop for the same problem is open already
    (then the reopened case is for people to close)."""
    with transaction.atomic():
        problem = ProblemLoop.objects.select_for_update().filter(case_id=case_id, closed_at__isnull=False).first()
        if problem is None:
            return False
        if ProblemLoop.objects.filter(
            dataset_id=problem.dataset_id, rule_code=problem.rule_code, closed_at__isnull=True
        ).exists():
            return False
        problem.closed_at = None
        problem.resolution = ""
        problem.closed_load_id = ""
        problem.updated_at = now()
        problem.save(update_fields=["closed_at", "resolution", "closed_load_id", "updated_at"])
        return True


def problem_reassigned(*, case_id: UUID, department_id: int | None) -> bool:
    """A supervisor passed a problem loop to another department (转办): it is on that desk now."""
    if department_id is None:
        return False
    return bool(ProblemLoop.objects.filter(case_id=case_id).exclude(department_id=department_id).update(
        department_id=department_id, updated_at=now()
    ))
