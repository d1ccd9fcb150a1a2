"""好差评: one rating of one application by its applicant, and the bad-review loop's mirror."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _, pgettext_lazy


class ReviewLevel(models.IntegerChoices):
    """The five levels of GB/T 39734-2020; 1 and 2 are 差评 (bad reviews)."""

    VERY_DISSATISFIED = 1, _("Very dissatisfied")  # 非常不满意
    DISSATISFIED = 2, _("Dissatisfied")  # 不满意
    FAIRLY_SATISFIED = 3, _("Fairly satisfied")  # 基本满意
    SATISFIED = 4, _("Satisfied")  # 满意
    VERY_SATISFIED = 5, _("Very satisfied")  # 非常满意


BAD_LEVELS = (ReviewLevel.VERY_DISSATISFIED, ReviewLevel.DISSATISFIED)
SATISFIED_LEVELS = (ReviewLevel.SATISFIED, ReviewLevel.VERY_SATISFIED)


class ReviewChannel(models.TextChoices):
    ON_SITE = "on_site", _("On site (one review per visit)")  # 一次一评
    ONLINE = "online", _("Online (one review per matter)")  # 一事一评
    PUBLIC = "public", _("Public comment")  # 综合点评
    GOVERNMENT = "government", _("Government review")  # 监督查评


# The standard indicators (DOMAIN.md): online channels rate the online service, the others the hall.
ONLINE_INDICATORS = {
    "overall": _("Overall satisfaction"),
    "efficiency": _("Efficiency"),
    "guide_accuracy": _("Accuracy of the guide"),
    "convenience": _("Convenience"),
    "usability": _("Ease of use"),
}
OFFLINE_INDICATORS = {
    "overall": _("Overall satisfaction"),
    "efficiency": _("Efficiency"),
    "service_level": _("Level of service"),
    "attitude": _("Attitude"),
}
INDICATORS_OF_CHANNEL = {
    ReviewChannel.ONLINE: ONLINE_INDICATORS,
    ReviewChannel.PUBLIC: ONLINE_INDICATORS,
    ReviewChannel.ON_SITE: OFFLINE_INDICATORS,
    ReviewChannel.GOVERNMENT: OFFLINE_INDICATORS,
}


class Review(models.Model):
    """好差评: the applicant's rating of an application, its item, department and officers.

    The reviewer is kept to stop a second review and to let them rate the fix; nothing shown to
    officers carries it (selectors hand staff rows without it). A bad review (levels 1-2) opens a
    "bad_review" loop; the loop_* fields mirror the case so lists sort and count without joining
    the kernel's tables.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("guide.ServiceItem", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    division = models.ForeignKey("org.Division", on_delete=models.PROTECT, related_name="+")
    officers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    level = models.PositiveSmallIntegerField(pgettext_lazy("好差评", "level"), choices=ReviewLevel.choices)
    channel = models.CharField(pgettext_lazy("好差评", "channel"), max_length=16, choices=ReviewChannel.choices)
    indicators = models.JSONField(default=dict, blank=True)  # indicator code → level 1-5
    comment = models.TextField(_("comment"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    # The bad-review loop (None for levels 3-5).
    case_id = models.UUIDField(null=True, blank=True, unique=True)
    loop_state = models.CharField(max_length=16, blank=True, default="")
    loop_step = models.CharField(max_length=16, blank=True, default="")
    loop_step_due = models.DateField(null=True, blank=True)
    loop_open = models.BooleanField(default=False)
    callback_note = models.TextField(blank=True, default="")
    callback_at = models.DateTimeField(null=True, blank=True)
    callback_on_time = models.BooleanField(null=True)
    rectification = models.TextField(blank=True, default="")
    rectified_at = models.DateTimeField(null=True, blank=True)
    rectified_on_time = models.BooleanField(null=True)  # the last rectification, against its deadline
    fix_accepted = models.BooleanField(null=True)  # the reviewer's rating of the fix
    loop_outcome = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="reviews_one_per_application_reviewer"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="reviews_level_1_5"),
        ]
        indexes = [
            models.Index(fields=["department", "loop_open", "loop_step_due"], name="reviews_open_by_due"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} ({self.level})"

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS
