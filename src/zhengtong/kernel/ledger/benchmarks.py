"""Benchmarks of the ledger: batched appends, and inclusion proofs on a 1,000,000-leaf log.

Each measurement runs in a child process on a scratch database it creates and drops: a fresh SQLite
file in a temporary ZHENGTONG_HOME (with the production settings: WAL, synchronous=NORMAL,
IMMEDIATE transactions), or a fresh PostgreSQL database created next to the one DATABASE_URL names
(else on 127.0.0.1:5432 as postgres) and dropped afterwards. The child gets its own key directory
and no key material from the environment, so nothing is signed with a real ledger key and the
development database is never touched. A child process (rather than swapping the connection in
place) keeps `zhengtong bench`'s own connection and settings exactly as they were.

    python -m zhengtong.kernel.ledger.benchmarks append|proof   # what the child runs; prints JSON
"""

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from contextlib import contextmanager

from zhengtong.bench import BenchmarkResult, benchmark, postgres_server_url

BATCH = 1000
APPEND_BATCHES = 50  # 50,000 leaves per round
APPEND_ROUNDS = 6  # subject and baseline alternate; the best round of each counts (on a shared
# machine two rounds were too few: one busy moment could decide the ratio)
PROOF_LOG_SIZE = 1_000_000
PROOF_SAMPLES = 2000
HTTP_SAMPLES = 1000
BUILD_CHUNK = 10_000


# --- In the parent: scratch databases and child processes ---------------------------------------




def _child_env(home: str, database_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ZHENGTONG_SIGNING_KEY_")
        and key
        not in {"DATABASE_URL", "ZHENGTONG_KEYS_DIR", "ZHENGTONG_FIELD_KEYS", "ZHENGTONG_INDEX_KEY", "SECRET_KEY_FILE"}
    }
    env.update(
        ZHENGTONG_HOME=home,
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="zhengtong.settings.base",
        SECRET_KEY="ledger-benchmark-only",
    )
    return env


@contextmanager
def _scratch_database(engine: str):
    """Yield the environment of a child process whose database is a fresh scratch one."""
    home = tempfile.mkdtemp(prefix="zt-ledger-bench-")
    created = maintenance = None
    try:
        if engine == "sqlite":
            url = f"sqlite:///{home}/ledger-bench.sqlite3"
        else:
            import psycopg

            server = urllib.parse.urlsplit(postgres_server_url())
            maintenance = urllib.parse.urlunsplit(server._replace(path="/postgres"))
            created = f"zt_bench_ledger_{os.getpid()}_{int(time.time())}"
            with psycopg.connect(maintenance, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{created}"')
            url = urllib.parse.urlunsplit(server._replace(path=f"/{created}"))
        yield _child_env(home, url)
    finally:
        if created:
            import psycopg

            with psycopg.connect(maintenance, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')
        shutil.rmtree(home, ignore_errors=True)


def _run_child(engine: str, measure: str) -> dict:
    with _scratch_database(engine) as env:
        result = subprocess.run(
            [sys.executable, "-m", "zhengtong.kernel.ledger.benchmarks", measure],
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
    if result.returncode != 0:
        raise RuntimeError(f"ledger benchmark {measure} on {engine} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _append_result(name: str, engine: str) -> BenchmarkResult:
    figures = _run_child(engine, "append")
    leaves = figures["leaves"]
    subject_rate = leaves / figures["subject_seconds"]
    baseline_rate = leaves / figures["baseline_seconds"]
    return BenchmarkResult(
        name=name,
        subject=f"ledger_append_many + ledger_sequence, batches of {BATCH:,} ({figures['engine']})",
        baseline="SM3 of the same leaf bodies + bare bulk insert of the same rows (executemany / COPY)",
        subject_seconds=figures["subject_seconds"],
        baseline_seconds=figures["baseline_seconds"],
        work=f"{leaves:,} leaves",
        target=">= 10,000 leaves/s and >= 0.5 of the baseline's rate",
        notes=(
            f"{engine}: {subject_rate:,.0f} leaves/s appended and sequenced vs {baseline_rate:,.0f} rows/s "
            f"for the baseline: {subject_rate / baseline_rate:.2f} of its rate (best of {APPEND_ROUNDS} alternating "
            f"rounds of {APPEND_BATCHES} batches of {BATCH:,}). Per batch the subject runs ledger_append_many in a "
            "transaction (each entry's checks, its canonical JSON body, a UUIDv7, SM3; the leaf rows with the "
            "unique index on their public id, and one queue row carrying the hashes) and commits, then "
            "ledger_sequence in its own transaction (one range row, the hashes of the subtrees above the "
            "leaves with a node row for every four leaves, the queue row deleted, the state row updated). "
            "The baseline hashes the same bodies with SM3 the same way and bulk-inserts the same columns, ids "
            "in their database form already, into a table with only a primary key, one transaction a batch. "
            "Both commit the leaf rows alike (PostgreSQL: synchronous_commit on, the server's default; "
            "SQLite: WAL with synchronous=NORMAL); on PostgreSQL the sequencer's own commit is asynchronous, "
            "as in production: it writes only what the queue can rebuild, and the next synchronous commit "
            "(the next append's, or a signed tree head's) flushes it. Scratch database, dropped afterwards."
        ),
    )


@benchmark
def ledger_append() -> BenchmarkResult:
    """Appends per second on SQLite, the embedded default."""
    return _append_result("ledger_append", "sqlite")


def ledger_append_postgresql() -> BenchmarkResult:
    return _append_result("ledger_append_postgresql", "postgresql")


def _proof_result(name: str, engine: str) -> BenchmarkResult:
    figures = _run_child(engine, "proof")
    proofs = figures["proofs"]
    return BenchmarkResult(
        name=name,
        subject=f"inclusion proof from stored nodes + auditor verification ({figures['engine']})",
        baseline="the same proofs from an in-memory tree of the same hashes + the same verification",
        subject_seconds=figures["subject_seconds"],
        baseline_seconds=figures["baseline_seconds"],
        work=f"{proofs:,} proofs on a {figures['log_size']:,}-leaf log",
        target="inclusion proof served in < 5 ms at the median",
        notes=(
            f"{engine}: {proofs / figures['subject_seconds']:,.0f} proofs/s generated and verified "
            f"(median {figures['median_ms']:.3f} ms, p99 {figures['p99_ms']:.3f} ms); served over the API "
            f"(GET /api/v1/ledger/proof/inclusion through Django and DRF in-process, {figures['http_samples']:,} "
            f"requests): median {figures['http_median_ms']:.3f} ms, p99 {figures['http_p99_ms']:.3f} ms. "
            f"In memory: {proofs / figures['baseline_seconds']:,.0f} proofs/s. The log was built through "
            f"ledger_append_many + ledger_sequence in {figures['build_seconds']:.0f} s "
            f"({figures['log_size'] / figures['build_seconds']:,.0f} leaves/s, batches of {BUILD_CHUNK:,})."
        ),
    )


@benchmark
def ledger_inclusion_proof() -> BenchmarkResult:
    return _proof_result("ledger_inclusion_proof", "sqlite")


def ledger_inclusion_proof_postgresql() -> BenchmarkResult:
    return _proof_result("ledger_inclusion_proof_postgresql", "postgresql")


if postgres_server_url() is not None:
    benchmark(ledger_append_postgresql)
    benchmark(ledger_inclusion_proof_postgresql)


# --- In the child: the measurements ------------------------------------------------------------


def _setup_child() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _entries(first: int, count: int) -> list:
    from zhengtong.kernel.ledger.records import LedgerEntry

    # What an audited read of graded data through the sharing API would log.
    return [
        LedgerEntry(
            kind="exchange.data_read",
            subject=f"dataset-{number % 997:04d}",
            actor=f"330100-GA-api-client-{number % 31}",
            payload={
                "fields": ["name", "resident_id", "address"],
                "grant": f"grant-{number % 4099}",
                "purpose": "行政审批（不动产登记）",
                "request": f"req-{number:09d}",
                "rows": number % 50,
            },
        )
        for number in range(first, first + count)
    ]


def _engine_label() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("show server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def measure_append() -> dict:
    from django.db import connection, transaction

    from zhengtong.kernel.crypto.public import digest_algorithm
    from zhengtong.kernel.ledger.models import LedgerLeaf
    from zhengtong.kernel.ledger.services import LEAF_COLUMNS, insert_rows, ledger_append_many, ledger_sequence

    bare = "ledger_bench_bare_leaf"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TABLE {bare} (id bigserial PRIMARY KEY, public_id uuid NOT NULL, kind varchar(64), "
                "subject varchar(200), actor varchar(200), body text, leaf_hash bytea, hash_algorithm varchar(8), "
                "created_at timestamptz)"
            )
        else:
            cursor.execute(
                f"CREATE TABLE {bare} (id integer PRIMARY KEY AUTOINCREMENT, public_id char(32) NOT NULL, "
                "kind varchar(64), subject varchar(200), actor varchar(200), body text, leaf_hash blob, "
                "hash_algorithm varchar(8), created_at datetime)"
            )
    # Warm up both paths (imports, prepared statements, the first pages).
    with transaction.atomic():
        ledger_append_many(entries=_entries(0, BATCH))
    ledger_sequence(max_batch=BATCH)

    subject_times, baseline_times = [], []
    number = BATCH
    for _round in range(APPEND_ROUNDS):
        batches = [_entries(number + b * BATCH, BATCH) for b in range(APPEND_BATCHES)]
        first_id = LedgerLeaf.objects.order_by("-id").values_list("id", flat=True).first()
        started = time.perf_counter()
        for batch in batches:
            with transaction.atomic():  # the caller's transaction
                ledger_append_many(entries=batch)
            ledger_sequence(max_batch=BATCH)
        subject_times.append(time.perf_counter() - started)
        number += APPEND_BATCHES * BATCH

        # The baseline stores the very rows the ledger just stored: same bodies, same columns, the
        # ids already in their database form (text) and SM3 the ledger's fastest way, so that
        # nothing but the ledger's own work separates the two.
        native_uuid = connection.features.has_native_uuid_field
        rows = [
            (str(public_id) if native_uuid else public_id.hex, kind, subject, actor, body, algorithm, created_at)
            for public_id, kind, subject, actor, body, algorithm, created_at in LedgerLeaf.objects.filter(id__gt=first_id)
            .order_by("id")
            .values_list("public_id", "kind", "subject", "actor", "body", "hash_algorithm", "created_at")
        ]
        new_hasher = hashlib.new(digest_algorithm(), b"\x00").copy
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            with transaction.atomic():
                created_db = connection.ops.adapt_datetimefield_value(rows[start][6])
                chunk = []
                for public_id, kind, subject, actor, body, algorithm, _created in rows[start : start + BATCH]:
                    hasher = new_hasher()
                    hasher.update(body.encode("utf-8"))
                    chunk.append((public_id, kind, subject, actor, body, hasher.digest(), algorithm, created_db))
                with connection.cursor() as cursor:
                    insert_rows(cursor, bare, LEAF_COLUMNS, chunk)
        baseline_times.append(time.perf_counter() - started)
    return {
        "engine": _engine_label(),
        "leaves": APPEND_BATCHES * BATCH,
        "subject_seconds": min(subject_times),
        "baseline_seconds": min(baseline_times),
    }


class _InMemoryTree:
    """Every perfect subtree's hash, by level, in lists: the baseline's node store."""

    def __init__(self, digest, leaf_hashes: list[bytes]):
        self.levels = [leaf_hashes]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append([digest(b"\x01" + below[i] + below[i + 1]) for i in range(0, len(below) - 1, 2)])

    def __getitem__(self, subtree: tuple[int, int]) -> bytes:
        level, index = subtree
        return self.levels[level][index]


def measure_proof() -> dict:
    import bisect
    import random

    from django.db import transaction
    from django.test import Client

    from zhengtong.kernel.ledger import auditor, merkle, storage
    from zhengtong.kernel.ledger.models import LedgerLeaf, LedgerRange
    from zhengtong.kernel.ledger.public import (
        inclusion_proof_get,
        ledger_append_many,
        ledger_publish_tree_head,
        ledger_sequence,
    )

    started = time.perf_counter()
    for first in range(0, PROOF_LOG_SIZE, BUILD_CHUNK):
        with transaction.atomic():
            ledger_append_many(entries=_entries(first, BUILD_CHUNK))
        ledger_sequence(max_batch=BUILD_CHUNK)
    build_seconds = time.perf_counter() - started
    head = ledger_publish_tree_head()
    size = head.tree_size
    digest = storage.digest_function(head.hash_algorithm)

    rng = random.Random(20250101)
    sample = rng.sample(range(size), PROOF_SAMPLES)
    ranges = list(LedgerRange.objects.order_by("first_index").values_list("first_index", "first_leaf_id"))
    starts = [first_index for first_index, _ in ranges]

    def row_id(index: int) -> int:
        first_index, first_leaf_id = ranges[bisect.bisect_right(starts, index) - 1]
        return first_leaf_id + index - first_index

    public_ids = dict(LedgerLeaf.objects.filter(id__in=[row_id(i) for i in sample]).values_list("id", "public_id"))
    ids = {index: public_ids[row_id(index)] for index in sample}

    latencies = []
    for index in sample:
        began = time.perf_counter()
        proof = inclusion_proof_get(leaf=ids[index], tree_size=size)
        auditor.verify_inclusion(
            hash_algorithm=head.hash_algorithm,
            leaf_hash=proof.leaf_hash,
            leaf_index=proof.leaf_index,
            tree_size=size,
            inclusion_path=proof.inclusion_path,
            root_hash=head.root_hash,
        )
        latencies.append(time.perf_counter() - began)

    client = Client(HTTP_HOST="127.0.0.1")
    http_latencies = []
    for index in sample[:HTTP_SAMPLES]:
        began = time.perf_counter()
        response = client.get("/api/v1/ledger/proof/inclusion", {"leaf": str(ids[index]), "tree_size": size})
        http_latencies.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise RuntimeError(f"proof request failed: {response.status_code} {response.content[:300]!r}")

    # Baseline: the same hashes held in memory, the same proof code, the same verification.
    leaf_hashes = [
        bytes(h)
        for h in LedgerLeaf.objects.order_by("id").values_list("leaf_hash", flat=True).iterator(chunk_size=50_000)
    ]  # one append per sequencing batch here, so id order is index order
    tree = _InMemoryTree(digest, leaf_hashes)
    baseline_started = time.perf_counter()
    for index in sample:
        ranges = merkle.inclusion_ranges(index, size)
        path = merkle.hashes_of_ranges(digest, ranges, tree)
        auditor.verify_inclusion(
            hash_algorithm=head.hash_algorithm,
            leaf_hash=leaf_hashes[index],
            leaf_index=index,
            tree_size=size,
            inclusion_path=path,
            root_hash=head.root_hash,
        )
    baseline_seconds = time.perf_counter() - baseline_started

    def percentile(values: list[float], fraction: float) -> float:
        return sorted(values)[min(len(values) - 1, int(fraction * len(values)))] * 1000

    return {
        "engine": _engine_label(),
        "log_size": size,
        "proofs": len(sample),
        "build_seconds": build_seconds,
        "subject_seconds": sum(latencies),
        "baseline_seconds": baseline_seconds,
        "median_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99),
        "http_samples": len(http_latencies),
        "http_median_ms": statistics.median(http_latencies) * 1000,
        "http_p99_ms": percentile(http_latencies, 0.99),
    }


if __name__ == "__main__":
    _setup_child()
    measures = {"append": measure_append, "proof": measure_proof}
    print(json.dumps(measures[sys.argv[1]]()))
