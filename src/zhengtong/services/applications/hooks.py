"""Decision hooks: other modules' say at submission (credit's joint reward and punishment, say).

A module to the right of applications registers `func(facts: ApplicationFacts) -> HookVerdict | None`
under a name; every hook runs when an application is submitted, in the order registered:

- "refuse": the application is rejected at once with the reason (不予办理);
- "strict": it is handled by people even when its item is decided instantly (从严审核);
- "priority", "tolerate", "note": recorded and shown (优先办理, 容缺受理, a remark).

Each verdict is kept as a Decision row (source "hook:<name>") and appears on the timeline. A hook
that raises is logged and skipped: a broken neighbour must not stop people from applying.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

logger = logging.getLogger(__name__)

HOOK_OUTCOMES = ("refuse", "strict", "priority", "tolerate", "note")


@dataclass(frozen=True)
class ApplicationFacts:
    """What a hook may know of the application being submitted."""

    public_id: UUID
    item_code: str
    implementation_id: UUID
    department_id: int
    division_code: str
    applicant_kind: str  # "citizen" or "company"
    resident_id: str  # the citizen's, or the company's legal representative's
    uscc: str  # the company's; "" for a citizen
    instant: bool
    answers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class HookVerdict:
    outcome: str  # one of HOOK_OUTCOMES
    reason: str

    def __post_init__(self):
        if self.outcome not in HOOK_OUTCOMES:
            raise ValueError(f"a hook's outcome is one of {', '.join(HOOK_OUTCOMES)}, not {self.outcome!r}")


DecisionHook = Callable[[ApplicationFacts], HookVerdict | None]
_HOOKS: dict[str, DecisionHook] = {}


def register_decision_hook(name: str, func: DecisionHook) -> DecisionHook:
    """Register (or replace) the hook `name`."""
    if not name or len(name) > 58:  # Decision.source is "hook:" + name, 64 characters at most
        raise ValueError("a hook's name is 1 to 58 characters")
    _HOOKS[name] = func
    return func


def unregister_decision_hook(name: str) -> None:
    _HOOKS.pop(name, None)


def hooks_run(facts: ApplicationFacts) -> list[tuple[str, HookVerdict]]:
    """Every registered hook's verdict on the application (those that said something)."""
    verdicts = []
    for name, func in list(_HOOKS.items()):
        try:
            verdict = func(facts)
        except Exception:
            logger.exception("decision hook %s failed on application %s", name, facts.public_id)
            continue
        if verdict is not None:
            if not isinstance(verdict, HookVerdict):
                logger.error("decision hook %s returned %r, not a HookVerdict", name, verdict)
                continue
            verdicts.append((name, verdict))
    return verdicts
