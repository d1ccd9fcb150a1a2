"""Reads of 好差评. Staff rows never carry the reviewer (name, user, phone): officers see the
rating, the comment and the loop, not who gave it."""

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q

from zhengtong.kernel.identity.public import Actor

from .models import BAD_LEVELS, SATISFIED_LEVELS, Review


@dataclass(frozen=True)
class StatisticsRow:
    """One department's or division's figures; rates are None where there is nothing to divide."""

    code: str
    name: str
    count: int
    satisfied: int
    bad: int
    rectified: int
    rectified_on_time: int

    @property
    def satisfaction(self) -> float | None:
        return self.satisfied / self.count if self.count else None

    @property
    def bad_rate(self) -> float | None:
        return self.bad / self.count if self.count else None

    @property
    def on_time_rectification(self) -> float | None:
        return self.rectified_on_time / self.rectified if self.rectified else None


@dataclass(frozen=True)
class StaffReviewRow:
    """A bad review as its department sees it: no reviewer."""

    public_id: UUID
    item_name: str
    application_reference: str | None
    level: int
    level_label: str
    channel: str
    channel_label: str
    comment: str
    created_at: datetime
    loop_state: str
    loop_step: str
    loop_step_due: date | None
    callback_note: str
    rectification: str
    overdue: bool


@dataclass(frozen=True)
class OwnReviewRow:
    public_id: UUID
    application_id: UUID
    application_reference: str | None
    item_name: str
    department_name: str
    level: int
    level_label: str
    channel: str
    channel_label: str
    indicators: dict
    comment: str
    created_at: datetime
    loop_state: str
    loop_step_due: date | None
    callback_note: str
    rectification: str
    fix_accepted: bool | None


GROUPINGS = {
    "department": ("department__code", "department__name"),
    "division": ("division__code", "division__name"),
}


def review_statistics(*, by: str = "department") -> list[StatisticsRow]:
    """Public figures (results are published, DOMAIN.md): count, satisfaction (share of 4-5), bad
    reviews, and rectifications on time against the loop's deadline. One query."""
    if by not in GROUPINGS:
        raise ValueError(f"Statistics are by {' or '.join(GROUPINGS)}, not {by!r}.")
    code, name = GROUPINGS[by]
    rows = (
        Review.objects.values(code, name)
        .annotate(
            count=Count("id"),
            satisfied=Count("id", filter=Q(level__in=SATISFIED_LEVELS)),
            bad=Count("id", filter=Q(level__in=BAD_LEVELS)),
            rectified=Count("id", filter=Q(rectified_on_time__isnull=False)),
            rectified_on_time=Count("id", filter=Q(rectified_on_time=True)),
        )
        .order_by(code)
    )
    return [
        StatisticsRow(code=r[code], name=r[name], count=r["count"], satisfied=r["satisfied"], bad=r["bad"],
                      rectified=r["rectified"], rectified_on_time=r["rectified_on_time"])
        for r in rows
    ]


def open_bad_review_list(*, actor: Actor, today: date) -> list[StaffReviewRow]:
    """The actor's department's open bad reviews, the nearest deadline first."""
    if not actor.is_staff_member:
        raise PermissionDenied("Only staff of a department see its bad reviews.")
    reviews = (
        Review.objects.filter(department_id=actor.department_id, loop_open=True)
        .select_related("item", "application")
        .only("public_id", "item__name", "application__reference", "level", "channel", "comment", "created_at",
              "loop_state", "loop_step", "loop_step_due", "callback_note", "rectification")
        .order_by("loop_step_due", "created_at")
    )
    return [
        StaffReviewRow(
            public_id=r.public_id, item_name=r.item.name, application_reference=r.application.reference,
            level=r.level, level_label=str(r.get_level_display()), channel=r.channel,
            channel_label=str(r.get_channel_display()), comment=r.comment, created_at=r.created_at,
            loop_state=r.loop_state, loop_step=r.loop_step, loop_step_due=r.loop_step_due,
            callback_note=r.callback_note, rectification=r.rectification,
            overdue=r.loop_step_due is not None and r.loop_step_due < today,
        )
        for r in reviews
    ]


def own_review_list(*, actor: Actor) -> list[OwnReviewRow]:
    """The reviewer's own reviews, newest first."""
    if actor.user_id is None or actor.kind not in ("citizen", "company"):
        return []
    reviews = (
        Review.objects.filter(reviewer_id=actor.user_id)
        .select_related("item", "department", "application")
        .order_by("-created_at", "-id")
    )
    return [
        OwnReviewRow(
            public_id=r.public_id, application_id=r.application.public_id,
            application_reference=r.application.reference, item_name=r.item.name,
            department_name=r.department.name, level=r.level, level_label=str(r.get_level_display()),
            channel=r.channel, channel_label=str(r.get_channel_display()), indicators=r.indicators,
            comment=r.comment, created_at=r.created_at, loop_state=r.loop_state,
            loop_step_due=r.loop_step_due, callback_note=r.callback_note, rectification=r.rectification,
            fix_accepted=r.fix_accepted,
        )
        for r in reviews
    ]


def access_own_review(*, actor: Actor, public_id) -> Review:
    """The reviewer's own review; anyone else's is as absent as a missing one."""
    review = Review.objects.filter(public_id=public_id, reviewer_id=actor.user_id).first() \
        if actor.user_id is not None else None
    if review is None:
        raise Review.DoesNotExist
    return review


def access_department_review(*, actor: Actor, public_id) -> Review:
    """A bad review of the actor's department, for its staff to act on."""
    if not actor.is_staff_member:
        raise PermissionDenied("Only staff of a department act on its bad reviews.")
    review = Review.objects.filter(public_id=public_id, department_id=actor.department_id).first()
    if review is None:
        raise Review.DoesNotExist
    return review


def review_exists(*, actor: Actor, application_id) -> bool:
    return actor.user_id is not None and Review.objects.filter(
        application__public_id=application_id, reviewer_id=actor.user_id).exists()
