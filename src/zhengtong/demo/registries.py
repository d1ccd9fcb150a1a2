"""The demo's base registries: the departments' datasets as registry sources, then one linkage
run per registry, as the big-data bureau would set them up.

一数一源: public security's household register is the source of truth for a person's identity
(ID, name, birth date, gender, registered address and division) but its phone numbers are what
people declared; social insurance adds the persons who work in Hangzhou but are registered
elsewhere, its identity fields checked at enrolment; market regulation's register is the source
of truth for companies.
"""

import sys

from tqdm import tqdm

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.models import Department

from .datasets import CITY_CODE, HOUSEHOLD_REGISTER, MARKET_REGISTER, SOCIAL_INSURANCE

PERSON_IDENTITY = ["resident_id", "name", "birth_date", "gender", "address", "division_code"]

DEMO_SOURCES = (
    # (dataset spec, registry, source name, key column, columns, authoritative for, verified)
    (HOUSEHOLD_REGISTER, "person", "hukou", "resident_id",
     {a: a for a in [*PERSON_IDENTITY, "mobile"]}, PERSON_IDENTITY, PERSON_IDENTITY),
    (SOCIAL_INSURANCE, "person", "shebao", "resident_id",
     {"resident_id": "resident_id", "name": "name", "gender": "gender", "birth_date": "birth_date"},
     [], ["resident_id", "name"]),
    (MARKET_REGISTER, "company", "shichang", "uscc",
     {"uscc": "uscc", "name": "name", "legal_representative": "legal_representative",
      "established_on": "registered_on", "address": "address"},
     ["uscc", "name", "legal_representative", "established_on", "address"],
     ["uscc", "name", "legal_representative", "established_on", "address"]),
)


def build_demo_registries(*, progress: bool = True) -> dict[str, str]:
    """Register the sources (once) and run both registries; {kind: run status}. A failed run is
    reported and recorded on the runs page, and does not stop the rest of the demo."""
    from zhengtong.data.catalog.models import Dataset
    from zhengtong.data.registry import services as registry
    from zhengtong.data.registry.models import MasterRecord

    actor = Actor(kind="system")
    if MasterRecord.objects.exists():
        return {}
    for spec, kind, name, key, columns, authoritative, verified in DEMO_SOURCES:
        department = Department.objects.get(division__code=CITY_CODE, kind=spec.department_kind)
        dataset = Dataset.objects.filter(owner_department=department, title=spec.title).first()
        if dataset is None:
            continue
        registry.source_register(actor=actor, kind=kind, resource_code=dataset.resource_code, name=name,
                                 key_column=key, columns=columns, authoritative_for=authoritative,
                                 verified_attributes=verified)
    statuses = {}
    for kind in tqdm(("person", "company"), desc="registries", unit="", disable=not progress):
        try:
            statuses[kind] = registry.registry_run(actor=actor, kind=kind).status
        except Exception as error:  # noqa: BLE001 - the demo goes on; the run page shows the error
            print(f"基础库比对失败 / The {kind} registry run failed: {error}", file=sys.stderr)
            statuses[kind] = "failed"
    return statuses
