"""Consent (GovStack Consent): a person's or company's authorization of a third-party system.

A citizen (or a company) signed in lets one system — a bank, an insurer — read the records of
some sharing services about them, some fields, for one purpose, until a date at most a year away.
The gateway asks consent_find() on every call beyond a grant; a revocation sets revoked_at and
takes effect on the very next call. Giving and revoking are written to the ledger under the
person's subject ref, so they show in the person's own access log.
"""

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.identity.models import ApiClient, Citizen, Company
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ledger.public import ledger_append

from .models import Consent, SharingService, SubjectKind
from .subjects import subject_ref as make_subject_ref

# The API-client scope a system needs before anyone may authorize it.
CONSENT_SCOPE = "consent"
PURPOSE_MAX_LENGTH = 500
CHINA = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class ConsentSubject:
    """Who is giving consent: the citizen or company signed in, and their subject ref."""

    kind: str  # SubjectKind
    subject_ref: str
    citizen_id: int | None
    company_id: int | None


@dataclass(frozen=True)
class ConsentServiceOption:
    code: str
    name: str
    department_name: str
    fields: tuple[tuple[str, str], ...]  # (name, title)


@dataclass(frozen=True)
class ConsentClientOption:
    id: int
    public_id: UUID
    name: str
    department_name: str


@dataclass(frozen=True)
class ConsentOptions:
    """What the person signed in may choose from when authorizing a system."""

    clients: tuple[ConsentClientOption, ...]
    services: tuple[ConsentServiceOption, ...]


def consent_subject(actor: Actor) -> ConsentSubject:
    """The citizen or company the actor is; PermissionDenied for anyone else."""
    if actor.kind == "citizen" and actor.citizen_id is not None:
        citizen = Citizen.objects.filter(pk=actor.citizen_id).only("id", "resident_id").first()
        if citizen is not None:
            ref = make_subject_ref(SubjectKind.PERSON, citizen.resident_id)
            return ConsentSubject(SubjectKind.PERSON, ref, citizen.id, None)
    if actor.kind == "company" and actor.company_id is not None:
        company = Company.objects.filter(pk=actor.company_id).only("id", "uscc").first()
        if company is not None:
            ref = make_subject_ref(SubjectKind.COMPANY, company.uscc)
            return ConsentSubject(SubjectKind.COMPANY, ref, None, company.id)
    raise PermissionDenied("only a signed-in citizen or company gives or revokes consent")


def actor_label(actor: Actor) -> str:
    """Who acted, as the ledger names them (the registry's convention)."""
    if actor.user_id is not None:
        return f"{actor.kind}:{actor.user_id}"
    return actor.kind


def _client_usable(client: ApiClient | None, now: datetime) -> bool:
    return (client is not None and client.is_active and CONSENT_SCOPE in (client.scopes or [])
            and (client.expires_at is None or client.expires_at > now))


def consent_clients() -> list[ApiClient]:
    """The systems a person may authorize: active API clients with the "consent" scope."""
    now = timezone.now()
    # Scopes are a JSON list; SQLite has no JSON containment lookup, so the (few) clients are
    # filtered here rather than in SQL.
    clients = ApiClient.objects.filter(is_active=True).select_related("department").order_by("name", "id")
    return [c for c in clients if _client_usable(c, now)]


def consent_options(*, actor: Actor) -> ConsentOptions:
    """The systems and services the citizen or company signed in may choose from."""
    subject = consent_subject(actor)
    services = (SharingService.objects.filter(is_active=True, subject_kind=subject.kind)
                .select_related("owner_department").order_by("code"))
    return ConsentOptions(
        clients=tuple(ConsentClientOption(c.id, c.public_id, c.name, c.department.name if c.department_id else "")
                      for c in consent_clients()),
        services=tuple(ConsentServiceOption(
            s.code, s.name, s.owner_department.name,
            tuple((f["name"], f.get("title") or f["name"]) for f in s.fields),
        ) for s in services),
    )


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def consent_give(*, actor: Actor, api_client_id: int, service_codes: list[str], fields: list[str], purpose: str,
                 expires_at: datetime, version: int = 1) -> Consent:
    """The citizen or company signed in authorizes the system (ledger: share.consent.given).

    Raises PermissionDenied for anyone but a signed-in citizen or company, and ValidationError
    with a message per bad field ("api_client", "services", "fields", "purpose", "expires_at");
    nothing is saved unless all are good."""
    subject = consent_subject(actor)
    now = timezone.now()
    errors: dict[str, list] = {}

    client = ApiClient.objects.filter(pk=api_client_id).select_related("department").first()
    if not _client_usable(client, now):
        errors.setdefault("api_client", []).append(
            _("Choose a system that may be authorized: this one is unknown, switched off or not open to personal authorizations."))

    codes = list(dict.fromkeys(c.strip() for c in service_codes or () if c and c.strip()))
    services = {s.code: s for s in SharingService.objects.filter(code__in=codes)}
    if not codes:
        errors.setdefault("services", []).append(_("Choose at least one service."))
    for code in codes:
        service = services.get(code)
        if service is None or not service.is_active:
            errors.setdefault("services", []).append(
                _("There is no active service “%(code)s”.") % {"code": code})
        elif service.subject_kind != subject.kind:
            errors.setdefault("services", []).append(
                _("The service “%(name)s” holds no data about you, so it cannot be authorized.")
                % {"name": service.name})
    offered: list[str] = []
    for code in codes:
        if code in services:
            offered += [f["name"] for f in services[code].fields if f["name"] not in offered]
    wanted = list(dict.fromkeys(f.strip() for f in fields or () if f and f.strip()))
    if not wanted:
        errors.setdefault("fields", []).append(_("Choose at least one field."))
    elif "services" not in errors:
        unknown = [f for f in wanted if f not in offered]
        if unknown:
            errors.setdefault("fields", []).append(
                _("The services you chose do not have the field(s) %(fields)s.") % {"fields": "、".join(unknown)})
    wanted = [f for f in offered if f in wanted]  # in the services' own order

    purpose = (purpose or "").strip()
    if not purpose:
        errors.setdefault("purpose", []).append(_("Say what the system may use your data for."))
    elif len(purpose) > PURPOSE_MAX_LENGTH:
        errors.setdefault("purpose", []).append(
            _("The purpose must be at most %(limit)s characters.") % {"limit": PURPOSE_MAX_LENGTH})

    if expires_at is None or timezone.is_naive(expires_at):
        errors.setdefault("expires_at", []).append(_("Give the date the authorization ends."))
    elif expires_at <= now:
        errors.setdefault("expires_at", []).append(_("The authorization must end in the future."))
    elif timezone.localdate(expires_at, CHINA) > _one_year_after(timezone.localdate(now, CHINA)):
        errors.setdefault("expires_at", []).append(
            _("An authorization lasts at most one year: choose a date no later than %(date)s.")
            % {"date": _one_year_after(timezone.localdate(now, CHINA)).isoformat()})

    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        errors.setdefault("version", []).append(_("The consent text version must be a whole number from 1."))

    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        consent = Consent.objects.create(
            subject_kind=subject.kind, subject_ref=subject.subject_ref, citizen_id=subject.citizen_id,
            company_id=subject.company_id, api_client=client, fields=wanted, purpose=purpose, version=version,
            expires_at=expires_at,
        )
        consent.services.set([services[c] for c in codes])
        consent.ledger_leaf = ledger_append(
            kind="share.consent.given", subject=subject.subject_ref, actor=actor_label(actor), payload={
                "consent": str(consent.public_id), "api_client": client.name,
                "api_client_id": str(client.public_id), "services": codes, "fields": wanted, "purpose": purpose,
                "version": version, "expires_at": expires_at.isoformat(),
            })
        consent.save(update_fields=["ledger_leaf"])
    return consent


def _owned_by(actor: Actor) -> dict:
    subject = consent_subject(actor)
    if subject.citizen_id is not None:
        return {"citizen_id": subject.citizen_id}
    return {"company_id": subject.company_id}


def consent_revoke(*, actor: Actor, consent_id) -> Consent:
    """Effective at once: the system's next call fails (ledger: share.consent.revoked).

    `consent_id` is the consent's public id (or its database id). Only its giver may revoke it:
    anyone else's consent is Consent.DoesNotExist, as one that does not exist. A consent already
    revoked, or expired, is a ValidationError and nothing changes."""
    owner = _owned_by(actor)
    lookup = {"pk": consent_id} if isinstance(consent_id, int) else {"public_id": consent_id}
    with transaction.atomic():
        try:
            consent = Consent.objects.select_for_update().get(**lookup, **owner)
        except (ValueError, ValidationError):  # not a UUID
            raise Consent.DoesNotExist from None
        now = timezone.now()
        if consent.revoked_at is not None:
            raise ValidationError(
                _("This authorization was already revoked at %(revoked_at)s."),
                code="already_revoked",
                params={"revoked_at": timezone.localtime(consent.revoked_at, CHINA).strftime("%Y-%m-%d %H:%M")},
            )
        if consent.expires_at <= now:
            raise ValidationError(
                _("This authorization already ended at %(expired_at)s: there is nothing to revoke."),
                code="expired",
                params={"expired_at": timezone.localtime(consent.expires_at, CHINA).strftime("%Y-%m-%d %H:%M")},
            )
        consent.revoked_at = now
        consent.save(update_fields=["revoked_at"])
        ledger_append(kind="share.consent.revoked", subject=consent.subject_ref, actor=actor_label(actor), payload={
            "consent": str(consent.public_id), "api_client": consent.api_client.name,
            "api_client_id": str(consent.api_client.public_id),
            "services": sorted(consent.services.values_list("code", flat=True)), "revoked_at": now.isoformat(),
        })
    return consent


def consents_of(*, actor: Actor):
    """The consents the citizen or company signed in has given, newest first (with their system
    and services loaded)."""
    return list(Consent.objects.filter(**_owned_by(actor)).select_related("api_client")
                .prefetch_related("services").order_by("-created_at", "-id"))


def consent_find(*, api_client_id: int, subject_ref: str, service_id: int) -> Consent | None:
    """The consent that decides a call: an active one covering the service if any, else the most
    recent one (revoked or expired, so the gateway can say which), else None."""
    consents = Consent.objects.filter(api_client_id=api_client_id, subject_ref=subject_ref, services__id=service_id)
    active = consents.filter(revoked_at__isnull=True, expires_at__gt=timezone.now()).order_by("-created_at", "-id")
    return active.first() or consents.order_by("-created_at", "-id").first()
