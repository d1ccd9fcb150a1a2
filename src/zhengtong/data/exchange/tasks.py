"""Queue tasks of the exchange: publishing a service's data on the worker (`zhengtong db_worker`)."""

from django_tasks import task

from .publishing import service_publish


@task()
def service_publish_task(service_id: int, version: int | None = None) -> int:
    """Publish a dataset version to its sharing service; returns the number of records."""
    return service_publish(service_id=service_id, version=version)
