"""Pages of the open-data community under /opendata/: applications for on-application data,
data requests, reuse showcases and the openness index.

Reading needs no account; applying, asking and submitting need a citizen or company account.
Views parse the form, call one service or selector and render; the rules are the services'
(their ValidationErrors come back next to the field they concern).
"""

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengtong.kernel.identity.decorators import account_required

from . import community_selectors as selectors
from . import services
from .models import ApplicationStatus, DataRequest, DataRequestStatus, OpenDataApplication, OpenDataset, OpenTier
from .openness import METADATA_CRITERIA, MIN_DESCRIPTION, WEIGHTS, openness_index

PAGE_SIZE = 20

APPLICATION_TONES = {
    ApplicationStatus.PENDING: "warning", ApplicationStatus.APPROVED: "success",
    ApplicationStatus.REJECTED: "danger", ApplicationStatus.WITHDRAWN: "info",
}
REQUEST_TONES = {
    DataRequestStatus.OPEN: "warning", DataRequestStatus.ANSWERED: "info",
    DataRequestStatus.OPENED: "success", DataRequestStatus.DECLINED: "danger",
}


def service_errors_add(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError on the form: each key on its field, the rest on the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages_ in error.message_dict.items():
        form.add_error(key if key in form.fields else None, messages_)


class _CheckedByTheService:
    """A field shown as needed whose emptiness the service refuses, together with every other
    problem of the form (a form-level "required" would hide those until the next try)."""

    def __init__(self, *args, **kwargs):
        kwargs["required"] = True
        super().__init__(*args, **kwargs)

    def validate(self, value):
        if value not in self.empty_values:
            super().validate(value)


class NeededText(_CheckedByTheService, forms.CharField):
    pass


class NeededDate(_CheckedByTheService, forms.DateField):
    pass


class NeededTypedChoice(_CheckedByTheService, forms.TypedChoiceField):
    pass


# --- applications -------------------------------------------------------------------------------


class ApplicationForm(forms.Form):
    organisation = forms.CharField(
        label=gettext_lazy("Organisation"), required=False, max_length=services.MAX_ORGANISATION,
        help_text=gettext_lazy("The company or institution you apply for, if any."))
    purpose = NeededText(
        label=gettext_lazy("What you will use the data for"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("At least 10 characters: the department decides on this, and you may use the data for this only."))
    requested_until = NeededDate(
        label=gettext_lazy("Use until"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("The last day you need the data; at most one year from today."))
    agreement_accepted = forms.BooleanField(
        label=gettext_lazy("I have read the data-use agreement above and accept it."), required=False)


def _apply_dataset(code: str) -> OpenDataset:
    try:
        return OpenDataset.objects.get(resource_code=code)
    except OpenDataset.DoesNotExist:
        # A hidden dataset is a 404 like one that does not exist.
        raise Http404 from None


@account_required
@require_http_methods(["GET", "POST"])
def application_new(request, code):
    """申请使用: the form to apply for an on-application dataset, with the agreement."""
    open_dataset = _apply_dataset(code)
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and open_dataset.tier == OpenTier.ON_APPLICATION and form.is_valid():
        try:
            services.application_submit(
                applicant_user=request.user, open_dataset=open_dataset, organisation=form.cleaned_data["organisation"],
                purpose=form.cleaned_data["purpose"], requested_until=form.cleaned_data["requested_until"],
                agreement_accepted=form.cleaned_data["agreement_accepted"],
            )
        except ValidationError as error:
            service_errors_add(form, error)
        else:
            messages.success(request, _("Your application for “%(title)s” is sent. The department decides on it; "
                                        "you see the decision here.") % {"title": open_dataset.title})
            return redirect("opendata:community-applications")
    return render(request, "opendata/community/application_new.html", {
        "open_dataset": open_dataset, "form": form, "clauses": services.agreement_clauses(),
        "agreement_version": services.AGREEMENT_VERSION,
        "is_open": open_dataset.tier == OpenTier.OPEN,
    }, status=400 if request.method == "POST" and form.errors else 200)


@account_required
@require_GET
def application_list(request):
    """我的申请: the person's applications, their state and how to use the data."""
    views = selectors.applications_of_user(user_id=request.actor.user_id)
    return render(request, "opendata/community/application_list.html", {
        "applications": [{"view": v, "tone": APPLICATION_TONES[v.application.status]} for v in views],
    })


@account_required
@require_POST
def application_withdraw(request, public_id):
    try:
        application = selectors.application_of_user(user_id=request.actor.user_id, public_id=public_id)
    except OpenDataApplication.DoesNotExist:
        raise Http404 from None
    try:
        services.application_withdraw(applicant_user=request.user, application=application)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The application is withdrawn."))
    return redirect("opendata:community-applications")


# --- data requests ------------------------------------------------------------------------------


class DataRequestForm(forms.Form):
    title = NeededText(label=gettext_lazy("What data you ask for"), max_length=200,
                            help_text=gettext_lazy("A short title, shown in the public list of requests."))
    department = NeededTypedChoice(label=gettext_lazy("Department that holds the data"), coerce=int,
                                   empty_value=None)
    description = NeededText(
        label=gettext_lazy("What data, and what for"), widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("The fields, the period and the area you need, and how the data would be used. "
                               "Only the department sees this; do not write personal information."))

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("Choose a department")),
                                             *((d.id, d.name) for d in departments)]


def request_rows(views) -> list[dict]:
    return [{"request": v, "tone": REQUEST_TONES[v.status]} for v in views]


@require_GET
def data_request_list(request):
    """数据开放需求: every request, its department, state, answer and due date — never who asked."""
    status = request.GET.get("status", "")
    if status not in DataRequestStatus.values:
        status = ""
    queryset = selectors.data_request_public_queryset(status=status or None)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "opendata/community/request_list.html", {
        "page_obj": page, "requests": request_rows(selectors.data_request_views(page.object_list)),
        "statuses": DataRequestStatus.choices, "status": status, "answer_days": selectors.answer_days(),
    })


@account_required
@require_http_methods(["GET", "POST"])
def data_request_new(request):
    departments = selectors.request_departments()
    form = DataRequestForm(request.POST or None, departments=departments)
    if request.method == "POST" and form.is_valid():
        try:
            services.data_request_submit(
                requester_user=request.user, title=form.cleaned_data["title"],
                description=form.cleaned_data["description"], department=form.cleaned_data["department"],
            )
        except ValidationError as error:
            service_errors_add(form, error)
        else:
            messages.success(request, _("Your request is sent to the department, which answers it within %(days)s "
                                        "working days.") % {"days": selectors.answer_days()})
            return redirect("opendata:community-requests")
    return render(request, "opendata/community/request_new.html", {
        "form": form, "answer_days": selectors.answer_days(),
    }, status=400 if request.method == "POST" and form.errors else 200)


class DataRequestVerifyForm(forms.Form):
    accepted = forms.TypedChoiceField(
        label=gettext_lazy("Does the answer give you what you asked for?"), widget=forms.RadioSelect,
        coerce=lambda value: value == "yes",
        choices=[("yes", gettext_lazy("Yes: accept the answer")),
                 ("no", gettext_lazy("No: send it back to the department"))],
    )
    note = forms.CharField(label=gettext_lazy("What is still missing (needed to send it back)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))


def _verify_prefix(public_id) -> str:
    """One form per waiting answer on the page: its own prefix keeps the field ids apart."""
    return "v" + str(public_id).replace("-", "")[:12]


def _my_requests_page(request, *, bound: DataRequestVerifyForm | None = None, bound_for: str = "", status: int = 200):
    rows = []
    for mine in selectors.data_requests_of_requester(actor=request.actor):
        form = None
        if mine.awaiting_my_word:
            form = bound if bound is not None and bound_for == mine.view.public_id else DataRequestVerifyForm(
                prefix=_verify_prefix(mine.view.public_id))
        rows.append({"request": mine.view, "tone": REQUEST_TONES.get(mine.view.status, "info"), "form": form})
    return render(request, "opendata/community/request_mine.html", {"rows": rows}, status=status)


@account_required
@require_GET
def data_request_mine(request):
    """My requests, with the answers that wait for my word (the loop's verification step)."""
    return _my_requests_page(request)


@account_required
@require_POST
def data_request_verify(request, public_id):
    try:
        data_request = selectors.data_request_of_requester(user_id=request.user.id, public_id=public_id)
    except DataRequest.DoesNotExist:
        raise Http404 from None
    form = DataRequestVerifyForm(request.POST, prefix=_verify_prefix(data_request.public_id))
    if form.is_valid():
        try:
            services.data_request_verify(requester_user=request.user, request=data_request,
                                         accepted=form.cleaned_data["accepted"], note=form.cleaned_data["note"])
        except ValidationError as error:
            service_errors_add(form, error)
        else:
            if form.cleaned_data["accepted"]:
                messages.success(request, _("Thank you: the request is closed with this answer."))
            else:
                messages.success(request, _("The answer is sent back to the department, which answers again."))
            return redirect("opendata:community-requests-mine")
    return _my_requests_page(request, bound=form, bound_for=str(data_request.public_id), status=400)


# --- showcases ----------------------------------------------------------------------------------


class ShowcaseForm(forms.Form):
    title = NeededText(label=gettext_lazy("Title"), max_length=200)
    description = NeededText(label=gettext_lazy("What it does with the data"), widget=forms.Textarea(attrs={"rows": 5}))
    url = NeededText(label=gettext_lazy("Link (https://…)"), max_length=500, widget=forms.URLInput())
    datasets = NeededText(
        label=gettext_lazy("Datasets it uses"), max_length=2000,
        help_text=gettext_lazy("The resource codes of the open datasets, separated by commas or spaces, "
                               "e.g. 330106-SJ-00101."))


def _codes(text: str) -> list[str]:
    return [code for code in re.split(r"[\s,，、;；]+", text or "") if code]


@require_GET
def showcase_list(request):
    """应用展示: the published reuses of open data and the datasets each uses."""
    return render(request, "opendata/community/showcase_list.html", {"showcases": selectors.showcases_published()})


@account_required
@require_http_methods(["GET", "POST"])
def showcase_new(request):
    form = ShowcaseForm(request.POST or None, initial={"datasets": request.GET.get("dataset", "")})
    if request.method == "POST" and form.is_valid():
        try:
            services.showcase_submit(
                submitter_user=request.user, title=form.cleaned_data["title"],
                description=form.cleaned_data["description"], url=form.cleaned_data["url"],
                resource_codes=_codes(form.cleaned_data["datasets"]),
            )
        except ValidationError as error:
            service_errors_add(form, error)
        else:
            messages.success(request, _("Thank you: your showcase is sent for review and appears here once published."))
            return redirect("opendata:community-showcases")
    return render(request, "opendata/community/showcase_new.html", {"form": form},
                  status=400 if request.method == "POST" and form.errors else 200)


# --- the openness index -------------------------------------------------------------------------


@require_GET
def openness_index_page(request):
    """开放指数: departments ranked by openness and quality, with the method."""
    return render(request, "opendata/community/index.html", {
        "entries": openness_index(),
        "weights": [(name, weight, label) for name, (weight, label) in WEIGHTS.items()],
        "criteria": list(METADATA_CRITERIA.values()), "min_description": MIN_DESCRIPTION,
        "answer_days": selectors.answer_days(),
    })
