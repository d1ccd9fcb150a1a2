"""`zhengtong events_redeliver`: queue event deliveries whose task was lost. Safe to run from cron."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from zhengtong.kernel.events import services


class Command(BaseCommand):
    help = "Queue a delivery task for every pending event delivery whose time has come."

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-seconds",
            type=float,
            default=None,
            help="Leave deliveries due less than this long ago alone (default: EVENTS_REDELIVER_GRACE_SECONDS, 300).",
        )

    def handle(self, *args, grace_seconds=None, **options):
        grace = None if grace_seconds is None else timedelta(seconds=grace_seconds)
        count = services.deliveries_redeliver_due(grace=grace)
        self.stdout.write(f"{count} event deliveries queued")
