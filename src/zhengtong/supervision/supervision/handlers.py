"""Event handlers: an item's review loop moved on the loops' own pages (or was escalated) reaches
the item's mirror here; a company's golden record changed in the registry refreshes its row of
the inspectable-entity register. Registered in SupervisionConfig.ready(); each is idempotent."""

from zhengtong.kernel.events.public import Event

from .loop_kinds import KIND
from .models import SupervisionItem

CASE_EVENTS = (
    "loops.case_assigned", "loops.case_accepted", "loops.case_responded", "loops.case_verified",
    "loops.case_verification_failed", "loops.case_closed", "loops.case_reopened", "loops.case_escalated",
    "loops.case_resolved",
)


def on_case_changed(event: Event) -> None:
    payload = event.payload
    if payload.get("kind") != KIND:
        return
    state = payload.get("to_state", "")
    items = SupervisionItem.objects.filter(review_case_id=payload["case"])
    if state == "closed":
        items.update(review_state=state, needs_review=False, review_reason="")
    else:
        items.update(review_state=state, needs_review=True)


def on_golden_record_changed(event: Event) -> None:
    payload = event.payload
    if payload.get("kind") != "company" or not payload.get("registry_id"):
        return
    from .services import entities_refresh

    entities_refresh(registry_ids=[payload["registry_id"]])


HANDLERS = {name: on_case_changed for name in CASE_EVENTS}
HANDLERS["registry.golden_record_changed"] = on_golden_record_changed
