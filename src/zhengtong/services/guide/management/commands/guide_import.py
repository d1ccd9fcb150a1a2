"""`zhengtong guide_import FILE`: load service items, implementation lists and materials from a
spreadsheet in the standard layout (see guide/spreadsheet.py), all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhengtong.kernel.identity.public import Actor
from zhengtong.services.guide.spreadsheet import SpreadsheetError, guide_import


class Command(BaseCommand):
    help = "Import service items and implementation lists from an .xlsx file in the standard layout (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx file")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            result = guide_import(actor=Actor(kind="system"), content=path.read_bytes())
        except SpreadsheetError as error:
            raise CommandError("nothing was imported:\n" + "\n".join(f"  {m}" for m in error.messages)) from None
        self.stdout.write(
            f"imported {path.name}: items {result.items_created} created, {result.items_updated} updated; "
            f"implementation lists {result.implementations_created} created, {result.implementations_updated} updated, "
            f"{result.published} published, {result.suspended} suspended"
        )
