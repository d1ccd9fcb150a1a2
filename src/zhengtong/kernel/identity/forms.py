"""Sign-in forms for the portal (citizens and companies) and for staff (password and TOTP).

Both fail in one way only: whatever was wrong (no such account, wrong password, wrong code, or an
account of the other kind), the user sees the same message and django-axes counts one failure,
so neither the page nor the lockout tells an attacker which accounts exist.
"""

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from .backends import normalise_login_name
from .models import AccountKind

INVALID_LOGIN = _("The sign-in details you entered are not correct. Check them and try again.")


class LoginForm(forms.Form):
    """Shared checks; subclasses name the account kinds their page accepts."""

    account_kinds: tuple[str, ...] = ()

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password")},
    )

    def __init__(self, request, *args, **kwargs):
        # authenticate() needs the request: django-axes reads the client's address from it.
        self.request = request
        self.user = None
        self.device = None
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned_data = super().clean()
        if self.errors:
            # A field is empty or malformed: no sign-in was attempted, so nothing is counted.
            return cleaned_data
        # Normalised before axes sees it, so "ABC" and "abc" share one failure count.
        login_name = normalise_login_name(cleaned_data["username"])
        user = authenticate(self.request, username=login_name, password=cleaned_data["password"])
        if user is None:
            # authenticate() has already sent user_login_failed, which axes counts.
            raise forms.ValidationError(INVALID_LOGIN, code="invalid_login")
        if user.kind not in self.account_kinds or not self.second_factor_ok(user, cleaned_data):
            # The password was right but the sign-in is not: count it like any other failure.
            user_login_failed.send(sender=__name__, credentials={"username": login_name}, request=self.request)
            raise forms.ValidationError(INVALID_LOGIN, code="invalid_login")
        self.user = user
        return cleaned_data

    def second_factor_ok(self, user, cleaned_data) -> bool:
        return True


class PortalLoginForm(LoginForm):
    account_kinds = (AccountKind.CITIZEN, AccountKind.COMPANY)

    username = forms.CharField(
        label=_("ID number or unified social credit code"),
        help_text=_(
            "Residents: the 18 characters of your resident ID card. "
            "Businesses: the 18-character unified social credit code."
        ),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "characters"}
        ),
        error_messages={"required": _("Enter your ID number or unified social credit code")},
    )
    field_order = ["username", "password"]


class StaffLoginForm(LoginForm):
    account_kinds = (AccountKind.STAFF,)

    username = forms.CharField(
        label=_("Account name"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"}),
        error_messages={"required": _("Enter your account name")},
    )
    otp_token = forms.CharField(
        label=_("Verification code"),
        help_text=_("The 6-digit code your authenticator app shows now."),
        max_length=6,
        validators=[RegexValidator(r"^[0-9]{6}$", _("Enter the verification code as 6 digits"))],
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "class": "zt-input--code"}
        ),
        error_messages={"required": _("Enter the 6-digit verification code")},
    )
    field_order = ["username", "password", "otp_token"]

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        if not settings.STAFF_REQUIRE_TOTP:
            del self.fields["otp_token"]

    def second_factor_ok(self, user, cleaned_data) -> bool:
        if not settings.STAFF_REQUIRE_TOTP:
            return True
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
        if device is None:
            return False
        # verify_token checks this one device, inside a transaction, with django-otp's throttling
        # and its refusal to accept the same code twice.
        self.device = verify_token(user, device.persistent_id, cleaned_data["otp_token"])
        return self.device is not None
