"""Pages of one-thing bundles (一件事), under /services/onething/.

    /services/onething/                         the bundles offered
    /services/onething/<code>/                  a bundle's guide: parts, departments, what is asked once,
                                                what is not asked at all, how long; start (POST <code>/start/)
    /services/onething/my/                      my bundle applications
    /services/onething/my/<id>/                 a draft's task list, or a submitted one's parts (state, due date)
    /services/onething/my/<id>/q/<field>/       one question per page
    /services/onething/my/<id>/materials/       the materials, once; …/materials/<key>/ one of them
    /services/onething/my/<id>/check/           check answers, submit (an idempotency key made at render)
    /services/onething/my/<id>/confirmation/    the reference and what happens next

Every form works without JavaScript. A bundle application is its applicant's alone: anyone else
gets 404, as for one that does not exist; staff get 403 (they do not apply through the portal).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengtong.kernel.identity.public import AccountKind, actor_from_user
from zhengtong.services.guide.public import FormField, ServingSubject

from . import access, selectors, services
from .forms import ACTION, AnswerForm, UploadForm
from .merging import MergedField, MergedForm, MergedMaterial
from .models import Bundle, BundleApplication, BundleState

MATERIALS_STEP = "@materials"
CHECK_STEP = "@check"
STATE_TONES = {
    BundleState.DRAFT: "info", BundleState.IN_PROGRESS: "info", BundleState.CORRECTION: "warning",
    BundleState.COMPLETED: "success", BundleState.REJECTED: "danger",
}
PART_TONES = {"draft": "info", "submitted": "info", "in_progress": "info", "correction": "warning",
              "approved": "success", "rejected": "danger", "withdrawn": "danger"}


# --- access -------------------------------------------------------------------------------------


def applicant_required(view_func):
    """A signed-in citizen or company (sets request.actor); anyone else signs in first; staff 403."""

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


def _own(request, public_id) -> tuple[BundleApplication, MergedForm]:
    try:
        return selectors.draft_form(actor=request.actor, bundle_application_id=public_id)
    except BundleApplication.DoesNotExist:
        raise Http404 from None


def _on_a_phone(request) -> bool:
    """掌上办: an application started on a phone (MDN's advice: "Mobi" in the user agent)."""
    return "Mobi" in request.headers.get("User-Agent", "")


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [message for messages_ in error.message_dict.values() for message in messages_]
    return list(error.messages)


# --- the journey's steps ------------------------------------------------------------------------


@dataclass
class Journey:
    """The pages of a draft in order: the merged questions (identifiers from the real-name
    account are shown, not asked), the materials (when any is asked), the check page."""

    bundle_application: BundleApplication
    form: MergedForm

    @property
    def questions(self) -> list[MergedField]:
        return list(self.form.questions)

    @property
    def asked_materials(self) -> list[MergedMaterial]:
        return [material for material in self.form.materials if material.asked]

    @property
    def steps(self) -> list[str]:
        steps = [field.name for field in self.questions]
        if self.asked_materials:
            steps.append(MATERIALS_STEP)
        return [*steps, CHECK_STEP]

    def url(self, step: str) -> str:
        public_id = self.bundle_application.public_id
        if step == MATERIALS_STEP:
            return reverse("onething:materials", args=[public_id])
        if step == CHECK_STEP:
            return reverse("onething:check", args=[public_id])
        return reverse("onething:question", args=[public_id, step])

    def next_step(self, step: str) -> str:
        steps = self.steps
        return steps[steps.index(step) + 1] if step in steps and step != CHECK_STEP else CHECK_STEP

    def back_url(self, step: str) -> str:
        steps = self.steps
        position = steps.index(step) if step in steps else 0
        if position == 0:
            return reverse("onething:detail", args=[self.bundle_application.public_id])
        return self.url(steps[position - 1])

    def resume_url(self) -> str:
        step = self.bundle_application.draft_step
        return self.url(step if step in self.steps else self.steps[0])


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


def provenance_text(entry: dict | None) -> str:
    """Where an answer came from: 来自：法人综合库，2026-11-23 获取."""
    if not entry:
        return ""
    if entry.get("source") == services.APPLICANT_SOURCE:
        fetched = entry.get("fetched")
        if entry.get("changed") and fetched:
            return _("You changed this. It was fetched from %(source)s on %(date)s.") % {
                "source": fetched.get("label") or fetched.get("source"), "date": _day(fetched.get("at"))}
        return _("Entered by you")
    return _("From: %(source)s, fetched %(date)s") % {"source": entry.get("label") or entry.get("source"),
                                                    "date": _day(entry.get("at"))}


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
    parts: str  # the parts that ask it
    change_url: str


def answer_rows(journey: Journey, part_names: dict[int, str]) -> list[AnswerRow]:
    answers = journey.bundle_application.answers or {}
    provenance = journey.bundle_application.provenance or {}
    return [AnswerRow(
        field=merged.field, value=answer_display(merged.field, answers.get(merged.name, "")),
        provenance=provenance_text(provenance.get(merged.name)), read_only=merged.read_only,
        parts="、".join(part_names.get(position, "") for position, _name in merged.uses),
        change_url="" if merged.read_only else journey.url(merged.name) + "?change=1",
    ) for merged in journey.form.fields]


@dataclass
class MaterialRow:
    material: MergedMaterial
    state: dict
    parts: str

    @property
    def status(self) -> str:
        return self.state.get("state", "")

    @property
    def done(self) -> bool:
        return self.material.produced_by is not None or self.status in ("accepted", "uploaded")

    @property
    def status_label(self) -> str:
        if self.material.produced_by is not None:
            return _("Not needed: produced by “%(part)s”") % {"part": self.material.produced_by_name}
        return {"accepted": _("Fetched for you"), "uploaded": _("Uploaded"),
                "previewed": _("Fetched: confirm to use it")}.get(self.status, _("To do") if self.material.required
                                                                  else _("Optional"))

    @property
    def tone(self) -> str:
        return "success" if self.done else "warning" if self.status == "previewed" else "info"

    @property
    def evidence(self) -> dict:
        return self.state.get("evidence") or {}

    @property
    def evidence_rows(self) -> list[tuple[str, str, bool]]:
        evidence = self.evidence
        labels = evidence.get("labels") or {}
        masked = set(evidence.get("masked") or ())
        return [(labels.get(name, name), value, name in masked)
                for name, value in (evidence.get("fields") or {}).items()]

    @property
    def accepted_types(self) -> str:
        return "、".join(t.upper() for t in self.material.accepted_types) or _("any file")

    @property
    def max_size(self) -> str:
        return filesizeformat(self.material.max_bytes)


def material_rows(journey: Journey, part_names: dict[int, str], *, asked_only: bool = False) -> list[MaterialRow]:
    states = services.material_states(journey.bundle_application)
    return [MaterialRow(material, states.get(material.key) or {},
                        "、".join(part_names.get(position, "") for position, _code in material.uses))
            for material in journey.form.materials if material.asked or not asked_only]


def _part_names(bundle: Bundle) -> dict[int, str]:
    return {part.position: part.item.name for part in bundle.parts.select_related("item")}


# --- the bundles --------------------------------------------------------------------------------


@require_GET
def bundle_list(request):
    serving = request.GET.get("for", "")
    bundles = selectors.bundle_list(serving=serving or None)
    return render(request, "onething/list.html", {"bundles": bundles, "serving": serving})


@require_GET
def bundle_detail(request, code):
    actor = actor_from_user(request.user)
    try:
        guide = selectors.bundle_guide(actor=actor, code=code)
    except Bundle.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:  # a part no longer offered: the page says so, no start button
        try:
            bundle = selectors.access_bundle(actor=actor, code=code)
        except Bundle.DoesNotExist:
            raise Http404 from None
        return render(request, "onething/unavailable.html", {"bundle": bundle, "problems": _messages(error)},
                      status=503)
    drafts = []
    if request.user.is_authenticated and request.user.kind in (AccountKind.CITIZEN, AccountKind.COMPANY):
        drafts = [a for a in selectors.bundle_application_list_mine(actor=actor).filter(
            bundle=guide.bundle, state=BundleState.DRAFT)[:3]]
    may_apply = request.user.is_authenticated and access.may_apply(actor, guide.bundle.serving)
    return render(request, "onething/bundle.html", {
        "guide": guide, "drafts": drafts, "may_apply": may_apply,
        "serving_label": ServingSubject(guide.bundle.serving).label,
        "fee_yuan": guide.fee_fen / 100,
        "login_url": f"{reverse('identity:login')}?{urlencode({'next': request.path})}",
    })


@applicant_required
@require_POST
def start(request, code):
    try:
        bundle_application = services.bundle_draft_start(actor=request.actor, bundle_code=code,
                                                         channel="mobile" if _on_a_phone(request) else "web")
    except Bundle.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        for message in _messages(error):
            messages.error(request, message)
        return redirect("onething:bundle", code=code)
    _bundle_application, form = selectors.draft_form(actor=request.actor,
                                                     bundle_application_id=bundle_application.public_id)
    journey = Journey(bundle_application, form)
    return redirect(journey.url(journey.steps[0]))


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


def _errors_onto(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, errors in error.error_dict.items():
        messages_ = [message for item in errors for message in item.messages]
        form.add_error(key if key in form.fields else None, messages_)


@applicant_required
@require_http_methods(["GET", "POST"])
def question(request, public_id, name):
    bundle_application, merged = _own(request, public_id)
    if bundle_application.state != BundleState.DRAFT:
        return redirect("onething:detail", public_id=bundle_application.public_id)
    merged_field = merged.field(name)
    if merged_field is None or merged_field.read_only:
        raise Http404
    journey = Journey(bundle_application, merged)
    field = merged_field.field
    changing = request.GET.get("change") == "1"
    next_step = CHECK_STEP if changing else journey.next_step(name)
    if request.method == "POST":
        form = AnswerForm(request.POST, field=field)
        saving = request.POST.get(ACTION) == "save"
        answer = form.answer()
        answers = {} if saving and not answer and field.required else {name: answer}
        try:
            services.bundle_draft_answer(actor=request.actor, bundle_application_id=bundle_application.public_id,
                                         answers=answers, step=name if saving else next_step)
        except ValidationError as error:
            _errors_onto(form, error)
        else:
            if saving:
                messages.success(request, _("Your application is saved. Continue it from “My one-thing "
                                            "applications” whenever you are ready."))
                return redirect("onething:mine")
            return redirect(journey.url(next_step))
    else:
        form = AnswerForm(initial={name: (bundle_application.answers or {}).get(name, "")}, field=field)
    provenance = provenance_text((bundle_application.provenance or {}).get(name))
    describedby = _describedby(form, name, provenance=bool(provenance))
    bound = form[name]
    if describedby and not bound.use_fieldset:
        form.fields[name].widget.attrs["aria-describedby"] = describedby
    part_names = _part_names(bundle_application.bundle)
    return render(request, "onething/question.html", {
        "bundle_application": bundle_application, "bundle": bundle_application.bundle, "field": field,
        "form": form, "bound": bound, "describedby": describedby, "provenance": provenance,
        "parts": "、".join(part_names.get(position, "") for position, _n in merged_field.uses),
        "shared": len(merged_field.uses) > 1,
        "back_url": journey.url(CHECK_STEP) if changing else journey.back_url(name),
        "position": journey.steps.index(name) + 1, "questions": len(journey.questions), "changing": changing,
    }, status=400 if form.errors else 200)


# --- materials ----------------------------------------------------------------------------------


@applicant_required
@require_GET
def materials(request, public_id):
    bundle_application, merged = _own(request, public_id)
    if bundle_application.state != BundleState.DRAFT:
        return redirect("onething:detail", public_id=bundle_application.public_id)
    journey = Journey(bundle_application, merged)
    rows = material_rows(journey, _part_names(bundle_application.bundle))
    return render(request, "onething/materials.html", {
        "bundle_application": bundle_application, "bundle": bundle_application.bundle,
        "asked": [row for row in rows if row.material.asked],
        "produced": [row for row in rows if not row.material.asked],
        "back_url": journey.back_url(MATERIALS_STEP), "next_url": journey.url(CHECK_STEP),
    })


@applicant_required
@require_http_methods(["GET", "POST"])
def material(request, public_id, key):
    bundle_application, merged = _own(request, public_id)
    if bundle_application.state != BundleState.DRAFT:
        return redirect("onething:detail", public_id=bundle_application.public_id)
    found = merged.material(key)
    if found is None or not found.asked:
        raise Http404
    journey = Journey(bundle_application, merged)
    upload_form = UploadForm()
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get(ACTION, "")
        actor = request.actor
        try:
            if action == "preview":
                services.bundle_material_preview(actor=actor, bundle_application_id=bundle_application.public_id,
                                                 material_key=found.key)
                return redirect("onething:material", public_id=bundle_application.public_id, key=found.key)
            if action == "accept":
                services.bundle_material_accept(actor=actor, bundle_application_id=bundle_application.public_id,
                                                material_key=found.key)
                messages.success(request, _("“%(material)s” will be fetched for you: you do not need to provide it.")
                                 % {"material": found.name})
                return redirect("onething:materials", public_id=bundle_application.public_id)
            if action == "upload":
                upload_form = UploadForm(request.POST, request.FILES)
                services.bundle_material_upload(actor=actor, bundle_application_id=bundle_application.public_id,
                                                material_key=found.key, upload=request.FILES.get("file"))
                messages.success(request, _("“%(material)s” is uploaded.") % {"material": found.name})
                return redirect("onething:materials", public_id=bundle_application.public_id)
            raise Http404
        except ValidationError as error:
            errors = _messages(error)
            if action == "upload":
                upload_form.full_clean()
                upload_form.add_error("file", errors)
        bundle_application, merged = _own(request, public_id)
        journey = Journey(bundle_application, merged)
    row = next(r for r in material_rows(journey, _part_names(bundle_application.bundle)) if r.material.key == found.key)
    return render(request, "onething/material.html", {
        "bundle_application": bundle_application, "bundle": bundle_application.bundle, "row": row,
        "upload_form": upload_form, "errors": errors, "upload_error": bool(upload_form.errors),
        "back_url": reverse("onething:materials", args=[bundle_application.public_id]),
    }, status=400 if errors else 200)


# --- check answers, submit, confirmation --------------------------------------------------------


@dataclass
class SubmitError:
    message: str
    url: str


def _submit_errors(error: ValidationError, journey: Journey) -> list[SubmitError]:
    found = []
    items = error.message_dict.items() if hasattr(error, "error_dict") else [("", error.messages)]
    for key, messages_ in items:
        if key.startswith("materials."):
            material = journey.form.material(key.removeprefix("materials."))
            url = (reverse("onething:material", args=[journey.bundle_application.public_id, material.key])
                   if material is not None and material.asked else journey.url(MATERIALS_STEP))
        elif journey.form.field(key) is not None and not journey.form.field(key).read_only:
            url = journey.url(key) + "?change=1"
        else:
            url = "#submit"
        found.extend(SubmitError(message, url) for message in messages_)
    return found


@applicant_required
@require_http_methods(["GET", "POST"])
def check(request, public_id):
    bundle_application, merged = _own(request, public_id)
    if bundle_application.state != BundleState.DRAFT:
        key = request.POST.get("idempotency_key", "") if request.method == "POST" else ""
        if key and key == bundle_application.idempotency_key:  # a double click or a retry: it went through
            return redirect("onething:confirmation", public_id=bundle_application.public_id)
        return redirect("onething:detail", public_id=bundle_application.public_id)
    journey = Journey(bundle_application, merged)
    errors: list[SubmitError] = []
    if request.method == "POST":
        try:
            submitted = services.bundle_application_submit(
                actor=request.actor, bundle_application_id=bundle_application.public_id,
                idempotency_key=request.POST.get("idempotency_key", ""))
        except ValidationError as error:
            errors = _submit_errors(error, journey)
        else:
            return redirect("onething:confirmation", public_id=submitted.public_id)
    part_names = _part_names(bundle_application.bundle)
    guide = selectors.bundle_guide(actor=request.actor, code=bundle_application.bundle.code)
    return render(request, "onething/check.html", {
        "bundle_application": bundle_application, "bundle": bundle_application.bundle,
        "answers": answer_rows(journey, part_names), "materials": material_rows(journey, part_names),
        "parts": guide.parts, "guide": guide, "errors": errors,
        "idempotency_key": uuid.uuid4().hex, "back_url": journey.back_url(CHECK_STEP),
    }, status=400 if errors else 200)


@applicant_required
@require_GET
def confirmation(request, public_id):
    try:
        progress = selectors.bundle_progress(actor=request.actor, bundle_application_id=public_id)
    except BundleApplication.DoesNotExist:
        raise Http404 from None
    if progress.bundle_application.state == BundleState.DRAFT:
        return redirect("onething:detail", public_id=public_id)
    return render(request, "onething/confirmation.html", {"progress": progress,
                                                          "bundle": progress.bundle_application.bundle})


# --- tracking -----------------------------------------------------------------------------------


@applicant_required
@require_GET
def mine(request):
    listed = [(a, STATE_TONES.get(a.state, "info"))
              for a in selectors.bundle_application_list_mine(actor=request.actor)]
    return render(request, "onething/mine.html", {
        "drafts": [row for row in listed if row[0].state == BundleState.DRAFT],
        "current": [row for row in listed if row[0].state in (BundleState.IN_PROGRESS, BundleState.CORRECTION)],
        "concluded": [row for row in listed if row[0].state in (BundleState.COMPLETED, BundleState.REJECTED)],
    })


@dataclass
class DraftTask:
    title: str
    url: str
    status: str
    done: bool


@applicant_required
@require_GET
def detail(request, public_id):
    """A draft: the task list of the journey. Submitted: the parts, each with its department,
    state and due date, and the bundle's state (the one result when every part is approved)."""
    try:
        progress = selectors.bundle_progress(actor=request.actor, bundle_application_id=public_id)
    except BundleApplication.DoesNotExist:
        raise Http404 from None
    bundle_application = progress.bundle_application
    if bundle_application.state == BundleState.DRAFT:
        bundle_application, merged = _own(request, public_id)
        journey = Journey(bundle_application, merged)
        answers = bundle_application.answers or {}
        answered = sum(1 for field in journey.questions if answers.get(field.name) not in (None, ""))
        rows = material_rows(journey, _part_names(bundle_application.bundle), asked_only=True)
        tasks = [DraftTask(_("Answer the questions (asked once for every department)"),
                           journey.url(journey.steps[0]),
                           _("%(done)s of %(total)s answered") % {"done": answered, "total": len(journey.questions)},
                           answered == len(journey.questions))]
        if journey.asked_materials:
            done = sum(1 for row in rows if row.done)
            tasks.append(DraftTask(_("Provide the materials (once)"), journey.url(MATERIALS_STEP),
                                   _("%(done)s of %(total)s done") % {"done": done, "total": len(rows)},
                                   done == len(rows)))
        tasks.append(DraftTask(_("Check your answers and submit"), journey.url(CHECK_STEP), _("Not yet"), False))
        return render(request, "onething/draft.html", {
            "bundle_application": bundle_application, "bundle": bundle_application.bundle, "tasks": tasks,
            "resume_url": journey.resume_url()})
    return render(request, "onething/progress.html", {
        "progress": progress, "bundle": bundle_application.bundle, "tone": STATE_TONES.get(progress.state, "info"),
        "parts": [(part, PART_TONES.get(part.state, "info")) for part in progress.parts],
    })
