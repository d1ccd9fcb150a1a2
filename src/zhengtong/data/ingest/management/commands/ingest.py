"""`zhengtong ingest DATASET FILE|URL`: load a file or a database table into a dataset.

    zhengtong ingest 330106-GA-00001 people.csv
    zhengtong ingest 330106-GA-00001 people-gbk.csv --mode upsert --encoding gbk
    zhengtong ingest 330106-GA-00001 'sqlite:////srv/hj.sqlite3' --table people
    zhengtong ingest 330106-GA-00001 'postgres://reader:…@db/hj' --query 'SELECT * FROM people'

Runs as the platform itself (a system actor): whoever has this shell already has the platform's
keys. Prints the report (failures per rule) and the new version; exits non-zero with the reason
(file, row, column) when the source is refused, and then nothing has changed.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from zhengtong.data.catalog.public import dataset_get
from zhengtong.data.ingest import public
from zhengtong.data.ingest.errors import IngestError
from zhengtong.data.ingest.readers import DatabaseSource, source_parse
from zhengtong.kernel.identity.public import Actor

PHASES = {"read": "reading", "validate": "checking", "write": "writing"}


class Command(BaseCommand):
    help = "Load a file (CSV, Excel, Parquet, JSON lines) or a database table into a dataset as a new version."

    def add_arguments(self, parser):
        parser.add_argument("dataset", help="The dataset's resource code, e.g. 330106-GA-00001.")
        parser.add_argument("source", help="A file, or a database URL (sqlite:///…, postgres://…).")
        parser.add_argument("--mode", choices=["full", "append", "upsert"], default="full",
                            help="full: replace the data; append: add rows; upsert: replace rows by primary key.")
        parser.add_argument("--format", dest="source_format", choices=["csv", "xlsx", "parquet", "jsonl"],
                            help="The file's format, when its name does not say.")
        parser.add_argument("--encoding", help="The text encoding of a CSV or JSON lines file (default: detected).")
        parser.add_argument("--table", help="For a database URL: the table to read.")
        parser.add_argument("--query", help="For a database URL: the query to read.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, dataset, source, mode, source_format=None, encoding=None, table=None, query=None,
               no_progress=False, **options):
        parsed = source_parse(source)
        if isinstance(parsed, DatabaseSource) and (table or query):
            parsed = DatabaseSource(url=parsed.url, table=table or parsed.table, query=query or parsed.query)
        bars: dict[str, tqdm] = {}

        def progress(phase: str, done: int, total: int | None) -> None:
            if no_progress or options.get("verbosity", 1) < 1:
                return
            bar = bars.get(phase)
            if bar is None:
                for other in bars.values():
                    other.close()
                unit_scale = phase == "read" and total is not None and not isinstance(parsed, DatabaseSource)
                bar = bars[phase] = tqdm(total=total, desc=PHASES.get(phase, phase), unit="B" if unit_scale else " rows",
                                         unit_scale=True, file=self.stderr._out, leave=False)
            if total is not None and bar.total != total:
                bar.total = total
            bar.update(max(0, done - bar.n))

        if dataset_get(resource_code=dataset) is None:
            raise CommandError(_("There is no dataset with the resource code %(code)s.") % {"code": dataset})
        try:
            result = public.load_run(actor=Actor(kind="system"), resource_code=dataset, source=parsed, mode=mode,
                                     source_format=source_format, encoding=encoding, progress=progress)
        except IngestError as error:
            raise CommandError(str(error)) from None
        finally:
            for bar in bars.values():
                bar.close()
        self.stdout.write(_("Loaded %(rows)s rows from %(source)s (%(format)s, %(encoding)s) into %(dataset)s.") % {
            "rows": result.rows_read, "source": result.source_name, "format": result.source_format,
            "encoding": result.encoding or "-", "dataset": dataset,
        })
        width = max([len(code) for code in result.report] + [4])
        for code, entry in result.report.items():
            first = ", ".join(str(s["row"]) for s in entry["samples"][:5])
            rows_note = _(" (rows %(rows)s…)") % {"rows": first} if first else ""
            self.stdout.write(f"  {code.ljust(width)}  {entry['failed']:>10}{rows_note}")
        self.stdout.write(_("Rows with problems: %(count)s") % {"count": result.problem_rows})
        version = result.version
        self.stdout.write(self.style.SUCCESS(
            _("Version %(number)s: %(rows)s rows, %(path)s") % {
                "number": version.number, "rows": version.row_count, "path": version.path,
            }
        ))
