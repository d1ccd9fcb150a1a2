"""Authentication backend: one login name per account, normalised the way the IDs are.

Citizens type their resident ID, companies their unified social credit code, staff a login name.
An 18-digit string can be either an ID or an all-digit credit code, so every reading is tried.
"""

from django.contrib.auth.backends import ModelBackend

from zhengtong.kernel.crypto.public import blind_index
from zhengtong.kernel.ids.public import IdValidationError, resident_id_parse

from .models import CITIZEN_LOGIN_PURPOSE


def normalise_login_name(username: str) -> str:
    """Resident IDs and credit codes are case-insensitive (x/X); staff login names are lower case."""
    username = (username or "").strip()
    if len(username) in (15, 18) and username.isalnum():
        return username.upper()
    return username.lower()


def citizen_login_key(resident_id: str) -> str:
    """The User.username of a citizen: a keyed hash, so the accounts table holds no resident ID."""
    return "rid:" + blind_index(resident_id.upper(), purpose=CITIZEN_LOGIN_PURPOSE)


def login_candidates(login_name: str) -> list[str]:
    """The User.username values a typed login name may stand for, the likeliest first."""
    name = normalise_login_name(login_name)
    candidates = []
    try:
        # A valid resident ID (15-digit legacy IDs too) is a citizen's login.
        candidates.append(citizen_login_key(resident_id_parse(name).number))
    except IdValidationError:
        pass
    if len(name) == 18 and name.isalnum():
        candidates.append(name)  # a unified social credit code: public, stored as typed
    return candidates or [name]


def lockout_username(request, credentials) -> str:
    """What django-axes counts failures under: the same key as the account, never a plain ID."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = request.POST.get("username", "")
    return login_candidates(typed or "")[0]


class AccountBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        for candidate in login_candidates(username):
            user = super().authenticate(request, username=candidate, password=password, **kwargs)
            if user is not None:
                return user
        return None
