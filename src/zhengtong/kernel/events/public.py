"""What other modules may use of kernel.events.

    from zhengtong.kernel.events.public import Event, handler, publish

    publish("reviews.review_submitted", {"review": str(review.public_id), "level": 1})

    @handler("reviews.review_submitted")          # module level, imported in AppConfig.ready()
    def open_loop_for_bad_review(event: Event) -> None: ...

publish() writes to the outbox in the caller's transaction; handlers run after commit, each in its
own transaction, retried with backoff until they succeed or are marked dead (never dropped). A
handler's database writes commit together with its delivery mark, so they happen once; side effects
outside the database (an HTTP call, a message) may repeat after a failure or a crash, so make those
idempotent (the event id is a natural key).
"""

from collections.abc import Callable
from uuid import UUID

from . import registry, services
from .registry import Event
from .services import EventPayloadError

__all__ = ["Event", "EventPayloadError", "handler", "publish", "redeliver_due", "register_handler"]


def publish(name: str, payload: dict) -> UUID:
    """Announce a domain event; delivered to every handler of `name` once the transaction commits.

    Raises EventPayloadError (a TypeError) when the payload is not plain JSON, ValueError when the
    name is not a dotted lower-case name such as "loops.case_reported".
    """
    return services.event_publish(name=name, payload=payload)


def register_handler(name: str, func: Callable[[Event], None]) -> Callable[[Event], None]:
    """Make `func` receive every event called `name` published from now on."""
    return registry.register(name, func)


def handler(name: str) -> Callable[[Callable[[Event], None]], Callable[[Event], None]]:
    """Decorator form of register_handler."""

    def decorate(func: Callable[[Event], None]) -> Callable[[Event], None]:
        return registry.register(name, func)

    return decorate


def redeliver_due() -> int:
    """Queue every pending delivery whose time has come (after a grace period). Returns the count."""
    return services.deliveries_redeliver_due()
