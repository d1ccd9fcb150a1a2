"""Which handlers listen to which event names (filled in code, by each app's AppConfig.ready()),
and the Event they receive."""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

# Lower-case dotted names, module first: "loops.case_reported", "reviews.review_submitted".
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")

# event name -> {handler key -> handler}
HANDLERS: dict[str, dict[str, Callable]] = {}


def handler_key(func: Callable) -> str:
    """The handler's stable name: deliveries store it, so it must survive a restart."""
    return f"{func.__module__}.{func.__qualname__}"


def check_event_name(name: str) -> None:
    if not isinstance(name, str) or not EVENT_NAME.match(name) or len(name) > 100:
        raise ValueError(
            f"Event name {name!r} is not valid: use lower-case dotted words with the module first, "
            "such as 'loops.case_reported' (at most 100 characters)."
        )


def register(name: str, func: Callable) -> Callable:
    check_event_name(name)
    key = handler_key(func)
    if "<locals>" in key:
        # Closures made by one factory share a qualname, so their deliveries could not be told apart.
        raise ValueError(f"Handler {key} is a nested function; define it at module level.")
    HANDLERS.setdefault(name, {})[key] = func
    return func


def handlers_for(name: str) -> dict[str, Callable]:
    return HANDLERS.get(name, {})


@dataclass(frozen=True)
class Event:
    """What a handler receives. The payload is the handler's own copy, read from the outbox row."""

    id: uuid.UUID
    name: str
    payload: dict
    occurred_at: datetime
