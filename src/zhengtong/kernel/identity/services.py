"""Writes for accounts. Keyword-only, one transaction each."""

import secrets
from datetime import date

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhengtong.kernel.org.models import Department, Division
from zhengtong.kernel.org.services import position_get_or_create

from .authentication import api_key_hash
from .backends import citizen_login_key, normalise_login_name
from .models import AccountKind, ApiClient, Citizen, Company, StaffMember, User


@transaction.atomic
def citizen_create(
    *,
    resident_id: str,
    name: str,
    gender: str,
    birth_date: date,
    division: Division,
    address: str = "",
    mobile: str = "",
    password: str | None = None,
) -> Citizen:
    """A person; with a password they also get a login keyed by their resident ID."""
    user = None
    if password is not None:
        user = User.objects.create_user(
            citizen_login_key(resident_id), password, kind=AccountKind.CITIZEN, display_name=name
        )
    return Citizen.objects.create(
        resident_id=resident_id.upper(),
        name=name,
        gender=gender,
        birth_date=birth_date,
        division=division,
        address=address,
        mobile=mobile,
        user=user,
    )


@transaction.atomic
def company_create(
    *,
    uscc: str,
    name: str,
    kind: str,
    legal_representative: Citizen,
    division: Division,
    registered_on: date,
    address: str = "",
    password: str | None = None,
) -> Company:
    """A company; with a password it also gets a login keyed by its unified social credit code."""
    user = None
    if password is not None:
        user = User.objects.create_user(
            normalise_login_name(uscc), password, kind=AccountKind.COMPANY, display_name=name
        )
    return Company.objects.create(
        uscc=uscc.upper(),
        name=name,
        kind=kind,
        legal_representative=legal_representative,
        division=division,
        registered_on=registered_on,
        address=address,
        user=user,
    )


@transaction.atomic
def staff_create(
    *,
    username: str,
    name: str,
    department: Department,
    roles: list[str],
    password: str,
    totp_key: str | None = None,
) -> StaffMember:
    """A staff account in one department with one position per role and a confirmed TOTP device."""
    user = User.objects.create_user(
        normalise_login_name(username), password, kind=AccountKind.STAFF, display_name=name
    )
    member = StaffMember.objects.create(user=user, name=name, department=department)
    member.positions.set([position_get_or_create(department=department, role=role) for role in roles])
    TOTPDevice.objects.create(
        user=user, name="default", confirmed=True, key=totp_key or secrets.token_hex(20)
    )
    return member


@transaction.atomic
def api_client_create(
    *, name: str, department: Department | None, scopes: list[str]
) -> tuple[ApiClient, str]:
    """Register a system as an API client. Returns the client and its key, shown only this once."""
    prefix = secrets.token_hex(6)
    key = f"zt_{prefix}_{secrets.token_urlsafe(32).replace('_', '-')}"
    client = ApiClient.objects.create(
        name=name, department=department, key_prefix=prefix, key_hash=api_key_hash(key), scopes=sorted(set(scopes))
    )
    return client, key


@transaction.atomic
def api_client_revoke(*, client: ApiClient) -> None:
    client.is_active = False
    client.save(update_fields=["is_active"])
