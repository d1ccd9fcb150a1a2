"""Writes of the registries: sources, linkage runs and clerical review.

A run (registry_run) links the current versions of a registry's sources with the linkage engine
(linkage/, outside any transaction: it may take minutes), then applies the result in one
transaction:

1. Stable ids. A cluster whose records belong to one master keeps that master's id. A master
   whose records split across clusters keeps its id for its biggest part (ties: the cluster with
   the smallest id); the other parts get new ids. A cluster claimed by several masters merges
   them: the oldest master survives (ties: the bigger one), the others become "merged" with
   merged_into, and their ids redirect. A master with no record left is retired.
2. Golden records by survivorship per attribute (一数一源): a valid primary identifier beats an
   invalid one; then the source of truth for the attribute wins; otherwise the most recent
   government-verified value; otherwise the most recent self-declared one. "Recent" is when the
   source first delivered the value (SourceRecord.value_state), not the time of its latest
   version: reloading a source with an unchanged old phone number does not make it newer. Each value keeps its
   provenance, every change is written to AttributeHistory, and each master that changed gets
   one "registry.golden_record_changed" event {registry_id, kind, attributes, run}: attribute
   names only, never values (subscribers read the values through the sharing gateway, under their
   grant: exchange, service registry-<kind>).
3. Pairs the engine is unsure of become ReviewPairs, each a loop case (kind "registry_review")
   on the desk of the department that owns both records, or of the big-data bureau above both.
   A data officer's decision (review_decide) is kept and handed to every later run.

The run row is written (and committed) before the engine starts, so the runs page shows it
running; a failed run keeps its error and changes nothing else.
"""

import json
import logging
import shutil
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy as _

from zhengtong.data.catalog.public import dataset_get, schema_current
from zhengtong.data.ingest.public import version_current, version_relation_sql
from zhengtong.kernel.crypto.fields import normalize_digits, normalize_upper
from zhengtong.kernel.crypto.public import blind_index
from zhengtong.kernel.events.public import publish
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ledger.public import ledger_append
from zhengtong.kernel.loops.public import InvalidTransition, LoopKindSpec, case_report, case_resolve_by_system
from zhengtong.kernel.masking.public import FieldKind, mask_value
from zhengtong.kernel.org.models import Department, DepartmentKind

from . import permissions
from .attributes import ATTRIBUTES, IDENTIFIERS, PRIMARY_IDENTIFIER
from .ids import registry_id_new
from .linkage import spec
from .models import (
    AttributeHistory,
    ClericalDecision,
    GoldenAttribute,
    Kind,
    LinkageRun,
    MasterRecord,
    MasterStatus,
    PairStatus,
    RegistrySource,
    ReviewPair,
    RunStatus,
    SourceRecord,
)

logger = logging.getLogger(__name__)

# Working days: a day to pass a misrouted pair on, five to look at both records and decide.
REGISTRY_REVIEW = LoopKindSpec(
    code="registry_review",
    name=_("Registry record review"),
    step_days={"assign": 1, "handle": 5, "verify": 2},
    verifier="assigning_department",
    escalate=True,
    reopen_days=5,
    description=_("Two records may be the same person or company: a data officer decides."),
)

SYSTEM = Actor(kind="system")
GOLDEN_RECORD_CHANGED = "registry.golden_record_changed"
MASTER_MERGED = "registry.master_merged"
# A run still "running" after this long died with its process; the next run marks it failed.
STALE_RUN = timedelta(hours=6)
NAME_BIRTH_PURPOSE = "registry.master.name_birth"
PAIR_PURPOSE = "registry.pair"
VALUE_PURPOSE = "registry.source_value"

ProgressFn = Callable[[str, int, int | None], None]


def now() -> datetime:
    """The services' one clock (tests set it)."""
    return timezone.now()


def runs_root() -> Path:
    return Path(getattr(settings, "REGISTRY_RUNS_DIR", Path(settings.HOME_DIR) / "registry" / "runs"))


def linkage_run(config: spec.LinkageConfig, *, decisions=(), progress: ProgressFn | None = None) -> spec.LinkageResult:
    """The engine's entry point, imported when first used (it loads DuckDB and Splink)."""
    from .linkage.engine import linkage_run as engine_run

    return engine_run(config, decisions=decisions, progress=progress)


def _kind_check(kind: str) -> str:
    if kind not in Kind.values:
        raise ValidationError({"kind": _("“%(value)s” is not a registry: use person or company.") % {"value": kind}})
    return kind


def _in_platform_language(message, **params) -> str:
    # Case titles and notes are stored text, read by staff: in the platform's language.
    with translation.override(settings.LANGUAGE_CODE):
        return str(message) % params if params else str(message)


# --- index helpers ------------------------------------------------------------------------------


def identifier_index(attribute: str, value: str) -> str:
    """The blind index of an identifier's value, under a key of its own per attribute."""
    normalized = normalize_digits(value) if attribute == "mobile" else normalize_upper(value)
    return blind_index(normalized, purpose=f"registry.golden.{attribute}") if normalized else ""


def name_birth_index(name: str, birth_date: str) -> str:
    name, birth_date = "".join(str(name or "").split()), str(birth_date or "").strip()
    return blind_index(f"{name}|{birth_date}", purpose=NAME_BIRTH_PURPOSE) if name and birth_date else ""


def pair_index(kind: str, left: str, right: str) -> str:
    first, second = sorted((left, right))
    return blind_index(f"{kind}|{first}|{second}", purpose=PAIR_PURPOSE)


def record_index(record_id: str) -> str | None:
    return SourceRecord._meta.get_field("record_index").index_of(record_id)


# --- sources ----------------------------------------------------------------------------------


def source_register(
    *, actor: Actor, kind: str, resource_code: str, name: str, key_column: str, columns: dict[str, str],
    authoritative_for: Iterable[str] = (), verified_attributes: Iterable[str] = (),
) -> RegistrySource:
    """Use a catalog dataset as a source of the registry (or change how it is used).

    Columns map canonical attributes to the dataset's schema fields. Only one active source of a
    registry is the source of truth for an attribute (一数一源)."""
    if not permissions.may_configure(actor):
        raise PermissionDenied("may not configure the registries")
    _kind_check(kind)
    dataset = dataset_get(resource_code=resource_code)
    if dataset is None:
        raise ValidationError({"resource_code": _("There is no dataset with the resource code %(code)s.")
                               % {"code": resource_code}})
    authoritative_for, verified_attributes = list(authoritative_for), list(verified_attributes)
    errors: dict[str, str] = {}
    schema = schema_current(dataset.id)
    fields = set(schema.field_names) if schema else set()
    unknown = sorted(set(columns) - set(ATTRIBUTES[kind]))
    if unknown:
        errors["columns"] = _("Not attributes of this registry: %(names)s.") % {"names": ", ".join(unknown)}
    missing = sorted({column for column in [*columns.values(), key_column] if column not in fields})
    if missing:
        errors["key_column" if key_column in missing else "columns"] = _(
            "Not fields of the dataset's schema: %(names)s.") % {"names": ", ".join(missing)}
    for field_name, chosen in (("authoritative_for", authoritative_for), ("verified_attributes", verified_attributes)):
        unmapped = sorted(set(chosen) - set(columns))
        if unmapped:
            errors[field_name] = _("Attributes the source does not map: %(names)s.") % {"names": ", ".join(unmapped)}
    others = RegistrySource.objects.filter(kind=kind, is_active=True).exclude(dataset_id=dataset.id)
    for other in others:
        taken = sorted(set(authoritative_for) & set(other.authoritative_for))
        if taken:
            errors["authoritative_for"] = _(
                "The source %(source)s is already the source of truth for %(names)s (one data, one source)."
            ) % {"source": other.name, "names": ", ".join(taken)}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        source, _created = RegistrySource.objects.update_or_create(
            kind=kind, dataset_id=dataset.id,
            defaults={"name": name, "key_column": key_column, "columns": dict(columns),
                      "authoritative_for": authoritative_for,
                      "verified_attributes": sorted(set(verified_attributes) | set(authoritative_for)),
                      "is_active": True},
        )
    return source


def actor_label(actor: Actor) -> str:
    """Who acted, as the ledger names them."""
    if actor.kind == "api_client":
        return f"api_client:{actor.api_client_id}"
    if actor.user_id is not None:
        return f"{actor.kind}:{actor.user_id}"
    return actor.kind


# --- runs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SourceState:
    source: RegistrySource
    version: int
    version_created_at: datetime
    resource_code: str
    department_id: int
    sensitivity: str


def decisions_for(kind: str) -> tuple[spec.ClericalDecision, ...]:
    """Every pair's latest clerical decision, as the engine takes them."""
    latest: dict[str, ClericalDecision] = {}
    for decision in ClericalDecision.objects.filter(kind=kind).order_by("decided_at", "id"):
        latest[decision.pair_index] = decision
    return tuple(
        spec.ClericalDecision(d.left_record_id, d.right_record_id, d.accepted)
        for d in sorted(latest.values(), key=lambda d: (d.decided_at, d.id))
    )


def _fail_stale_runs(kind: str) -> None:
    LinkageRun.objects.filter(kind=kind, status=RunStatus.RUNNING, started_at__lt=now() - STALE_RUN).update(
        status=RunStatus.FAILED, finished_at=now(), error="The run did not finish (its process ended).",
    )


def registry_run(*, actor: Actor, kind: str, progress: ProgressFn | None = None) -> LinkageRun:
    """Link the registry's sources (their current versions) and bring the masters, golden records
    and review pairs up to date. Returns the run; raises what the engine raised when it fails
    (the run is then marked failed with the error)."""
    if not permissions.may_run(actor):
        raise PermissionDenied("may not run the registry linkage")
    _kind_check(kind)
    states: dict[str, _SourceState] = {}
    sources: list[spec.SourceSpec] = []
    for source in RegistrySource.objects.filter(kind=kind, is_active=True).select_related("dataset").order_by("name"):
        version = version_current(source.dataset_id)
        if version is None:
            continue  # registered, nothing loaded yet
        states[source.name] = _SourceState(
            source, version.number, version.created_at, source.dataset.resource_code,
            source.dataset.owner_department_id, source.dataset.sensitivity,
        )
        sources.append(spec.SourceSpec(
            name=source.name, key=source.key_column, columns=dict(source.columns),
            relation_sql=version_relation_sql(source.dataset_id, version.number),
        ))
    if not sources:
        raise ValidationError(_("The registry has no source with loaded data."))
    _fail_stale_runs(kind)
    snapshot = {
        "sources": [
            {"name": name, "resource_code": state.resource_code, "version": state.version,
             "version_created_at": state.version_created_at.isoformat(), "columns": state.source.columns,
             "authoritative_for": state.source.authoritative_for,
             "verified_attributes": state.source.verified_attributes}
            for name, state in states.items()
        ],
        "match_threshold": spec.LinkageConfig.match_threshold,
        "review_threshold": spec.LinkageConfig.review_threshold,
    }
    try:
        with transaction.atomic():
            run = LinkageRun.objects.create(
                kind=kind, status=RunStatus.RUNNING, config=snapshot, started_at=now(), actor_kind=actor.kind,
                actor_user_id=actor.user_id,
            )
    except IntegrityError:
        raise ValidationError(_("A run of this registry is already under way.")) from None
    output = runs_root() / kind / str(run.public_id)
    config = spec.LinkageConfig(
        kind=kind, sources=tuple(sources), output=output,
        memory_limit=getattr(settings, "REGISTRY_MEMORY_LIMIT", None),
    )
    decisions = decisions_for(kind)
    run.output = str(output)
    run.save(update_fields=["output"])
    try:
        result = linkage_run(config, decisions=decisions, progress=progress)
        if progress:
            progress("apply", 0, None)
        with transaction.atomic():
            _apply(run, result, states)
    except Exception as error:
        LinkageRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=now(), error=f"{type(error).__name__}: {error}"[:4000],
        )
        raise
    if not getattr(settings, "REGISTRY_KEEP_RUN_OUTPUT", False):
        shutil.rmtree(output, ignore_errors=True)
    run.refresh_from_db()
    return run


# --- applying a result -------------------------------------------------------------------------


def _read_parquet(path: Path, where: str = "") -> list[dict[str, Any]]:
    import duckdb

    con = duckdb.connect()
    try:
        cursor = con.execute(f"SELECT * FROM read_parquet(?) {where}", [str(path)])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        con.close()


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


@dataclass(frozen=True)
class _Candidate:
    value: str
    digest: str  # keyed digest of the value (value_state): compared without decrypting
    state: _SourceState
    verified: bool
    authoritative: bool
    sort_key: tuple


def _survive(kind: str, rows: list[dict[str, Any]], states: dict[str, _SourceState]) -> dict[str, _Candidate]:
    """The golden value of each attribute among a cluster's records (see the module docstring)."""
    primary = PRIMARY_IDENTIFIER[kind]
    chosen: dict[str, _Candidate] = {}
    for attribute in ATTRIBUTES[kind]:
        best: _Candidate | None = None
        for row in rows:
            state = states.get(row["source"])
            if state is None or attribute not in state.source.columns:
                continue
            value = _text(row.get(attribute))
            if value is None:
                continue
            authoritative = attribute in state.source.authoritative_for
            verified = authoritative or attribute in state.source.verified_attributes
            valid = not (attribute == primary and row.get("id_valid") is False)
            since = row["_since"].get(attribute, state.version_created_at)
            # Larger is better; among equals the smaller record id wins.
            key = (valid, authoritative, verified, since, state.version)
            candidate = _Candidate(value, row["_state"][attribute][0], state, verified, authoritative,
                                   (key, row["record_id"]))
            if best is None or key > best.sort_key[0] or (key == best.sort_key[0] and row["record_id"] < best.sort_key[1]):
                best = candidate
        if best is not None:
            chosen[attribute] = best
    return chosen


def _value_state(kind: str, row: dict[str, Any], state: _SourceState, previous: dict) -> dict[str, list[str]]:
    """{attribute: [digest, since]} of a record: since keeps its old time while the value is the same."""
    result = {}
    for attribute in ATTRIBUTES[kind]:
        value = _text(row.get(attribute))
        if value is None or attribute not in state.source.columns:
            continue
        digest = blind_index(f"{attribute}|{value}", purpose=VALUE_PURPOSE)[:32]
        old = previous.get(attribute)
        result[attribute] = [digest, old[1] if old and old[0] == digest else state.version_created_at.isoformat()]
    return result


def _assign_masters(
    kind: str, members: dict[str, list[str]], existing: dict[str, SourceRecord], indexes: dict[str, str],
) -> tuple[dict[str, int | None], dict[int, int], set[int]]:
    """Which master each cluster belongs to (None: a new one), merges {merged: survivor}, and the
    masters that were split."""
    parts: dict[int, Counter] = defaultdict(Counter)
    for cluster_id, record_ids in members.items():
        for record_id in record_ids:
            record = existing.get(indexes[record_id])
            if record is not None:
                parts[record.master_id][cluster_id] += 1
    masters = {m.id: m for m in MasterRecord.objects.filter(kind=kind).exclude(status=MasterStatus.MERGED)
               .only("id", "created_at", "record_count")}
    claims: dict[str, list[int]] = defaultdict(list)
    split: set[int] = set()
    for master_id, counts in parts.items():
        biggest = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
        claims[biggest].append(master_id)
        if len(counts) > 1:
            split.add(master_id)
    assignment: dict[str, int | None] = {}
    merges: dict[int, int] = {}
    for cluster_id in members:
        claimants = claims.get(cluster_id, [])
        if not claimants:
            assignment[cluster_id] = None
            continue
        survivor = min(claimants, key=lambda m: (masters[m].created_at, -masters[m].record_count, m))
        assignment[cluster_id] = survivor
        for other in claimants:
            if other != survivor:
                merges[other] = survivor
    return assignment, merges, split


def _new_masters(kind: str, count: int, run: LinkageRun) -> list[MasterRecord]:
    masters: list[MasterRecord] = []
    while len(masters) < count:
        wanted = count - len(masters)
        ids = {registry_id_new(kind) for _ in range(wanted)}
        ids -= set(MasterRecord.objects.filter(registry_id__in=list(ids)).values_list("registry_id", flat=True))
        created = MasterRecord.objects.bulk_create(
            [MasterRecord(registry_id=i, kind=kind, created_run=run, updated_run=run) for i in sorted(ids)],
            batch_size=500,
        )
        masters.extend(created)
    by_id = {m.registry_id: m.pk for m in MasterRecord.objects.filter(registry_id__in=[m.registry_id for m in masters])}
    for master in masters:
        master.pk = master.id = by_id[master.registry_id]
    return masters


def _apply(run: LinkageRun, result: spec.LinkageResult, states: dict[str, _SourceState]) -> None:
    kind = run.kind
    moment = now()
    records: dict[str, dict[str, Any]] = {}
    for row in _read_parquet(result.records_path):
        records.setdefault(row["record_id"], row)
    cluster_of = {row["record_id"]: row["cluster_id"] for row in _read_parquet(result.clusters_path)}
    members: dict[str, list[str]] = defaultdict(list)
    for record_id in sorted(records):
        members[cluster_of.get(record_id, record_id)].append(record_id)
    indexes = {record_id: record_index(record_id) for record_id in records}

    existing = {
        r.record_index: r
        for r in SourceRecord.objects.filter(kind=kind).only(
            "id", "record_index", "master_id", "source_id", "dataset_version", "is_present", "last_run_id",
            "value_state",
        )
    }
    for record_id, row in records.items():
        previous = existing.get(indexes[record_id])
        row["_state"] = _value_state(kind, row, states[row["source"]], previous.value_state if previous else {})
        row["_since"] = {a: datetime.fromisoformat(since) for a, (_d, since) in row["_state"].items()}
    assignment, merges, split = _assign_masters(kind, members, existing, indexes)
    new_clusters = sorted(cluster_id for cluster_id, master in assignment.items() if master is None)
    for cluster_id, master in zip(new_clusters, _new_masters(kind, len(new_clusters), run)):
        assignment[cluster_id] = master.pk

    # Source records follow their cluster's master.
    to_create, to_update = [], []
    for cluster_id, record_ids in members.items():
        master_id = assignment[cluster_id]
        for record_id in record_ids:
            state = states[records[record_id]["source"]]
            record = existing.pop(indexes[record_id], None)
            if record is None:
                to_create.append(SourceRecord(
                    kind=kind, record_id=record_id, source=state.source, dataset_version=state.version,
                    master_id=master_id, last_run=run, value_state=records[record_id]["_state"],
                ))
            else:
                record.master_id, record.source_id, record.dataset_version = master_id, state.source.pk, state.version
                record.is_present, record.last_run_id = True, run.pk
                record.value_state = records[record_id]["_state"]
                to_update.append(record)
    for record in existing.values():  # gone from their source
        if record.is_present:
            record.is_present, record.last_run_id = False, run.pk
            to_update.append(record)
    SourceRecord.objects.bulk_create(to_create, batch_size=500)
    SourceRecord.objects.bulk_update(
        to_update, ["master_id", "source_id", "dataset_version", "is_present", "last_run_id", "value_state",
                    "updated_at"],
        batch_size=500,
    )

    # Merges: the merged ids redirect to the survivor, and so does whatever redirected to them.
    for merged, survivor in merges.items():
        final = survivor
        while final in merges:
            final = merges[final]
        MasterRecord.objects.filter(pk=merged).update(
            status=MasterStatus.MERGED, merged_into_id=final, updated_run=run, updated_at=moment,
        )
        MasterRecord.objects.filter(merged_into_id=merged).update(merged_into_id=final)
    # Masters left without a record in any source are retired (their ids still answer, as retired).
    orphans = MasterRecord.objects.filter(kind=kind, status=MasterStatus.ACTIVE).exclude(
        pk__in=SourceRecord.objects.filter(kind=kind, is_present=True).values("master_id"))
    retired = orphans.update(status=MasterStatus.RETIRED, updated_run=run, updated_at=moment)

    changed = _golden_update(run, members, assignment, records, states, moment)

    pairs = _read_parquet(result.pairs_path, "WHERE status = 'review'")
    _review_pairs_update(run, pairs, records, states, indexes)

    publish_merges = [(merged, survivor) for merged, survivor in merges.items()]
    if publish_merges:
        ids = dict(MasterRecord.objects.filter(
            pk__in=[m for pair in publish_merges for m in pair]).values_list("pk", "registry_id"))
        for merged, survivor in publish_merges:
            publish(MASTER_MERGED, {"registry_id": ids[merged], "kind": kind, "merged_into": ids[survivor],
                                    "run": str(run.public_id)})

    run.status = RunStatus.SUCCEEDED
    run.records = result.records
    run.pairs_linked = result.pairs_linked
    run.pairs_for_review = result.pairs_for_review
    run.clusters = result.clusters
    run.linkage_seconds = result.seconds
    run.report = _json_safe(result.report)
    run.masters_created = len(new_clusters)
    run.masters_merged = len(merges)
    run.masters_split = len(split)
    run.masters_retired = retired
    run.masters_changed = changed
    run.finished_at = now()
    run.save()


def _golden_update(
    run: LinkageRun, members: dict[str, list[str]], assignment: dict[str, int | None],
    records: dict[str, dict[str, Any]], states: dict[str, _SourceState], moment: datetime,
) -> int:
    """Survivorship for every cluster's master; history and one event per changed master.
    Returns how many masters changed.

    Current values are compared by their keyed digests, so a run decrypts only the old values it
    writes to the history, not the whole registry."""
    kind = run.kind
    # The whole registry at once (no long IN lists, which SQLite caps): a run rewrites all of it anyway.
    masters = {m.pk: m for m in MasterRecord.objects.filter(kind=kind).exclude(status=MasterStatus.MERGED)}
    current: dict[int, dict[str, GoldenAttribute]] = defaultdict(dict)
    for attribute in (GoldenAttribute.objects.filter(master__kind=kind).exclude(master__status=MasterStatus.MERGED)
                      .only("id", "master_id", "attribute", "value_digest", "source_id", "dataset_version",
                            "verified", "authoritative")):
        current[attribute.master_id][attribute.attribute] = attribute
    creates, changed_rows, provenance_rows, deletes, history, events = [], [], [], [], [], []
    master_updates = []
    for cluster_id, record_ids in members.items():
        master = masters[assignment[cluster_id]]
        chosen = _survive(kind, [records[r] for r in record_ids], states)
        old = current.get(master.pk, {})
        names = []
        for attribute in ATTRIBUTES[kind]:
            new, cur = chosen.get(attribute), old.get(attribute)
            if new is None and cur is None:
                continue
            if new is None:
                deletes.append(cur.pk)
                history.append((cur.pk, AttributeHistory(master_id=master.pk, attribute=attribute, new_value=None,
                                                         run=run, changed_at=moment)))
                names.append(attribute)
                continue
            values = {
                "source": new.state.source, "resource_code": new.state.resource_code,
                "department_id": new.state.department_id, "dataset_version": new.state.version,
                "verified": new.verified, "authoritative": new.authoritative,
                "source_updated_at": new.state.version_created_at, "run": run,
            }
            value_fields = {
                "value": new.value, "value_digest": new.digest,
                "lookup_index": identifier_index(attribute, new.value) if attribute in IDENTIFIERS else "",
            }
            if cur is None:
                creates.append(GoldenAttribute(master_id=master.pk, attribute=attribute, updated_at=moment,
                                               **values, **value_fields))
            elif cur.value_digest != new.digest:
                update = GoldenAttribute(pk=cur.pk, master_id=master.pk, attribute=attribute, updated_at=moment,
                                         **values, **value_fields)
                changed_rows.append(update)
            else:
                same = (cur.source_id == new.state.source.pk and cur.dataset_version == new.state.version
                        and cur.verified == new.verified and cur.authoritative == new.authoritative)
                if not same:  # the same value, now from another source or version: provenance only
                    for name, value in values.items():
                        setattr(cur, name, value)
                    provenance_rows.append(cur)
                continue
            history.append((cur.pk if cur is not None else None, AttributeHistory(
                master_id=master.pk, attribute=attribute, new_value=new.value, source=new.state.source,
                resource_code=new.state.resource_code, dataset_version=new.state.version, verified=new.verified,
                run=run, changed_at=moment,
            )))
            names.append(attribute)
        label = _masked_label(kind, chosen)
        index = name_birth_index(chosen["name"].value, chosen["birth_date"].value) if (
            kind == Kind.PERSON and "name" in chosen and "birth_date" in chosen) else ""
        if (master.status != MasterStatus.ACTIVE or master.record_count != len(record_ids)
                or master.masked_label != label or master.name_birth_index != index or names):
            master.status, master.record_count, master.masked_label = MasterStatus.ACTIVE, len(record_ids), label
            master.name_birth_index, master.updated_run, master.updated_at = index, run, moment
            master.merged_into = None
            master_updates.append(master)
        if names:
            events.append({"registry_id": master.registry_id, "kind": kind, "attributes": names,
                           "run": str(run.public_id)})
    # The old values the history needs, decrypted in batches (before they are overwritten).
    old_ids = [pk for pk, _row in history if pk is not None]
    old_values: dict[int, str] = {}
    for start in range(0, len(old_ids), 500):
        old_values.update(GoldenAttribute.objects.filter(pk__in=old_ids[start:start + 500]).values_list("pk", "value"))
    for pk, row in history:
        row.old_value = old_values.get(pk) if pk is not None else None
    for start in range(0, len(deletes), 500):
        GoldenAttribute.objects.filter(pk__in=deletes[start:start + 500]).delete()
    GoldenAttribute.objects.bulk_create(creates, batch_size=500)
    provenance = ["source", "resource_code", "department", "dataset_version", "verified", "authoritative",
                  "source_updated_at", "run"]
    GoldenAttribute.objects.bulk_update(changed_rows, ["value", "value_digest", "lookup_index", "updated_at",
                                                       *provenance], batch_size=500)
    GoldenAttribute.objects.bulk_update(provenance_rows, provenance, batch_size=500)
    AttributeHistory.objects.bulk_create([row for _pk, row in history], batch_size=500)
    MasterRecord.objects.bulk_update(
        master_updates, ["status", "record_count", "masked_label", "name_birth_index", "updated_run", "updated_at",
                         "merged_into"], batch_size=500,
    )
    for payload in events:
        publish(GOLDEN_RECORD_CHANGED, payload)
    return len(events)


def _masked_label(kind: str, chosen: dict[str, _Candidate]) -> str:
    name = chosen.get("name")
    if name is None:
        return ""
    # A company's name is a public registration fact; a person's is masked (张*).
    return name.value[:64] if kind == Kind.COMPANY else mask_value(FieldKind.NAME, name.value)[:64]


# --- clerical review ----------------------------------------------------------------------------


def _review_department(left: _SourceState, right: _SourceState) -> int | None:
    """The department that owns both records, else the nearest big-data bureau over both (county,
    city, province); None when there is none (supervisors then see the case)."""
    if left.department_id == right.department_id:
        return left.department_id
    codes = dict(Department.objects.filter(pk__in=[left.department_id, right.department_id])
                 .values_list("pk", "division__code"))
    first, second = codes.get(left.department_id, ""), codes.get(right.department_id, "")
    candidates = []
    if first[:6] == second[:6]:
        candidates.append(first[:6])
    if first[:4] == second[:4]:
        candidates.append(first[:4] + "00")
    candidates.append(first[:2] + "0000")
    for division_code in candidates:
        bureau = Department.objects.filter(kind=DepartmentKind.BIG_DATA, division__code=division_code).first()
        if bureau is not None:
            return bureau.pk
    return None


def _values_json(row: dict[str, Any], kind: str) -> str:
    return json.dumps({a: _text(row.get(a)) for a in ATTRIBUTES[kind] if _text(row.get(a)) is not None},
                      ensure_ascii=False, sort_keys=True)


def _review_pairs_update(
    run: LinkageRun, pairs: list[dict[str, Any]], records: dict[str, dict[str, Any]],
    states: dict[str, _SourceState], indexes: dict[str, str],
) -> None:
    kind = run.kind
    open_pairs = {p.pair_index: p for p in ReviewPair.objects.filter(kind=kind, status=PairStatus.OPEN).only(
        "id", "pair_index", "case_id", "match_probability", "last_run_id", "status")}
    wanted = sorted({indexes[r] for pair in pairs for r in (pair["left_record_id"], pair["right_record_id"])
                     if r in indexes})
    masters: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        masters.update(SourceRecord.objects.filter(kind=kind, record_index__in=wanted[start:start + 500])
                       .values_list("record_index", "master_id"))
    seen: set[str] = set()
    for pair in sorted(pairs, key=lambda p: (p["left_record_id"], p["right_record_id"])):
        left_id, right_id = sorted((pair["left_record_id"], pair["right_record_id"]))
        index = pair_index(kind, left_id, right_id)
        if index in seen or left_id not in records or right_id not in records:
            continue
        seen.add(index)
        probability = float(pair["match_probability"])
        existing = open_pairs.get(index)
        if existing is not None:
            ReviewPair.objects.filter(pk=existing.pk).update(match_probability=probability, last_run=run)
            continue
        left, right = records[left_id], records[right_id]
        department_id = _review_department(states[left["source"]], states[right["source"]])
        left_label = mask_value(FieldKind.NAME, _text(left.get("name")) or "") or "—"
        right_label = mask_value(FieldKind.NAME, _text(right.get("name")) or "") or "—"
        with translation.override(settings.LANGUAGE_CODE):
            params = {"left": left_label, "right": right_label, "probability": f"{probability:.2f}",
                      "left_source": states[left["source"]].resource_code,
                      "right_source": states[right["source"]].resource_code}
            title = (gettext("Same person? %(left)s and %(right)s (match %(probability)s)") if kind == Kind.PERSON
                     else gettext("Same company? %(left)s and %(right)s (match %(probability)s)")) % params
            description = gettext(
                "The linkage is not sure whether a record of %(left_source)s and a record of %(right_source)s are "
                "the same (match probability %(probability)s). Compare them on the review page and decide: the "
                "decision is kept and every later run follows it."
            ) % params
        review = ReviewPair(
            kind=kind, left_record_id=left_id, right_record_id=right_id, pair_index=index,
            match_probability=probability, left_values=_values_json(left, kind),
            right_values=_values_json(right, kind), left_master_id=masters.get(indexes[left_id]),
            right_master_id=masters.get(indexes[right_id]), department_id=department_id, run=run, last_run=run,
        )
        case = case_report(actor=SYSTEM, kind=REGISTRY_REVIEW.code, title=title[:200], description=description,
                           assignee_department_id=department_id,
                           subject_ref=f"registry.ReviewPair:{review.public_id}")
        review.case_id = case.public_id
        review.save()
    for index, review in open_pairs.items():
        if index in seen:
            continue
        review.status = PairStatus.SUPERSEDED
        review.last_run = run
        review.save(update_fields=["status", "last_run"])
        _case_close(review.case_id, _in_platform_language(
            _("The run of %(time)s no longer finds this pair in doubt: no decision is needed."),
            time=timezone.localtime(run.started_at).strftime("%Y-%m-%d %H:%M")))


def _case_close(case_id: UUID, note: str) -> None:
    try:
        case_resolve_by_system(case=case_id, note=note)
    except InvalidTransition:
        pass  # people closed the case already


def review_decide(*, actor: Actor, pair: ReviewPair | UUID, accepted: bool, note: str = "") -> ReviewPair:
    """A data officer's verdict on a pair: kept as a ClericalDecision (every later run follows it),
    the pair is decided and its loop case closed. PermissionDenied for anyone not entitled to
    review pairs on that desk; ValidationError when the pair is decided already."""
    public_id = pair.public_id if isinstance(pair, ReviewPair) else pair
    note = " ".join(str(note or "").split())[:500]
    with transaction.atomic():
        review = ReviewPair.objects.select_for_update().filter(public_id=public_id).first()
        if review is None or not permissions.may_review_in_department(actor, review.department_id):
            raise PermissionDenied("may not review this pair")
        if review.status != PairStatus.OPEN:
            raise ValidationError(_("This pair has been decided already."), code="decided")
        moment = now()
        decision = ClericalDecision.objects.create(
            kind=review.kind, left_record_id=review.left_record_id, right_record_id=review.right_record_id,
            pair_index=review.pair_index, accepted=accepted, note=note, decided_by_id=actor.user_id,
            actor_kind=actor.kind, department_id=actor.department_id, decided_at=moment,
        )
        review.status = PairStatus.ACCEPTED if accepted else PairStatus.REJECTED
        review.decision = decision
        review.decided_at = moment
        review.save(update_fields=["status", "decision", "decided_at"])
        ledger_append(kind="registry.review_decided", subject=str(review.public_id), actor=actor_label(actor),
                      payload={"registry": review.kind, "accepted": accepted, "case": str(review.case_id)})
        verdict = _("the same entity") if accepted else _("different entities")
        _case_close(review.case_id, _in_platform_language(
            _("Decided: %(verdict)s. The next run of the registry follows this decision."), verdict=verdict))
    return review
