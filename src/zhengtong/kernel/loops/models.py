"""Closed-loop cases and their full history."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.calendar.public import WorkingDeadline

from . import kinds


class CaseState(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ASSIGNED = "assigned", _("Assigned")
    HANDLING = "handling", _("Being handled")
    RESPONDED = "responded", _("Responded")
    VERIFIED = "verified", _("Verified")
    APPEALED = "appealed", _("Under appeal")
    CLOSED = "closed", _("Closed")


OPEN_STATES = [state for state in CaseState.values if state != CaseState.CLOSED]


# The steps of kinds.py, as people call them.
STEP_LABELS = {
    "assign": _("Assignment"),
    "accept": _("Acceptance"),
    "handle": _("Handling"),
    "verify": _("Verification"),
    "appeal": _("Appeal decision"),
}


class CaseOutcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    APPEAL_UPHELD = "appeal_upheld", _("Appeal upheld")


class CaseAction(models.TextChoices):
    REPORT = "report", _("Reported")
    ASSIGN = "assign", _("Assigned")
    ACCEPT = "accept", _("Accepted")
    RESPOND = "respond", _("Responded")
    VERIFY = "verify", _("Verified")
    REJECT = "reject", _("Verification failed")
    CLOSE = "close", _("Closed")
    REOPEN = "reopen", _("Reopened")
    APPEAL = "appeal", _("Appealed")
    UPHOLD_APPEAL = "uphold_appeal", _("Appeal upheld")
    DISMISS_APPEAL = "dismiss_appeal", _("Appeal dismissed")
    ESCALATE = "escalate", _("Escalated")


class Case(models.Model):
    """闭环案件: one case of a loop kind, from report to close, with a working-day due date per step."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=40, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # What the case is about, in the owning module's words: "reviews.Review:<uuid>".
    subject_ref = models.CharField(_("subject"), max_length=200, blank=True, db_index=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("reporter"),
    )
    reporting_department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("reporting department"),
    )
    # Who routed the case to its assignee: verifies the response when the kind says so.
    assigning_department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("assigning department"),
    )
    assignee_department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("assignee department"),
    )
    state = models.CharField(_("state"), max_length=16, choices=CaseState.choices)
    # The step now running ("assign", "accept", "handle", "verify", "appeal"; "" when none).
    step = models.CharField(_("current step"), max_length=16, blank=True)
    step_due = models.DateField(_("step due"), null=True, blank=True)
    step_due_provisional = models.BooleanField(_("due date provisional"), default=False)
    # Which years' holiday schedules were unknown when the due date was set, to say so on every page.
    step_due_unknown_years = models.JSONField(default=list, blank=True)
    # Set once the current step has been escalated, so it is escalated once; cleared by a new step.
    step_escalated = models.BooleanField(default=False)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_to = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("escalated to"),
    )
    response = models.TextField(_("response"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=CaseOutcome.choices, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["assignee_department", "state"], name="loops_case_assignee_state"),
            models.Index(fields=["escalated_to", "state"], name="loops_case_escalated_state"),
            models.Index(fields=["state", "step_due"], name="loops_case_state_due"),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state != CaseState.CLOSED

    @property
    def step_deadline(self) -> WorkingDeadline | None:
        """The running step's due date as the calendar gave it, provisional flag and all."""
        if self.step_due is None:
            return None
        return WorkingDeadline(self.step_due, self.step_due_provisional, tuple(self.step_due_unknown_years))

    @property
    def step_label(self):
        return STEP_LABELS.get(self.step, self.step)

    @property
    def kind_name(self):
        spec = kinds.KINDS.get(self.kind)
        return spec.name if spec else self.kind


class CaseTransition(models.Model):
    """闭环流转记录: one step in a case's history, written in the same transaction as the change."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(_("action"), max_length=16, choices=CaseAction.choices)
    from_state = models.CharField(_("from"), max_length=16, choices=CaseState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=16, choices=CaseState.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("by"),
    )
    actor_department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("department"),
    )
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"))
    step_due_before = models.DateField(null=True, blank=True)
    step_due_after = models.DateField(null=True, blank=True)
    # For the step this action completed: was it done by its due date? None when no step completed.
    on_time = models.BooleanField(null=True)
    # For an escalation: the department it went to.
    escalated_to = models.ForeignKey("org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["case_id", "at", "id"]
        verbose_name = _("case history entry")
        verbose_name_plural = _("case history")

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"
