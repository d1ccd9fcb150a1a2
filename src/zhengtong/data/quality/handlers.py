"""Event handlers: ingest's loads and loops' changes to problem loops reach quality here.

Registered in QualityConfig.ready(). Each runs in the transaction that marks its delivery done,
and each is idempotent, because an event may be delivered more than once.
"""

from uuid import UUID

from zhengtong.kernel.events.public import Event

from . import services


def on_load_succeeded(event: Event) -> None:
    """ingest.load_succeeded: record the load's quality; open, update or close problem loops."""
    services.load_record(event_id=event.id, payload=event.payload, occurred_at=event.occurred_at)


def _is_problem_loop(event: Event) -> bool:
    return event.payload.get("kind") == services.PROBLEM_DATA.code


def on_case_closed(event: Event) -> None:
    """loops.case_closed: people closed a problem loop (the data's own resolution is case_resolved)."""
    if _is_problem_loop(event):
        services.problem_closed_by_people(case_id=UUID(event.payload["case"]))


def on_case_reopened(event: Event) -> None:
    if _is_problem_loop(event):
        services.problem_reopened(case_id=UUID(event.payload["case"]))


def on_case_assigned(event: Event) -> None:
    if _is_problem_loop(event):
        services.problem_reassigned(
            case_id=UUID(event.payload["case"]), department_id=event.payload.get("assignee_department_id")
        )


HANDLERS = {
    "ingest.load_succeeded": on_load_succeeded,
    "loops.case_closed": on_case_closed,
    "loops.case_reopened": on_case_reopened,
    "loops.case_assigned": on_case_assigned,
}
