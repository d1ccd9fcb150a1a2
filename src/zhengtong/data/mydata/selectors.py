"""Reads for mydata: everything is about the citizen or company signed in, and nobody else.

`me_get(actor)` is the gate: it turns the actor into their own identifier and subject ref, and
every other selector takes what it returns, so no page can name another person's data.
"""

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from zhengtong.data.catalog.public import dataset_get
from zhengtong.data.exchange.public import SubjectKind, access_log_for, consents_of, records_about, subject_ref
from zhengtong.data.registry.public import ATTRIBUTES, golden_records_shared
from zhengtong.kernel.crypto.public import blind_index
from zhengtong.kernel.identity.models import Citizen, Company
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.loops.public import case_get

from .models import CorrectionRequest

RECORD_TOKEN_PURPOSE = "mydata.record"
ACCESS_PAGE_SIZE = 20
ACCESS_MAX_PAGES = 500


@dataclass(frozen=True)
class Me:
    """The citizen or company signed in, as mydata needs them."""

    kind: str  # SubjectKind: person or company
    subject_ref: str
    identifier: str  # their resident ID or credit code (shown to them only)
    name: str
    citizen_id: int | None
    company_id: int | None
    user_id: int | None

    @property
    def owner(self) -> dict:
        return {"citizen_id": self.citizen_id} if self.citizen_id is not None else {"company_id": self.company_id}


def me_get(actor: Actor) -> Me:
    """PermissionDenied unless the actor is a citizen or company with a real-name record."""
    if actor.kind == "citizen" and actor.citizen_id is not None:
        citizen = Citizen.objects.filter(pk=actor.citizen_id).first()
        if citizen is not None:
            return Me(SubjectKind.PERSON, subject_ref(SubjectKind.PERSON, citizen.resident_id), citizen.resident_id,
                      citizen.name, citizen.id, None, actor.user_id)
    if actor.kind == "company" and actor.company_id is not None:
        company = Company.objects.filter(pk=actor.company_id).first()
        if company is not None:
            return Me(SubjectKind.COMPANY, subject_ref(SubjectKind.COMPANY, company.uscc), company.uscc,
                      company.name, None, company.id, actor.user_id)
    raise PermissionDenied("mydata is for a signed-in citizen or company")


# --- my registry record and my records in departments' datasets --------------------------------


@dataclass(frozen=True)
class AttributeRow:
    name: str
    label: str
    value: str | None
    dataset_title: str
    resource_code: str
    department_name: str
    department_id: int | None  # where a correction goes; None: it cannot be routed
    verified: bool
    authoritative: bool
    updated_at: datetime


@dataclass(frozen=True)
class RegistryView:
    registry_id: str
    kind: str
    attributes: tuple[AttributeRow, ...]
    merged_ids: tuple[str, ...]

    def attribute(self, name: str) -> AttributeRow | None:
        return next((a for a in self.attributes if a.name == name), None)


def registry_record(me: Me) -> RegistryView | None:
    """My golden record in the base registry (人口库 or 法人库), every attribute in plain: it is
    my own data. None when the registry holds no record of me."""
    kind = me.kind
    fields = tuple(ATTRIBUTES[kind])
    lookup = {"resident_ids": [me.identifier]} if kind == SubjectKind.PERSON else {"usccs": [me.identifier]}
    records = golden_records_shared(kind=kind, fields=fields, clear_fields=frozenset(fields), **lookup)
    if not records:
        return None
    golden = records[0]
    owners: dict[str, int | None] = {}
    rows = []
    for attribute in golden.attributes:
        code = attribute.resource_code
        if code not in owners:
            dataset = dataset_get(resource_code=code) if code else None
            owners[code] = dataset.owner_department_id if dataset else None
        rows.append(AttributeRow(
            attribute.name, attribute.label, attribute.value, attribute.dataset_title, code,
            attribute.department_name, owners[code], attribute.verified, attribute.authoritative,
            attribute.updated_at,
        ))
    return RegistryView(golden.registry_id, golden.kind, tuple(rows), tuple(golden.merged_ids))


def record_token(service_code: str, key: str) -> str:
    """Names one of my records in a URL without its key (often an identifier itself)."""
    return blind_index(f"{service_code}\x1f{key}", purpose=RECORD_TOKEN_PURPOSE)[:32]


@dataclass(frozen=True)
class MyRecord:
    token: str
    key: str
    version: int
    fields: tuple  # exchange RecordField: name, title, value


@dataclass
class ServiceGroup:
    service_code: str
    service_name: str
    resource_code: str
    records: list[MyRecord] = field(default_factory=list)


@dataclass
class DepartmentGroup:
    department_id: int
    department_name: str
    services: list[ServiceGroup] = field(default_factory=list)


def dataset_records(me: Me) -> list:
    """My records in departments' shared datasets, unmasked (exchange records_about)."""
    return records_about(subject_refs=[me.subject_ref])


def dataset_records_grouped(me: Me) -> list[DepartmentGroup]:
    """My records by department, then dataset (service)."""
    departments: "OrderedDict[int, DepartmentGroup]" = OrderedDict()
    services: dict[str, ServiceGroup] = {}
    for record in dataset_records(me):
        group = departments.setdefault(record.department_id,
                                       DepartmentGroup(record.department_id, record.department_name))
        service = services.get(record.service_code)
        if service is None:
            service = services[record.service_code] = ServiceGroup(
                record.service_code, record.service_name, record.resource_code)
            group.services.append(service)
        service.records.append(MyRecord(record_token(record.service_code, record.key), record.key, record.version,
                                        record.fields))
    return list(departments.values())


# --- the access log -----------------------------------------------------------------------------


def access_subjects(me: Me, registry: RegistryView | None = None) -> list[str]:
    """What the ledger calls me: my subject ref, and my registry id (and ids merged into it)."""
    registry = registry if registry is not None else registry_record(me)
    subjects = [me.subject_ref]
    if registry is not None:
        subjects += [registry.registry_id, *registry.merged_ids]
    return subjects


@dataclass(frozen=True)
class AccessPage:
    entries: list
    number: int
    has_previous: bool
    has_next: bool


def access_log_page(me: Me, *, page: int = 1, page_size: int = ACCESS_PAGE_SIZE) -> AccessPage:
    """One page of my access log, newest first."""
    page = max(1, min(page, ACCESS_MAX_PAGES))
    entries = access_log_for(subject_refs=access_subjects(me), limit=page * page_size + 1)
    shown = entries[(page - 1) * page_size: page * page_size]
    return AccessPage(shown, page, page > 1, len(entries) > page * page_size)


# --- authorizations (consents) ------------------------------------------------------------------


def consent_status(consent, now: datetime | None = None) -> str:
    """"active", "revoked" or "expired"."""
    now = now or timezone.now()
    if consent.revoked_at is not None:
        return "revoked"
    if consent.expires_at <= now:
        return "expired"
    return "active"


@dataclass(frozen=True)
class ConsentView:
    public_id: Any
    status: str
    system: str
    services: tuple[tuple[str, str], ...]  # (code, name)
    fields: tuple[tuple[str, str], ...]  # (name, title)
    purpose: str
    version: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def consent_views(actor: Actor) -> list[ConsentView]:
    now = timezone.now()
    views = []
    for consent in consents_of(actor=actor):
        services = sorted(consent.services.all(), key=lambda s: s.code)
        titles = {f["name"]: f.get("title") or f["name"] for s in services for f in s.fields}
        views.append(ConsentView(
            consent.public_id, consent_status(consent, now), consent.api_client.name,
            tuple((s.code, s.name) for s in services), tuple((f, titles.get(f, f)) for f in consent.fields),
            consent.purpose, consent.version, consent.created_at, consent.expires_at, consent.revoked_at,
        ))
    return views


def consent_view_get(actor: Actor, public_id) -> ConsentView | None:
    return next((c for c in consent_views(actor) if str(c.public_id) == str(public_id)), None)


# --- corrections --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorrectionSubject:
    """What a correction is about: one field of one of my records, and where it goes."""

    target: str  # CorrectionTarget
    service_code: str
    record_key: str
    registry_id: str
    source_name: str
    field: str
    field_title: str
    current_value: Any
    department_id: int
    department_name: str


def correction_subject(me: Me, *, source: str = "", service_code: str = "", token: str = "",
                       field_name: str = "") -> CorrectionSubject | None:
    """The field a person says is wrong, found among their own records only; None if it is not
    one of theirs (or cannot be routed to a department)."""
    if source == "registry":
        registry = registry_record(me)
        attribute = registry.attribute(field_name) if registry else None
        if attribute is None or attribute.department_id is None:
            return None
        return CorrectionSubject(
            "registry", "", "", registry.registry_id, attribute.dataset_title or attribute.resource_code,
            attribute.name, attribute.label, attribute.value, attribute.department_id, attribute.department_name,
        )
    if service_code and token:
        for record in dataset_records(me):
            if record.service_code != service_code or record_token(record.service_code, record.key) != token:
                continue
            item = next((f for f in record.fields if f.name == field_name), None)
            if item is None:
                return None
            return CorrectionSubject(
                "dataset", record.service_code, record.key, "", record.service_name, item.name, item.title,
                item.value, record.department_id, record.department_name,
            )
    return None


def corrections_of(me: Me) -> list[CorrectionRequest]:
    return list(CorrectionRequest.objects.filter(**me.owner).select_related("department"))


def access_correction(me: Me, public_id) -> CorrectionRequest:
    """One of my correction requests; CorrectionRequest.DoesNotExist for anyone else's."""
    return CorrectionRequest.objects.select_related("department").get(public_id=public_id, **me.owner)


def case_response(actor: Actor, case_id) -> str:
    """The department's answer on my request's case ("" until it answers)."""
    return case_get(actor=actor, public_id=case_id).response
