"""Writes of 好差评. Authorization first, then validation, then the change, in one transaction.

A bad review opens a "bad_review" loop (kernel.loops) assigned to the application's department;
the loop's own services check who may act and in which state, and each of ours mirrors the case's
new state onto the review so lists and statistics need no join with the kernel.
"""

from uuid import UUID
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ledger.public import ledger_append
from zhengtong.kernel.loops import public as loops
from zhengtong.services.applications.public import ApplicationState, application_handling_get, application_ref_get

from .loop_kinds import KIND
from .models import INDICATORS_OF_CHANNEL, Review, ReviewChannel, ReviewLevel

CHINA = ZoneInfo("Asia/Shanghai")
COMMENT_MAX_LENGTH = 1000
REVIEWER_KINDS = ("citizen", "company")
# 一事一评: an application is rated once it has reached the department, never as a draft.
REVIEWABLE_STATES = frozenset(state for state in ApplicationState.values if state != ApplicationState.DRAFT)


def _level(value, field: str):
    if isinstance(value, bool):
        value = None
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = None
    if level is None or str(level) != str(value).strip() or level not in ReviewLevel.values:
        raise ValidationError({field: _("Choose a level from 1 (very dissatisfied) to 5 (very satisfied).")},
                              code="level")
    return level


def _indicators(channel: str, indicators) -> dict[str, int]:
    if not indicators:
        return {}
    if not isinstance(indicators, dict):
        raise ValidationError({"indicators": _("Give the indicators as a mapping of indicator to level.")},
                              code="indicators")
    known = INDICATORS_OF_CHANNEL[channel]
    unknown = sorted(set(indicators) - set(known))
    if unknown:
        message = _("Unknown indicator for this channel: %(names)s.") % {"names": ", ".join(map(str, unknown))}
        raise ValidationError({"indicators": [ValidationError(message, code="indicator_unknown")]})
    return {code: _level(value, f"indicators.{code}") for code, value in indicators.items()}


def _mirror(review: Review, case: loops.CaseRef) -> None:
    review.loop_state = case.state
    review.loop_step = case.step
    review.loop_step_due = case.step_due
    review.loop_open = case.state != loops.CaseState.CLOSED
    review.loop_outcome = case.outcome


def review_create(*, actor: Actor, application_id, level, channel: str, indicators=None, comment: str = "") -> Review:
    """The applicant rates their application (one review per application and reviewer).

    A refused review of someone else's application, by staff or a second one of the same
    application is entered in the ledger (kind "review.refused", with the reason's code), outside
    the refused transaction so the entry stays."""
    try:
        return _review_create(actor=actor, application_id=application_id, level=level, channel=channel,
                              indicators=indicators, comment=comment)
    except (PermissionDenied, ValidationError) as error:
        code = "forbidden" if isinstance(error, PermissionDenied) else getattr(error, "code", None)
        if code in LOGGED_REFUSALS:
            with transaction.atomic():
                ledger_append(kind="review.refused", subject=f"application:{application_id}"[:200],
                              actor=f"{actor.kind}:{actor.user_id or actor.api_client_id or ''}",
                              payload={"reason": code})
        raise


# The refusals that say someone tried what they may not: entered in the ledger.
LOGGED_REFUSALS = frozenset({"forbidden", "duplicate"})


@transaction.atomic
def _review_create(*, actor: Actor, application_id, level, channel: str, indicators=None, comment: str = "") -> Review:
    if actor.kind not in REVIEWER_KINDS or actor.user_id is None:
        raise PermissionDenied(_("Only the applicant can review an application."))
    ref = application_ref_get(application_id)
    if ref is None or ref.applicant_user_id != actor.user_id:
        # Someone else's application is as absent as a missing one.
        raise PermissionDenied(_("You can only review your own applications."))
    if ref.state not in REVIEWABLE_STATES:
        raise ValidationError(_("A draft cannot be reviewed: submit the application first."), code="draft")
    errors: dict = {}
    try:
        level = _level(level, "level")
    except ValidationError as error:
        errors.update(error.message_dict)
    if channel not in ReviewChannel.values:
        errors["channel"] = [_("Choose a channel.")]
    else:
        try:
            indicators = _indicators(channel, indicators)
        except ValidationError as error:
            errors.update(error.message_dict)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = [_("The comment must be at most %(n)d characters.") % {"n": COMMENT_MAX_LENGTH}]
    if errors:
        raise ValidationError(errors)
    handling = application_handling_get(ref.public_id)
    if Review.objects.filter(application_id=handling.pk, reviewer_id=actor.user_id).exists():
        raise ValidationError(_("You have already reviewed this application."), code="duplicate")
    try:
        with transaction.atomic():
            review = Review.objects.create(
                application_id=handling.pk, reviewer_id=actor.user_id, item_id=handling.item_id,
                department_id=handling.department_id, division_id=handling.division_id, level=level,
                channel=channel, indicators=indicators, comment=comment,
            )
    except IntegrityError:  # the same review, sent twice at once
        raise ValidationError(_("You have already reviewed this application."), code="duplicate") from None
    if handling.officer_user_ids:
        review.officers.set(handling.officer_user_ids)
    if review.is_bad:
        # The reviewer reports, so the reviewer rates the fix; the case carries no name of theirs.
        case = loops.case_report(
            actor=actor, kind=KIND, title=str(_("Bad review of %(item)s")) % {"item": handling.item_name},
            description=comment, assignee_department_id=handling.department_id,
            subject_ref=f"reviews:{review.public_id}",
        )
        review.case_id = case.public_id
        _mirror(review, case)
        review.save()
    return review


def _bad_review(review_id) -> Review:
    try:
        review = Review.objects.select_for_update().get(public_id=review_id)
    except (Review.DoesNotExist, ValueError, ValidationError):
        raise Review.DoesNotExist from None
    if review.case_id is None:
        raise ValidationError(_("Only a bad review is called back and rectified."), code="not_bad")
    return review


def _on_time(review: Review) -> bool | None:
    """Whether today (a Beijing-time day, as the loops count) is within the running step."""
    today = timezone.localdate(timezone.now(), timezone=CHINA)
    return today <= review.loop_step_due if review.loop_step_due else None


@transaction.atomic
def review_callback(*, actor: Actor, review_id, note: str) -> Review:
    """The department records its callback to the reviewer (回访) and takes the case on."""
    review = _bad_review(review_id)
    note = (note or "").strip()
    if not note:
        # The loop's own check comes first, so an outsider learns nothing from this message.
        loops.case_get(actor=actor, public_id=review.case_id)
        raise ValidationError({"note": _("Write what the reviewer was told on the callback.")}, code="required")
    on_time = _on_time(review)
    case = loops.case_accept(actor=actor, case=review.case_id)
    review.callback_note, review.callback_at, review.callback_on_time = note, timezone.now(), on_time
    _mirror(review, case)
    review.save()
    return review


@transaction.atomic
def review_rectify(*, actor: Actor, review_id, rectification: str) -> Review:
    """The department answers with what it put right, or why nothing was wrong (整改)."""
    review = _bad_review(review_id)
    on_time = _on_time(review)
    case = loops.case_respond(actor=actor, case=review.case_id, response=rectification)
    review.rectification, review.rectified_at, review.rectified_on_time = case.response, timezone.now(), on_time
    _mirror(review, case)
    review.save()
    return review


@transaction.atomic
def review_fix_rate(*, actor: Actor, review_id, accepted: bool, note: str = "") -> Review:
    """The reviewer rates the fix: accepted closes the loop, not accepted sends it back."""
    review = _bad_review(review_id)
    case = loops.case_verify(actor=actor, case=review.case_id, accepted=accepted, note=note)
    if accepted:
        case = loops.case_close(actor=actor, case=case)
    review.fix_accepted = accepted
    _mirror(review, case)
    review.save()
    return review


@transaction.atomic
def review_reopen(*, actor: Actor, review_id, reason: str) -> Review:
    """The reviewer reopens a closed loop within the window: the fix did not hold."""
    review = _bad_review(review_id)
    case = loops.case_reopen(actor=actor, case=review.case_id, reason=reason)
    review.fix_accepted = None
    _mirror(review, case)
    review.save()
    return review


@transaction.atomic
def review_appeal(*, actor: Actor, review_id, reason: str) -> Review:
    """The department contests a mistaken or malicious review (申诉)."""
    review = _bad_review(review_id)
    case = loops.case_appeal(actor=actor, case=review.case_id, reason=reason)
    _mirror(review, case)
    review.save()
    return review


@transaction.atomic
def review_appeal_decide(*, actor: Actor, review_id, upheld: bool, note: str) -> Review:
    """A leader or the big-data bureau, outside the department, decides the appeal."""
    review = _bad_review(review_id)
    case = loops.case_appeal_decide(actor=actor, case=review.case_id, upheld=upheld, note=note)
    _mirror(review, case)
    review.save()
    return review
