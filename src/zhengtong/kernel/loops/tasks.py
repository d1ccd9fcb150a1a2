"""Queue tasks for loops: the escalation sweep, for a deployment that schedules it through the queue."""

from django_tasks import task

from . import services


@task()
def cases_escalate_overdue() -> int:
    return services.cases_escalate_overdue()
