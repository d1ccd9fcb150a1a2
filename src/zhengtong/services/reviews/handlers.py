"""Event handlers: changes to bad-review loops made outside this app (the loops' own case pages,
escalation) reach the review's mirror of the case here.

Registered in ReviewsConfig.ready(). Each runs in the transaction that marks its delivery done and
is idempotent: it copies the case's state as the event states it.
"""

from datetime import date

from zhengtong.kernel.events.public import Event

from .loop_kinds import KIND
from .models import Review

CASE_EVENTS = (
    "loops.case_assigned", "loops.case_accepted", "loops.case_responded", "loops.case_verified",
    "loops.case_verification_failed", "loops.case_closed", "loops.case_reopened", "loops.case_appealed",
    "loops.case_appeal_upheld", "loops.case_appeal_dismissed", "loops.case_escalated", "loops.case_resolved",
)


def on_case_changed(event: Event) -> None:
    payload = event.payload
    if payload.get("kind") != KIND:
        return
    due = payload.get("step_due")
    state = payload.get("to_state", "")
    Review.objects.filter(case_id=payload["case"]).update(
        loop_state=state, loop_step=payload.get("step", ""), loop_step_due=date.fromisoformat(due) if due else None,
        loop_open=state != "closed", loop_outcome=payload.get("outcome", ""),
    )


HANDLERS = {name: on_case_changed for name in CASE_EVENTS}
