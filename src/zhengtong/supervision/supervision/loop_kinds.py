"""The loop kind of supervision items whose legal basis changed (立改废释): the owning department
takes the case on ("accept", 2 working days), reviews the item (the "handle" step, SUPERVISION_ITEM_REVIEW_DAYS working days) and answers; the
department that changed the law library checks the answer (verifier "assigning_department")."""

from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.loops.public import LoopKindSpec

from .conf import item_review_days

KIND = "supervision_item_review"


def item_review_kind() -> LoopKindSpec:
    return LoopKindSpec(
        code=KIND,
        name=_("Supervision item review"),
        step_days={"assign": 1, "accept": 2, "handle": item_review_days(), "verify": 5},
        verifier="assigning_department",
        escalate=True,
        reopen_days=10,
        description=_("An article founding a supervision item was amended or repealed: the owning department "
                      "reviews the item."),
    )


RECTIFICATION_KIND = "supervision_rectification"
RECTIFICATION_DAYS = 10


def rectification_kind() -> LoopKindSpec:
    """责令整改: an inspection ordered the entity to rectify. The entity cannot act in loops, so the
    inspecting department holds the case until its re-check (复查), which closes it."""
    return LoopKindSpec(
        code=RECTIFICATION_KIND,
        name=_("Rectification after an inspection"),
        step_days={"assign": 1, "accept": 1, "handle": RECTIFICATION_DAYS, "verify": 5},
        verifier="assigning_department",
        escalate=True,
        reopen_days=10,
        description=_("An inspection ordered rectification: the inspecting department re-checks the entity "
                      "by the due date."),
    )


RISK_CLUE_KIND = "supervision_risk_clue"


def risk_clue_kind() -> LoopKindSpec:
    """风险线索核查: a risk rule's clue dispatched to the responsible department, which verifies it
    and gives feedback (核查反馈) within SUPERVISION_CLUE_FEEDBACK_DAYS working days; the feedback closes it."""
    from .risk import clue_feedback_days

    return LoopKindSpec(
        code=RISK_CLUE_KIND,
        name=_("Risk clue verification"),
        step_days={"assign": 1, "accept": 1, "handle": clue_feedback_days(), "verify": 5},
        verifier="assigning_department",
        escalate=True,
        reopen_days=10,
        description=_("A risk-warning rule flagged an entity: the responsible department verifies the clue "
                      "and gives feedback."),
    )
