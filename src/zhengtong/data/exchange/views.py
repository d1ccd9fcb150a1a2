"""Pages of the sharing directory (共享交换): the directory, a service, the basket, requests and
their decisions, grants, the meter. Server-rendered plain forms: they all work without JavaScript."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from zhengtong.kernel.events.public import WebhookSubscriptionNotFound, access_webhook_subscription
from zhengtong.kernel.identity.decorators import staff_required

from . import permissions, selectors, services
from .forms import (
    SHARE_TYPES,
    BasketForm,
    DecisionForm,
    DirectorySearchForm,
    GrantChangeForm,
    MeterForm,
    RevokeForm,
    SubscribeForm,
    service_errors_add,
)
from .models import ItemStatus, RequestItem, SharingGrant, SharingRequest, SharingService
from .services import SHANGHAI

PAGE_SIZE = 50
MASKING_LABELS = {
    "plain": gettext_lazy("Shown as it is"),
    "credit_code": gettext_lazy("Shown as it is (a public registration code)"),
    "name": gettext_lazy("Masked: the surname is kept"),
    "resident_id": gettext_lazy("Masked: the first 1 and last 2 characters are kept"),
    "mobile": gettext_lazy("Masked: the first 3 and last 4 digits are kept"),
    "address": gettext_lazy("Masked: the last 8 characters are hidden"),
    "email": gettext_lazy("Masked: the first character and the domain are kept"),
    "bank_account": gettext_lazy("Masked: the last 4 digits are kept"),
    "free_text": gettext_lazy("Never given (shown as ***)"),
}
SHARE_TYPE_LABELS = dict(SHARE_TYPES)
# The catalog's words for its grades (GB/T 43697).
GRADE_LABELS = {"general": gettext_lazy("General data"), "important": gettext_lazy("Important data"),
                "core": gettext_lazy("Core data")}


def _nav(request) -> dict:
    """What the exchange's own navigation offers this officer."""
    actor = request.actor
    return {
        "nav_may_request": permissions.may_request(actor),
        "nav_awaiting": selectors.items_awaiting(actor=actor).count(),
        "now": timezone.now(),
    }


def _render(request, template: str, context: dict, status: int = 200):
    return render(request, template, {**_nav(request), **context}, status=status)


def _fields_view(service: SharingService) -> list[dict]:
    return [{**f, "masking_label": MASKING_LABELS.get(f.get("masking_kind", "plain"), f.get("masking_kind")),
             "masked": f.get("masking_kind", "plain") not in ("plain", "credit_code"),
             "filter": f["name"] in service.filter_fields, "group": f["name"] in service.group_fields,
             "measure": f["name"] in service.measure_fields} for f in service.fields]


# --- the directory -------------------------------------------------------------------------------


@staff_required
def directory(request):
    """共享目录: every service, searchable; officers pick several for one basket."""
    actor = request.actor
    form = DirectorySearchForm(request.GET or None, departments=selectors.service_owner_departments(actor=actor))
    filters = form.cleaned_data if form.is_valid() else {}
    found = selectors.service_list(actor=actor, q=filters.get("q", ""), department=filters.get("department"),
                                   share_type=filters.get("share_type", ""), kind=filters.get("kind", ""))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(request, "exchange/directory.html", {
        "form": form, "page_obj": page, "share_type_labels": SHARE_TYPE_LABELS, "grade_labels": GRADE_LABELS,
    })


@staff_required
def service_detail(request, code: str):
    try:
        service = selectors.access_service(actor=request.actor, code=code)
    except SharingService.DoesNotExist:
        raise Http404 from None
    return _render(request, "exchange/service_detail.html", {
        "service": service, "fields": _fields_view(service),
        "share_type_label": SHARE_TYPE_LABELS.get(service.share_type, service.share_type),
        "grade_label": GRADE_LABELS.get(service.grade, service.grade),
        "openapi_url": reverse("exchange-service-openapi", kwargs={"code": service.code}),
        "record_path": f"/api/v1/share/{service.code}/records/{{key}}",
        "k": getattr(settings, "SHARE_AGGREGATE_MIN_GROUP", 10),
    })


# --- baskets -------------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def request_new(request):
    """新建一揽子申请: the services chosen in the directory (or all), each with its fields, unmasked
    fields and rows, and the purpose, legal basis, expiry and system for the whole basket."""
    actor = request.actor
    if not permissions.may_request(actor):
        raise PermissionDenied
    chosen = set(request.GET.getlist("service"))
    shown = request.POST.getlist("shown") if request.method == "POST" else sorted(chosen)
    basket_services = selectors.services_for_basket(actor=actor, codes=shown)
    clients = selectors.api_clients_of_department(actor=actor)
    form = BasketForm(request.POST or None, services=basket_services, clients=clients,
                      scopes=selectors.row_scope_choices(actor=actor), chosen=chosen)
    if request.method == "POST" and form.is_valid():
        try:
            submitted = services.request_submit(
                actor=actor, api_client_id=form.cleaned_data["api_client"], purpose=form.cleaned_data["purpose"],
                legal_basis=form.cleaned_data["legal_basis"], expires_on=form.cleaned_data["expires_on"],
                items=form.items())
        except ValidationError as error:
            service_errors_add(form, error, form.error_mapping())
        else:
            messages.success(request, _("Your request is submitted; each owning department decides on its service."))
            return redirect("exchange:request", public_id=submitted.public_id)
    return _render(request, "exchange/request_new.html", {
        "form": form, "sections": form.sections(), "clients": clients, "shown": [s.code for s in basket_services],
    }, status=400 if form.errors else 200)


@staff_required
def request_list(request):
    """申请: the department's own baskets, and the items waiting for the officer's decision."""
    actor = request.actor
    page = Paginator(selectors.requests_mine(actor=actor), PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(request, "exchange/request_list.html", {
        "page_obj": page, "awaiting": list(selectors.items_awaiting(actor=actor)[:200]),
    })


@staff_required
@require_http_methods(["GET", "POST"])
def request_detail(request, public_id):
    """One basket: each item with its status and, for whoever decides it now, the decision form."""
    actor = request.actor
    try:
        basket = selectors.access_request(actor=actor, public_id=public_id)
    except SharingRequest.DoesNotExist:
        raise Http404 from None
    items = selectors.request_items(request=basket)
    posted_item = request.POST.get("item") if request.method == "POST" else None
    status = 200
    rows = []
    for item in items:
        step = services.decision_step(actor, item)
        form = None
        if step is not None:
            bound = str(item.public_id) == posted_item
            form = DecisionForm(request.POST if bound else None, prefix_id=str(item.public_id))
            if bound and form.is_valid():
                try:
                    services.item_decide(actor=actor, item_id=item.public_id,
                                         approve=form.cleaned_data["decision"] == "approve",
                                         note=form.cleaned_data["note"])
                except ValidationError as error:
                    service_errors_add(form, error)
                else:
                    messages.success(request, _("Your decision on “%(service)s” is recorded.")
                                     % {"service": item.service.name})
                    return redirect("exchange:request", public_id=basket.public_id)
            if bound and form.errors:
                status = 400
        titles = {f["name"]: f["title"] for f in item.service.fields}
        rows.append({"item": item, "step": step, "form": form, "grant": _grant_of(item),
                     "fields": [f"{titles.get(n, n)}（{n}）" for n in item.fields],
                     "clear_fields": [f"{titles.get(n, n)}（{n}）" for n in item.clear_fields]})
    if posted_item and not any(str(r["item"].public_id) == posted_item and r["form"] for r in rows):
        posted = next((r["item"] for r in rows if str(r["item"].public_id) == posted_item), None)
        if posted is not None and posted.status not in selectors.PENDING and services.may_have_decided(actor, posted):
            # A second click on a decision already recorded.
            messages.info(request, _("“%(service)s” is already decided.") % {"service": posted.service.name})
            return redirect("exchange:request", public_id=basket.public_id)
        raise PermissionDenied
    return _render(request, "exchange/request_detail.html", {"basket": basket, "rows": rows}, status=status)


def _grant_of(item: RequestItem) -> SharingGrant | None:
    if item.status != ItemStatus.APPROVED:
        return None
    return SharingGrant.objects.filter(item=item).first()


# --- grants --------------------------------------------------------------------------------------


@staff_required
def grant_list(request):
    """授权: what the department holds for its systems, and what it (or the bureau's division) gave."""
    actor = request.actor
    return _render(request, "exchange/grant_list.html", {
        "held": list(selectors.grants_held(actor=actor)[:200]),
        "given": list(selectors.grants_given(actor=actor)[:200]),
    })


@staff_required
@require_http_methods(["GET", "POST"])
def grant_detail(request, public_id):
    """One grant: what it allows, and — for whoever may — change it, revoke it, or subscribe to the
    service's changes (the signing secret is shown once)."""
    actor = request.actor
    try:
        grant = selectors.access_grant(actor=actor, public_id=public_id)
    except SharingGrant.DoesNotExist:
        raise Http404 from None
    action = request.POST.get("action") if request.method == "POST" else None
    active = services.grant_is_active(grant)
    may_change = active and services.may_change_grant(actor, grant)
    may_revoke = grant.revoked_at is None and services.may_revoke_grant(actor, grant)
    may_subscribe = active and services.may_subscribe_grant(actor, grant)
    if action and not {"change": may_change, "revoke": may_revoke, "subscribe": may_subscribe}.get(action):
        raise PermissionDenied
    change_form = GrantChangeForm(request.POST if action == "change" else None, grant=grant) if may_change else None
    revoke_form = RevokeForm(request.POST if action == "revoke" else None) if may_revoke else None
    subscribe_form = SubscribeForm(request.POST if action == "subscribe" else None) if may_subscribe else None
    created = None
    if action == "change" and change_form.is_valid():
        data = change_form.cleaned_data
        expires_on = data["expires_on"]
        same_day = expires_on == timezone.localtime(grant.expires_at, SHANGHAI).date()
        try:
            services.grant_change(
                actor=actor, grant_id=grant.public_id, fields=data["fields_kept"],
                clear_fields=data.get("clear_kept", []),
                expires_at=None if same_day else services.end_of_day(expires_on),
                rate_limit_per_minute=data["rate_limit_per_minute"])
        except ValidationError as error:
            service_errors_add(change_form, error, {"fields": "fields_kept", "clear_fields": "clear_kept",
                                                    "expires_at": "expires_on"})
        else:
            messages.success(request, _("The grant is changed; the next call follows it."))
            return redirect("exchange:grant", public_id=grant.public_id)
    elif action == "revoke" and revoke_form.is_valid():
        try:
            services.grant_revoke(actor=actor, grant_id=grant.public_id, reason=revoke_form.cleaned_data["reason"])
        except ValidationError as error:
            service_errors_add(revoke_form, error)
        else:
            messages.success(request, _("The grant is revoked: the system's next call is refused."))
            return redirect("exchange:grant", public_id=grant.public_id)
    elif action == "subscribe" and subscribe_form.is_valid():
        try:
            created = services.grant_subscribe(actor=actor, grant_id=grant.public_id,
                                               url=subscribe_form.cleaned_data["url"])
        except ValidationError as error:
            subscribe_form.add_error("url", error.messages)
        else:
            grant.refresh_from_db()
            subscribe_form = SubscribeForm()
    failed = any(f is not None and f.errors for f in (change_form, revoke_form, subscribe_form))
    titles = {f["name"]: f["title"] for f in grant.service.fields}
    return _render(request, "exchange/grant_detail.html", {
        "grant": grant, "active": active, "change_form": change_form, "revoke_form": revoke_form,
        "subscribe_form": subscribe_form, "created": created, "subscription": _subscription(actor, grant),
        "field_rows": [(name, titles.get(name, name)) for name in grant.fields],
    }, status=400 if failed else 200)


def _subscription(actor, grant: SharingGrant):
    if grant.webhook_subscription_id is None or not permissions.is_officer_of(actor, grant.consumer_department_id):
        return None
    try:
        return access_webhook_subscription(actor=actor, subscription_id=grant.webhook_subscription_id)
    except (WebhookSubscriptionNotFound, PermissionDenied):
        return None


# --- the meter -----------------------------------------------------------------------------------


@staff_required
def meter(request):
    """计量: calls per day, consumer and service, answered and refused, within the officer's scope."""
    actor = request.actor
    service_choices = [(s.code, s.name) for s in selectors.service_list(actor=actor)]
    form = MeterForm(request.GET or None, services=service_choices)
    data = form.cleaned_data if form.is_valid() else {}
    days = data.get("days") or 30
    rows = selectors.meter(actor=actor, days=days, service_code=data.get("service") or "")
    return _render(request, "exchange/meter.html", {
        "form": form, "rows": rows, "days": days,
        "total_ok": sum(r.ok for r in rows), "total_refused": sum(r.refused for r in rows),
    })
