"""The process engine of applications: BPMN 2.0 processes and DMN decision tables run by
SpiffWorkflow, with every condition, script and table cell evaluated by the restricted engine of
expressions.py (never Python's eval on stored text).

A process is a file in processes/ named after the process (`standard.bpmn` holds process id
`standard`); the lanes of its user tasks are org roles ("window_officer", "case_officer", "leader")
or "applicant" for the correction task (补正). A user task may carry a deadline in working days as a
spiffworkflow property `deadline_days`. Officers complete a task with {"outcome", "note"}; the
outcome is also kept as "<task id>_outcome" so gateways after parallel branches can read each
branch's. A finished process leaves "result" ("approved" / "rejected") and maybe "reason" in its data.

The workflow state is a JSON-able dict (SpiffWorkflow's serializer) stored on the application; the
functions here are pure: state in, new state out, nothing saved. SpiffWorkflow depends on the order
of the keys in that dict (a task's children), which PostgreSQL's jsonb does not keep, so
applications stores it as JSON text (services.workflow_state_pack / _unpack).
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from zhengtong.kernel.calendar.public import add_working_days

from .expressions import ExpressionError, RestrictedScriptEngine

PROCESS_DIR = Path(__file__).resolve().parent / "processes"
DECISION_DIR = Path(__file__).resolve().parent / "decisions"
OFFICER_OUTCOMES = ("approve", "reject", "correct", "done")
APPLICANT_OUTCOMES = ("corrected",)


class WorkflowError(ValueError):
    """A process or decision table that cannot be found, parsed or run, or a task that cannot be
    completed as asked."""


@dataclass(frozen=True)
class ReadyTask:
    task_id: str  # SpiffWorkflow's task UUID, stable across serialization
    spec_id: str  # the BPMN element id
    name: str
    lane: str
    deadline_days: int | None


@dataclass(frozen=True)
class WorkflowRun:
    state: dict
    ready: tuple[ReadyTask, ...]
    finished: bool
    data: dict


@dataclass(frozen=True)
class DecisionResult:
    outputs: dict
    matched_rules: tuple[str, ...]  # the ids of the rules that matched (at most one: tables are UNIQUE)
    outcome: str  # approve / reject / manual
    explanation: str


_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


def _engine() -> RestrictedScriptEngine:
    return RestrictedScriptEngine()


def process_names() -> list[str]:
    return sorted(path.stem for path in PROCESS_DIR.glob("*.bpmn"))


@lru_cache(maxsize=64)
def _spec(process: str):
    if process not in process_names():
        raise WorkflowError(f"unknown process {process!r}")
    parser = SpiffBpmnParser()
    try:
        parser.add_bpmn_file(str(PROCESS_DIR / f"{process}.bpmn"))
        return parser.get_spec(process), parser.get_subprocess_specs(process)
    except Exception as exc:  # the parser raises several kinds; all mean the file is not usable
        raise WorkflowError(f"process {process!r} does not parse: {exc}") from exc


def _ready(workflow: BpmnWorkflow) -> tuple[ReadyTask, ...]:
    ready = []
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        properties = task.task_spec.extensions.get("properties", {}) if hasattr(task.task_spec, "extensions") else {}
        days = properties.get("deadline_days")
        ready.append(ReadyTask(
            task_id=str(task.id), spec_id=task.task_spec.bpmn_id or task.task_spec.name,
            name=task.task_spec.bpmn_name or task.task_spec.name, lane=task.task_spec.lane or "",
            deadline_days=int(days) if days not in (None, "") else None,
        ))
    return tuple(ready)


def _run(workflow: BpmnWorkflow) -> WorkflowRun:
    try:
        workflow.do_engine_steps()
    except ExpressionError:
        raise
    except Exception as exc:  # a gateway without a matching flow, a script that fails
        raise WorkflowError(str(exc)) from exc
    return WorkflowRun(state=_SERIALIZER.to_dict(workflow), ready=_ready(workflow),
                       finished=workflow.is_completed(), data=dict(workflow.data or _last_data(workflow)))


def _last_data(workflow: BpmnWorkflow) -> dict:
    """The data of the process: the end event's task data once finished, else the latest task's."""
    tasks = workflow.get_tasks(state=TaskState.COMPLETED)
    return dict(tasks[-1].data) if tasks else {}


def _load(state: dict) -> BpmnWorkflow:
    try:
        workflow = _SERIALIZER.from_dict(state)
    except Exception as exc:
        raise WorkflowError(f"the stored workflow state cannot be read: {exc}") from exc
    workflow.script_engine = _engine()
    return workflow


def process_start(process: str, data: dict) -> WorkflowRun:
    """Start `process` with `data` (JSON-able) and run it to its first waiting point."""
    spec, subprocesses = _spec(process)
    workflow = BpmnWorkflow(spec, subprocesses, script_engine=_engine())
    start = workflow.get_tasks(state=TaskState.READY)
    for task in start:
        task.data.update(data)
    return _run(workflow)


def _correction_deadline(now: datetime) -> str:
    """The end of the working day `APPLICATION_CORRECTION_DAYS` working days after `now`."""
    days = getattr(settings, "APPLICATION_CORRECTION_DAYS", 20)
    day = add_working_days(timezone.localtime(now).date(), days)
    end = timezone.make_aware(datetime.combine(day, datetime.max.time().replace(microsecond=0)))
    return end.astimezone(UTC).isoformat()


def process_complete(state: dict, task_id: str, data: dict, *, now: datetime | None = None) -> WorkflowRun:
    """Complete the ready user task `task_id` with `data` and run to the next waiting point."""
    workflow = _load(state)
    task = next((t for t in workflow.get_tasks(state=TaskState.READY, manual=True) if str(t.id) == task_id), None)
    if task is None:
        raise WorkflowError(f"task {task_id} is not waiting to be done")
    outcome = data.get("outcome")
    allowed = APPLICANT_OUTCOMES if task.task_spec.lane == "applicant" else OFFICER_OUTCOMES
    if outcome not in allowed:
        raise WorkflowError(f"outcome {outcome!r} is not one of {', '.join(allowed)}")
    values = dict(data)
    values[f"{task.task_spec.bpmn_id}_outcome"] = outcome
    if outcome == "correct":
        values["correction_deadline"] = _correction_deadline(now or timezone.now())
    task.data.update(values)
    try:
        task.run()
    except Exception as exc:
        raise WorkflowError(str(exc)) from exc
    return _run(workflow)


def process_fire_timers(state: dict, now: datetime) -> WorkflowRun:
    """Fire every timer of the process due at `now` (a deadline for a correction, say) and run on.
    SpiffWorkflow compares timers with the wall clock; the engine decides by `now` instead, so a
    periodic job and a test agree."""
    workflow = _load(state)
    for task in workflow.get_tasks(state=TaskState.WAITING):
        spec = task.task_spec
        definition = getattr(spec, "event_definition", None)
        if not isinstance(spec, CatchingEvent) or not isinstance(definition, TimerEventDefinition):
            continue
        value = task._get_internal_data("event_value")
        if value is None:
            value = workflow.script_engine.evaluate(task, definition.expression)
            task._set_internal_data(event_value=value)
        due = TimerEventDefinition.get_datetime(str(value)) if not str(value).startswith("P") else None
        if due is not None and due <= now:
            task._set_internal_data(event_fired=True)
    workflow.refresh_timers()
    return _run(workflow)


def process_pending_timers(state: dict) -> list[datetime]:
    """When the waiting timers of a process are due (so a job knows which applications to wake)."""
    workflow = _load(state)
    due = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition):
            value = task._get_internal_data("event_value") or workflow.script_engine.evaluate(task, definition.expression)
            if not str(value).startswith("P"):
                due.append(TimerEventDefinition.get_datetime(str(value)))
    return due


# --- decision tables (DMN) ----------------------------------------------------------------------


def decision_names() -> list[str]:
    return sorted(path.stem for path in DECISION_DIR.glob("*.dmn"))


@lru_cache(maxsize=64)
def _decision_engine(table: str):
    if table not in decision_names():
        raise WorkflowError(f"unknown decision table {table!r}")
    from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser

    parser = BpmnDmnParser()
    try:
        parser.add_dmn_file(str(DECISION_DIR / f"{table}.dmn"))
        if table not in parser.dmn_parsers:
            raise WorkflowError(f"decision file {table}.dmn must hold a decision with id {table!r}")
        return parser.get_engine(table, None)
    except WorkflowError:
        raise
    except Exception as exc:
        raise WorkflowError(f"decision table {table!r} does not parse: {exc}") from exc


class _DecisionTask:
    """What the DMN engine needs of a task: its data and the script engine."""

    def __init__(self, data: dict):
        self.data = data
        self.workflow = self
        self.script_engine = _engine()


def decision_evaluate(table: str, inputs: dict) -> DecisionResult:
    """Run decision table `table` over `inputs`. The table's output "outcome" says approve, reject
    or manual (no rule matched → manual: a person decides); "reason" explains it to the applicant."""
    engine = _decision_engine(table)
    task = _DecisionTask(dict(inputs))
    try:
        rules = engine.decide(task)
        outputs = dict(rules[0].output_as_dict(task)) if rules else {}
    except Exception as exc:
        raise WorkflowError(f"decision table {table!r} failed: {exc}") from exc
    if len(rules) > 1:
        # The shipped tables are UNIQUE: overlapping rules are an error of the table, not a decision.
        raise WorkflowError(f"decision table {table!r} matched several rules: {', '.join(r.id for r in rules)}")
    outcome = outputs.get("outcome") if outputs.get("outcome") in ("approve", "reject", "manual") else "manual"
    matched = tuple(rule.id for rule in rules)
    return DecisionResult(outputs=outputs, matched_rules=matched, outcome=outcome,
                          explanation=str(outputs.get("reason", "")))


def decision_inputs(table: str) -> list[str]:
    """The input expressions a table reads (what the caller must provide)."""
    engine = _decision_engine(table)
    return [entry.expression for entry in engine.decision_table.inputs]



@dataclass(frozen=True)
class DecisionLabels:
    inputs: dict  # input expression → its label in the table ("age" → "年龄")
    rules: dict  # rule id → the rule's description, as the applicant reads it


def decision_labels(table: str) -> DecisionLabels:
    """The words a table gives its inputs and rules, so a page can explain a decision in them."""
    decision_table = _decision_engine(table).decision_table
    return DecisionLabels(inputs={entry.expression: entry.label or entry.expression for entry in decision_table.inputs},
                          rules={rule.id: rule.description for rule in decision_table.rules})
