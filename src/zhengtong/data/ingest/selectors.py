"""Reads of ingest: versions of a dataset, and loads for the people who may see them."""

from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet

from zhengtong.data.catalog.public import DatasetRef, access_dataset_for_load, dataset_get
from zhengtong.kernel.identity.public import Actor

from .models import DatasetVersion, Load


def version_list(*, dataset_id: int) -> QuerySet[DatasetVersion]:
    return DatasetVersion.objects.filter(dataset_id=dataset_id).order_by("-number")


def version_current(*, dataset_id: int) -> DatasetVersion | None:
    return version_list(dataset_id=dataset_id).first()


def access_dataset_loads(*, actor: Actor, public_id: UUID | str) -> DatasetRef:
    """The dataset, if the actor may load into it and so see its loads: PermissionDenied
    otherwise, also for a dataset that does not exist."""
    try:
        dataset = dataset_get(public_id=public_id)
    except ValidationError:
        dataset = None
    if dataset is None:
        raise PermissionDenied
    return access_dataset_for_load(actor=actor, resource_code=dataset.resource_code)


def load_list(*, actor: Actor, dataset_public_id: UUID | str) -> QuerySet[Load]:
    dataset = access_dataset_loads(actor=actor, public_id=dataset_public_id)
    return Load.objects.filter(dataset_id=dataset.id).select_related("version").order_by("-created_at", "-id")


def access_load(*, actor: Actor, public_id: UUID | str) -> Load:
    """The load, if the actor may load into its dataset. Load.DoesNotExist when there is no such
    load; PermissionDenied when it is another department's."""
    load = Load.objects.select_related("version").filter(public_id=public_id).first()
    if load is None:
        raise Load.DoesNotExist
    dataset = dataset_get(dataset_id=load.dataset_id)
    access_dataset_for_load(actor=actor, resource_code=dataset.resource_code)
    return load
