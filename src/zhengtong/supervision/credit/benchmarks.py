"""Benchmark of the credit evaluation (`zhengtong bench supervision_credit_evaluation`): the issue
asks for 1,000,000 companies evaluated end to end (records in the database → grades written) within
3x of a bare DuckDB query over the same rows, in the same run.

- Rows: COMPANIES companies, each with one licensing record (so every one of them is graded) and,
  seeded: a penalty 15%, a serious penalty 3%, court enforcement 2%, the black list 1%, the red list
  5%, an honour 5%, tax credit A 20% and D 2% (about 1.53 records a company). Loaded with COPY
  (PostgreSQL) or executemany (SQLite) into a scratch database, not timed. The encrypted name and
  identifier columns hold one real token each (the same for every row): the evaluation never reads
  them, and encrypting 1.5 million values would only slow the setup.
- Subject: `services.credit_evaluate_all()`, the code `zhengtong credit evaluate` runs: one UPDATE
  computing everyone's grade from the model file into a temporary table (one SELECT … GROUP BY over
  the records), dropping the unchanged ones, retiring the changed subjects' current grades and
  inserting their new ones, in the database the platform uses, with the grades table's indexes.
  Round 1 writes every grade (none existed); later rounds re-evaluate everyone and find nothing
  changed (the nightly steady state). The median of the rounds is reported, and every round's time.
- Baseline, in the same run: DuckDB alone over the same rows in memory, the same indicator counts,
  score and grade by the same model, materialised as a table (CREATE OR REPLACE TABLE … AS).

The run happens in a child process on a scratch database (PostgreSQL when one answers, else a
SQLite file), dropped afterwards. ZHENGTONG_CREDIT_BENCH_COMPANIES changes the size for a quick run.

    python -m zhengtong.supervision.credit.benchmarks run PARAMS_JSON WORKDIR   # what the child runs
"""

import csv
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from zhengtong.bench import BenchmarkResult, benchmark, postgres_server_url

COMPANIES = int(os.environ.get("ZHENGTONG_CREDIT_BENCH_COMPANIES", "1000000"))
ROUNDS = 3
SEED = 20261123
TARGET_RATIO = 3.0
PROJECT_DIR = Path(__file__).resolve().parents[4]
CHILD_TIMEOUT = int(os.environ.get("ZHENGTONG_CREDIT_BENCH_TIMEOUT", "2400"))
PROGRESS = "  credit: "
# (category, serious, level, share of companies)
EXTRA_RECORDS = (
    ("penalty", False, "", 0.15), ("penalty", True, "", 0.03), ("court_enforcement", False, "", 0.02),
    ("black_list", False, "", 0.01), ("red_list", False, "", 0.05), ("honour", False, "", 0.05),
    ("tax_credit", False, "A", 0.20), ("tax_credit", False, "D", 0.02),
)
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _uscc(n: int) -> str:
    # Shaped like a credit code; check characters are not needed by the evaluation.
    return f"91330106{n:09d}{USCC_CHARS[n % 31]}"


def _write_rows(path: Path, companies: int, seed: int, name_token: str, id_token: str) -> int:
    """The records as CSV in the credit_creditrecord column order of COLUMNS; their count."""
    rng = random.Random(seed)
    count = 0
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        for n in range(companies):
            key = "C:" + _uscc(n)
            records = [("licensing", False, "")]
            records += [(c, s, lv) for c, s, lv, share in EXTRA_RECORDS if rng.random() < share]
            for category, serious, level in records:
                count += 1
                out.writerow([f"00000000-0000-4000-8000-{count:012d}", "company", key, name_token, id_token, "",
                              category, "t" if serious else "f", "", level, "记录", "", "法律依据", "2026-01-10",
                              "2026-01-10", "published", "", "system", "2026-01-10 00:00:00+00"])
    return count


COLUMNS = ("public_id", "subject_kind", "subject_key", "subject_name", "subject_identifier", "registry_id",
           "category", "serious", "domain", "level", "title", "decision_number", "legal_basis", "decided_on",
           "published_on", "state", "state_reason", "created_by", "created_at")


def _baseline_sql(model) -> str:
    """The same evaluation, written for DuckDB by hand from the model."""
    counts = []
    for n, i in enumerate(model.indicators):
        condition = f"state = 'published' AND category = '{i.category}'"
        if i.serious is not None:
            condition += f" AND serious = {'true' if i.serious else 'false'}"
        if i.level is not None:
            condition += f" AND level = '{i.level}'"
        counts.append(f"count(*) FILTER (WHERE {condition}) AS c{n}")
    score = f"{int(model.start['company'])} + " + " + ".join(f"c{n} * {i.points}" for n, i in enumerate(model.indicators))
    t = model.thresholds
    base = (f"CASE WHEN score >= {t['A']} THEN 'A' WHEN score >= {t['B']} THEN 'B' "
            f"WHEN score >= {t['C']} THEN 'C' ELSE 'D' END")
    caps = [f"CASE WHEN c{n} > 0 THEN '{i.grade_cap}' ELSE 'A' END" for n, i in enumerate(model.indicators)
            if i.grade_cap]
    return (f"CREATE OR REPLACE TABLE grades AS SELECT subject_key, greatest({base}, {', '.join(caps)}) AS grade, "
            f"score FROM (SELECT *, {score} AS score FROM (SELECT subject_key, {', '.join(counts)} "
            f"FROM records GROUP BY subject_key))")


def child_run(params: dict, workdir: Path) -> dict:
    import duckdb
    from django.core.management import call_command
    from django.db import connection

    from .evaluation import credit_model
    from .models import CreditGrade, CreditRecord
    from .services import credit_evaluate_all

    def say(message: str) -> None:
        print(f"{PROGRESS}{message}", file=sys.stderr, flush=True)

    figures: dict = {"params": params, "engine": connection.vendor}
    call_command("migrate", "credit", verbosity=0, interactive=False)
    name_field = CreditRecord._meta.get_field("subject_name")
    id_field = CreditRecord._meta.get_field("subject_identifier")
    csv_path = workdir / "records.csv"
    say(f"writing the records of {params['companies']:,} companies")
    started = time.perf_counter()
    figures["records"] = _write_rows(csv_path, params["companies"], params["seed"],
                                     name_field.get_prep_value("某某有限公司"), id_field.get_prep_value(_uscc(0)))
    say(f"loading {figures['records']:,} records")
    table = connection.ops.quote_name(CreditRecord._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy, \
                    csv_path.open("rb") as f:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
            cursor.execute("ANALYZE")
        else:
            with csv_path.open(newline="") as f:
                rows = ([*row[:7], row[7] == "t", *row[8:]] for row in csv.reader(f))
                placeholders = ", ".join(["%s"] * len(COLUMNS))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)
    figures["load_seconds"] = time.perf_counter() - started

    con = duckdb.connect()
    con.execute(f"""CREATE TABLE records AS SELECT column02 AS subject_key, column06 AS category,
        column07 = 't' AS serious, coalesce(column09, '') AS level, column15 AS state
        FROM read_csv('{csv_path}', header = false, all_varchar = true)""")
    baseline_sql = _baseline_sql(credit_model())
    subject_times, baseline_times = [], []
    for round_ in range(params["rounds"]):
        say(f"round {round_ + 1}: credit_evaluate_all")
        started = time.perf_counter()
        graded = credit_evaluate_all()
        subject_times.append(time.perf_counter() - started)
        figures.setdefault("written", []).append(graded)
        started = time.perf_counter()
        con.execute(baseline_sql)
        baseline_times.append(time.perf_counter() - started)
    figures["graded"] = figures["written"][0]
    ours = dict(CreditGrade.objects.filter(current=True).values_list("subject_key", "grade").iterator(chunk_size=50_000))
    theirs = dict(con.execute("SELECT subject_key, grade FROM grades").fetchall())
    figures["same_grades"] = ours == theirs
    figures["distribution"] = dict(con.execute("SELECT grade, count(*) FROM grades GROUP BY grade ORDER BY grade")
                                   .fetchall())
    figures["grade_rows"] = CreditGrade.objects.count()
    figures["subject_times"], figures["baseline_times"] = subject_times, baseline_times
    con.close()
    return figures


def _scratch_database(workdir: Path) -> tuple[str, str | None]:
    """(DATABASE_URL of a fresh scratch database, its PostgreSQL name or None for SQLite)."""
    server_url = postgres_server_url()
    if server_url is None:
        return f"sqlite:///{workdir / 'credit-bench.sqlite3'}", None
    import psycopg

    server = urllib.parse.urlsplit(server_url)
    maintenance = urllib.parse.urlunsplit(server._replace(path="/postgres"))
    name = f"zt_bench_credit_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return urllib.parse.urlunsplit(server._replace(path=f"/{name}")), name


def _drop(name: str) -> None:
    import psycopg

    server = urllib.parse.urlsplit(postgres_server_url())
    maintenance = urllib.parse.urlunsplit(server._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(*, companies: int = COMPANIES, rounds: int = ROUNDS, seed: int = SEED) -> dict:
    home = Path(tempfile.mkdtemp(prefix="zt-credit-bench-"))
    name = None
    try:
        workdir = home / "work"
        workdir.mkdir()
        database_url, name = _scratch_database(workdir)
        env = {k: v for k, v in os.environ.items()
               if k not in {"DATABASE_URL", "ZHENGTONG_KEYS_DIR", "ZHENGTONG_FIELD_KEYS", "ZHENGTONG_INDEX_KEY",
                            "SECRET_KEY_FILE", "DJANGO_SETTINGS_MODULE"} and not k.startswith("ZHENGTONG_SIGNING_KEY_")}
        env.update(ZHENGTONG_HOME=str(home), DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="zhengtong.settings.base",
                   SECRET_KEY="credit-benchmark-only", PYTHONUNBUFFERED="1")
        params = {"companies": companies, "rounds": rounds, "seed": seed}
        output = workdir / "figures.json"
        with output.open("w") as stdout:
            process = subprocess.run(
                [sys.executable, "-m", "zhengtong.supervision.credit.benchmarks", "run", json.dumps(params),
                 str(workdir)], env=env, cwd=PROJECT_DIR, stdout=stdout, stderr=subprocess.PIPE, text=True,
                timeout=CHILD_TIMEOUT)
        for line in process.stderr.splitlines():
            if line.startswith(PROGRESS):
                print(line, file=sys.stderr)
        if process.returncode != 0:
            raise RuntimeError(f"the credit benchmark child failed ({process.returncode}):\n{process.stderr[-4000:]}")
        return json.loads(output.read_text().strip().splitlines()[-1])
    finally:
        if name is not None:
            _drop(name)
        shutil.rmtree(home, ignore_errors=True)


@benchmark
def supervision_credit_evaluation() -> BenchmarkResult:
    load = os.getloadavg()[0]
    figures = measure()
    subject, baseline = statistics.median(figures["subject_times"]), statistics.median(figures["baseline_times"])
    ratio = subject / baseline if baseline else float("inf")
    distribution = ", ".join(f"{g} {n:,}" for g, n in figures["distribution"].items())
    return BenchmarkResult(
        name="supervision_credit_evaluation",
        subject="credit_evaluate_all (every subject graded from the model file by one SELECT … GROUP BY into a "
                "temporary table, changed grades retired and inserted, indexes included)",
        baseline="bare DuckDB query over the same rows in memory (same counts, score and grade, materialised)",
        subject_seconds=subject,
        baseline_seconds=baseline,
        work=f"{figures['params']['companies']:,} companies, {figures['records']:,} records, "
             f"{figures['graded']:,} grades written in round 1",
        target=f"within {TARGET_RATIO:g}x of the bare query: {'met' if ratio <= TARGET_RATIO else 'missed'}",
        notes=f"median of {figures['params']['rounds']} rounds (round 1 writes every grade, later rounds re-grade "
              f"everyone and write what changed: {figures['written']}); engine {figures['engine']}, "
              f"scratch database dropped afterwards; same grades as the baseline: {figures['same_grades']}; "
              f"grades {distribution}; subject rounds {', '.join(f'{s:.2f}' for s in figures['subject_times'])} s, "
              f"baseline rounds {', '.join(f'{s:.2f}' for s in figures['baseline_times'])} s; records loaded "
              f"(not timed) in {figures['load_seconds']:.1f} s; 1-minute load average {load:.1f} before the run",
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "run":
        import django

        django.setup()
        print(json.dumps(child_run(json.loads(sys.argv[2]), Path(sys.argv[3]))))
    else:
        sys.exit(__doc__)
