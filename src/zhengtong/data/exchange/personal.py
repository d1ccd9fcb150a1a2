"""What the exchange holds about one person or company, for mydata (个人数据宝).

No access check here: the caller (mydata) has established that every subject ref and registry id
it passes is the signed-in person's own, and shows them nothing else.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.identity.models import ApiClient
from zhengtong.kernel.ledger.public import entries_about
from zhengtong.kernel.org.public import department_get

from .models import ServiceKind, SharingService, ShareRecord


@dataclass(frozen=True)
class RecordField:
    name: str
    title: str
    value: Any


@dataclass(frozen=True)
class PersonalRecord:
    """One record of a dataset service about the person, in plain (it is their own data)."""

    service_code: str
    service_name: str
    resource_code: str
    department_id: int
    department_name: str
    version: int
    key: str
    subject_ref: str
    fields: tuple[RecordField, ...]  # in the service's schema order

    def value(self, name: str) -> Any:
        return next((f.value for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class FieldRef:
    name: str
    title: str


@dataclass(frozen=True)
class AccessEntry:
    """One logged read (or other logged act) about the person: the Data Tracker's row."""

    id: uuid.UUID  # the ledger entry
    leaf_index: int | None  # None until sequenced (within seconds)
    at: datetime
    kind: str  # share.call, share.refused, registry.read, share.consent.given…
    subject: str
    actor_kind: str  # api_client, staff, citizen, company, system
    department_id: int | None
    department_name: str
    system: str  # the API client's name, "" for a person at a page
    service_code: str
    service_name: str
    registry: str  # "person" / "company" for registry reads
    operation: str
    via: str
    fields: tuple[FieldRef, ...]
    purpose: str
    outcome: str  # "ok" or the error code the caller got
    correlation_id: str
    officer: str
    payload: dict


def _title_map(service: SharingService) -> dict[str, str]:
    return {f["name"]: f.get("title") or f["name"] for f in service.fields}


def records_about(*, subject_refs: list[str]) -> list[PersonalRecord]:
    """The published records of every dataset service about these subjects, unmasked (the person
    sees their own data), with the service and owning department of each; by department, service
    and key."""
    refs = [r for r in subject_refs if r]
    if not refs:
        return []
    rows = (ShareRecord.objects.filter(subject_ref__in=refs)
            .select_related("service__owner_department", "service__dataset")
            .order_by("service__owner_department__name", "service__code", "key"))
    records = []
    for row in rows:
        service = row.service
        values = json.loads(row.payload) if row.payload else {}
        titles = _title_map(service)
        names = [f["name"] for f in service.fields if f["name"] in values]
        names += [n for n in values if n not in titles]
        records.append(PersonalRecord(
            service_code=service.code, service_name=service.name,
            resource_code=service.dataset.resource_code if service.dataset_id else "",
            department_id=service.owner_department_id, department_name=service.owner_department.name,
            version=row.version, key=row.key, subject_ref=row.subject_ref,
            fields=tuple(RecordField(n, titles.get(n, n), values.get(n)) for n in names),
        ))
    return records


def _actor_parts(actor: str) -> tuple[str, str]:
    kind, _sep, ident = actor.partition(":")
    return kind, ident


def _client_names(idents: set[str]) -> dict[str, str]:
    """API client names by the ident the ledger used: the public id (gateway) or the database id
    (registry reads)."""
    uuids, ids = [], []
    for ident in idents:
        try:
            uuids.append(uuid.UUID(ident))
        except ValueError:
            if ident.isdigit():
                ids.append(int(ident))
    names = {}
    for pk, public_id, name in ApiClient.objects.filter(public_id__in=uuids).values_list("id", "public_id", "name"):
        names[str(public_id)] = name
    for pk, name in ApiClient.objects.filter(pk__in=ids).values_list("id", "name"):
        names[str(pk)] = name
    return names


def access_log_for(*, subject_refs: list[str], limit: int = 200) -> list[AccessEntry]:
    """Every logged read about these subjects, newest first, from the ledger (kernel.ledger
    entries_about): gateway calls ("share.call", one entry per subject), registry reads by staff
    and API ("registry.read")… — when, which department and system, which service or registry and
    fields, for what purpose, and the outcome. `subject_refs` are subject refs and registry ids."""
    entries = entries_about(subjects=list(dict.fromkeys(r for r in subject_refs if r)), limit=limit)
    if not entries:
        return []
    codes = {e.payload.get("service") for e in entries if isinstance(e.payload.get("service"), str)}
    for e in entries:  # consents name several services
        if isinstance(e.payload.get("services"), list):
            codes.update(c for c in e.payload["services"] if isinstance(c, str))
    registries = {e.payload.get("registry") for e in entries if isinstance(e.payload.get("registry"), str)}
    services = {s.code: s for s in SharingService.objects.filter(code__in=codes)}
    registry_services = {s.registry_kind: s for s in SharingService.objects.filter(
        kind=ServiceKind.REGISTRY, registry_kind__in=registries).order_by("-is_active", "code")}
    client_idents = {_actor_parts(e.actor)[1] for e in entries if _actor_parts(e.actor)[0] == "api_client"}
    client_names = _client_names(client_idents)
    departments: dict[int, str] = {}

    def department_name(department_id) -> str:
        if not isinstance(department_id, int):
            return ""
        if department_id not in departments:
            ref = department_get(department_id)
            departments[department_id] = ref.name if ref else ""
        return departments[department_id]

    log = []
    for entry in entries:
        payload = entry.payload if isinstance(entry.payload, dict) else {}
        actor_kind, ident = _actor_parts(entry.actor)
        code = payload.get("service") if isinstance(payload.get("service"), str) else ""
        registry = payload.get("registry") if isinstance(payload.get("registry"), str) else ""
        service = services.get(code) or registry_services.get(registry)
        several = [services[c] for c in payload.get("services") or () if isinstance(c, str) and c in services] \
            if isinstance(payload.get("services"), list) else []
        titles = _title_map(service) if service else {}
        for other in several:
            titles = {**_title_map(other), **titles}
        raw_fields = payload.get("fields") if isinstance(payload.get("fields"), list) else []
        system = payload.get("api_client") if isinstance(payload.get("api_client"), str) else ""
        if not system and actor_kind == "api_client":
            system = client_names.get(ident, "")
        outcome = payload.get("outcome")
        if not isinstance(outcome, str) or not outcome:
            outcome = str(payload.get("code") or "refused") if entry.kind == "share.refused" else "ok"
        log.append(AccessEntry(
            id=entry.id, leaf_index=entry.leaf_index, at=entry.created_at, kind=entry.kind, subject=entry.subject,
            actor_kind=actor_kind, department_id=payload.get("department") if isinstance(
                payload.get("department"), int) else None,
            department_name=department_name(payload.get("department")), system=system,
            service_code=code or (service.code if service else ""),
            service_name=(service.name if service else "、".join(s.name for s in several) if several
                          else str(_("Base registry")) if registry else ""),
            registry=registry, operation=str(payload.get("operation") or ""), via=str(payload.get("via") or ""),
            fields=tuple(FieldRef(str(f), titles.get(str(f), str(f))) for f in raw_fields),
            purpose=str(payload.get("purpose") or ""), outcome=outcome,
            correlation_id=str(payload.get("correlation_id") or ""), officer=str(payload.get("officer") or ""),
            payload=payload,
        ))
    return log
