"""Reads of applications, each scoped to what the actor may see.

- An applicant sees their own applications (drafts too) and, of their timeline, what is marked
  visible to them.
- Staff see the applications their department handles, takes in at its window (the tasks it
  holds) or has been escalated to (督办); their task queue holds the open tasks of their roles in
  their department, and those escalated to it.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext

from zhengtong.kernel.identity.public import Actor

from .measures import Measure, measures
from .models import Application, ApplicationEvent, ApplicationMaterial, ApplicationTask, Decision, Notice, TaskState

__all__ = [
    "ApplicationDetail", "Measure", "TimelineEntry", "access_application", "application_decisions",
    "application_detail", "application_key_used",
    "application_list_mine",
    "application_materials", "application_tasks", "application_timeline", "applications_handled",
    "is_applicant", "measures", "notices_mine", "task_queue",
]


def is_applicant(actor: Actor) -> bool:
    return actor.kind in ("citizen", "company") and actor.user_id is not None


def _staff_visible(actor: Actor) -> Q:
    """Applications a staff member's department handles, holds a task of, or was escalated."""
    department = actor.department_id
    holds = ApplicationTask.objects.filter(application=OuterRef("pk")).filter(
        Q(department_id=department) | Q(escalated_to_id=department))
    return Q(department_id=department) | Q(Exists(holds))


def _as_uuid(value) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (TypeError, ValueError):
        return None


def access_application(*, actor: Actor, application_id) -> Application:
    """The application if the actor may see it: Application.DoesNotExist when there is none,
    PermissionDenied when it is someone else's."""
    public_id = _as_uuid(application_id)
    application = (Application.objects.select_related("implementation", "item", "division", "department")
                   .filter(public_id=public_id).first() if public_id else None)
    if application is None:
        raise Application.DoesNotExist(f"no application {application_id}")
    if is_applicant(actor):
        if application.applicant_user_id == actor.user_id:
            return application
    elif actor.is_staff_member and application.state != "draft":
        if Application.objects.filter(_staff_visible(actor), pk=application.pk).exists():
            return application
    raise PermissionDenied(gettext("You may not see this application."))


def application_list_mine(*, actor: Actor, states=None) -> QuerySet[Application]:
    """The applicant's own applications, newest first (drafts included unless `states` says)."""
    if not is_applicant(actor):
        raise PermissionDenied(gettext("Only an applicant has applications of their own."))
    rows = Application.objects.filter(applicant_user_id=actor.user_id).select_related("item", "department",
                                                                                       "implementation")
    if states:
        rows = rows.filter(state__in=list(states))
    return rows.order_by("-created_at", "-id")


def application_key_used(*, actor: Actor, idempotency_key: str) -> bool:
    """Whether the actor submitted something under this idempotency key already."""
    return is_applicant(actor) and Application.objects.filter(
        applicant_user_id=actor.user_id, idempotency_key=idempotency_key).exists()


def applications_handled(*, actor: Actor, states=None) -> QuerySet[Application]:
    """The submitted applications a staff member's department may see (the workspace's list)."""
    if not actor.is_staff_member:
        raise PermissionDenied(gettext("Only staff handle applications."))
    rows = (Application.objects.filter(_staff_visible(actor)).exclude(state="draft")
            .select_related("item", "department", "division"))
    if states:
        rows = rows.filter(state__in=list(states))
    return rows.order_by("-submitted_at", "-id")


def task_queue(*, actor: Actor, state: str = TaskState.OPEN) -> QuerySet[ApplicationTask]:
    """The tasks the staff member may do: of their roles in their department, and escalated to
    their department (its leaders see every escalated task), soonest due first."""
    if not actor.is_staff_member:
        raise PermissionDenied(gettext("Only staff have a task queue."))
    roles = list(actor.roles)
    escalated = Q(escalated_to_id=actor.department_id)
    if "leader" not in actor.roles:
        escalated &= Q(role__in=roles)
    rows = (ApplicationTask.objects.filter(Q(department_id=actor.department_id, role__in=roles) | escalated)
            .exclude(role="applicant")
            .select_related("application__item", "application__department", "department", "escalated_to"))
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("due_on", "created_at", "id")


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    title: str
    note: str
    actor_label: str
    at: datetime
    visible_to_applicant: bool


def application_timeline(*, actor: Actor, application_id) -> list[TimelineEntry]:
    """What happened to the application, oldest first; an applicant sees what is meant for them."""
    application = access_application(actor=actor, application_id=application_id)
    events = ApplicationEvent.objects.filter(application=application)
    if is_applicant(actor):
        events = events.filter(visible_to_applicant=True)
    return [TimelineEntry(e.kind, e.title, e.note, e.actor_label, e.at, e.visible_to_applicant)
            for e in events.order_by("at", "id")]


def application_decisions(*, actor: Actor, application_id) -> list[Decision]:
    """The recorded decisions (decision tables', hooks'), with their inputs and matched rules."""
    application = access_application(actor=actor, application_id=application_id)
    return list(Decision.objects.filter(application=application).order_by("decided_at", "id"))


@dataclass(frozen=True)
class ApplicationDetail:
    """An application as its detail page and API show it, read with one access check."""

    application: Application
    materials: list[ApplicationMaterial]
    timeline: list[TimelineEntry]
    decisions: list[Decision]


def application_detail(*, actor: Actor, application_id) -> ApplicationDetail:
    """The application, its materials, timeline and decisions (as the three selectors below give
    them), checking the actor's access once."""
    application = access_application(actor=actor, application_id=application_id)
    materials = list(ApplicationMaterial.objects.filter(application=application).select_related("material")
                     .order_by("material__position", "id"))
    events = ApplicationEvent.objects.filter(application=application)
    if is_applicant(actor):
        events = events.filter(visible_to_applicant=True)
    timeline = [TimelineEntry(e.kind, e.title, e.note, e.actor_label, e.at, e.visible_to_applicant)
                for e in events.order_by("at", "id")]
    decisions = list(Decision.objects.filter(application=application).order_by("decided_at", "id"))
    return ApplicationDetail(application, materials, timeline, decisions)


def application_materials(*, actor: Actor, application_id) -> list[ApplicationMaterial]:
    application = access_application(actor=actor, application_id=application_id)
    return list(ApplicationMaterial.objects.filter(application=application).select_related("material")
                .order_by("material__position", "id"))


def application_tasks(*, actor: Actor, application_id) -> list[ApplicationTask]:
    """The application's tasks (staff see all; an applicant sees the steps, not who did them)."""
    application = access_application(actor=actor, application_id=application_id)
    return list(ApplicationTask.objects.filter(application=application).select_related("department")
                .order_by("created_at", "id"))


def notices_mine(*, actor: Actor, unread_only: bool = False) -> QuerySet[Notice]:
    if actor.user_id is None:
        raise PermissionDenied(gettext("Sign in to see your notices."))
    rows = Notice.objects.filter(user_id=actor.user_id).select_related("application")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "-id")
