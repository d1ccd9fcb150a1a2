"""Which companies the legal-person registry holds: the one read registry.public does not offer.

registry.public reads values by registry id (golden_values_shared) but has no listing of a kind's
active masters, which the refresh of the whole register needs. Until it has one
(`company_registry_ids()` would belong there), this reads the ids, and nothing else, from the
registry's master table; values still come only through registry.public.
"""


def company_registry_ids() -> list[str]:
    from zhengtong.data.registry.models import MasterRecord, MasterStatus

    return list(MasterRecord.objects.filter(kind="company", status=MasterStatus.ACTIVE)
                .order_by("registry_id").values_list("registry_id", flat=True))
