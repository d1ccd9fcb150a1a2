"""Loop kinds live in code: each module registers its own in AppConfig.ready(); cases name them by code."""

import re
from dataclasses import dataclass, field
from typing import Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# The steps the engine knows, each the time allowed for one party to move the case on:
#   assign  reported → assigned            (the reporting side routes the case)
#   accept  assigned → handling            (optional: without it, "handle" runs from assignment)
#   handle  handling → responded           (the assignee works on it and answers)
#   verify  responded → verified/handling  (the verifier checks the answer)
#   appeal  appealed → closed/handling     (optional: a kind without it cannot be appealed)
REQUIRED_STEPS = ("assign", "handle", "verify")
OPTIONAL_STEPS = ("accept", "appeal")
VERIFIERS = ("reporter", "assigning_department")
KIND_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


@dataclass(frozen=True)
class LoopKindSpec:
    """闭环类型: one kind of closed-loop case (差评整改, 问题数据, 风险线索, 协办事项…)."""

    code: str
    name: str | Promise
    step_days: dict[str, int]
    verifier: Literal["reporter", "assigning_department"]
    escalate: bool = True
    # Working days after closing during which the verifying side may reopen the case.
    reopen_days: int = 10
    # Kept out of equality so two registrations of the same spec compare equal.
    description: str | Promise = field(default="", compare=False)

    def __post_init__(self):
        if not KIND_CODE.match(self.code):
            raise ValueError(f"Loop kind code {self.code!r} must be 2-40 lower-case letters, digits or _.")
        missing = [step for step in REQUIRED_STEPS if step not in self.step_days]
        unknown = sorted(set(self.step_days) - set(REQUIRED_STEPS) - set(OPTIONAL_STEPS))
        if missing or unknown:
            raise ValueError(
                f"Loop kind {self.code}: step_days needs {', '.join(REQUIRED_STEPS)} "
                f"(and may have {', '.join(OPTIONAL_STEPS)}); missing {missing}, unknown {unknown}."
            )
        for step, days in self.step_days.items():
            if not isinstance(days, int) or isinstance(days, bool) or days < 0:
                raise ValueError(f"Loop kind {self.code}: step {step} must allow a whole number >= 0 of days.")
        if self.verifier not in VERIFIERS:
            raise ValueError(f"Loop kind {self.code}: verifier must be one of {', '.join(VERIFIERS)}.")
        if not isinstance(self.reopen_days, int) or self.reopen_days < 0:
            raise ValueError(f"Loop kind {self.code}: reopen_days must be a whole number >= 0.")

    @property
    def has_accept_step(self) -> bool:
        return "accept" in self.step_days

    @property
    def appealable(self) -> bool:
        return "appeal" in self.step_days


KINDS: dict[str, LoopKindSpec] = {}


def register(spec: LoopKindSpec) -> LoopKindSpec:
    existing = KINDS.get(spec.code)
    if existing is not None and existing != spec:
        raise ValueError(f"Loop kind {spec.code} is already registered with a different definition.")
    KINDS[spec.code] = spec
    return spec


def get(code: str) -> LoopKindSpec:
    try:
        return KINDS[code]
    except KeyError:
        raise LookupError(f"No loop kind {code!r} is registered.") from None


ASSISTANCE = LoopKindSpec(
    code="assistance",
    name=_("Assistance request"),
    step_days={"assign": 1, "handle": 5, "verify": 2},
    verifier="assigning_department",
    escalate=True,
    description=_("One department asks another to handle something and checks the answer."),
)
