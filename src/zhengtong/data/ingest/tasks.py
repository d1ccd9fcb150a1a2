"""Queue tasks of ingest: run an uploaded load on the worker (`zhengtong db_worker`)."""

from uuid import UUID

from django_tasks import task

from . import services


@task()
def load_execute_task(load_id: str) -> str:
    """Queued when an upload completes; returns the load's final status."""
    return services.load_execute_uploaded(load_public_id=UUID(load_id))
