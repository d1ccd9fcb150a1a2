"""Access decorators for pages: who may open a page is decided here, before the view runs."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from .models import AccountKind
from .public import actor_from_user


def staff_required(view=None, *, roles: tuple[str, ...] = ()):
    """Staff only, with the second factor verified; with roles, at least one of them.

    Sets request.actor for the view. Anyone else is sent to the staff login page, and a staff
    member without the role gets 403.
    """

    def decorate(view_func):
        @wraps(view_func)
        def wrapped(request, *args, **kwargs):
            user = request.user
            verified = user.is_authenticated and (not settings.STAFF_REQUIRE_TOTP or user.is_verified())
            if not (user.is_authenticated and user.kind == AccountKind.STAFF and verified):
                return redirect_to_login(request.get_full_path(), reverse("identity:staff-login"))
            actor = actor_from_user(user)
            if roles and not (actor.is_superuser or actor.roles.intersection(roles)):
                raise PermissionDenied
            request.actor = actor
            return view_func(request, *args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate


def account_required(view_func):
    """A logged-in citizen or company (the portal's own pages). Sets request.actor."""

    @wraps(view_func)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.kind in (AccountKind.CITIZEN, AccountKind.COMPANY)):
            return redirect_to_login(request.get_full_path(), reverse("identity:login"))
        request.actor = actor_from_user(user)
        return view_func(request, *args, **kwargs)

    return wrapped
