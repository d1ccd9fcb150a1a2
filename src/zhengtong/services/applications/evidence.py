"""What the service platform fetches instead of asking for it (免提交): pre-fill values from the
registries and the evidence of materials, always through the sharing gateway
(`data.exchange.public.share_record`) as the service platform's own API client, so every read is
authorized by a sharing grant, masked as the grant says, logged in the ledger and shown to the
person in mydata's access log.

E-licences (LICENCE materials) live in a module to the right of applications; it plugs in through
`register_evidence_provider(source, func)` instead of being imported here.

Reads happen outside the callers' transactions: the gateway commits its own log of each call, so
the log says what left the registry even when the caller's write fails afterwards.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.data.exchange.public import Caller, ShareError, service_get, services_get, share_record
from zhengtong.data.registry.public import registry_lookup
from zhengtong.kernel.identity.models import ApiClient, Citizen, Company
from zhengtong.kernel.identity.public import Actor

logger = logging.getLogger(__name__)

SERVICE_PLATFORM_NAME = "浙江政务服务网（一网通办）"
# The service platform is run by the province's big-data bureau.
SERVICE_PLATFORM_DEPARTMENT = "330000-DSJ"
REGISTRY_SERVICE = {"person": "registry-person", "company": "registry-company"}
# Pre-filled from the applicant's real-name account when the registry has no record of them:
# the account was verified at sign-up, so these are never left for the applicant to type.
ACCOUNT_ATTRIBUTES = {"person": ("resident_id", "name"), "company": ("uscc", "name")}
# The applicant's own identifiers: pre-filled and read-only (an answer changing them is forged).
LOCKED_PREFILLS = frozenset({"person.resident_id", "company.uscc"})
# The registry shows gender as a word in the reader's language; forms store the code.
GENDER_CODES = {"男": "M", "女": "F", "male": "M", "female": "F", "m": "M", "f": "F"}


def service_platform_client() -> ApiClient:
    """The service platform's API client (the consumer of its sharing grants), made on first use."""
    from zhengtong.kernel.identity import services as identity_services
    from zhengtong.kernel.org.models import Department

    client = ApiClient.objects.filter(name=SERVICE_PLATFORM_NAME).order_by("id").first()
    if client is not None:
        return client
    with transaction.atomic():
        department = Department.objects.select_for_update().get(code=SERVICE_PLATFORM_DEPARTMENT)
        client = ApiClient.objects.filter(name=SERVICE_PLATFORM_NAME).order_by("id").first()
        if client is None:
            # Its key is never used: the platform calls the gateway in-process, not over HTTP.
            client, _key = identity_services.api_client_create(name=SERVICE_PLATFORM_NAME, department=department,
                                                               scopes=[])
    return client


def _caller(correlation_id: str, officer: str = "", lookups: "Lookups | None" = None) -> Caller:
    client = lookups.client() if lookups is not None else service_platform_client()
    return Caller(actor=Actor(kind="api_client", api_client_id=client.id, department_id=client.department_id),
                  correlation_id=correlation_id, officer=officer[:64], client_public_id=str(client.public_id),
                  client_name=client.name)


class Lookups:
    """What one submission looks up more than once and cannot change within it: the platform's
    API client, the applicant's registry ids, the sharing services. Only lookups are kept: every
    read of the person's data still goes through the gateway, and is logged, each time."""

    def __init__(self):
        self._client: ApiClient | None = None
        self._registry: dict[tuple[str, str], str] = {}
        self._services: dict[str, Any] = {}

    def client(self) -> ApiClient:
        if self._client is None:
            self._client = service_platform_client()
        return self._client

    def registry_id(self, kind: str, identifier: str) -> str:
        """The registry id of the active master holding the identifier ("" when none)."""
        if not identifier:
            return ""
        found = self._registry.get((kind, identifier))
        if found is None:
            ref = registry_lookup(kind=kind, **({"resident_id": identifier} if kind == "person"
                                               else {"uscc": identifier}))
            found = self._registry[(kind, identifier)] = ref.registry_id if ref is not None else ""
        return found

    def service(self, code: str):
        if code not in self._services:
            self._services[code] = service_get(code)
        return self._services[code]

    def services_prefetch(self, codes) -> None:
        """Look the services a submission will read up in one query instead of one each."""
        missing = [code for code in dict.fromkeys(codes) if code and code not in self._services]
        if missing:
            found = services_get(missing)
            for code in missing:
                self._services[code] = found.get(code)


# --- who applies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Applicant:
    """The applicant as the fetching needs them: their identifiers and registry subjects."""

    kind: str  # "citizen" or "company"
    user_id: int
    citizen_id: int | None
    company_id: int | None
    name: str
    resident_id: str  # the citizen's, or the company's legal representative's
    uscc: str  # "" for a citizen
    division_code: str
    birth_date: str  # YYYY-MM-DD of the person ("" for a company)

    def identifier(self, subject: str) -> str:
        return self.resident_id if subject == "person" else self.uscc


def applicant_of(actor: Actor) -> Applicant | None:
    """The applicant behind a citizen's or company's actor; None for anyone else."""
    if actor.kind == "citizen" and actor.citizen_id:
        citizen = Citizen.objects.select_related("division").filter(pk=actor.citizen_id).first()
        if citizen is None:
            return None
        return Applicant("citizen", actor.user_id, citizen.pk, None, citizen.name, citizen.resident_id, "",
                         citizen.division.code, citizen.birth_date.isoformat())
    if actor.kind == "company" and actor.company_id:
        company = (Company.objects.select_related("division", "legal_representative")
                   .filter(pk=actor.company_id).first())
        if company is None:
            return None
        representative = company.legal_representative
        return Applicant("company", actor.user_id, None, company.pk, company.name, representative.resident_id,
                         company.uscc, company.division.code, "")
    return None


# --- pre-fill -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prefill:
    """Values of one subject's registry attributes and where they came from."""

    values: dict[str, str]
    provenance: dict[str, dict]  # attribute → {"source", "label", "at", "changed"}


def _provenance(source: str, label: str, at: datetime) -> dict:
    return {"source": source, "label": label, "at": at.isoformat(), "changed": False}


def prefill_fetch(*, applicant: Applicant, subject: str, attributes: list[str], correlation_id: str,
                  lookups: Lookups | None = None) -> Prefill:
    """The subject's ("person" / "company") registry attributes, in plain, through the gateway.

    The person of a company's application is its legal representative. What the registry cannot
    give (no record, no grant) is left out, except the real-name identifiers of the account."""
    values: dict[str, str] = {}
    provenance: dict[str, dict] = {}
    now = timezone.now()
    lookups = lookups or Lookups()
    registry_id = lookups.registry_id(subject, applicant.identifier(subject))
    code = REGISTRY_SERVICE[subject]
    if registry_id and attributes:
        try:
            record = share_record(caller=_caller(correlation_id, lookups=lookups), service_code=code,
                                  key=registry_id, fields=attributes, plain=attributes)
        except ShareError as error:  # no grant (or no longer): the applicant types the answers
            logger.warning("pre-fill from %s refused: %s", code, error.code)
        else:
            service = lookups.service(code)
            title = service.name if service is not None else code
            for attribute in attributes:
                value = record.values.get(attribute)
                if value not in (None, ""):
                    values[attribute] = str(value)
                    provenance[attribute] = _provenance(code, title, now)
    account = {"resident_id": applicant.resident_id, "uscc": applicant.uscc,
               "name": applicant.name if (subject == "company") == (applicant.kind == "company") else ""}
    for attribute in ACCOUNT_ATTRIBUTES[subject]:
        if attribute in attributes and attribute not in values and account.get(attribute):
            values[attribute] = account[attribute]
            provenance[attribute] = _provenance("account", str(_("Real-name account")), now)
    return Prefill(values, provenance)


def prefill_value(value: str, *, kind: str, choices: tuple[tuple[str, str], ...]) -> str:
    """A fetched value as a form field of this kind holds it (a choice's code, not its word)."""
    if kind != "choice" or not value:
        return value
    codes = dict(choices)
    if value in codes:
        return value
    for code, text in choices:
        if text == value:
            return code
    gender = GENDER_CODES.get(value.strip().lower())
    return gender if gender in codes else value


# --- evidence of materials --------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What a provider fetched for one material: shown to the applicant before they accept it."""

    service: str  # a sharing service code, a licence type, …
    title: str  # what the applicant reads: the service's or licence's name
    key: str  # the record's key (a registry id, a resident ID, a licence number)
    fields: dict[str, Any] = field(default_factory=dict)  # name → value (masked where the grant says)
    labels: dict[str, str] = field(default_factory=dict)  # name → title
    masked: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.service}:{self.key}"[:200]

    def as_json(self) -> dict:
        return {"service": self.service, "title": self.title, "key": self.key, "fields": dict(self.fields),
                "labels": dict(self.labels), "masked": list(self.masked)}


class EvidenceUnavailable(Exception):
    """Nothing could be fetched for this material: the applicant uploads it instead."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


# source → func(*, material, applicant, correlation_id) -> Evidence (raises EvidenceUnavailable)
EvidenceProvider = Callable[..., Evidence]
_PROVIDERS: dict[str, EvidenceProvider] = {}


def register_evidence_provider(source: str, func: EvidenceProvider) -> EvidenceProvider:
    """Let a module fetch the evidence of materials of `source` ("licence" for e-licences)."""
    _PROVIDERS[source] = func
    return func


def evidence_provider(source: str) -> EvidenceProvider | None:
    return _PROVIDERS.get(source)


def _shared_key(service, applicant: Applicant, lookups: Lookups) -> str:
    """The key the applicant's record has in a sharing service."""
    if service.kind == "registry":
        kind = service.registry_kind or service.code.removeprefix("registry-")
        return lookups.registry_id(kind, applicant.identifier(kind))
    if service.key_field == "uscc" or service.subject_kind == "company":
        return applicant.uscc
    return applicant.resident_id


def shared_evidence(*, material, applicant: Applicant, correlation_id: str,
                    lookups: Lookups | None = None) -> Evidence:
    """A SHARED material: the applicant's record in the sharing service `material.source_ref`,
    with the fields the platform's grant gives (masked as it says)."""
    lookups = lookups or Lookups()
    service = lookups.service(material.source_ref)
    if service is None or not service.is_active:
        raise EvidenceUnavailable(_("“%(material)s” cannot be fetched: its sharing service is not available. "
                                    "Upload it instead.") % {"material": material.name})
    key = _shared_key(service, applicant, lookups)
    if not key:
        raise EvidenceUnavailable(_("“%(service)s” holds no record of you: upload “%(material)s” instead.")
                                  % {"service": service.name, "material": material.name})
    try:
        record = share_record(caller=_caller(correlation_id, lookups=lookups), service_code=service.code, key=key)
    except ShareError as error:
        if error.code == "unknown_key":
            raise EvidenceUnavailable(_("“%(service)s” holds no record of you: upload “%(material)s” instead.")
                                      % {"service": service.name, "material": material.name}) from None
        logger.warning("evidence from %s refused: %s", service.code, error.code)
        raise EvidenceUnavailable(_("“%(material)s” cannot be fetched from “%(service)s” now (%(reason)s). "
                                    "Upload it instead.") % {"material": material.name, "service": service.name,
                                                             "reason": error.message}) from None
    titles = {f["name"]: f.get("title") or f["name"] for f in service.fields}
    return Evidence(service=service.code, title=service.name, key=record.key, fields=dict(record.values),
                    labels={name: titles.get(name, name) for name in record.values}, masked=tuple(record.masked))


register_evidence_provider("shared", shared_evidence)


def evidence_fetch(*, material, applicant: Applicant, correlation_id: str, lookups: Lookups | None = None) -> Evidence:
    """The evidence of a fetched material (SHARED, or any source a module registered). `lookups`
    shares one submission's lookups with the pre-fill (the modules' providers do their own)."""
    provider = evidence_provider(material.source)
    if provider is None:
        if material.source == "licence":
            raise EvidenceUnavailable(_("E-licences cannot be fetched yet: upload “%(material)s”.")
                                      % {"material": material.name})
        raise EvidenceUnavailable(_("“%(material)s” cannot be fetched: upload it.") % {"material": material.name})
    if provider is shared_evidence:
        return shared_evidence(material=material, applicant=applicant, correlation_id=correlation_id,
                               lookups=lookups)
    return provider(material=material, applicant=applicant, correlation_id=correlation_id)
