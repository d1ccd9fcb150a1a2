"""What other modules may use of the registries: frozen references, not ORM rows.

    registry_lookup(kind="person", resident_id="330106199101010078")  # → MasterRef or None
    master_get("ZJP…")                                                 # merged ids follow the redirect

Changes reach other modules as events, after commit:
  registry.golden_record_changed {registry_id, kind, attributes: [names], run}
  registry.master_merged         {registry_id, kind, merged_into, run}
Values are never in events: a subscriber reads them through the registry API under its grant.
"""

from dataclasses import dataclass

from .ids import registry_id_normalize
from .models import GoldenAttribute, MasterRecord, MasterStatus
from .services import GOLDEN_RECORD_CHANGED, MASTER_MERGED, identifier_index

__all__ = ["GOLDEN_RECORD_CHANGED", "MASTER_MERGED", "MasterRef", "master_get", "registry_lookup"]


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
