"""Reads of the registries, scoped to what the actor may see (see permissions.py).

Reading a golden record is itself an audited act: every read of one (page or API, a single record
or a search hit) appends a ledger entry in the same transaction naming who read which record's
which fields for what purpose, so the reads that return values here all write one.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ledger.public import LedgerEntry, ledger_append_many
from zhengtong.kernel.masking.public import FieldKind, mask_value

from . import permissions
from .attributes import ATTRIBUTES, GENDER_WORDS, IDENTIFIERS, label, masking_kind
from .ids import registry_id_normalize
from .models import (
    AttributeHistory,
    GoldenAttribute,
    Kind,
    LinkageRun,
    MasterRecord,
    MasterStatus,
    PairStatus,
    RegistrySource,
    ReviewPair,
    SourceRecord,
)
from .services import actor_label, identifier_index, name_birth_index

STAFF_PURPOSE = _("Registry governance")
MAX_SEARCH_RESULTS = 20


class MasterMerged(Exception):
    """The id was merged into another master: read that one instead."""

    def __init__(self, registry_id: str, survivor_id: str):
        super().__init__(f"{registry_id} was merged into {survivor_id}")
        self.registry_id = registry_id
        self.survivor_id = survivor_id


@dataclass(frozen=True)
class Scope:
    """What an actor may read of one registry: which fields, which of them unmasked, why, and
    whether only the masters of one department's sources."""

    kind: str
    fields: tuple[str, ...]
    clear_fields: frozenset[str]
    purpose: str
    grant_id: str | None = None
    department_id: int | None = None  # only masters this department's sources contributed to


def contributing_department_ids() -> set[int]:
    return set(RegistrySource.objects.filter(is_active=True).values_list("dataset__owner_department_id", flat=True))


def may_use_registry(actor: Actor) -> bool:
    """The registry pages: the bureau, and staff of departments that feed a registry."""
    if permissions.in_big_data_bureau(actor):
        return True
    return actor.is_staff_member and actor.department_id in contributing_department_ids()


def registry_scope(*, actor: Actor, kind: str) -> Scope:
    """The actor's scope in the registry; PermissionDenied when they may read nothing of it.

    Staff of the big-data bureau read every master, every field masked; other staff read the
    masters their department's sources contributed to, masked. Systems (API clients) read the
    registries through the sharing gateway, under a grant (exchange: the service
    registry-<kind>), never here."""
    if kind not in Kind.values:
        raise PermissionDenied("no such registry")
    if actor.kind == "api_client":
        raise PermissionDenied("systems read the registries through the sharing gateway")
    if permissions.in_big_data_bureau(actor):
        return Scope(kind, tuple(ATTRIBUTES[kind]), frozenset(), str(STAFF_PURPOSE))
    if actor.is_staff_member and actor.department_id in contributing_department_ids():
        return Scope(kind, tuple(ATTRIBUTES[kind]), frozenset(), str(STAFF_PURPOSE), department_id=actor.department_id)
    raise PermissionDenied("may not read the registry")


def masters_in_scope(scope: Scope) -> QuerySet:
    masters = MasterRecord.objects.filter(kind=scope.kind)
    if scope.department_id is not None:
        masters = masters.filter(Exists(SourceRecord.objects.filter(
            master=OuterRef("pk"), is_present=True, source__dataset__owner_department_id=scope.department_id)))
    return masters


def access_master(*, actor: Actor, registry_id: str, scope: Scope | None = None) -> MasterRecord:
    """The master under this id, if the actor may see it; MasterMerged when the id was merged into
    another (the survivor's id is in the exception, and the actor may see the survivor);
    MasterRecord.DoesNotExist otherwise (also for ids of masters out of the actor's scope)."""
    normalized = registry_id_normalize(registry_id)
    master = MasterRecord.objects.filter(registry_id=normalized).first() if normalized else None
    if master is None:
        raise MasterRecord.DoesNotExist
    scope = scope or registry_scope(actor=actor, kind=master.kind)
    if master.status == MasterStatus.MERGED and master.merged_into_id:
        survivor = masters_in_scope(scope).filter(pk=master.merged_into_id).first()
        if survivor is None:
            raise MasterRecord.DoesNotExist
        raise MasterMerged(master.registry_id, survivor.registry_id)
    if not masters_in_scope(scope).filter(pk=master.pk).exists():
        raise MasterRecord.DoesNotExist
    return master


# --- golden records -------------------------------------------------------------------------


@dataclass(frozen=True)
class AttributeView:
    name: str
    label: str
    value: str
    masked: bool
    resource_code: str
    dataset_title: str
    department_name: str
    dataset_version: int
    verified: bool
    authoritative: bool
    source_updated_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class HistoryView:
    name: str
    label: str
    old_value: str | None
    new_value: str | None
    resource_code: str
    dataset_version: int | None
    verified: bool
    changed_at: datetime


@dataclass(frozen=True)
class SourceView:
    resource_code: str
    dataset_title: str
    department_name: str
    records: int


@dataclass(frozen=True)
class GoldenRecord:
    registry_id: str
    kind: str
    status: str
    attributes: tuple[AttributeView, ...]
    history: tuple[HistoryView, ...]
    sources: tuple[SourceView, ...]
    merged_ids: tuple[str, ...]
    purpose: str

    def value(self, name: str) -> str | None:
        return next((a.value for a in self.attributes if a.name == name), None)


def _shown(kind: str, attribute: str, value: str | None, sensitivity: str | None, scope: Scope) -> tuple[str | None, bool]:
    if value is None:
        return None, False
    if attribute in scope.clear_fields:
        return value, False
    field_kind = masking_kind(kind, attribute, sensitivity)
    return mask_value(field_kind, value), field_kind not in (FieldKind.PLAIN, FieldKind.CREDIT_CODE)


def _log_reads(actor: Actor, scope: Scope, masters: list[MasterRecord], via: str, fields: tuple[str, ...]) -> None:
    if not masters:
        return
    ledger_append_many(entries=[
        LedgerEntry(kind="registry.read", subject=master.registry_id, actor=actor_label(actor), payload={
            "registry": scope.kind, "fields": list(fields), "purpose": scope.purpose, "grant": scope.grant_id,
            "via": via, "department": actor.department_id,
        })
        for master in masters
    ])


def _golden_many(masters: list[MasterRecord], scope: Scope, with_history: bool) -> list[GoldenRecord]:
    """The golden records of these masters in a fixed number of queries, whatever their count."""
    if not masters:
        return []
    ids = [m.pk for m in masters]
    by_master: dict[int, dict[str, GoldenAttribute]] = {pk: {} for pk in ids}
    for row in (GoldenAttribute.objects.filter(master_id__in=ids, attribute__in=scope.fields)
                .select_related("source__dataset", "department")):
        by_master[row.master_id][row.attribute] = row
    counts: dict[int, dict[int, int]] = {pk: {} for pk in ids}
    for master_id, source_id in SourceRecord.objects.filter(master_id__in=ids, is_present=True).values_list(
            "master_id", "source_id"):
        counts[master_id][source_id] = counts[master_id].get(source_id, 0) + 1
    source_ids = {source_id for per in counts.values() for source_id in per}
    sources = {s.pk: s for s in RegistrySource.objects.filter(pk__in=source_ids).select_related(
        "dataset__owner_department")}
    merged: dict[int, list[str]] = {pk: [] for pk in ids}
    for merged_into, registry_id in MasterRecord.objects.filter(merged_into_id__in=ids).order_by(
            "registry_id").values_list("merged_into_id", "registry_id"):
        merged[merged_into].append(registry_id)
    records = []
    for master in masters:
        kind = master.kind
        views = []
        for name in scope.fields:
            row = by_master[master.pk].get(name)
            if row is None:
                continue
            sensitivity = row.source.dataset.sensitivity if row.source_id else None
            value, masked = _shown(kind, name, row.value, sensitivity, scope)
            if name == "gender" and not masked:
                value = str(GENDER_WORDS.get(value, value))
            views.append(AttributeView(
                name, label(name), value, masked, row.resource_code,
                row.source.dataset.title if row.source_id else "", row.department.name if row.department_id else "",
                row.dataset_version, row.verified, row.authoritative, row.source_updated_at, row.updated_at,
            ))
        history = _history(master, scope) if with_history else []
        contributing = sorted(
            (SourceView(sources[sid].dataset.resource_code, sources[sid].dataset.title,
                        sources[sid].dataset.owner_department.name, count)
             for sid, count in counts[master.pk].items()),
            key=lambda view: view.resource_code,
        )
        records.append(GoldenRecord(master.registry_id, kind, master.status, tuple(views), tuple(history),
                                    tuple(contributing), tuple(merged[master.pk]), scope.purpose))
    return records


def _history(master: MasterRecord, scope: Scope) -> list[HistoryView]:
    history = []
    for row in (AttributeHistory.objects.filter(master=master, attribute__in=scope.fields)
                .select_related("source__dataset").order_by("-changed_at", "-id")[:200]):
        sensitivity = row.source.dataset.sensitivity if row.source_id else None
        old, _m = _shown(master.kind, row.attribute, row.old_value, sensitivity, scope)
        new, _m = _shown(master.kind, row.attribute, row.new_value, sensitivity, scope)
        if row.attribute == "gender":
            old, new = (str(GENDER_WORDS.get(v, v)) if v is not None else None for v in (old, new))
        history.append(HistoryView(row.attribute, label(row.attribute), old, new, row.resource_code,
                                   row.dataset_version, row.verified, row.changed_at))
    return history


def golden_record_read(*, actor: Actor, registry_id: str, via: str = "api", with_history: bool = False,
                       kind: str | None = None) -> GoldenRecord:
    """A golden record as the actor may see it (granted fields, masked unless granted clear), with
    provenance per field; the read is written to the ledger. Raises PermissionDenied, MasterMerged
    or MasterRecord.DoesNotExist as access_master does."""
    normalized = registry_id_normalize(registry_id)
    master = MasterRecord.objects.filter(registry_id=normalized).only("kind").first() if normalized else None
    if master is None or (kind is not None and master.kind != kind):
        raise MasterRecord.DoesNotExist
    scope = registry_scope(actor=actor, kind=master.kind)
    master = access_master(actor=actor, registry_id=registry_id, scope=scope)
    with transaction.atomic():
        (record,) = _golden_many([master], scope, with_history)
        _log_reads(actor, scope, [master], via, tuple(a.name for a in record.attributes))
    return record


# --- search and exists ----------------------------------------------------------------------


@dataclass(frozen=True)
class Criteria:
    """What to look for: one identifier, or a person's name and date of birth."""

    resident_id: str = ""
    uscc: str = ""
    mobile: str = ""
    name: str = ""
    birth_date: str = ""

    def is_empty(self) -> bool:
        return not (self.resident_id or self.uscc or self.mobile or (self.name and self.birth_date))

    def names(self) -> list[str]:
        return [n for n in ("resident_id", "uscc", "mobile", "name", "birth_date") if getattr(self, n)]


def _matching(scope: Scope, criteria: Criteria) -> QuerySet:
    masters = masters_in_scope(scope).filter(status=MasterStatus.ACTIVE)
    matched = False
    for attribute in IDENTIFIERS:
        value = getattr(criteria, attribute).strip()
        if value:
            index = identifier_index(attribute, value)
            masters = masters.filter(attributes__attribute=attribute, attributes__lookup_index=index)
            matched = True
    if criteria.name.strip() and criteria.birth_date.strip():
        masters = masters.filter(name_birth_index=name_birth_index(criteria.name, criteria.birth_date))
        matched = True
    return masters.distinct() if matched else masters.none()


def registry_search(*, actor: Actor, kind: str, criteria: Criteria, via: str = "api") -> list[GoldenRecord]:
    """Active masters matching the criteria (exactly, through blind indexes), as golden records
    without history; each hit is a read written to the ledger."""
    scope = registry_scope(actor=actor, kind=kind)
    if criteria.is_empty():
        return []
    masters = list(_matching(scope, criteria).order_by("registry_id")[:MAX_SEARCH_RESULTS])
    with transaction.atomic():
        records = _golden_many(masters, scope, False)
        _log_reads(actor, scope, masters, via, scope.fields)
    return records


def registry_exists(*, actor: Actor, kind: str, criteria: Criteria) -> bool:
    """Whether an active master matches, and nothing else (GovStack's "exists"); logged."""
    scope = registry_scope(actor=actor, kind=kind)
    answer = (not criteria.is_empty()) and _matching(scope, criteria).exists()
    with transaction.atomic():
        ledger_append_many(entries=[LedgerEntry(
            kind="registry.exists", subject=f"registry:{kind}", actor=actor_label(actor), payload={
                "registry": kind, "criteria": criteria.names(), "answer": answer, "purpose": scope.purpose,
                "grant": scope.grant_id, "department": actor.department_id,
            })])
    return answer


# --- pages' lists -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistryCounts:
    kind: str
    label: str
    active: int
    merged: int
    open_reviews: int
    last_run: LinkageRun | None


def registry_counts(*, actor: Actor) -> list[RegistryCounts]:
    if not may_use_registry(actor):
        raise PermissionDenied("may not use the registries")
    counts = []
    for kind, kind_label in Kind.choices:
        scope = registry_scope(actor=actor, kind=kind)
        masters = masters_in_scope(scope)
        counts.append(RegistryCounts(
            kind, str(kind_label), masters.filter(status=MasterStatus.ACTIVE).count(),
            MasterRecord.objects.filter(kind=kind, status=MasterStatus.MERGED).count()
            if scope.department_id is None else 0,
            review_queue(actor=actor).filter(kind=kind).count(),
            LinkageRun.objects.filter(kind=kind).order_by("-started_at", "-id").first(),
        ))
    return counts


def review_queue(*, actor: Actor, status: str = PairStatus.OPEN) -> QuerySet:
    """The pairs on the actor's desk: their department's, and for big-data administrators every
    department's within their division."""
    if not may_use_registry(actor):
        raise PermissionDenied("may not use the registries")
    q = permissions.review_queue_q(actor)
    if q is None:
        return ReviewPair.objects.none()
    return (ReviewPair.objects.filter(q, status=status).select_related("department", "left_master", "right_master")
            .order_by("-match_probability", "created_at"))


def review_pair_get(*, actor: Actor, public_id) -> ReviewPair:
    """A pair the actor may review; ReviewPair.DoesNotExist otherwise."""
    pair = ReviewPair.objects.select_related("department", "left_master", "right_master", "decision").filter(
        public_id=public_id).first()
    if pair is None or not permissions.may_review_in_department(actor, pair.department_id):
        raise ReviewPair.DoesNotExist
    return pair


def review_pair_values(*, pair: ReviewPair) -> list[tuple[str, str | None, str | None]]:
    """The two records' values side by side, masked as staff see them: (label, left, right)."""
    import json

    left, right = json.loads(pair.left_values or "{}"), json.loads(pair.right_values or "{}")
    rows = []
    for attribute in ATTRIBUTES[pair.kind]:
        if attribute not in left and attribute not in right:
            continue
        kind = masking_kind(pair.kind, attribute)
        rows.append((label(attribute), mask_value(kind, left.get(attribute)), mask_value(kind, right.get(attribute))))
    return rows


def run_list(*, actor: Actor) -> QuerySet:
    if not may_use_registry(actor):
        raise PermissionDenied("may not use the registries")
    return LinkageRun.objects.select_related("actor_user").order_by("-started_at", "-id")
