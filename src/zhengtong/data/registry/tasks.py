"""Queue tasks of the registries: a linkage run on the worker (`zhengtong db_worker`)."""

from django_tasks import task

from . import services


@task()
def registry_run_task(kind: str) -> str:
    """Link the registry's sources and apply the result; returns the run's status."""
    return services.registry_run(actor=services.SYSTEM, kind=kind).status
