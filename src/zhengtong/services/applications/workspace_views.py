"""The officers' workspace for applications (mounted at /workspace/applications/).

    ""                                   my task queue: overdue first, escalated ones marked
    tasks/<task>/                        one task: the application in full, and the decision form
    <application>/                       an application my department may see (notices link here)
    <application>/materials/<code>/      download an uploaded material (the department only)
    measures/                            measures per item and per department

Who may see and do what is the selectors' and services' to say: a task of another department or
role, an application another department handles, are 404 here, as if they did not exist.
"""

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from zhengtong.kernel.identity.decorators import staff_required

from . import selectors, services
from .forms import MeasuresFilterForm, TaskActForm
from .models import Application, ApplicationTask, TaskState
from .views import errors_onto, material_file_response, tracking_context

PAGE_SIZE = 25
# What "approve" means depends on the step: a window accepts (受理), a case officer passes the
# review, a leader approves. "done" moves a process on as "approve" does in every shipped process,
# so it is not offered twice.
APPROVE_LABELS = {
    "window_officer": gettext_lazy("Accept the application (受理)"),
    "case_officer": gettext_lazy("Passes the review"),
    "leader": gettext_lazy("Approve"),
}
REJECT_LABELS = {
    "window_officer": gettext_lazy("Do not accept (不予受理)"),
}
ROLE_LABELS = {
    "window_officer": gettext_lazy("Service centre window"),
    "case_officer": gettext_lazy("Case officer"),
    "leader": gettext_lazy("Leader"),
    "applicant": gettext_lazy("Applicant"),
}


def outcome_choices(task: ApplicationTask) -> tuple[tuple[str, str], ...]:
    return (
        ("approve", str(APPROVE_LABELS.get(task.role, gettext_lazy("Approve")))),
        ("correct", _("Send back to the applicant for correction (补正)")),
        ("reject", str(REJECT_LABELS.get(task.role, gettext_lazy("Do not approve")))),
    )


@dataclass
class TaskRow:
    task: ApplicationTask
    url: str
    overdue: bool
    escalated_here: bool
    role_label: str

    @property
    def outcome_label(self) -> str:
        if self.task.outcome == "corrected":
            return _("Corrected by the applicant")
        if self.task.outcome == "done":
            return _("Done")
        return dict(outcome_choices(self.task)).get(self.task.outcome, self.task.outcome)


def _row(task: ApplicationTask, actor, today: date) -> TaskRow:
    return TaskRow(
        task=task,
        url=reverse("applications_workspace:task", args=[task.public_id]),
        overdue=task.state == TaskState.OPEN and task.due_on is not None and task.due_on < today,
        escalated_here=task.escalated_to_id is not None and task.escalated_to_id == actor.department_id,
        role_label=str(ROLE_LABELS.get(task.role, task.role)),
    )


@staff_required
@require_GET
def queue(request):
    """待办: the open tasks of my roles in my department and those escalated to it. The soonest
    due first, so the overdue ones lead; a task without a deadline comes last."""
    state = TaskState.DONE if request.GET.get("state") == TaskState.DONE else TaskState.OPEN
    tasks = selectors.task_queue(actor=request.actor, state=state)
    if state == TaskState.OPEN:
        tasks = tasks.order_by(F("due_on").asc(nulls_last=True), "created_at", "id")
    else:
        tasks = tasks.order_by(F("completed_at").desc(nulls_last=True), "-id")
    page_obj = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [_row(task, request.actor, today) for task in page_obj.object_list]
    return render(request, "applications/workspace/queue.html", {
        "state": state, "section": "done" if state == TaskState.DONE else "queue", "page_obj": page_obj, "rows": rows,
        "overdue": sum(1 for row in rows if row.overdue),
    })


def _my_task(request, public_id) -> ApplicationTask:
    try:
        task = selectors.task_queue(actor=request.actor, state="").filter(public_id=public_id).first()
    except PermissionDenied:
        raise Http404 from None
    if task is None:
        raise Http404
    return task


def _application(request, public_id) -> Application:
    try:
        return selectors.access_application(actor=request.actor, application_id=public_id)
    except (Application.DoesNotExist, PermissionDenied):
        raise Http404 from None


def _workspace_context(request, application: Application) -> dict:
    context = tracking_context(request.actor, application, officer=True)
    today = timezone.localdate()
    mine = {task.pk for task in selectors.task_queue(actor=request.actor).filter(application=application)}
    context["task_rows"] = [_row(task, request.actor, today) for task in context["tasks"]]
    context["my_open_tasks"] = [row for row in context["task_rows"] if row.task.pk in mine]
    context["download_url_name"] = "applications_workspace:material-file"
    return context


@staff_required
@require_http_methods(["GET", "POST"])
def task(request, public_id):
    """One task: the application (answers with their provenance, materials with the evidence
    fetched or the uploaded file, decisions, timeline) and, while open, the decision form."""
    task = _my_task(request, public_id)
    application = _application(request, task.application.public_id)
    outcomes = outcome_choices(task)
    form = TaskActForm(request.POST or None, outcomes=outcomes)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_act(actor=request.actor, task_id=task.public_id,
                              outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"])
        except ValidationError as error:
            errors_onto(form, error)
        else:
            done = dict(outcomes).get(form.cleaned_data["outcome"], "")
            messages.success(request, _("%(reference)s: “%(outcome)s” recorded.")
                             % {"reference": application.reference, "outcome": done})
            return redirect("applications_workspace:queue")
        task.refresh_from_db()
    context = _workspace_context(request, application)
    today = timezone.localdate()
    context.update({
        "task": task,
        "row": _row(task, request.actor, today),
        "form": form,
        "can_act": task.state == TaskState.OPEN and application.state in ("submitted", "in_progress"),
    })
    return render(request, "applications/workspace/task.html", context, status=400 if form.errors else 200)


@staff_required
@require_GET
def application(request, public_id):
    """An application my department may see (handles, holds a task of, or had escalated to it)."""
    application = _application(request, public_id)
    context = _workspace_context(request, application)
    return render(request, "applications/workspace/application.html", context)


@staff_required
@require_GET
def material_file(request, public_id, code):
    application = _application(request, public_id)
    rows = selectors.application_materials(actor=request.actor, application_id=application.public_id)
    return material_file_response(rows, code)


# --- measures -----------------------------------------------------------------------------------


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@dataclass
class MeasureRow:
    key: str
    label: str
    submitted: int
    online_rate: str
    phone_rate: str
    zero_trip_rate: str
    materials_waived: str
    instant_approvals: int
    on_time_rate: str
    average_handling_days: str


def _measure_row(measure) -> MeasureRow:
    waived = f"{measure.materials_waived} / {measure.materials}"
    if measure.materials:
        waived += f"（{_percent(measure.materials_waived_rate)}）"
    days = measure.average_handling_days
    return MeasureRow(
        key=measure.key, label=measure.label, submitted=measure.submitted,
        online_rate=_percent(measure.online_rate), phone_rate=_percent(measure.phone_rate),
        zero_trip_rate=_percent(measure.zero_trip_rate), materials_waived=waived,
        instant_approvals=measure.instant_approvals, on_time_rate=_percent(measure.on_time_rate),
        average_handling_days="—" if days is None else f"{days:g}",
    )


@staff_required
@require_GET
def measures(request):
    """一网通办 measures from the application rows, per item and per department, for a period."""
    form = MeasuresFilterForm(request.GET or None)
    period = form.cleaned_data if form.is_valid() else {}
    rows = selectors.measures(actor=request.actor, since=period.get("since"), until=period.get("until"))
    total = next((_measure_row(m) for m in rows if m.scope == "total"), None)
    return render(request, "applications/workspace/measures.html", {
        "form": form,
        "section": "measures",
        "total": total,
        "items": [_measure_row(m) for m in rows if m.scope == "item"],
        "departments": [_measure_row(m) for m in rows if m.scope == "department"],
    }, status=400 if form.errors else 200)
