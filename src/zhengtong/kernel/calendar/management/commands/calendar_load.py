"""`zhengtong calendar_load FILE --year 2027 --source "国务院办公厅关于2027年部分节假日安排的通知"`

Loads (or replaces) one year's holiday schedule from a CSV file; the format is described in
zhengtong.kernel.calendar.schedule_file. Nothing is loaded if any line is wrong.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zhengtong.kernel.calendar.schedule_file import ScheduleRejected, schedule_file_read
from zhengtong.kernel.calendar.services import COMMAND_LINE_ACTOR, schedule_load


class Command(BaseCommand):
    help = "Load one year's official holidays and swapped workdays from a CSV file (date,kind,name)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file with the header date,kind,name")
        parser.add_argument("--year", type=int, required=True, help="the year the file is for")
        parser.add_argument("--source", required=True, help="title of the notice the schedule comes from")

    def handle(self, *args, file: Path, year: int, source: str, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from error
        try:
            days = schedule_file_read(data)
            schedule = schedule_load(actor=COMMAND_LINE_ACTOR, year=year, source=source, days=days)
        except ScheduleRejected as rejected:
            raise CommandError(
                f"{file}: nothing was loaded.\n" + "\n".join(f"  {problem}" for problem in rejected.problems)
            ) from None
        holidays = sum(day.kind == "holiday" for day in days)
        self.stdout.write(
            f"Loaded {schedule.year}: {holidays} holidays, {len(days) - holidays} swapped workdays "
            f"({schedule.source})."
        )
