from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_noop

from zhengtong.kernel.identity.public import AccountKind
from zhengtong.kernel.masking.public import mask_value

LARGE_TEXT_COOKIE = "zt_large_text"
# settings.PLATFORM_NAME is gettext_lazy("Zhengtong"); settings have no catalogue of their own, so
# the message is declared here for makemessages and translated in web's catalogue.
gettext_noop("Zhengtong")


def platform(request):
    """Values every page needs: the platform name, large-text mode, the demo sign-in link (only
    in development), which part of the site the page belongs to and the signed-in account's name."""
    return {
        "platform_name": settings.PLATFORM_NAME,
        "large_text": request.COOKIES.get(LARGE_TEXT_COOKIE) == "1",
        "demo_login_enabled": settings.DEBUG,
        "demo_login_url": demo_login_url(),
        "site_section": "workspace" if request.path.startswith(reverse("web:workspace-home")) else "portal",
        "account_label": account_label(getattr(request, "user", None)),
    }


def demo_login_url() -> str:
    if not settings.DEBUG:
        return ""
    try:
        return reverse("dev:demo-login")
    except NoReverseMatch:
        # The dev URLs are mounted when the URLconf loads; DEBUG switched on later has none.
        return ""


def account_label(user) -> str:
    """The name shown in the header. A citizen's real name is personal data and the header is on
    every page (and every shared screen), so it is masked there; staff and company names are not."""
    if user is None or not user.is_authenticated:
        return ""
    if user.kind == AccountKind.CITIZEN:
        return mask_value("name", user.display_name)
    return user.display_name or user.username
