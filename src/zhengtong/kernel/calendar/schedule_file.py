"""The holiday schedule file (节假日安排文件): one year's holidays and swapped workdays as CSV.

Format::

    # Lines starting with # are comments; blank lines are ignored.
    date,kind,name
    2027-01-01,holiday,元旦
    2027-02-20,workday,春节

- The first line that is not a comment is the header, exactly ``date,kind,name``.
- ``date``: ISO 8601, ``YYYY-MM-DD``; every date must lie in the year being loaded, once.
- ``kind``: ``holiday`` (放假, a day off) or ``workday`` (调休上班, a swapped workday).
  A holiday may fall on any day: the weekend days inside a holiday span are listed as holidays,
  as the State Council notice lists them. A workday must be a Saturday or a Sunday, since a
  swapped workday is by definition a weekend day worked.
- ``name``: the festival (元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节…). Required for a
  holiday; for a workday, the festival it is swapped for (may be left empty).
- Every day not listed follows the ordinary rule: Monday to Friday work, Saturday and Sunday off.
- Text encoding: UTF-8 (with or without a byte-order mark); GB18030 is accepted too, since that is
  what Excel writes when it saves CSV on a Chinese-language Windows.

A loaded year replaces chinesecalendar's data for that year entirely, so a correction of a year
the package covers lists the whole year, not just the changed days.

A format example (invented dates, not an official schedule) is in the test fixtures:
``tests/kernel/calendar/fixtures/holiday-schedule-example.csv``.
"""

import csv
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

HEADER = ("date", "kind", "name")
# A year has 366 days at most; a longer file cannot be a valid schedule, so stop reading early.
MAX_DATA_LINES = 400


@dataclass(frozen=True)
class ScheduleDayRow:
    """One listed day, with the line of the file it came from (None when not from a file)."""

    date: date
    kind: str
    name: str = ""
    line: int | None = None


class ScheduleRejected(Exception):
    """A schedule (or its file) that cannot be loaded, with every problem found, in the user's language."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


def schedule_file_decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ScheduleRejected([_("The file is not text in UTF-8 or GB18030: save it as CSV (UTF-8).")]) from None


def schedule_file_read(data: bytes) -> list[ScheduleDayRow]:
    """Parse a schedule file into rows. Raises ScheduleRejected listing every line that is wrong.

    Only the file's shape is checked here (header, columns, date syntax); what the rows mean (the
    year, duplicates, kinds, weekdays) is checked by the load service, which sees rows from any source.
    """
    text = schedule_file_decode(data)
    problems: list[str] = []
    rows: list[ScheduleDayRow] = []
    header_seen = False
    data_lines = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in next(csv.reader([line]))]
        if not header_seen:
            header_seen = True
            if tuple(cell.lower() for cell in cells) != HEADER:
                problems.append(
                    _("Line %(line)d: the header must be “date,kind,name”, not “%(found)s”.")
                    % {"line": number, "found": line.strip()}
                )
                break
            continue
        data_lines += 1
        if data_lines > MAX_DATA_LINES:
            problems.append(
                _("Line %(line)d: a year has at most 366 days, but the file goes on past %(max)d lines.")
                % {"line": number, "max": MAX_DATA_LINES}
            )
            break
        if len(cells) != 3:
            problems.append(
                _("Line %(line)d: expected 3 columns (date,kind,name), found %(count)d.")
                % {"line": number, "count": len(cells)}
            )
            continue
        raw_date, kind, name = cells
        try:
            # fromisoformat also takes 20270101 and week dates; the format promises YYYY-MM-DD only.
            if len(raw_date) != 10:
                raise ValueError
            day = date.fromisoformat(raw_date)
        except ValueError:
            problems.append(
                _("Line %(line)d: “%(value)s” is not a date written as YYYY-MM-DD.")
                % {"line": number, "value": raw_date}
            )
            continue
        rows.append(ScheduleDayRow(date=day, kind=kind, name=name, line=number))
    if not header_seen:
        problems.append(_("The file is empty: it needs the header “date,kind,name” and one line per day."))
    if problems:
        raise ScheduleRejected(problems)
    return rows
