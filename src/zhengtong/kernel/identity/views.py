"""Sign-in pages (portal and staff), sign-out, and the development-only demo sign-in."""

import uuid
from dataclasses import dataclass

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from .forms import PortalLoginForm, StaffLoginForm
from .models import AccountKind, Citizen, Company, StaffMember, User


@dataclass(frozen=True)
class DemoAccount:
    public_id: uuid.UUID
    name: str
    detail: str


# The demo page lists at most this many accounts of each kind: enough to pick from, cheap to render.
DEMO_ACCOUNTS_PER_KIND = 50
# Who logs in through the demo page is decided by the account itself, so the backend is fixed.
ACCOUNT_BACKEND = "zhengtong.kernel.identity.backends.AccountBackend"


def safe_next_url(request) -> str:
    """The "next" page if it is on this site, else "": never an open redirect."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return next_url
    return ""


def sign_in(request, *, form_class, page: dict, default_next: str):
    form = form_class(request, data=request.POST if request.method == "POST" else None)
    next_url = safe_next_url(request)
    if request.method == "POST" and form.is_valid():
        login(request, form.user)
        if form.device is not None:
            # Marks the session as verified by the second factor: request.user.is_verified().
            django_otp.login(request, form.device)
        return redirect(next_url or reverse(default_next))
    # Only a "next" that passed the check is carried in the form.
    return render(request, "identity/login.html", {"form": form, "next_url": next_url, **page})


PORTAL_PAGE = {
    "page_title": gettext_lazy("Sign in"),
    "page_intro": gettext_lazy("For residents and businesses."),
    "other_page_url_name": "identity:staff-login",
    "other_page_text": gettext_lazy("Government staff sign in here"),
}
STAFF_PAGE = {
    "page_title": gettext_lazy("Staff sign-in"),
    "page_intro": gettext_lazy("For government staff. You need your password and your authenticator app."),
    "other_page_url_name": "identity:login",
    "other_page_text": gettext_lazy("Residents and businesses sign in here"),
}


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def portal_login(request):
    """个人和法人登录: resident ID or unified social credit code, and password."""
    return sign_in(request, form_class=PortalLoginForm, page=PORTAL_PAGE, default_next="web:portal-home")


@sensitive_post_parameters("password", "otp_token")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def staff_login(request):
    """工作人员登录: account name, password and a TOTP code (两种以上鉴别, 等保 level 3)."""
    return sign_in(request, form_class=StaffLoginForm, page=STAFF_PAGE, default_next="web:workspace-home")


@require_POST
def logout_view(request):
    """Sign out (POST only, so a link or an image elsewhere cannot sign anyone out)."""
    logout(request)
    messages.success(request, _("You have signed out."))
    return redirect("web:portal-home")


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def demo_login(request):
    """Development only: sign in as any listed account without a password or code.

    The URL is mounted only when DEBUG is on, and the view checks again, so a URLconf that
    includes it by mistake still cannot open it in production.
    """
    if not settings.DEBUG:
        raise Http404
    if request.method == "POST":
        try:
            public_id = uuid.UUID(request.POST.get("account", ""))
        except ValueError:
            raise Http404 from None
        user = User.objects.filter(public_id=public_id, is_active=True).first()
        if user is None:
            raise Http404
        login(request, user, backend=ACCOUNT_BACKEND)
        if user.kind == AccountKind.STAFF:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
            if device is not None:
                django_otp.login(request, device)
            return redirect("web:workspace-home")
        return redirect("web:portal-home")
    staff = [
        DemoAccount(
            member.user.public_id,
            member.name,
            "{} · {}".format(
                member.department.name, "、".join(p.get_role_display() for p in member.positions.all()) or "—"
            ),
        )
        for member in StaffMember.objects.filter(user__is_active=True)
        .select_related("user", "department")
        .prefetch_related("positions")
        .order_by("department__code", "name")[:DEMO_ACCOUNTS_PER_KIND]
    ]
    # Citizens by name only: even demo pages do not print resident ID numbers in full.
    citizens = [
        DemoAccount(citizen.user.public_id, citizen.name, "")
        for citizen in Citizen.objects.filter(user__is_active=True)
        .select_related("user")
        .order_by("id")[:DEMO_ACCOUNTS_PER_KIND]
    ]
    companies = [
        DemoAccount(company.user.public_id, company.name, company.uscc)
        for company in Company.objects.filter(user__is_active=True)
        .select_related("user")
        .order_by("id")[:DEMO_ACCOUNTS_PER_KIND]
    ]
    groups = [
        (_("Staff"), staff),
        (_("Residents"), citizens),
        (_("Businesses"), companies),
    ]
    return render(request, "identity/demo_login.html", {"groups": groups})
