"""`zhengtong supervision refresh-entities`: refresh the inspectable-entity register from the
legal-person registry and credit (`--credit-only` re-reads only the credit classes)."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Supervision maintenance: refresh-entities [--credit-only]."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["refresh-entities"])
        parser.add_argument("--credit-only", action="store_true")

    def handle(self, *args, action, credit_only=False, **options):
        from zhengtong.supervision.supervision import services

        if action != "refresh-entities":
            raise CommandError(f"Unknown action {action}")
        if credit_only:
            self.stdout.write(f"{services.entities_refresh_credit()} credit classes changed")
        else:
            self.stdout.write(f"{services.entities_refresh()} entities refreshed")
