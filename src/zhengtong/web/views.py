"""Shared pages: the portal home, the workspace home, text size, the component style guide, and a
department's webhook subscriptions (kernel.events has no pages of its own)."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengtong.kernel.identity.decorators import staff_required
from zhengtong.kernel.events.public import (
    WebhookSubscriptionNotFound,
    access_webhook_subscription,
    webhook_deliveries_list,
    webhook_deliveries_redeliver,
    webhook_subscription_create,
    webhook_subscription_deactivate,
    webhook_subscription_list,
)
from zhengtong.kernel.identity.public import AccountKind
from zhengtong.kernel.loops.public import case_summary_for_department
from zhengtong.kernel.masking.public import mask_value
from zhengtong.kernel.org.public import Role, department_get, division_get

from .context_processors import LARGE_TEXT_COOKIE
from .forms import ComponentsExampleForm, WebhookSubscriptionForm

# A preference, not a secret: kept for a year so a returning older user need not set it again.
LARGE_TEXT_COOKIE_AGE = timedelta(days=365)


@dataclass(frozen=True)
class SummaryRow:
    label: str
    value: str


def portal_home(request):
    """门户首页: a welcome for visitors; for a signed-in citizen or company, its masked real-name record."""
    user = request.user
    rows: list[SummaryRow] = []
    if user.is_authenticated and user.kind == AccountKind.CITIZEN:
        rows = citizen_summary(user)
    elif user.is_authenticated and user.kind == AccountKind.COMPANY:
        rows = company_summary(user)
    return render(request, "web/portal_home.html", {"summary_rows": rows})


def citizen_summary(user) -> list[SummaryRow]:
    # The account's own record only: the relation hangs off request.user, so no other person's
    # data can be reached from here.
    citizen = getattr(user, "citizen", None)
    if citizen is None:
        return []
    rows = [
        SummaryRow(_("Name"), mask_value("name", citizen.name)),
        SummaryRow(_("Resident ID number"), mask_value("resident_id", citizen.resident_id)),
    ]
    if citizen.mobile:
        rows.append(SummaryRow(_("Mobile"), mask_value("mobile", citizen.mobile)))
    return rows


def company_summary(user) -> list[SummaryRow]:
    company = getattr(user, "company", None)
    if company is None:
        return []
    # A company's name and credit code are public registration facts; its representative is a person.
    return [
        SummaryRow(_("Company name"), company.name),
        SummaryRow(_("Unified social credit code"), company.uscc),
        SummaryRow(_("Kind"), company.get_kind_display()),
        SummaryRow(_("Legal representative"), mask_value("name", company.legal_representative.name)),
    ]


@staff_required
def workspace_home(request):
    """工作台首页: who the officer is and how their department's cases stand."""
    actor = request.actor
    department = department_get(actor.department_id) if actor.department_id else None
    division = division_get(actor.division_code) if actor.division_code else None
    context = {
        "staff_name": request.user.display_name or request.user.username,
        "department": department,
        "division": division,
        # In the order the roles are defined, so the list reads the same on every visit.
        "role_labels": [role.label for role in Role if role.value in actor.roles],
        "case_summary": case_summary_for_department(department.id) if department else None,
        "is_big_data_admin": actor.is_superuser or actor.has_role(Role.BIG_DATA_ADMIN),
        "may_subscribe": actor.has_role(Role.DATA_OFFICER) or actor.has_role(Role.BIG_DATA_ADMIN),
    }
    return render(request, "web/workspace_home.html", context)


@require_POST
def large_text_set(request):
    """Large-text mode (大字版) on or off, remembered in a cookie; back to the page it came from."""
    enabled = request.POST.get("large_text") == "1"
    next_url = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    if not safe:
        next_url = reverse("web:portal-home")
    response = redirect(next_url)
    response.set_cookie(
        LARGE_TEXT_COOKIE,
        "1" if enabled else "0",
        max_age=LARGE_TEXT_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def components(request):
    """The component style guide: each shared component in its states, with how to include it."""
    example_form = ComponentsExampleForm(data={})
    example_form.is_valid()
    example_form.add_error(None, _("This is how an error about the whole form looks."))
    page_obj = Paginator(range(1, 31), 10).get_page(request.GET.get("page"))
    context = {
        "example_form": example_form,
        "page_obj": page_obj,
        # Masked the way the portal masks a real record.
        "example_rows": [
            SummaryRow(_("Name"), mask_value("name", "张三")),
            SummaryRow(_("Resident ID number"), mask_value("resident_id", "110102199101010078")),
        ],
        "table_head": [_("Case number"), _("Service"), _("Days left")],
        "table_rows": [
            ["ZT-2025-000101", _("Birth registration"), "3"],
            ["ZT-2025-000102", _("Business licence change"), "12"],
        ],
    }
    return render(request, "web/components.html", context)


@staff_required
def webhook_list(request):
    """数据订阅: the department's webhook endpoints, and a form to add one (the secret is shown once)."""
    actor = request.actor
    # Only the department's data officers and big-data administrators: PermissionDenied (403) otherwise.
    subscriptions = webhook_subscription_list(actor=actor, department_id=actor.department_id)
    form = WebhookSubscriptionForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = webhook_subscription_create(
                actor=actor, department_id=actor.department_id, events=form.cleaned_data["events"],
                url=form.cleaned_data["url"], description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]:
                form.add_error(field if field in form.fields else None, messages)
        else:
            subscriptions = webhook_subscription_list(actor=actor, department_id=actor.department_id)
            form = WebhookSubscriptionForm()
    return render(request, "web/webhook_list.html", {
        "subscriptions": subscriptions, "form": form, "created": created,
        "department": department_get(actor.department_id) if actor.department_id else None,
    }, status=400 if request.method == "POST" and created is None else 200)


@staff_required
def webhook_detail(request, subscription_id):
    """One endpoint: its recent deliveries, resending dead ones, switching it off."""
    actor = request.actor
    try:
        subscription = access_webhook_subscription(actor=actor, subscription_id=subscription_id)
    except (WebhookSubscriptionNotFound, PermissionDenied):
        # Another department's endpoint is as unknown to the caller as one that does not exist.
        raise Http404 from None
    message = ""
    if request.method == "POST":
        if request.POST.get("action") == "deactivate":
            subscription = webhook_subscription_deactivate(actor=actor, subscription_id=subscription.id)
            message = _("The subscription is switched off; nothing more will be sent to it.")
        elif request.POST.get("action") == "redeliver":
            count = webhook_deliveries_redeliver(actor=actor, subscription_id=subscription.id)
            message = _("%(count)s failed deliveries will be sent again.") % {"count": count}
    deliveries = webhook_deliveries_list(actor=actor, subscription_id=subscription.id, limit=100)
    return render(request, "web/webhook_detail.html", {
        "subscription": subscription, "deliveries": deliveries, "message": message,
    })
