"""Queue tasks of the ledger; the work itself is in services."""

from django_tasks import task

from . import services


@task()
def ledger_sequence_task() -> int:
    """Queued when a transaction that appended entries commits: sequence everything pending."""
    return services.ledger_sequence()
