"""What other modules may use of the registries: frozen references, not ORM rows.

    registry_lookup(kind="person", resident_id="330106199101010078")  # → MasterRef or None
    master_get("ZJP…")                                                 # merged ids follow the redirect

Changes reach other modules as events, after commit:
  registry.golden_record_changed {registry_id, kind, attributes: [names], run}
  registry.master_merged         {registry_id, kind, merged_into, run}
Values are never in events: a subscriber reads them through the registry API under its grant.
"""

from dataclasses import dataclass

from django.db import connection

from .attributes import GENDER_WORDS, LABELS, MASKING
from .ids import registry_id_normalize
from .models import ATTRIBUTES, GoldenAttribute, MasterRecord, MasterStatus
from .selectors import GoldenRecord, Scope, _golden_many
from .services import GOLDEN_RECORD_CHANGED, MASTER_MERGED, identifier_index

__all__ = ["ATTRIBUTES", "GOLDEN_RECORD_CHANGED", "LABELS", "MASKING", "MASTER_MERGED", "GoldenRecord", "MasterRef", "golden_records_shared", "golden_values_shared",
           "master_get", "registry_lookup"]


@dataclass(frozen=True)
class MasterRef:
    registry_id: str
    kind: str
    status: str


def master_get(registry_id: str) -> MasterRef | None:
    """The master under this id, following merges to the survivor; None if unknown. No access
    check: for modules attributing records (credit, supervision), not for showing values."""
    normalized = registry_id_normalize(registry_id)
    master = MasterRecord.objects.filter(registry_id=normalized).first() if normalized else None
    seen = set()
    while master is not None and master.status == MasterStatus.MERGED and master.merged_into_id not in seen:
        seen.add(master.pk)
        master = MasterRecord.objects.filter(pk=master.merged_into_id).first()
    return MasterRef(master.registry_id, master.kind, master.status) if master else None


def registry_lookup(*, kind: str, resident_id: str = "", uscc: str = "") -> MasterRef | None:
    """The active master holding this identifier (through the blind index), if any."""
    attribute, value = ("resident_id", resident_id) if resident_id else ("uscc", uscc)
    if not value:
        return None
    row = (GoldenAttribute.objects.filter(master__kind=kind, master__status=MasterStatus.ACTIVE, attribute=attribute,
                                          lookup_index=identifier_index(attribute, value))
           .select_related("master").first())
    return MasterRef(row.master.registry_id, row.master.kind, row.master.status) if row else None


def masters_resolve(registry_ids: list[str]) -> dict[str, MasterRecord]:
    """The master each id names, following merges to the survivor (unknown and malformed ids left
    out): one query for all, and one more per merge hop only when some id was merged."""
    normalized = {asked: registry_id_normalize(asked) for asked in dict.fromkeys(registry_ids)}
    by_id = {m.registry_id: m for m in MasterRecord.objects.filter(
        registry_id__in={n for n in normalized.values() if n})}
    found = {asked: by_id[n] for asked, n in normalized.items() if n and n in by_id}
    seen: set[int] = set()
    while merged := {asked: m for asked, m in found.items()
                     if m.status == MasterStatus.MERGED and m.merged_into_id not in seen}:
        seen.update(m.pk for m in merged.values())
        targets = MasterRecord.objects.in_bulk({m.merged_into_id for m in merged.values()})
        for asked, master in merged.items():
            target = targets.get(master.merged_into_id)
            if target is None:
                del found[asked]
            else:
                found[asked] = target
    return found


def golden_values_shared(*, kind: str, registry_ids: list[str], fields: tuple[str, ...]) -> dict[str, tuple[str, dict]]:
    """The gateway's keyed read: for each id of an active `kind` master (merged ids follow to the
    survivor), (the survivor's registry id, {attribute: value}) with `fields` only, in plain (gender
    as its word, as golden records show it). No provenance, no access check and no ledger entry:
    the exchange gateway masks, decides and logs.

    The gateway's busiest registry path, so one plain statement (masters and their values joined)
    rather than two ORM queries; a merged id costs masters_resolve's queries on top."""
    normalized = {asked: registry_id_normalize(asked) for asked in dict.fromkeys(registry_ids)}
    wanted = [a for a in ATTRIBUTES[kind] if a in set(fields)]
    ids = sorted({n for n in normalized.values() if n})
    if not ids:
        return {}
    quote = connection.ops.quote_name
    master_table, attribute_table = quote(MasterRecord._meta.db_table), quote(GoldenAttribute._meta.db_table)
    attribute_filter = f"a.{quote('attribute')} IN ({', '.join(['%s'] * len(wanted))})" if wanted else "1 = 0"
    sql = (f"SELECT m.{quote('registry_id')}, m.{quote('kind')}, m.{quote('status')}, a.{quote('attribute')}, "
           f"a.{quote('value')} FROM {master_table} m LEFT JOIN {attribute_table} a "
           f"ON a.{quote('master_id')} = m.{quote('id')} AND {attribute_filter} "
           f"WHERE m.{quote('registry_id')} IN ({', '.join(['%s'] * len(ids))})")
    value_field = GoldenAttribute._meta.get_field("value")
    found: dict[str, tuple[str, str, dict]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*wanted, *ids])
        for registry_id, master_kind, status, attribute, value in cursor.fetchall():
            _kind, _status, values = found.setdefault(registry_id, (master_kind, status, {}))
            if attribute is None:
                continue
            value = value_field.from_db_value(value, None, connection)
            if value is not None and attribute == "gender":
                value = str(GENDER_WORDS.get(value, value))
            values[attribute] = value
    merged = [asked for asked, n in normalized.items() if n in found and found[n][1] == MasterStatus.MERGED]
    if merged:  # rare: follow the merges, then read the survivors the same way
        survivors = {asked: master.registry_id for asked, master in masters_resolve(merged).items()}
        again = golden_values_shared(kind=kind, registry_ids=list(survivors.values()), fields=fields) \
            if survivors else {}
    order = {a: i for i, a in enumerate(ATTRIBUTES[kind])}
    answers = {}
    for asked, n in normalized.items():
        if n in found and found[n][1] == MasterStatus.ACTIVE and found[n][0] == kind:
            answers[asked] = (n, dict(sorted(found[n][2].items(), key=lambda item: order[item[0]])))
        elif asked in merged and survivors.get(asked) in again:
            answers[asked] = again[survivors[asked]]
    return answers


def golden_records_shared(*, kind: str, registry_ids: list[str] | None = None, resident_ids: list[str] | None = None,
                          usccs: list[str] | None = None, fields: tuple[str, ...],
                          clear_fields: frozenset[str]) -> list[GoldenRecord]:
    """Golden records of active masters by registry id (merged ids follow to the survivor) or by
    identifier, with `fields` only (in the registry's attribute order), masked except
    `clear_fields`. No access check and no ledger entry: for the exchange gateway and mydata,
    which decide who may read and log the read themselves. Unknown ids are left out."""
    masters: dict[int, MasterRecord] = {}
    for registry_id in registry_ids or ():
        ref = master_get(registry_id)
        if ref is not None and ref.status == MasterStatus.ACTIVE and ref.kind == kind:
            master = MasterRecord.objects.get(registry_id=ref.registry_id)
            masters.setdefault(master.pk, master)
    for attribute, values in (("resident_id", resident_ids), ("uscc", usccs)):
        indexes = [identifier_index(attribute, v) for v in values or ()]
        indexes = [i for i in indexes if i]
        if indexes:
            for row in GoldenAttribute.objects.filter(master__kind=kind, master__status=MasterStatus.ACTIVE,
                                                      attribute=attribute, lookup_index__in=indexes
                                                      ).select_related("master"):
                masters.setdefault(row.master_id, row.master)
    wanted = tuple(a for a in ATTRIBUTES[kind] if a in set(fields))
    scope = Scope(kind, wanted, frozenset(clear_fields), "shared")
    return _golden_many(list(masters.values()), scope, with_history=False)
