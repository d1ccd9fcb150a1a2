from django.conf import settings


def platform(request):
    """Values every page needs: the platform name, large-text mode, whether demo login is on."""
    return {
        "platform_name": settings.PLATFORM_NAME,
        "large_text": request.COOKIES.get("zt_large_text") == "1",
        "demo_login_enabled": settings.DEBUG,
    }
