"""`zhengtong credit evaluate|expire|measures`: grade every subject, remove records at their maximum
publication period, re-seed the measure list."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhengtong.supervision.credit import measures, services
from zhengtong.supervision.credit.evaluation import credit_model, model_path


class Command(BaseCommand):
    help = "Public credit: evaluate every subject, expire records, seed the joint measures."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{evaluate,expire,measures}")
        actions.add_parser("evaluate", help="grade every subject with records (set-based, one statement)")
        expire = actions.add_parser("expire", help="remove records past their maximum publication period")
        expire.add_argument("--today", help="the day to expire at (YYYY-MM-DD); default today")
        actions.add_parser("measures", help="create or update the measures of data/measures.json")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_evaluate(self, **options):
        model = credit_model()
        count = services.credit_evaluate_all()
        self.stdout.write(self.style.SUCCESS(
            f"{count:,} subjects graded with credit model {model.version} ({model_path()})"))

    def handle_expire(self, today=None, **options):
        try:
            day = date.fromisoformat(today) if today else timezone.localdate()
        except ValueError as error:
            raise CommandError(f"--today: {error}") from error
        count = services.credit_records_expire(day)
        self.stdout.write(self.style.SUCCESS(f"{count:,} records removed at the end of their publication period"))

    def handle_measures(self, **options):
        self.stdout.write(self.style.SUCCESS(f"{measures.measures_seed():,} measures in the list"))
