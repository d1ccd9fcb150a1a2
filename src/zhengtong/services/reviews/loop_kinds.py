"""The loop kind of bad reviews (差评整改): the department calls the reviewer back (the "accept"
step, REVIEW_CALLBACK_DAYS working days), rectifies or explains (the "handle" step,
REVIEW_RECTIFY_DAYS), and the reviewer rates the fix (verifier "reporter"); the department may
appeal a mistaken or malicious review to a leader or the big-data bureau."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.loops.public import LoopKindSpec

KIND = "bad_review"
DEFAULT_CALLBACK_DAYS = 1
DEFAULT_RECTIFY_DAYS = 15


def callback_days() -> int:
    return int(getattr(settings, "REVIEW_CALLBACK_DAYS", DEFAULT_CALLBACK_DAYS))


def rectify_days() -> int:
    return int(getattr(settings, "REVIEW_RECTIFY_DAYS", DEFAULT_RECTIFY_DAYS))


def bad_review_kind() -> LoopKindSpec:
    """The kind as the settings define it now."""
    return LoopKindSpec(
        code=KIND,
        name=_("Bad review"),
        step_days={"assign": 1, "accept": callback_days(), "handle": rectify_days(), "verify": 5, "appeal": 5},
        verifier="reporter",
        escalate=True,
        reopen_days=10,
        description=_("A bad review: the department calls the reviewer back, rectifies, and the reviewer rates the fix."),
    )
