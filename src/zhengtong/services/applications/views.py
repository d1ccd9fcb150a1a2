"""The applicant's pages (办件, mounted at /services/): GOV.UK's patterns on a phone first.

    apply/<implementation>/            start page: what you need, how long, what is fetched for you
    my/                                my applications: drafts to continue, in progress, concluded
    my/<application>/                  tracking (a draft resumes where it was left)
    my/<application>/q/<field>/        one question per page
    my/<application>/materials/        materials: fetched ones previewed and accepted, or uploads
    my/<application>/check/            check answers, then submit (idempotency key in the form)
    my/<application>/confirmation/     reference, due date, what happens next (or the decision)
    my/<application>/correct/          补正: fix what the officer asked, then resubmit
    my/<application>/withdraw/         withdraw, with a reason
    notices/                           in-app notices, mark as read

Every page works without JavaScript. Views are thin: a selector reads, one service writes, and a
service's ValidationError is put back on the form it came from, so the rule and its message live
in one place. Someone else's application is a 404, as one that does not exist.
"""

import uuid
from urllib.parse import urlencode
from dataclasses import dataclass, field as dataclass_field
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _, gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengtong.kernel.identity.public import AccountKind, actor_from_user
from zhengtong.kernel.org.public import department_get
from zhengtong.services.guide.public import FormField, ImplementationRef, MaterialRef, implementation_get

from . import selectors, services
from .evidence import LOCKED_PREFILLS
from .forms import ACTION, AnswersForm, MaterialUploadForm, WithdrawForm
from .models import CONCLUDED_STATES, Application, ApplicationState, Notice

MATERIALS_STEP = "materials"
CHECK_STEP = "check"
FETCHED_SOURCES = ("shared", "licence")
MINUTES_PER_QUESTION = 1
PAGE_SIZE = 20
# Decision-table inputs that are not a question or an evidence field: derived from the applicant.
DERIVED_INPUT_LABELS = {
    "age": gettext_lazy("Age"),
    "resident_of_city": gettext_lazy("Registered in this city"),
    "resident_of_county": gettext_lazy("Registered in this county"),
    "resident_of_province": gettext_lazy("Registered in this province"),
    "applicant_kind": gettext_lazy("Who applies"),
}
STATE_TONES = {
    ApplicationState.DRAFT: "info",
    ApplicationState.SUBMITTED: "info",
    ApplicationState.IN_PROGRESS: "info",
    ApplicationState.CORRECTION: "warning",
    ApplicationState.APPROVED: "success",
    ApplicationState.REJECTED: "danger",
    ApplicationState.WITHDRAWN: "info",
}
OUTCOME_LABELS = {
    "approve": pgettext_lazy("办件", "Approved"),
    "reject": gettext_lazy("Not approved"),
    "manual": gettext_lazy("Passed to an officer"),
    "refuse": gettext_lazy("Refused"),
    "strict": gettext_lazy("Checked strictly"),
    "priority": gettext_lazy("Handled first"),
    "tolerate": gettext_lazy("Accepted with a missing item to follow"),
    "note": gettext_lazy("Noted"),
}


# --- access -------------------------------------------------------------------------------------


def applicant_required(view_func):
    """A signed-in citizen or company (sets request.actor); anyone else signs in first, and a
    member of staff gets 403: staff do not apply through the portal."""

    @wraps(view_func)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("identity:login"))
        if user.kind not in (AccountKind.CITIZEN, AccountKind.COMPANY):
            raise PermissionDenied
        request.actor = actor_from_user(user)
        return view_func(request, *args, **kwargs)

    return wrapped


def _own(request, public_id) -> Application:
    """The applicant's own application; someone else's is as absent as a missing one."""
    try:
        return selectors.access_application(actor=request.actor, application_id=public_id)
    except (Application.DoesNotExist, PermissionDenied):
        raise Http404 from None


def _implementation(application: Application) -> ImplementationRef:
    implementation = implementation_get(public_id=application.implementation.public_id)
    if implementation is None:  # pragma: no cover - implementations are never deleted (PROTECT)
        raise Http404
    return implementation


def errors_onto(form, error: ValidationError, *, aliases: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError on `form`: a key that names one of its fields on that
    field (`aliases` maps other keys to fields), anything else on the form as a whole."""
    aliases = aliases or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, errors in error.error_dict.items():
        target = aliases.get(key, key)
        messages_ = [message for item in errors for message in item.messages]
        form.add_error(target if target in form.fields else None, messages_)


# --- the journey's steps ------------------------------------------------------------------------


@dataclass
class Journey:
    """The pages of a draft in order: its questions (an identifier taken from the applicant's
    real-name account is shown, not asked), the materials, the check page."""

    application: Application
    implementation: ImplementationRef

    def read_only(self, field: FormField) -> bool:
        return field.prefill in LOCKED_PREFILLS and bool((self.application.answers or {}).get(field.name))

    @property
    def questions(self) -> list[FormField]:
        return [field for field in self.implementation.form_fields if not self.read_only(field)]

    @property
    def steps(self) -> list[str]:
        names = [field.name for field in self.questions]
        if self.implementation.materials:
            names.append(MATERIALS_STEP)
        return [*names, CHECK_STEP]

    def url(self, step: str) -> str:
        public_id = self.application.public_id
        if step == MATERIALS_STEP:
            return reverse("applications:materials", args=[public_id])
        if step == CHECK_STEP:
            return reverse("applications:check", args=[public_id])
        return reverse("applications:question", args=[public_id, step])

    def next_step(self, step: str) -> str:
        steps = self.steps
        return steps[steps.index(step) + 1] if step in steps and step != CHECK_STEP else CHECK_STEP

    def back_url(self, step: str) -> str:
        steps = self.steps
        position = steps.index(step) if step in steps else 0
        if position == 0:
            return reverse("applications:start", args=[self.implementation.public_id])
        return self.url(steps[position - 1])

    def resume_url(self) -> str:
        step = self.application.draft_step
        return self.url(step if step in self.steps else self.steps[0])


def _provenance_text(entry: dict | None, *, officer: bool = False) -> str:
    """Where an answer came from: 来自：人口库，2026-11-23 获取. An officer reads it of the
    applicant ("entered by the applicant"), the applicant of themselves ("entered by you")."""
    if not entry:
        return ""
    if entry.get("source") == "applicant":
        fetched = entry.get("fetched")
        if entry.get("changed") and fetched:
            changed = (_("The applicant changed this. It was fetched from %(source)s on %(date)s.") if officer
                       else _("You changed this. It was fetched from %(source)s on %(date)s."))
            return changed % {"source": fetched.get("label") or fetched.get("source"),
                              "date": _day(fetched.get("at"))}
        return _("Entered by the applicant") if officer else _("Entered by you")
    return _("From: %(source)s, fetched %(date)s") % {"source": entry.get("label") or entry.get("source"),
                                                    "date": _day(entry.get("at"))}


def _day(value: str | None) -> str:
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value[:10]
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.date().isoformat()


def answer_display(field: FormField, value: str) -> str:
    if value in (None, ""):
        return "—"
    if field.kind == "choice":
        return field.choice_label(value)
    if field.kind == "yesno":
        return _("Yes") if value == "yes" else _("No") if value == "no" else value
    return value


@dataclass
class AnswerRow:
    field: FormField
    value: str
    provenance: str
    read_only: bool
    change_url: str = ""


def answer_rows(application: Application, implementation: ImplementationRef, *, journey: Journey | None = None,
                officer: bool = False) -> list[AnswerRow]:
    answers = application.answers or {}
    provenance = application.provenance or {}
    rows = []
    for field in implementation.form_fields:
        read_only = field.prefill in LOCKED_PREFILLS and bool(answers.get(field.name))
        change_url = ""
        if journey is not None and not read_only:
            change_url = journey.url(field.name) + "?change=1"
        rows.append(AnswerRow(field, answer_display(field, answers.get(field.name, "")),
                              _provenance_text(provenance.get(field.name), officer=officer), read_only, change_url))
    return rows


@dataclass
class EvidenceRow:
    label: str
    value: str
    masked: bool


@dataclass
class MaterialRow:
    """A material of the implementation and what the application has of it."""

    ref: MaterialRef
    row: Any  # ApplicationMaterial or None
    form: MaterialUploadForm | None = None
    error: str = ""

    @property
    def fetchable(self) -> bool:
        return self.ref.source in FETCHED_SOURCES

    @property
    def waived(self) -> bool:
        return bool(self.row is not None and self.row.waived)

    @property
    def uploaded(self) -> bool:
        return bool(self.row is not None and self.row.file)

    @property
    def previewed(self) -> bool:
        """Fetched and shown, waiting for the applicant to use it."""
        return bool(self.row is not None and self.row.previewed_at and self.row.evidence and not self.row.file
                    and not self.row.waived)

    @property
    def done(self) -> bool:
        return self.waived or self.uploaded

    @property
    def evidence(self) -> dict:
        return self.row.evidence if self.row is not None and isinstance(self.row.evidence, dict) else {}

    @property
    def evidence_rows(self) -> list[EvidenceRow]:
        evidence = self.evidence
        labels = evidence.get("labels") or {}
        masked = set(evidence.get("masked") or ())
        return [EvidenceRow(labels.get(name, name), "—" if value in (None, "") else str(value), name in masked)
                for name, value in (evidence.get("fields") or {}).items()]

    @property
    def produced_by(self) -> str:
        return str(self.evidence.get("produced_by", "")) if self.row is not None and self.row.source == "produced" else ""

    @property
    def accepted_types(self) -> str:
        return "、".join(t.upper() for t in self.ref.accepted_types) or "—"

    @property
    def input_id(self) -> str:
        return self.form["file"].id_for_label if self.form is not None else ""


def material_rows(implementation: ImplementationRef, rows, *, data=None, files=None, failed: str = "",
                  error: ValidationError | None = None, with_forms: bool = True) -> list[MaterialRow]:
    """One MaterialRow per material of the implementation; the one that `failed` carries the
    bound form and the service's message."""
    by_material = {row.material_id: row for row in rows}
    result = []
    for ref in implementation.materials:
        form = None
        if with_forms:
            bound = ref.code == failed and data is not None
            form = MaterialUploadForm(data if bound else None, files if bound else None, material_code=ref.code)
        item = MaterialRow(ref, by_material.get(ref.id), form)
        if error is not None and ref.code == failed:
            item.error = " ".join(_error_messages(error))
            if form is not None:
                form.add_error("file", item.error)
        result.append(item)
    return result


def _error_messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [message for errors in error.error_dict.values() for item in errors for message in item.messages]
    return list(error.messages)


@dataclass
class DecisionInput:
    label: str
    value: str


@dataclass
class DecisionView:
    """A recorded decision as the applicant reads it: what decided, the outcome, why, on what."""

    source: str
    outcome: str
    outcome_code: str
    explanation: str
    inputs: list[DecisionInput] = dataclass_field(default_factory=list)
    rules: list[str] = dataclass_field(default_factory=list)
    automatic: bool = True
    decided_at: Any = None


def _input_value(value) -> str:
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if value in (None, ""):
        return "—"
    return str(value)


def decision_views(decisions, implementation: ImplementationRef, materials) -> list[DecisionView]:
    labels: dict[str, str] = {name: str(label) for name, label in DERIVED_INPUT_LABELS.items()}
    for row in materials:
        if isinstance(row.evidence, dict):
            for name, label in (row.evidence.get("labels") or {}).items():
                labels.setdefault(name, label)
    for form_field in implementation.form_fields:
        labels[form_field.name] = form_field.label
    views = []
    for decision in decisions:
        kind, _colon, name = decision.source.partition(":")
        if kind == "dmn":
            source = _("Automatic approval rules (%(item)s)") % {"item": implementation.item_name}
            inputs = [DecisionInput(labels.get(key, key), _input_value(value))
                      for key, value in (decision.inputs or {}).items()]
        else:
            source = _("Check: %(name)s") % {"name": name}
            inputs = []
        views.append(DecisionView(
            source=source, outcome=str(OUTCOME_LABELS.get(decision.outcome, decision.outcome)),
            outcome_code=decision.outcome, explanation=decision.explanation, inputs=inputs,
            rules=list(decision.matched_rules or ()), automatic=kind == "dmn", decided_at=decision.decided_at))
    return views


def _department_name(department_id: int) -> str:
    department = department_get(department_id)
    return department.name if department is not None else ""


# --- start page ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def start(request, public_id):
    """办事指南的开始页: who may apply, what you need, how long it takes, what is fetched for you.
    Open to anyone; starting needs a citizen's or company's sign-in."""
    implementation = implementation_get(public_id=public_id)
    if implementation is None or implementation.status != "published":
        raise Http404
    user = request.user
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect_to_login(request.path, reverse("identity:login"))
        if user.kind not in (AccountKind.CITIZEN, AccountKind.COMPANY):
            raise PermissionDenied
        channel = "mobile" if implementation.mobile and _on_a_phone(request) else "web"
        try:
            application = services.draft_start(actor=actor_from_user(user), implementation_id=implementation.public_id,
                                               channel=channel)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(_error_messages(error)) if isinstance(error, ValidationError)
                           else str(error) or _("You cannot apply for this service."))
            return redirect("applications:start", public_id=implementation.public_id)
        journey = Journey(application, implementation)
        return redirect(journey.url(journey.steps[0]))

    fetched = [m for m in implementation.materials if m.source in FETCHED_SOURCES]
    uploads = [m for m in implementation.materials if m.source not in FETCHED_SOURCES]
    prefilled = [f for f in implementation.form_fields if f.prefill]
    typed = [f for f in implementation.form_fields if not f.prefill]
    may_apply = (user.is_authenticated and user.kind in (AccountKind.CITIZEN, AccountKind.COMPANY)
                 and implementation.serving in ("both", user.kind))
    return render(request, "applications/start.html", {
        "implementation": implementation,
        "department_name": _department_name(implementation.department_id),
        "fetched": fetched,
        "uploads": uploads,
        "prefilled": prefilled,
        "typed": typed,
        "minutes": max(2, MINUTES_PER_QUESTION * (len(typed) + len(uploads)) + 1),
        "may_apply": may_apply,
        "wrong_kind": user.is_authenticated and not may_apply,
        "login_url": f"{reverse('identity:login')}?{urlencode({'next': request.path})}",
        "fees": [{"name": fee.get("name", ""), "yuan": int(fee.get("amount_fen") or 0) / 100,
                  "basis": fee.get("basis", "")} for fee in implementation.fees],
    })


def _on_a_phone(request) -> bool:
    """掌上办: the phone rate counts applications started on a phone (MDN's advice: "Mobi")."""
    return "Mobi" in request.headers.get("User-Agent", "")


# --- one question per page ----------------------------------------------------------------------


def _describedby(form, name: str, *, provenance: bool) -> str:
    bound = form[name]
    ids = []
    if bound.help_text:
        ids.append(f"{bound.auto_id}_helptext")
    if provenance:
        ids.append(f"{bound.auto_id}_provenance")
    if bound.errors:
        ids.append(f"{bound.auto_id}_error")
    return " ".join(ids)


@applicant_required
@require_http_methods(["GET", "POST"])
def question(request, public_id, name):
    application = _own(request, public_id)
    if application.state != ApplicationState.DRAFT:
        return redirect("applications:detail", public_id=application.public_id)
    implementation = _implementation(application)
    field = implementation.form_field(name)
    if field is None:
        raise Http404
    journey = Journey(application, implementation)
    changing = request.GET.get("change") == "1"
    read_only = journey.read_only(field)
    next_step = CHECK_STEP if changing else journey.next_step(name)

    if request.method == "POST":
        form = AnswersForm(request.POST, fields=(field,))
        saving = request.POST.get(ACTION) == "save"
        if read_only:
            return redirect(journey.url(next_step))
        answer = form.answers()[name]
        answers = {} if saving and not answer and field.required else {name: answer}
        try:
            services.draft_answer(actor=request.actor, application_id=application.public_id, answers=answers,
                                  step=name if saving else next_step)
        except ValidationError as error:
            errors_onto(form, error)
        else:
            if saving:
                messages.success(request, _("Your application is saved as a draft. Continue it from “My applications” "
                                            "whenever you are ready."))
                return redirect("applications:mine")
            return redirect(journey.url(next_step))
    else:
        form = AnswersForm(initial={name: (application.answers or {}).get(name, "")}, fields=(field,))

    provenance = _provenance_text((application.provenance or {}).get(name))
    describedby = _describedby(form, name, provenance=bool(provenance))
    bound = form[name]
    if describedby and not bound.use_fieldset:
        form.fields[name].widget.attrs["aria-describedby"] = describedby
    position = journey.steps.index(name) + 1 if name in journey.steps else 1
    return render(request, "applications/question.html", {
        "application": application,
        "implementation": implementation,
        "field": field,
        "form": form,
        "bound": bound,
        "describedby": describedby,
        "read_only": read_only,
        "value": answer_display(field, (application.answers or {}).get(name, "")),
        "provenance": provenance,
        "back_url": journey.url(CHECK_STEP) if changing else journey.back_url(name),
        "position": position,
        "questions": len(journey.questions),
        "changing": changing,
    }, status=400 if form.errors else 200)


# --- materials ----------------------------------------------------------------------------------


def _material_action(request, application: Application) -> tuple[str, ValidationError | None]:
    """Run the materials form's action (preview, accept, upload): the material's code and the
    service's refusal, if any."""
    code = request.POST.get("material", "")
    action = request.POST.get(ACTION, "")
    kwargs = {"actor": request.actor, "application_id": application.public_id, "material_code": code}
    try:
        if action == "preview":
            services.material_preview(**kwargs)
        elif action == "accept":
            services.material_accept(**kwargs)
        elif action == "upload":
            upload = MaterialUploadForm(request.POST, request.FILES, material_code=code)
            upload.is_valid()
            services.material_upload(**kwargs, upload=upload.cleaned_data.get("file"))
        else:
            raise ValidationError(_("Choose what to do with the material."), code="invalid")
    except ValidationError as error:
        return code, error
    return code, None


MATERIAL_DONE = {
    "preview": gettext_lazy("“%(material)s” has been fetched. Check it, then use it or upload your own copy."),
    "accept": gettext_lazy("“%(material)s” will be used: you do not need to submit it."),
    "upload": gettext_lazy("“%(material)s” has been uploaded."),
}


def _material_name(implementation: ImplementationRef, code: str) -> str:
    material = implementation.material(code)
    return material.name if material is not None else code


@applicant_required
@require_http_methods(["GET", "POST"])
def materials(request, public_id):
    application = _own(request, public_id)
    if application.state != ApplicationState.DRAFT:
        return redirect("applications:detail", public_id=application.public_id)
    implementation = _implementation(application)
    journey = Journey(application, implementation)
    failed, error = "", None
    if request.method == "POST":
        failed, error = _material_action(request, application)
        if error is None:
            action = request.POST.get(ACTION, "")
            messages.success(request, MATERIAL_DONE[action] % {"material": _material_name(implementation, failed)})
            return redirect(f"{journey.url(MATERIALS_STEP)}#material-{failed}")
    rows = selectors.application_materials(actor=request.actor, application_id=application.public_id)
    items = material_rows(implementation, rows, data=request.POST if error else None,
                          files=request.FILES if error else None, failed=failed, error=error)
    return render(request, "applications/materials.html", {
        "application": application,
        "implementation": implementation,
        "items": items,
        "error_items": [item for item in items if item.error],
        "form_error": " ".join(_error_messages(error)) if error is not None and not any(i.error for i in items) else "",
        "back_url": journey.back_url(MATERIALS_STEP),
        "next_url": journey.url(CHECK_STEP),
        "action_url": journey.url(MATERIALS_STEP),
    }, status=400 if error is not None else 200)


# --- check answers and submit -------------------------------------------------------------------


@dataclass
class SubmitError:
    message: str
    url: str


def _submit_errors(error: ValidationError, journey: Journey) -> list[SubmitError]:
    """A submission's problems, each linking to the page that fixes it."""
    result = []
    error_dict = error.error_dict if hasattr(error, "error_dict") else {"": error.error_list}
    for key, errors in error_dict.items():
        if key.startswith("materials."):
            url = journey.url(MATERIALS_STEP) + f"#material-{key.removeprefix('materials.')}"
        elif journey.implementation.form_field(key) is not None:
            url = journey.url(key) + "?change=1"
        else:
            url = ""
        result.extend(SubmitError(message, url) for item in errors for message in item.messages)
    return result


@applicant_required
@require_http_methods(["GET", "POST"])
def check(request, public_id):
    """核对并提交. The form carries an idempotency key made when the page was drawn: a double
    click, a retry or a resent form submits once and lands on the same confirmation."""
    application = _own(request, public_id)
    implementation = _implementation(application)
    journey = Journey(application, implementation)
    errors: list[SubmitError] = []
    key = ""
    if request.method == "POST":
        key = request.POST.get("idempotency_key", "")
        try:
            submitted = services.application_submit(actor=request.actor, application_id=application.public_id,
                                                    idempotency_key=key)
        except ValidationError as error:
            if application.state != ApplicationState.DRAFT:  # submitted with another key (another tab)
                return redirect("applications:detail", public_id=application.public_id)
            errors = _submit_errors(error, journey)
        else:
            return redirect("applications:confirmation", public_id=submitted.public_id)
    elif application.state != ApplicationState.DRAFT:
        return redirect("applications:detail", public_id=application.public_id)
    rows = selectors.application_materials(actor=request.actor, application_id=application.public_id)
    return render(request, "applications/check.html", {
        "application": application,
        "implementation": implementation,
        "answers": answer_rows(application, implementation, journey=journey),
        "materials": material_rows(implementation, rows, with_forms=False),
        "materials_url": journey.url(MATERIALS_STEP),
        "back_url": journey.back_url(CHECK_STEP),
        "errors": errors,
        # A new key for each drawing of the page; a failed submission keeps the one it sent.
        "idempotency_key": key or uuid.uuid4().hex,
    }, status=400 if errors else 200)


def _concluded(application: Application) -> bool:
    return application.state in CONCLUDED_STATES


@applicant_required
@require_GET
def confirmation(request, public_id):
    application = _own(request, public_id)
    if application.state == ApplicationState.DRAFT:
        return redirect("applications:check", public_id=application.public_id)
    implementation = _implementation(application)
    rows = selectors.application_materials(actor=request.actor, application_id=application.public_id)
    decisions = selectors.application_decisions(actor=request.actor, application_id=application.public_id)
    return render(request, "applications/confirmation.html", {
        "application": application,
        "implementation": implementation,
        "department_name": application.department.name,
        "decisions": decision_views(decisions, implementation, rows),
        "waived": sum(1 for row in rows if row.waived),
        "concluded": _concluded(application),
    })


# --- my applications and tracking ---------------------------------------------------------------


@dataclass
class ListedApplication:
    application: Application
    tone: str
    url: str


@applicant_required
@require_GET
def mine(request):
    """我的办件: drafts to continue, applications in progress, concluded ones."""
    rows = list(selectors.application_list_mine(actor=request.actor))

    def listed(application, url_name="applications:detail"):
        return ListedApplication(application, STATE_TONES.get(application.state, "info"),
                                 reverse(url_name, args=[application.public_id]))

    drafts = [listed(a) for a in rows if a.state == ApplicationState.DRAFT]
    in_progress = [listed(a) for a in rows if a.state in (ApplicationState.SUBMITTED, ApplicationState.IN_PROGRESS,
                                                         ApplicationState.CORRECTION)]
    # A withdrawn draft was never submitted: it is gone from the list, as a deleted draft is.
    concluded = [listed(a) for a in rows if a.state in CONCLUDED_STATES and a.reference]
    page_obj = Paginator(concluded, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "applications/mine.html", {
        "drafts": drafts, "in_progress": in_progress, "page_obj": page_obj,
        "correction": [item for item in in_progress if item.application.state == ApplicationState.CORRECTION],
    })


def _correction_note(timeline) -> str:
    notes = [entry.note for entry in timeline if entry.kind == "correction_requested"]
    return notes[-1] if notes else ""


def tracking_context(actor, application: Application, *, officer: bool = False) -> dict:
    """What the tracking pages show (the applicant's and the officer's): answers, materials,
    decisions, the timeline, the steps open now."""
    implementation = _implementation(application)
    rows = selectors.application_materials(actor=actor, application_id=application.public_id)
    decisions = selectors.application_decisions(actor=actor, application_id=application.public_id)
    timeline = selectors.application_timeline(actor=actor, application_id=application.public_id)
    tasks = selectors.application_tasks(actor=actor, application_id=application.public_id)
    return {
        "application": application,
        "implementation": implementation,
        "tone": STATE_TONES.get(application.state, "info"),
        "answers": answer_rows(application, implementation, officer=officer),
        "officer": officer,
        "materials": material_rows(implementation, rows, with_forms=False),
        "decisions": decision_views(decisions, implementation, rows),
        "timeline": timeline,
        "tasks": tasks,
        "open_tasks": [task for task in tasks if task.state == "open"],
        "correction_note": _correction_note(timeline) if application.state == ApplicationState.CORRECTION else "",
        "concluded": _concluded(application),
        "today": timezone.localdate(),
    }


@applicant_required
@require_GET
def detail(request, public_id):
    """办件进度: where the application is, by when, what happened, what was decided."""
    application = _own(request, public_id)
    if application.state == ApplicationState.DRAFT:
        return redirect(Journey(application, _implementation(application)).resume_url())
    context = tracking_context(request.actor, application)
    context["steps_open"] = [task for task in context["open_tasks"] if task.role != "applicant"]
    return render(request, "applications/detail.html", context)


# --- correction (补正) --------------------------------------------------------------------------


@applicant_required
@require_http_methods(["GET", "POST"])
def correct(request, public_id):
    """Fix what the officer asked for: upload materials again (each its own form), change
    answers, then resubmit. Only changed answers are sent; everything is checked again."""
    application = _own(request, public_id)
    if application.state != ApplicationState.CORRECTION:
        return redirect("applications:detail", public_id=application.public_id)
    implementation = _implementation(application)
    journey = Journey(application, implementation)
    editable = tuple(journey.questions)
    current = application.answers or {}
    failed, material_error = "", None
    form = AnswersForm(initial={f.name: current.get(f.name, "") for f in editable}, fields=editable)
    if request.method == "POST":
        if request.POST.get(ACTION) in ("upload", "preview", "accept"):
            failed, material_error = _material_action(request, application)
            if material_error is None:
                action = request.POST.get(ACTION)
                messages.success(request, MATERIAL_DONE[action] % {"material": _material_name(implementation, failed)})
                return redirect(reverse("applications:correct", args=[application.public_id]) + f"#material-{failed}")
        else:
            form = AnswersForm(request.POST, fields=editable)
            given = form.answers()
            changed = {name: value for name, value in given.items() if value != current.get(name, "")}
            try:
                services.application_correct(actor=request.actor, application_id=application.public_id,
                                             answers=changed)
            except ValidationError as error:
                errors_onto(form, error)
                material_error = _materials_only(error)
                failed = _first_material(error)
            else:
                messages.success(request, _("Your corrected application has been sent back to %(department)s.")
                                 % {"department": application.department.name})
                return redirect("applications:detail", public_id=application.public_id)
    timeline = selectors.application_timeline(actor=request.actor, application_id=application.public_id)
    rows = selectors.application_materials(actor=request.actor, application_id=application.public_id)
    bound_upload = material_error is not None and request.POST.get(ACTION) == "upload"
    items = material_rows(implementation, rows, data=request.POST if bound_upload else None,
                          files=request.FILES if bound_upload else None, failed=failed, error=material_error)
    for name in form.fields:
        describedby = _describedby(form, name, provenance=False)
        if describedby and not form[name].use_fieldset:
            form.fields[name].widget.attrs["aria-describedby"] = describedby
    locked = [row for row in answer_rows(application, implementation) if row.read_only]
    has_errors = bool(form.errors) or material_error is not None
    return render(request, "applications/correct.html", {
        "application": application,
        "implementation": implementation,
        "note": _correction_note(timeline),
        "form": form,
        "locked": locked,
        "items": items,
        "error_items": [item for item in items if item.error],
        "has_errors": has_errors,
        "action_url": reverse("applications:correct", args=[application.public_id]),
        "provenance": {name: _provenance_text((application.provenance or {}).get(name)) for name in form.fields},
    }, status=400 if has_errors else 200)


def _materials_only(error: ValidationError) -> ValidationError | None:
    keys = [key for key in getattr(error, "error_dict", {}) if key.startswith("materials.")]
    if not keys:
        return None
    return ValidationError({key: error.error_dict[key] for key in keys})


def _first_material(error: ValidationError) -> str:
    keys = [key for key in getattr(error, "error_dict", {}) if key.startswith("materials.")]
    return keys[0].removeprefix("materials.") if keys else ""


# --- withdrawal ---------------------------------------------------------------------------------


@applicant_required
@require_http_methods(["GET", "POST"])
def withdraw(request, public_id):
    application = _own(request, public_id)
    if _concluded(application):
        return redirect("applications:detail", public_id=application.public_id)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST":
        form.is_valid()
        try:
            services.application_withdraw(actor=request.actor, application_id=application.public_id,
                                          reason=form.cleaned_data.get("reason", ""))
        except ValidationError as error:
            errors_onto(form, error)
        else:
            messages.success(request, _("The application has been withdrawn."))
            return redirect("applications:mine")
    implementation = _implementation(application)
    back = (Journey(application, implementation).resume_url() if application.state == ApplicationState.DRAFT
            else reverse("applications:detail", args=[application.public_id]))
    return render(request, "applications/withdraw.html", {
        "application": application, "implementation": implementation, "form": form, "back_url": back,
    }, status=400 if form.errors else 200)


# --- the applicant's own uploaded file ----------------------------------------------------------


def material_file_response(rows, code: str) -> FileResponse:
    row = next((row for row in rows if row.material.code == code), None)
    if row is None or not row.file:
        raise Http404
    try:
        handle = row.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=row.file_name or row.file.name.rsplit("/", 1)[-1],
                        content_type=row.content_type or "application/octet-stream")


@applicant_required
@require_GET
def material_file(request, public_id, code):
    application = _own(request, public_id)
    rows = selectors.application_materials(actor=request.actor, application_id=application.public_id)
    return material_file_response(rows, code)


# --- notices ------------------------------------------------------------------------------------


def notice_target(notice: Notice, user) -> str:
    """Where a notice leads: the application's page on the reader's side of the site."""
    if notice.application_id is not None:
        if user.kind == AccountKind.STAFF:
            return reverse("applications_workspace:application", args=[notice.application.public_id])
        return reverse("applications:detail", args=[notice.application.public_id])
    # Only a path of this site: a notice never sends its reader elsewhere.
    return notice.url if url_has_allowed_host_and_scheme(notice.url, allowed_hosts=set()) else ""


@dataclass
class NoticeRow:
    notice: Notice
    url: str


def _signed_in(view_func):
    @wraps(view_func)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("identity:login"))
        request.actor = actor_from_user(request.user)
        return view_func(request, *args, **kwargs)

    return wrapped


@_signed_in
@require_GET
def notices(request):
    """消息提醒: newest first; unread ones marked, each with a button to mark it read."""
    try:
        rows = selectors.notices_mine(actor=request.actor)
    except PermissionDenied:
        raise Http404 from None
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "applications/notices.html", {
        "page_obj": page_obj,
        "rows": [NoticeRow(notice, notice_target(notice, request.user)) for notice in page_obj.object_list],
        "unread": selectors.notices_mine(actor=request.actor, unread_only=True).count(),
    })


@_signed_in
@require_POST
def notice_read(request, public_id):
    try:
        notice = services.notice_read(actor=request.actor, notice_id=public_id)
    except (Notice.DoesNotExist, PermissionDenied, ValidationError):
        raise Http404 from None
    if request.POST.get("open") == "1":
        target = notice_target(notice, request.user)
        if target:
            return HttpResponseRedirect(target)
    return redirect(reverse("applications:notices") + (f"?page={request.POST['page']}" if
                                                       request.POST.get("page", "").isdigit() else ""))
