"""Event handlers of licences (registered when the app is ready).

An application approved under an implementation whose result is a licence type issues that
licence to the applicant. Idempotent: one licence per application, so a second delivery of the
event finds it issued and changes nothing.
"""

from zhengtong.kernel.events.public import Event, register_handler
from zhengtong.services.applications.public import EVENT_CONCLUDED

from .services import licence_issue_for_application


def on_application_concluded(event: Event) -> None:
    if event.payload.get("state") == "approved" and event.payload.get("application"):
        licence_issue_for_application(application_id=event.payload["application"])


register_handler(EVENT_CONCLUDED, on_application_concluded)
