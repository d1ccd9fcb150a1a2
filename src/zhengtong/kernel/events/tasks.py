"""Queue tasks that deliver events to handlers and webhooks; the work itself is in services."""

from uuid import UUID

from django_tasks import task

from . import services


@task()
def event_deliver(event_id: str) -> int:
    """Queued once the publishing transaction commits: attempt each of the event's deliveries."""
    return services.event_deliver(event_id=UUID(event_id))


@task()
def delivery_attempt(delivery_id: int) -> str | None:
    """Queued for a retry (with run_after), by the sweeper, or by the admin's retry action."""
    return services.delivery_attempt(delivery_id=delivery_id)


@task()
def deliveries_redeliver_due() -> int:
    """The sweeper as a task, for a deployment that schedules it through the queue."""
    return services.deliveries_redeliver_due()


@task()
def webhook_delivery_attempt(delivery_id: int) -> str | None:
    """Queued once the publishing transaction commits, for each retry (with run_after), and on redelivery."""
    return services.webhook_delivery_attempt(delivery_id=delivery_id)


@task()
def webhook_deliveries_deliver_due() -> int:
    """Queued by the sweeper: deliver webhooks left behind by a lost task or a dead worker."""
    return services.webhook_deliveries_deliver_due()
