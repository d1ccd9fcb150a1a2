"""Authentication backend: one login name per account, normalised the way the IDs are."""

from django.contrib.auth.backends import ModelBackend


def normalise_login_name(username: str) -> str:
    """Resident IDs and credit codes are case-insensitive (x/X); staff login names are lower case."""
    username = (username or "").strip()
    if len(username) == 18 and username[:17].isalnum():
        return username.upper()
    return username.lower()


class AccountBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        return super().authenticate(request, username=normalise_login_name(username), password=password, **kwargs)
