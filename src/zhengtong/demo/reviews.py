"""The demo's 好差评: the demo applicants rate a handful of their applications, mostly well; one
bad review has been called back, put right and its fix accepted by the reviewer (the loop
closed, on time), and one is still open in its department's queue (waiting for the callback).
So the public statistics page (/services/reviews/statistics/) and the officers' page
(/services/reviews/workspace/) have something to show.

Through the reviews' own services (review_create, review_callback, review_rectify,
review_fix_rate), as the applicants and the officers would. Idempotent: an application the
applicant has reviewed is not reviewed again, and a loop already moved on is left as it is.
"""

import sys
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError

from zhengtong.kernel.identity.models import StaffMember, User
from zhengtong.kernel.identity.public import Actor, actor_from_user
from zhengtong.kernel.org.models import Role

from .service_items import (
    COMPANY_REGISTRATION,
    ELDERLY_CARD,
    FLEXIBLE_INSURANCE,
    ID_CARD_RENEWAL,
    PROPERTY_TRANSFER,
    RESIDENT_PENSION,
    SEAL_ENGRAVING,
    SOCIAL_SECURITY_CARD,
    SOLE_TRADER_DEREGISTRATION,
)


@dataclass(frozen=True)
class DemoReview:
    item_code: str
    level: int
    channel: str
    comment: str
    indicators: tuple[tuple[str, int], ...] = ()
    callback: str = ""  # a bad review: what the department told the reviewer on the callback
    rectification: str = ""  # … what it put right
    fix_accepted: bool | None = None  # … and the reviewer's rating of the fix


DEMO_REVIEWS = (
    DemoReview(ELDERLY_CARD, 5, "online", "秒办，不用跑窗口也不用交材料，几秒钟就拿到了电子优待证。",
               (("overall", 5), ("efficiency", 5), ("convenience", 5))),
    DemoReview(FLEXIBLE_INSURANCE, 5, "online", "网上申请很方便，参保证明自动调取，不用自己开。", (("overall", 5),)),
    DemoReview(SOCIAL_SECURITY_CARD, 4, "online", "办理顺利，希望邮寄进度能在网上查到。",
               (("overall", 4), ("efficiency", 4))),
    DemoReview(PROPERTY_TRANSFER, 5, "on_site", "窗口工作人员耐心指导，买卖双方一次到场就办好了。",
               (("overall", 5), ("attitude", 5), ("service_level", 5))),
    DemoReview(COMPANY_REGISTRATION, 5, "online", "开办企业一件事一次提交，营业执照第二天就出来了。",
               (("overall", 5), ("guide_accuracy", 5))),
    DemoReview(SEAL_ENGRAVING, 4, "online", "首套印章免费刻制，很贴心。"),
    DemoReview(SOLE_TRADER_DEREGISTRATION, 5, "online", "简易注销即时办结，不用再跑市场监管所。"),
    DemoReview(RESIDENT_PENSION, 2, "online",
               "不予受理的原因没有提前告知，准备了很久的材料才知道不能重复参保。",
               (("overall", 2), ("guide_accuracy", 1)),
               callback="已电话回访申请人，说明职工养老保险与城乡居民养老保险不能重复参加的规定，申请人表示理解。",
               rectification="已在办事指南“受理条件”中写明“已参加职工基本养老保险的人员不能参加”，"
                             "并在网上申请时根据参保数据先行提示。",
               fix_accepted=True),
    DemoReview(ID_CARD_RENEWAL, 2, "online", "照片回执的要求没有写清楚，提交后才被退回补正，又要重新拍照。",
               (("overall", 2), ("guide_accuracy", 2))),
)


@dataclass
class DemoReviews:
    made: int = 0
    skipped: list[str] = field(default_factory=list)


def _officer(department_id: int) -> Actor | None:
    """Who calls back and rectifies: the department's case officer (else any of its staff)."""
    staff = StaffMember.objects.filter(department_id=department_id).select_related("user").order_by("id")
    member = staff.filter(positions__role=Role.CASE_OFFICER).first() or staff.first()
    return actor_from_user(member.user) if member is not None else None


def _application(applicant_user_ids: list[int], item_code: str):
    from zhengtong.services.applications.models import Application

    return (Application.objects.filter(applicant_user_id__in=applicant_user_ids, item__code=item_code)
            .exclude(state="draft").order_by("id").first())


def _review(result: DemoReviews, spec: DemoReview, application) -> None:
    from zhengtong.services.reviews import services
    from zhengtong.services.reviews.models import Review

    reviewer = actor_from_user(User.objects.get(pk=application.applicant_user_id))
    review = Review.objects.filter(application=application, reviewer_id=reviewer.user_id).first()
    if review is None:
        review = services.review_create(actor=reviewer, application_id=application.public_id, level=spec.level,
                                        channel=spec.channel, indicators=dict(spec.indicators),
                                        comment=spec.comment)
        result.made += 1
    if not spec.callback or review.case_id is None:
        return
    officer = _officer(application.department_id)
    if officer is None:
        return
    if review.loop_state == "assigned":
        review = services.review_callback(actor=officer, review_id=review.public_id, note=spec.callback)
    if review.loop_state == "handling" and spec.rectification:
        review = services.review_rectify(actor=officer, review_id=review.public_id,
                                         rectification=spec.rectification)
    if review.loop_state == "responded" and spec.fix_accepted is not None:
        services.review_fix_rate(actor=reviewer, review_id=review.public_id, accepted=spec.fix_accepted,
                                 note="" if spec.fix_accepted else "问题仍未解决。")


def build_demo_reviews(applicant_user_ids: list[int]) -> DemoReviews:
    """The demo reviews of the demo applicants' applications (DEMO_REVIEWS), each once."""
    result = DemoReviews()
    for spec in DEMO_REVIEWS:
        application = _application(applicant_user_ids, spec.item_code)
        if application is None:
            continue
        try:
            _review(result, spec, application)
        except (ValidationError, PermissionDenied) as error:
            result.skipped.append(f"{spec.item_code}: {error}")
    for skipped in result.skipped:
        print(f"演示评价未完成 / demo review skipped: {skipped}", file=sys.stderr)
    return result
