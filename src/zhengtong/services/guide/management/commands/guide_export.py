"""`zhengtong guide_export FILE`: write every service item, implementation list and material to
an .xlsx file in the standard layout (see guide/spreadsheet.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from zhengtong.kernel.identity.public import Actor
from zhengtong.services.guide.spreadsheet import guide_export


class Command(BaseCommand):
    help = "Export the service items and implementation lists to an .xlsx file in the standard layout."

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write the .xlsx file")

    def handle(self, *args, file, **options):
        path = Path(file)
        content = guide_export(actor=Actor(kind="system"))
        path.write_bytes(content)
        self.stdout.write(f"wrote {path} ({len(content):,} bytes)")
