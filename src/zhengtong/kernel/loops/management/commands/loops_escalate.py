"""`zhengtong loops_escalate`: escalate overdue case steps one level up. Run it daily (cron or timer)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from zhengtong.kernel.loops import services


class Command(BaseCommand):
    help = "Escalate every open case whose running step is past its due date (once per step)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", dest="on_date", help="Treat this day (YYYY-MM-DD) as today; default: today in Beijing time."
        )

    def handle(self, *args, on_date=None, **options):
        today = None
        if on_date:
            try:
                today = date.fromisoformat(on_date)
            except ValueError as error:
                raise CommandError(f"--date: {error}") from error
        count = services.cases_escalate_overdue(today=today)
        self.stdout.write(f"{count} cases escalated")
