"""开发者中心: a developer's own keys (list, create, revoke) and their usage, and how to call the
open API. For signed-in citizens, companies and staff (staff with the second factor verified);
anyone else is sent to the sign-in page. A key of someone else is a 404, as one that does not exist.
"""

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from zhengtong.kernel.identity.public import AccountKind

from . import keys, usage
from .errors import OpenDataError
from .models import DeveloperKey, OpenDataset, OpenTier

USAGE_DAYS = 30
EXAMPLE_CODE = "330106-SJ-00101"


def developer_required(view_func):
    """A signed-in citizen, company or (verified) staff member."""

    @wraps(view_func)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and user.kind == AccountKind.STAFF:
            if settings.STAFF_REQUIRE_TOTP and not user.is_verified():
                return redirect_to_login(request.get_full_path(), reverse("identity:staff-login"))
        elif not (user.is_authenticated and user.kind in (AccountKind.CITIZEN, AccountKind.COMPANY)):
            return redirect_to_login(request.get_full_path(), reverse("identity:login"))
        return view_func(request, *args, **kwargs)

    return wrapped


class KeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Key name"), max_length=keys.NAME_MAX_LENGTH,
        help_text=gettext_lazy("What the key is for, e.g. the app that uses it. Only you see it."),
        error_messages={"required": gettext_lazy("Give the key a name, so you can tell your keys apart.")},
    )


def _render(request, template, context, status=200):
    return render(request, f"opendata/developer/{template}", {"section": template.split(".")[0], **context},
                  status=status)


def _status(key: DeveloperKey, now) -> tuple[str, str]:
    if key.revoked_at is not None:
        return _("Revoked"), "danger"
    if key.expires_at is not None and key.expires_at <= now:
        return _("Expired"), "warning"
    return pgettext("developer key", "Active"), "success"


def _example_code() -> str:
    """A dataset a newcomer can call at once: one open to everyone, with data."""
    dataset = (OpenDataset.objects.filter(tier=OpenTier.OPEN).exclude(formats="")
               .order_by("resource_code").values_list("resource_code", flat=True).first())
    return dataset or EXAMPLE_CODE


def _how_to(request) -> dict:
    code = _example_code()
    base = request.build_absolute_uri("/").rstrip("/")
    return {
        "example_code": code,
        "records_example": f'curl -H "Authorization: Key zto_xxxxxxxx_…" \\\n'
                           f'  "{base}/api/v1/open/datasets/{code}/records?limit=10"',
        "search_example": f'curl "{base}/api/v1/open/datasets?q=%E9%A3%9F%E5%93%81&limit=5"',
        "usage_example": f'curl -H "Authorization: Key zto_xxxxxxxx_…" "{base}/api/v1/open/usage"',
        "docs_url": reverse("api-docs"),
    }


@developer_required
@require_GET
def developer_home(request):
    """My keys, and how to call the API."""
    now = timezone.now()
    rows = [(key, *_status(key, now)) for key in keys.developer_key_list(owner=request.user)]
    active = sum(1 for _key, _label, tone in rows if tone == "success")
    return _render(request, "home.html", {
        "rows": rows, "active": active, "max_active": keys.MAX_ACTIVE_KEYS, **_how_to(request),
    })


@developer_required
@never_cache
@require_http_methods(["GET", "POST"])
def developer_key_create(request):
    """Name a new key; the answer shows the full key, once."""
    form = KeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key, full_key = keys.developer_key_create(owner=request.user, name=form.cleaned_data["name"])
        except OpenDataError as error:
            form.add_error("name" if error.code == "bad_request" else None, error.message)
        else:
            # Rendered, not redirected: the full key exists only in this answer (never_cache keeps
            # it out of caches), and a reload must not show it again.
            return _render(request, "key_created.html", {"key": key, "full_key": full_key, **_how_to(request)})
    return _render(request, "key_new.html", {"form": form}, status=400 if form.errors else 200)


def _own_key(request, key_id) -> DeveloperKey:
    try:
        return keys.developer_key_get(owner=request.user, key_id=key_id)
    except DeveloperKey.DoesNotExist:
        raise Http404 from None


@developer_required
@require_http_methods(["GET", "POST"])
def developer_key_revoke(request, key_id):
    """Confirm, then revoke one of my keys."""
    key = _own_key(request, key_id)
    if request.method == "POST" and key.revoked_at is None:
        keys.developer_key_revoke(owner=request.user, key_id=key.public_id)
        messages.success(request, _("The key %(prefix)s (%(name)s) is revoked: calls with it are refused from now on.")
                         % {"prefix": key.prefix, "name": key.name})
        return redirect("opendata:developer-home")
    return _render(request, "key_revoke.html", {"key": key})


@developer_required
@require_GET
def developer_key_usage(request, key_id):
    """One key's calls and rows per day and dataset over the last 30 days."""
    key = _own_key(request, key_id)
    summary = usage.usage_key_summary(key.prefix, days=USAGE_DAYS)
    return _render(request, "key_usage.html", {"key": key, "summary": summary, "calls_today": keys.key_calls_today(key)})
