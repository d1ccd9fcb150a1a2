"""Staff pages of the open-data community under /workspace/opendata/: decide applications for
on-application data, answer data requests, review showcases.

Every list and page is scoped by the selectors to what the member of staff may decide; anything
else is a 404 (the same as one that does not exist), so a page reveals nothing of another
department's business.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from zhengtong.kernel.identity.decorators import staff_required
from zhengtong.kernel.loops.public import CaseState, case_get
from zhengtong.kernel.masking.public import mask_value

from . import community_selectors as selectors
from . import services
from .community_views import APPLICATION_TONES, REQUEST_TONES, NeededText, request_rows, service_errors_add
from .models import ApplicationStatus, DataRequestStatus, OpenDataset, ShowcaseStatus

DECISIONS = [("approve", gettext_lazy("Approve")), ("reject", gettext_lazy("Reject"))]
SHOWCASE_TONES = {ShowcaseStatus.PENDING: "warning", ShowcaseStatus.PUBLISHED: "success",
                  ShowcaseStatus.REJECTED: "danger"}
CASE_STATE_LABELS = dict(CaseState.choices)


def _applicant_label(user) -> str:
    # A citizen's name is personal data: the decider sees it masked (the ledger keeps the account).
    if user.kind == "citizen":
        return mask_value("name", user.display_name or "")
    return user.display_name or user.username


@staff_required
@require_GET
def workspace_home(request):
    actor = request.actor
    return render(request, "opendata/workspace/home.html", {
        "pending_applications": len(selectors.applications_for_decider(actor=actor)),
        "open_requests": selectors.data_requests_for_department(actor=actor, status=DataRequestStatus.OPEN).count(),
        "pending_showcases": len(selectors.showcases_for_reviewer(actor=actor)),
        "is_bureau": bool(services.bureau_prefix(actor)),
    })


# --- applications -------------------------------------------------------------------------------


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=pgettext_lazy("application", "Decision"), choices=DECISIONS, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Needed for a rejection; the applicant sees it."))


@staff_required
@require_GET
def application_list(request):
    """待审批申请: pending applications for the datasets the member of staff decides on."""
    decided = request.GET.get("show") == "all"
    views = selectors.applications_for_decider(actor=request.actor, status=None if decided else ApplicationStatus.PENDING)
    return render(request, "opendata/workspace/application_list.html", {
        "applications": [{"view": v, "applicant": _applicant_label(v.application.applicant),
                          "tone": APPLICATION_TONES[v.application.status]} for v in views],
        "decided": decided,
    })


@staff_required
@require_http_methods(["GET", "POST"])
def application_decide(request, public_id):
    try:
        view = selectors.access_application_for_decider(actor=request.actor, public_id=public_id)
    except (ObjectDoesNotExist, PermissionDenied):
        raise Http404 from None
    application = view.application
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.application_decide(actor=request.actor, application=application, approve=approve,
                                        reason=form.cleaned_data["reason"])
        except ValidationError as error:
            service_errors_add(form, error)
        else:
            messages.success(request, _("The application is approved.") if approve else _("The application is rejected."))
            return redirect("opendata_workspace:workspace-applications")
    return render(request, "opendata/workspace/application_decide.html", {
        "view": view, "application": application, "applicant": _applicant_label(application.applicant),
        "form": form, "tone": APPLICATION_TONES[application.status], "pending": application.status == ApplicationStatus.PENDING,
    }, status=400 if request.method == "POST" and form.errors else 200)


# --- data requests ------------------------------------------------------------------------------


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"), widget=forms.RadioSelect,
        choices=[(DataRequestStatus.OPENED, gettext_lazy("The data is now open (name the dataset)")),
                 (DataRequestStatus.ANSWERED, gettext_lazy("Answered (an explanation, e.g. where the data already is)")),
                 (DataRequestStatus.DECLINED, gettext_lazy("Declined (give the reason)"))])
    dataset = forms.ChoiceField(label=gettext_lazy("The open dataset"), required=False)
    answer = NeededText(label=gettext_lazy("Answer"), widget=forms.Textarea(attrs={"rows": 5}),
                             help_text=gettext_lazy("Shown to the public with the request."))

    def __init__(self, *args, datasets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = [("", _("None")), *((d.resource_code, f"{d.resource_code} {d.title}")
                                                             for d in datasets)]


@staff_required
@require_GET
def data_request_list(request):
    """数据开放需求: the requests addressed to the member of staff's department."""
    requests = list(selectors.data_requests_for_department(actor=request.actor))
    return render(request, "opendata/workspace/request_list.html", {
        "requests": request_rows(selectors.data_request_views(requests)),
    })


@staff_required
@require_http_methods(["GET", "POST"])
def data_request_answer(request, public_id):
    actor = request.actor
    try:
        data_request = selectors.access_data_request_for_staff(actor=actor, public_id=public_id)
    except (ObjectDoesNotExist, PermissionDenied):
        raise Http404 from None
    datasets = list(OpenDataset.objects.filter(department_id=data_request.department_id).order_by("resource_code"))
    form = AnswerForm(request.POST or None, datasets=datasets)
    if request.method == "POST" and request.POST.get("action") == "accept":
        try:
            services.data_request_accept(actor=actor, request=data_request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The request is taken on."))
        return redirect("opendata_workspace:workspace-request", public_id=public_id)
    if request.method == "POST" and form.is_valid():
        dataset = next((d for d in datasets if d.resource_code == form.cleaned_data["dataset"]), None)
        try:
            services.data_request_answer(actor=actor, request=data_request, answer=form.cleaned_data["answer"],
                                         outcome=form.cleaned_data["outcome"], dataset=dataset)
        except ValidationError as error:
            service_errors_add(form, error)
        else:
            messages.success(request, _("The answer is published with the request."))
            return redirect("opendata_workspace:workspace-requests")
    case = case_get(actor=actor, public_id=data_request.case_id) if data_request.case_id else None
    return render(request, "opendata/workspace/request_answer.html", {
        "data_request": data_request, "view": selectors.data_request_view(data_request), "form": form,
        "case": case, "case_state": CASE_STATE_LABELS.get(case.state, "") if case else "",
        "may_accept": case is not None and case.state == CaseState.ASSIGNED,
        "open": data_request.status == DataRequestStatus.OPEN, "tone": REQUEST_TONES[data_request.status],
    }, status=400 if request.method == "POST" and form.errors else 200)


# --- showcases ----------------------------------------------------------------------------------


@staff_required
@require_GET
def showcase_list(request):
    """应用展示审核: showcases awaiting review (big-data administrators)."""
    return render(request, "opendata/workspace/showcase_list.html", {
        "showcases": selectors.showcases_for_reviewer(actor=request.actor),
        "is_bureau": bool(services.bureau_prefix(request.actor)),
    })


@staff_required
@require_http_methods(["GET", "POST"])
def showcase_review(request, public_id):
    try:
        view = selectors.access_showcase_for_reviewer(actor=request.actor, public_id=public_id)
    except (ObjectDoesNotExist, PermissionDenied):
        raise Http404 from None
    if request.method == "POST":
        publish = request.POST.get("decision") == "publish"
        try:
            services.showcase_review(actor=request.actor, showcase=view.showcase, publish=publish)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("opendata_workspace:workspace-showcase", public_id=public_id)
        messages.success(request, _("The showcase is published.") if publish else _("The showcase is rejected."))
        return redirect("opendata_workspace:workspace-showcases")
    return render(request, "opendata/workspace/showcase_review.html", {
        "view": view, "showcase": view.showcase, "tone": SHOWCASE_TONES[view.showcase.status],
        "pending": view.showcase.status == ShowcaseStatus.PENDING,
    })
