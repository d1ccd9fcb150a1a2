"""Event handlers of one-thing bundles (registered when the app is ready).

A part's application moving (concluded, sent back for correction, resubmitted) brings its bundle
application's stored state in line with its parts: when the last part is approved the one result
issues (the bundle completes, the applicant is told). Idempotent: a second delivery finds the
state in line already and changes nothing. The pages and the API derive the state from the parts
anyway (selectors.bundle_progress), so nothing the applicant sees waits for delivery.
"""

from zhengtong.kernel.events.public import Event, register_handler
from zhengtong.services.applications.public import (
    EVENT_CONCLUDED,
    EVENT_CORRECTION_REQUESTED,
    EVENT_RESUBMITTED,
)

from .services import bundle_application_refresh


def on_part_changed(event: Event) -> None:
    application_id = event.payload.get("application")
    if application_id:
        bundle_application_refresh(application_id=application_id)


for _name in (EVENT_CONCLUDED, EVENT_CORRECTION_REQUESTED, EVENT_RESUBMITTED):
    register_handler(_name, on_part_changed)
