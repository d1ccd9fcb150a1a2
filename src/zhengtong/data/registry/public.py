"""What other modules may use of the registries: frozen references, not ORM rows.

    registry_lookup(kind="person", resident_id="330106199101010078")  # → MasterRef or None
    master_get("ZJP…")                                                 # merged ids follow the redirect

Changes reach other modules as events, after commit:
  registry.golden_record_changed {registry_id, kind, attributes: [names], run}
  registry.master_merged         {registry_id, kind, merged_into, run}
Values are never in events: a subscriber reads them through the registry API under its grant.
"""

from dataclasses import dataclass

from .attributes import LABELS, MASKING
from .ids import registry_id_normalize
from .models import ATTRIBUTES, GoldenAttribute, MasterRecord, MasterStatus
from .selectors import GoldenRecord, Scope, _golden_many
from .services import GOLDEN_RECORD_CHANGED, MASTER_MERGED, identifier_index

__all__ = ["ATTRIBUTES", "GOLDEN_RECORD_CHANGED", "LABELS", "MASKING", "MASTER_MERGED", "GoldenRecord", "MasterRef", "golden_records_shared", "master_get",
           "registry_lookup"]


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
