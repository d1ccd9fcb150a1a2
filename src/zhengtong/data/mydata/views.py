"""Pages of mydata (个人数据宝) for the citizen or company signed in.

Anyone not signed in gets the sign-in page; a signed-in member of staff (or an account with no
real-name record) gets 403. Every page reads through selectors.me_get(), so a person only ever
sees their own data; another person's request or authorization is a 404, as one that does not
exist. The one page for staff is a correction request's page for the department handling it.
"""

import json
from dataclasses import dataclass
from functools import wraps
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from zhengtong.data.exchange.public import consent_options
from zhengtong.data.exchange.public import consent_give, consent_revoke
from zhengtong.kernel.identity.decorators import staff_required
from zhengtong.kernel.identity.public import AccountKind, actor_from_user
from zhengtong.kernel.loops.public import CaseState, case_get

from . import selectors, services
from .forms import AuthorizationForm, CorrectionForm, VerifyForm
from .models import CorrectionRequest, CorrectionStatus

CONSENT_TEXT_VERSION = 1
CHINA = ZoneInfo("Asia/Shanghai")

KIND_LABELS = {
    "share.call": gettext_lazy("Data sharing call"),
    "share.refused": gettext_lazy("Sharing call refused"),
    "registry.read": gettext_lazy("Base registry read"),
    "share.consent.given": gettext_lazy("You authorized %(system)s"),
    "share.consent.revoked": gettext_lazy("You revoked the authorization of %(system)s"),
    "mydata.export": gettext_lazy("You downloaded your data"),
    "mydata.correction.read": gettext_lazy("Your correction request was opened"),
    # licences' requesters (电子证照用证方): a system asks, you decide, it reads while shared.
    "licence.request": gettext_lazy("%(system)s asked for your licence"),
    "licence.request.shared": gettext_lazy("You shared a licence with a requester"),
    "licence.request.declined": gettext_lazy("You declined a licence request"),
    "licence.request.withdrawn": gettext_lazy("You withdrew a licence share"),
    "licence.request.read": gettext_lazy("%(system)s read your shared licence"),
}
OUTCOME_OK = gettext_lazy("Provided")
OUTCOME_DONE = gettext_lazy("Done")
STATUS_TONES = {
    CorrectionStatus.SUBMITTED: "info", CorrectionStatus.HANDLING: "warning",
    CorrectionStatus.RESPONDED: "warning", CorrectionStatus.CLOSED: "success",
}
CONSENT_STATUS = {
    "active": (gettext_lazy("Active"), "success"),
    "revoked": (gettext_lazy("Revoked"), "danger"),
    "expired": (gettext_lazy("Expired"), "info"),
}


def mydata_required(view_func):
    """A signed-in citizen or company with a real-name record; sets request.actor and request.me."""

    @wraps(view_func)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("identity:login"))
        if user.kind not in (AccountKind.CITIZEN, AccountKind.COMPANY):
            raise PermissionDenied
        request.actor = actor_from_user(user)
        request.me = selectors.me_get(request.actor)  # PermissionDenied without a real-name record
        return view_func(request, *args, **kwargs)

    return wrapped


def _render(request, template, context, status=200):
    context = {"me": request.me, "section": template.rsplit("/", 1)[-1].split(".")[0], **context}
    return render(request, template, context, status=status)


# --- overview -----------------------------------------------------------------------------------


@mydata_required
@require_GET
def overview(request):
    """我的数据: my registry record and my records in departments' datasets."""
    me = request.me
    registry = selectors.registry_record(me)
    groups = selectors.dataset_records_grouped(me)
    consents = selectors.consent_views(request.actor)
    corrections = services.corrections_current(actor=request.actor)
    return _render(request, "mydata/overview.html", {
        "registry": registry, "groups": groups,
        "active_consents": sum(1 for c in consents if c.status == "active"),
        "open_corrections": sum(1 for c in corrections if c.status != CorrectionStatus.CLOSED),
    })


# --- access log ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessRow:
    entry: object
    kind_label: str
    who: str
    data: str
    outcome_label: str
    refused: bool


def _access_row(entry) -> AccessRow:
    if entry.actor_kind in ("citizen", "company"):
        who = _("You")  # the person's own acts (authorizations, downloads) are theirs alone
    else:
        who = " · ".join(p for p in (entry.department_name, entry.system) if p) or "—"
    names = "、".join(f.title for f in entry.fields)
    data = entry.service_name or entry.service_code
    data = f"{data}：{names}" if data and names else (data or names or "—")
    refused = entry.outcome != "ok"
    if refused:
        outcome = _("Refused (%(code)s)") % {"code": entry.outcome}
    else:
        outcome = str(OUTCOME_DONE if entry.actor_kind in ("citizen", "company") else OUTCOME_OK)
    label = str(KIND_LABELS.get(entry.kind, entry.kind))
    if "%(system)s" in label:
        label = label % {"system": entry.system or "—"}
    return AccessRow(entry, label, who, data, outcome, refused)


@mydata_required
@require_GET
def access(request):
    """谁用了我的数据: every logged read about me, newest first (the Data Tracker)."""
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    page = selectors.access_log_page(request.me, page=number)
    query = request.GET.copy()
    previous_url = next_url = ""
    if page.has_previous:
        query["page"] = page.number - 1
        previous_url = "?" + query.urlencode()
    if page.has_next:
        query["page"] = page.number + 1
        next_url = "?" + query.urlencode()
    return _render(request, "mydata/access.html", {
        "rows": [_access_row(e) for e in page.entries], "page": page,
        "previous_url": previous_url, "next_url": next_url,
    })


# --- corrections --------------------------------------------------------------------------------


@mydata_required
@require_GET
def corrections(request):
    """数据纠错: my correction requests and how each stands."""
    rows = services.corrections_current(actor=request.actor)
    return _render(request, "mydata/corrections.html", {
        "rows": [(c, STATUS_TONES.get(c.status, "info")) for c in rows],
        "accept_days": services.ACCEPT_DAYS, "answer_days": services.ANSWER_DAYS,
    })


def _correction_query(request) -> dict:
    data = request.GET
    return {"source": data.get("source", ""), "service_code": data.get("service", ""),
            "token": data.get("record", ""), "field_name": data.get("field", "")}


@mydata_required
@require_http_methods(["GET", "POST"])
def correction_new(request):
    """"This is wrong": one field of one of my records, what is right and why."""
    subject = selectors.correction_subject(request.me, **_correction_query(request))
    if subject is None:
        raise Http404
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            correction = services.correction_request(
                actor=request.actor, subject=subject, proposed_value=form.cleaned_data["proposed_value"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Your request is sent to %(department)s. They will take it on within "
                                        "%(accept)s working days and answer within %(answer)s.") % {
                "department": subject.department_name, "accept": services.ACCEPT_DAYS,
                "answer": services.ANSWER_DAYS})
            return redirect("mydata:correction-detail", public_id=correction.public_id)
    return _render(request, "mydata/correction_new.html", {
        "subject": subject, "form": form, "accept_days": services.ACCEPT_DAYS, "answer_days": services.ANSWER_DAYS,
    }, status=400 if form.is_bound and form.errors else 200)


@mydata_required
@require_http_methods(["GET", "POST"])
def correction_detail(request, public_id):
    """One request: the case's progress and deadline, the department's answer, and my check of it."""
    try:
        correction = selectors.access_correction(request.me, public_id)
    except CorrectionRequest.DoesNotExist:
        raise Http404 from None
    case = services.correction_case(actor=request.actor, correction=correction)
    form = VerifyForm(request.POST or None) if case.state == CaseState.RESPONDED else None
    if request.method == "POST":
        if form is None:
            messages.error(request, _("The department has not answered yet: there is nothing to check."))
            return redirect("mydata:correction-detail", public_id=correction.public_id)
        if form.is_valid():
            resolved = form.cleaned_data["resolved"] == "yes"
            try:
                services.correction_verify(actor=request.actor, correction=correction, resolved=resolved,
                                           note=form.cleaned_data["note"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Thank you: the request is closed.") if resolved else
                                 _("The request is back with the department, with what is still wrong."))
                return redirect("mydata:correction-detail", public_id=correction.public_id)
    return _render(request, "mydata/correction_detail.html", {
        "correction": correction, "case": case, "case_state": CaseState(case.state).label,
        "response": selectors.case_response(request.actor, correction.case_id), "form": form,
        "tone": STATUS_TONES.get(correction.status, "info"),
        "accept_days": services.ACCEPT_DAYS, "answer_days": services.ANSWER_DAYS,
    }, status=400 if form is not None and form.is_bound and form.errors else 200)


@staff_required
@require_GET
def correction_department(request, public_id):
    """The request as the department handling its case sees it (and nobody else: the case decides),
    with the proposed value; opening it is logged for the person."""
    correction = CorrectionRequest.objects.select_related("department").filter(public_id=public_id).first()
    if correction is None:
        raise Http404
    try:
        case = case_get(actor=request.actor, public_id=correction.case_id)
    except (PermissionDenied, ObjectDoesNotExist):
        raise Http404 from None
    services.correction_department_read(actor=request.actor, correction=correction, case=case)
    return render(request, "mydata/correction_department.html", {
        "correction": correction, "case": case, "case_state": CaseState(case.state).label,
    })


# --- authorizations -----------------------------------------------------------------------------


@mydata_required
@require_GET
def authorizations(request):
    """授权管理: the systems I let read my data: active, revoked and expired."""
    views = selectors.consent_views(request.actor)
    groups = [(status, label, tone, [v for v in views if v.status == status])
              for status, (label, tone) in CONSENT_STATUS.items()]
    return _render(request, "mydata/authorizations.html", {"groups": groups})


FORM_FIELD_OF = {"api_client": "api_client", "services": "services", "fields": "data_fields",
                 "purpose": "purpose", "expires_at": "expires_on"}


@mydata_required
@require_http_methods(["GET", "POST"])
def authorization_new(request):
    """Authorize a system (a bank, an insurer) to read some of my data, for a purpose, until a date."""
    options = consent_options(actor=request.actor)
    form = AuthorizationForm(request.POST or None, options=options)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            consent_give(actor=request.actor, api_client_id=data["api_client"], service_codes=data["services"],
                         fields=data["data_fields"], purpose=data["purpose"], expires_at=form.expires_at(),
                         version=CONSENT_TEXT_VERSION)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(FORM_FIELD_OF.get(field), errors)
        else:
            messages.success(request, _("The authorization is in force. You can revoke it here at any time."))
            return redirect("mydata:authorizations")
    return _render(request, "mydata/authorization_new.html", {
        "form": form, "options": options, "version": CONSENT_TEXT_VERSION,
    }, status=400 if form.is_bound and form.errors else 200)


@mydata_required
@require_http_methods(["GET", "POST"])
def authorization_revoke(request, public_id):
    """Revoke: a confirmation page, then a POST; effective at the system's next call."""
    consent = selectors.consent_view_get(request.actor, public_id)
    if consent is None:
        raise Http404
    if request.method == "POST":
        try:
            consent_revoke(actor=request.actor, consent_id=consent.public_id)
        except ObjectDoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The authorization of %(system)s is revoked: its next call is refused.")
                             % {"system": consent.system})
        return redirect("mydata:authorizations")
    return _render(request, "mydata/authorization_revoke.html", {"consent": consent})


# --- export -------------------------------------------------------------------------------------


@mydata_required
@require_GET
def export(request):
    """All of the above as one JSON document (format "zhengtong.mydata/1", see services.export_build)."""
    document = services.export_build(actor=request.actor)
    response = HttpResponse(json.dumps(document, ensure_ascii=False, indent=2),
                            content_type="application/json; charset=utf-8")
    stamp = timezone.localdate(timezone.now(), CHINA)
    response["Content-Disposition"] = f'attachment; filename="mydata-{stamp.isoformat()}.json"'
    response["Cache-Control"] = "no-store"
    return response
