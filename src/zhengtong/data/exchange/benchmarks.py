"""Benchmark of the sharing gateway (`zhengtong bench share`): keyed lookups over HTTP, with and
without the gateway, on one production-configured server; then the server killed mid-load.

The issue's question: does the gateway keep most of a bare key lookup's throughput after the API
key, the grant (fields, row scope, expiry, rate limit), masking by grade and a ledger entry per
call? Measured in one run on PostgreSQL:

- Data: a person dataset like the demo's social insurance one (resident ID as key, name, gender,
  birth date, division code, mobile, insured since, monthly base, status), 1,000,000 records
  generated with DuckDB, registered in the catalog, loaded through ingest (one version in a scratch
  lake), made a sharing service and published to the serving index (ShareRecord, each record
  encrypted at rest) by exchange.publishing.service_publish; the time it takes is reported.
- A consumer: an API client of another department (identity's api_client_create) with a grant of
  every field, the personal ones masked (resident ID, name, mobile), a row scope (Zhejiang) and a
  rate limit far above what the run can reach (the bench measures the gateway, not its limiter).
- Server: gunicorn with deploy/gunicorn.conf.py (the production configuration: DEBUG off, gthread
  workers sized for the machine, persistent database connections, no access log), settings.bench
  (production's settings + the bare view's URL), in a child process on a free port. The grant's
  rate limit counts in Django's cache: the local-memory one per process, unless REDIS_URL is set
  for the run as production sets it (then one Redis round trip more per gateway call).
- Load: wrk (Debian's package; scripts/ensure-wrk) with a Lua script picking random keys from a
  sample of 200,000 of them; 64 connections, 2 threads; after a warm-up of each, rounds alternate
  between (a) the gateway, GET /api/v1/share/{service}/records/{key} with the API key, and (b) the
  bare view (bench_views.py): the same lookup, decrypted, as JSON, with nothing else. Requests/s
  over all rounds of a side, p50 (median of the rounds') and p99 (the worst round's), errors and
  non-2xx answers. Target: the gateway keeps >= 0.5 of the bare view's throughput, p99 < 100 ms,
  no error.
- Kill test: a fresh server, 24 Python client threads calling the gateway, each call with its own
  X-Correlation-Id; a few seconds in, SIGKILL to the gunicorn master and every worker at once.
  Then the log is counted: every call the clients saw answered 200 must have its ShareCall row and
  its ledger entry (kind share.call); missing must be 0.

Everything runs on a scratch PostgreSQL database created next to DATABASE_URL's (else on
127.0.0.1:5432 as postgres), migrated, and dropped at the end, with a scratch ZHENGTONG_HOME (lake,
keys), so the developer's database, lake and keys are never touched.

    python -m zhengtong.data.exchange.benchmarks setup RECORDS WORKDIR     # in a child; prints JSON
    python -m zhengtong.data.exchange.benchmarks count RUN_ID WORKDIR      # in a child; prints JSON
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from zhengtong.bench import BenchmarkResult, benchmark, postgres_server_url

RECORDS = 1_000_000
CONNECTIONS = 64
WRK_THREADS = 2
WARMUP_SECONDS = 5
ROUND_SECONDS = 12
ROUNDS = 2  # per side, alternating: 24 s of measured load each
KILL_CLIENTS = 24
KILL_AFTER_SECONDS = 4.0
KEY_SAMPLE = 200_000
# Far above what one machine can drive: the bench measures the gateway, not its rate limiter.
RATE_LIMIT_PER_MINUTE = 100_000_000
ROW_SCOPE = "33"  # Zhejiang: every generated record is in scope, and the scope is still checked
GATEWAY_PATH = "/api/v1/share/{service}/records/"
BARE_PATH = "/bench/bare/{service}/records/"
TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0

PROJECT_DIR = Path(__file__).resolve().parents[4]
GUNICORN_CONF = PROJECT_DIR / "deploy" / "gunicorn.conf.py"
SERVER_SETTINGS = "zhengtong.settings.bench"
CHILD_TIMEOUT = int(os.environ.get("ZHENGTONG_SHARE_BENCH_TIMEOUT", "1800"))


# --- The dataset -------------------------------------------------------------------------------

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
SCRAMBLE = 2_654_435_761  # a prime above the ID space: i -> i * SCRAMBLE mod space is a bijection
FIRST_BIRTH_DAY = "1964-07-01"
BIRTH_DAYS = 15_340  # to 2006-06-30: of working age, as the insured are
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文辉玲婷浩宇轩子涵欣怡梓晨思雨佳琪俊杭越"
MOBILE_PREFIXES = ("130", "133", "135", "136", "137", "138", "139", "150", "152", "158", "159", "180",
                   "181", "186", "187", "188", "189", "199")
STATUSES = ("参保缴费", "暂停缴费", "终止参保")
MONTHLY_BASE_MIN, MONTHLY_BASE_MAX = 4462, 24930


def _field(name, title, type_="string", *, domain=None, masking=None, **constraints) -> dict:
    spec: dict = {"name": name, "title": title, "type": type_}
    if domain:
        spec["domainType"] = domain
    if masking:
        spec["maskingKind"] = masking
    if constraints:
        spec["constraints"] = constraints
    return spec


DESCRIPTOR = {
    "fields": [
        _field("resident_id", "公民身份号码", domain="resident_id", masking="resident_id", required=True),
        _field("name", "姓名", masking="name", required=True),
        _field("gender", "性别", enum=["男", "女"]),
        _field("birth_date", "出生日期", "date"),
        _field("division_code", "户籍地行政区划代码", domain="division_code"),
        _field("mobile", "联系电话", domain="mobile", masking="mobile"),
        _field("insured_since", "参保日期", "date"),
        _field("monthly_base", "月缴费基数（元）", "number", minimum=MONTHLY_BASE_MIN, maximum=MONTHLY_BASE_MAX),
        _field("insurance_status", "参保状态", enum=list(STATUSES)),
    ],
    "primaryKey": ["resident_id"],
    "missingValues": [""],
}


def _counties() -> list[str]:
    """Zhejiang's county codes, as the platform ships them (real GB/T 2260 codes)."""
    import csv
    from importlib import resources

    text = resources.files("zhengtong.kernel.org").joinpath("data", "zhejiang-divisions.csv").read_text("utf-8")
    return [row["code"] for row in csv.DictReader(text.splitlines()) if row["level"] == "county"]


def _sql_list(values) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _pick(values, expression: str) -> str:
    return f"{_sql_list(values)}[(({expression}) % {len(values)}) + 1]"


def generation_sql(records: int, path: str) -> str:
    """DuckDB COPY of `records` clean person rows to a CSV: unique valid resident IDs (a bijective
    scramble of the row number over county x birth day x sequence), the rest from a hash."""
    counties = _counties()
    space = len(counties) * BIRTH_DAYS * 1000
    assert SCRAMBLE > space >= records
    county_rows = ", ".join(f"({n}, '{code}')" for n, code in enumerate(counties))
    digit_sum = " + ".join(f"{w} * CAST(substr(body, {k + 1}, 1) AS INTEGER)" for k, w in enumerate(WEIGHTS))
    return f"""
COPY (
  WITH counties(n, code) AS (VALUES {county_rows}),
  scrambled AS (
    SELECT i, (i * {SCRAMBLE}::HUGEINT % {space})::BIGINT AS p, CAST(hash(i) >> 1 AS BIGINT) AS h
    FROM range({records}) AS t(i)
  ),
  parts AS (
    SELECT s.*, c.code, p % 1000 AS seq,
           DATE '{FIRST_BIRTH_DAY}' + CAST(p // (1000 * {len(counties)}) AS INTEGER) AS birth
    FROM scrambled s JOIN counties c ON c.n = (s.p // 1000) % {len(counties)}
  ),
  bodies AS (SELECT *, code || strftime(birth, '%Y%m%d') || lpad(CAST(seq AS VARCHAR), 3, '0') AS body FROM parts),
  checked AS (SELECT *, ({digit_sum}) % 11 AS m FROM bodies)
  SELECT
    body || substr('{CHECK_CHARS}', m + 1, 1) AS resident_id,
    {_pick(SURNAMES, "h")} || {_pick(GIVEN, "h // 101")}
      || CASE WHEN h // 7 % 3 = 0 THEN '' ELSE {_pick(GIVEN, "h // 10007")} END AS name,
    CASE WHEN seq % 2 = 1 THEN '男' ELSE '女' END AS gender,
    strftime(birth, '%Y-%m-%d') AS birth_date,
    code AS division_code,
    {_pick(MOBILE_PREFIXES, "h // 1000003")} || lpad(CAST(h // 100 % 100000000 AS VARCHAR), 8, '0') AS mobile,
    strftime(CAST(birth + INTERVAL 18 YEAR AS DATE) + CAST(h // 37 % 3000 AS INTEGER), '%Y-%m-%d') AS insured_since,
    CAST({MONTHLY_BASE_MIN} + h // 41 % {MONTHLY_BASE_MAX - MONTHLY_BASE_MIN} AS VARCHAR) || '.00' AS monthly_base,
    {_pick(STATUSES, "h // 43 % 20 // 9")} AS insurance_status
  FROM checked
  ORDER BY i
) TO '{path}' (FORMAT csv, HEADER true)
"""


# --- In the child: the scratch database's content ------------------------------------------------


def _django_setup() -> None:
    import django

    django.setup()


def _engine_label() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("show server_version")
        return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"


def bench_org_ensure() -> None:
    """Zhejiang's divisions (every county: the generated IDs are born all over the province) and
    their standard departments. Idempotent."""
    from zhengtong.kernel.org.services import departments_create_standard, division_rows_bundled, divisions_load

    divisions_load(rows=division_rows_bundled())
    departments_create_standard()


@dataclass(frozen=True)
class BenchService:
    """What the load needs of the set-up service, and what setting it up took."""

    service: str  # its code, the gateway's path segment
    api_key: str
    keys_file: Path  # a sample of the keys, one a line
    fields: list[str]
    masked: list[str]  # the fields the grant gives masked only
    generate_seconds: float
    load_seconds: float
    publish_seconds: float


def bench_service_create(*, records: int, workdir: Path) -> BenchService:
    """The person dataset through the catalog, ingest, the directory and service_publish; a
    consumer's API client and its grant (rows made directly: the bench measures calls, not the
    approval workflow); a sample of the keys in workdir/keys.txt. Needs bench_org_ensure() first."""
    import duckdb
    from django.db import connection
    from django.utils import timezone

    from zhengtong.data.catalog.public import dataset_create, dataset_publish, schema_version_create
    from zhengtong.data.ingest.public import load_run, version_relation_sql
    from zhengtong.kernel.identity.public import Actor
    from zhengtong.kernel.identity.services import api_client_create
    from zhengtong.kernel.org.models import Department

    from .models import ItemStatus, RequestItem, RequestStatus, SharingGrant, SharingRequest, SharingService
    from .publishing import service_publish
    from .services import directory_sync

    started = time.perf_counter()
    csv_path = workdir / "social-insurance.csv"
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.execute(generation_sql(records, str(csv_path).replace("'", "''")))
    generate_seconds = time.perf_counter() - started

    system = Actor(kind="system")
    owner = Department.objects.get(code="330100-RS")
    dataset = dataset_create(
        actor=system, title="社会保险参保人员信息（基准测试）", owner_department_id=owner.id,
        description="共享交换基准测试的合成数据：参保人员的身份证号码、姓名、性别、出生日期、户籍地、联系电话、"
                    "参保日期、月缴费基数和参保状态。",
        share_type="conditional", open_type="not_open", update_cycle="monthly", sensitivity="L3",
        keywords=["社会保险", "基准测试"], theme="SOCI",
    )
    schema_version_create(actor=system, resource_code=dataset.resource_code, descriptor=DESCRIPTOR)
    dataset_publish(actor=system, resource_code=dataset.resource_code)
    started = time.perf_counter()
    load = load_run(actor=system, resource_code=dataset.resource_code, source=str(csv_path))
    load_seconds = time.perf_counter() - started
    if load.status != "succeeded" or load.rows_read != records or load.problem_rows:
        raise RuntimeError(f"the bench dataset did not load whole and clean: {load}")
    csv_path.unlink()

    directory_sync()
    service = SharingService.objects.get(dataset_id=dataset.id)
    started = time.perf_counter()
    published = service_publish(service_id=service.id)
    publish_seconds = time.perf_counter() - started
    if published != records:
        raise RuntimeError(f"service_publish published {published:,} records of {records:,}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum would make them
            cursor.execute("ANALYZE exchange_sharerecord")
    service.refresh_from_db()

    consumer = Department.objects.get(code="330100-GA")
    client, api_key = api_client_create(name="基准测试：公安局业务系统", department=consumer, scopes=[])
    now = timezone.now()
    purpose = "户籍业务办理中核验参保信息（基准测试）"
    legal_basis = "《浙江省公共数据条例》第二十八条"
    fields = [f["name"] for f in service.fields]
    sharing_request = SharingRequest.objects.create(
        consumer_department=consumer, api_client=client, purpose=purpose, legal_basis=legal_basis,
        expires_on=(now + timezone.timedelta(days=365)).date(), status=RequestStatus.DECIDED,
        submitted_at=now, decided_at=now,
    )
    item = RequestItem.objects.create(
        request=sharing_request, service=service, fields=fields, clear_fields=[], row_scope=ROW_SCOPE,
        status=ItemStatus.APPROVED, owner_decided_at=now, bureau_decided_at=now,
    )
    SharingGrant.objects.create(
        item=item, service=service, api_client=client, consumer_department=consumer, purpose=purpose,
        legal_basis=legal_basis, fields=fields, clear_fields=[], row_scope=ROW_SCOPE,
        rate_limit_per_minute=RATE_LIMIT_PER_MINUTE, expires_at=now + timezone.timedelta(days=365),
    )

    keys_file = workdir / "keys.txt"
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.execute(
            f"COPY (SELECT resident_id FROM {version_relation_sql(dataset.id)} USING SAMPLE "
            f"{min(KEY_SAMPLE, records)} ROWS (reservoir, 1)) TO '{str(keys_file).replace(chr(39), chr(39) * 2)}' "
            "(FORMAT csv, HEADER false)"
        )
    return BenchService(
        service=service.code, api_key=api_key, keys_file=keys_file, fields=fields,
        masked=[f["name"] for f in service.fields if f.get("masking_kind", "plain") not in ("plain", "")],
        generate_seconds=generate_seconds, load_seconds=load_seconds, publish_seconds=publish_seconds,
    )


def child_setup(records: int, workdir: Path) -> dict:
    """In the setup child: migrate the scratch database, then the service; its figures as JSON."""
    from dataclasses import asdict

    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    bench_org_ensure()
    migrate_seconds = time.perf_counter() - started
    made = bench_service_create(records=records, workdir=workdir)
    return {**asdict(made), "keys_file": str(made.keys_file), "records": records,
            "migrate_seconds": migrate_seconds, "engine": _engine_label()}


def child_count(run_id: str, workdir: Path) -> dict:
    """What the log holds of the kill test's calls (correlation ids "<run_id>-…"): the ShareCall
    rows, and, read on their own, the ledger entries of kind share.call naming those ids."""
    from zhengtong.kernel.ledger.models import LedgerLeaf

    from .models import ShareCall

    prefix = f"{run_id}-"
    seen_ok = set((workdir / "ok-ids.txt").read_text().split())
    calls = set(ShareCall.objects.filter(correlation_id__startswith=prefix).values_list("correlation_id", flat=True))
    ledgered = set()
    for body in LedgerLeaf.objects.filter(kind="share.call", body__contains=f'"{prefix}').values_list("body", flat=True):
        found = _correlation_id(json.loads(body))
        if found and found.startswith(prefix):
            ledgered.add(found)
    return kill_counts(seen_ok=seen_ok, calls=calls, ledgered=ledgered)


def _correlation_id(node) -> str | None:
    """The correlation id anywhere in a ledger entry's body (the gateway puts it in the payload)."""
    if isinstance(node, dict):
        if isinstance(node.get("correlation_id"), str):
            return node["correlation_id"]
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            found = _correlation_id(item)
            if found:
                return found
    return None


def kill_counts(*, seen_ok: set[str], calls: set[str], ledgered: set[str]) -> dict:
    """The kill test's tally: of the calls the clients saw answered 200, how many have no ShareCall
    row, and how many no ledger entry (both must be 0). Calls logged but never seen answered are
    fine: the server committed them and died before the answer left."""
    return {
        "ok_seen": len(seen_ok),
        "calls_logged": len(calls),
        "ledger_logged": len(ledgered),
        "missing_calls": len(seen_ok - calls),
        "missing_ledger": len(seen_ok - ledgered),
        "logged_not_seen": len(ledgered - seen_ok),
    }


# --- In the parent: scratch database, server, load --------------------------------------------




def child_env(home: str, database_url: str) -> dict[str, str]:
    """The environment of the bench's children: the scratch database and home, no real keys."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ZHENGTONG_SIGNING_KEY_", "GUNICORN_"))
        and key not in {"DATABASE_URL", "ZHENGTONG_KEYS_DIR", "ZHENGTONG_FIELD_KEYS", "ZHENGTONG_INDEX_KEY",
                        "SECRET_KEY_FILE", "LAKE_URL", "WEB_CONCURRENCY", "ZHENGTONG_DEBUG"}
    }
    env.update(
        ZHENGTONG_HOME=home,
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE=SERVER_SETTINGS,
        SECRET_KEY="share-benchmark-only",
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def scratch(server_url: str | None = None):
    """(environment, work folder) of a fresh scratch database and home, dropped afterwards."""
    import psycopg

    server_url = server_url or postgres_server_url()
    if server_url is None:
        raise RuntimeError("the share benchmark needs PostgreSQL: set DATABASE_URL or run one on 127.0.0.1:5432")
    home = tempfile.mkdtemp(prefix="zt-share-bench-")
    server = urllib.parse.urlsplit(server_url)
    maintenance = urllib.parse.urlunsplit(server._replace(path="/postgres"))
    name = f"zt_bench_share_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        workdir = Path(home) / "work"
        workdir.mkdir()
        yield child_env(home, urllib.parse.urlunsplit(server._replace(path=f"/{name}"))), workdir
    finally:
        with psycopg.connect(maintenance, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(home, ignore_errors=True)


def run_child(env: dict, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "zhengtong.data.exchange.benchmarks", *args],
        env=env, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=CHILD_TIMEOUT,
    )
    if result.returncode != 0:
        raise RuntimeError(f"share benchmark child {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with the production configuration, in its own process group (so one signal can
    reach the master and every worker at once)."""

    def __init__(self, env: dict, workdir: Path, *, name: str = "server"):
        self.env = env
        self.port = free_port()
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.config = self._configuration()

    def _configuration(self) -> dict:
        """Workers and threads as deploy/gunicorn.conf.py sets them in this environment."""
        namespace: dict = {}
        saved = dict(os.environ)
        try:
            os.environ.clear()
            os.environ.update(self.env)
            exec(compile(GUNICORN_CONF.read_text(), str(GUNICORN_CONF), "exec"), namespace)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return {name: namespace[name] for name in ("workers", "worker_class", "threads", "keepalive")}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str, timeout: float = 90) -> None:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "--bind", f"127.0.0.1:{self.port}"],
            env=self.env, cwd=PROJECT_DIR, stdout=log, stderr=log, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                status, _headers, _body = http_get(self.port, ready_path)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer {ready_path} within {timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL to the master and all its workers together: nothing gets to clean up."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.kill()
        else:
            try:  # a worker the master could not reap
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""


def http_get(port: int, path: str, headers: dict | None = None, timeout: float = 5) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


# wrk's script: every request a random key of the sample; the figures as one JSON line at the end.
# Each thread has its own Lua state: setup() (in the main state) numbers the threads for their seeds.
WRK_SCRIPT = r"""
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
end

local keys = {}
local prefix = os.getenv("ZT_BENCH_PATH_PREFIX")
local authorization = os.getenv("ZT_BENCH_AUTHORIZATION") or ""

function init(args)
  for line in io.lines(os.getenv("ZT_BENCH_KEYS")) do
    if #line > 0 then keys[#keys + 1] = line end
  end
  math.randomseed(os.time() * 1000 + (thread_number or 0) * 7919)
  if authorization ~= "" then wrk.headers["Authorization"] = authorization end
  wrk.headers["X-Officer"] = "bench"
end

function request()
  return wrk.format("GET", prefix .. keys[math.random(#keys)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'ZT_WRK {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


@dataclass
class WrkRun:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int  # connect, read, write, timeout
    non_2xx: int  # answers with status >= 400 (wrk counts those as status errors)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("the share benchmark drives the server with wrk, which is not installed: run "
                           "scripts/ensure-wrk (Debian's wrk package) or put wrk on PATH")
    return found


def wrk_run(*, port: int, prefix: str, keys_file: Path, authorization: str, seconds: float, workdir: Path,
            connections: int = CONNECTIONS, threads: int = WRK_THREADS) -> WrkRun:
    script = workdir / "keys.lua"
    if not script.exists():
        script.write_text(WRK_SCRIPT)
    env = dict(os.environ, ZT_BENCH_PATH_PREFIX=prefix, ZT_BENCH_KEYS=str(keys_file),
               ZT_BENCH_AUTHORIZATION=authorization)
    result = subprocess.run(
        [wrk_binary(), "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
         "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}/"],
        env=env, capture_output=True, text=True, timeout=seconds + 60,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("ZT_WRK ")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    figures = json.loads(lines[-1][len("ZT_WRK "):])
    return WrkRun(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p90_ms=figures["p90_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        socket_errors=figures["connect"] + figures["read"] + figures["write"] + figures["timeout"],
        non_2xx=figures["status"],
    )


@dataclass
class Side:
    """One side of the comparison over its rounds."""

    runs: list[WrkRun] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.runs)

    @property
    def rate(self) -> float:
        seconds = sum(r.seconds for r in self.runs)
        return self.requests / seconds if seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return statistics.median(r.p50_ms for r in self.runs)

    @property
    def p99_ms(self) -> float:
        return max(r.p99_ms for r in self.runs)

    @property
    def errors(self) -> int:
        return sum(r.socket_errors + r.non_2xx for r in self.runs)

    def summary(self) -> dict:
        return {"requests": self.requests, "rate": self.rate, "p50_ms": self.p50_ms, "p99_ms": self.p99_ms,
                "errors": self.errors, "non_2xx": sum(r.non_2xx for r in self.runs),
                "socket_errors": sum(r.socket_errors for r in self.runs),
                "rounds": [{"requests": r.requests, "seconds": r.seconds, "rate": r.rate, "p50_ms": r.p50_ms,
                            "p99_ms": r.p99_ms, "max_ms": r.max_ms} for r in self.runs]}


def kill_test(*, server: Server, prefix: str, keys: list[str], authorization: str, run_id: str, workdir: Path,
              clients: int = KILL_CLIENTS, kill_after: float = KILL_AFTER_SECONDS) -> dict:
    """Clients call the gateway, each call with its own correlation id, until the server is killed
    under them. Writes the ids answered 200 to ok-ids.txt; returns what the clients saw."""
    stop = threading.Event()
    killed = threading.Event()
    sent = [0] * clients
    ok_ids: list[list[str]] = [[] for _ in range(clients)]
    statuses: list[Counter] = [Counter() for _ in range(clients)]
    failures = [0] * clients
    echo_mismatch = [0] * clients

    def client(number: int) -> None:
        rng = random.Random(f"{run_id}:{number}")
        connection = None
        sequence = 0
        while not stop.is_set():
            correlation_id = f"{run_id}-{number}-{sequence}"
            sequence += 1
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
                connection.request("GET", prefix + rng.choice(keys), headers={
                    "Authorization": authorization, "X-Correlation-Id": correlation_id, "X-Officer": "bench"})
                sent[number] += 1  # on the wire: it counts as made whatever happens next
                response = connection.getresponse()
                response.read()
                statuses[number][response.status] += 1
                if response.status == 200:
                    ok_ids[number].append(correlation_id)
                    if response.getheader("X-Correlation-Id") != correlation_id:
                        echo_mismatch[number] += 1
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                failures[number] += 1
                if connection is not None:
                    connection.close()
                connection = None
                if killed.is_set():
                    time.sleep(0.05)

    workers = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for worker in workers:
        worker.start()
    time.sleep(kill_after)
    server.kill()
    killed.set()
    time.sleep(0.5)  # the clients see the connections die
    stop.set()
    for worker in workers:
        worker.join(timeout=15)
    seen = [cid for ids in ok_ids for cid in ids]
    (workdir / "ok-ids.txt").write_text("\n".join(seen) + "\n")
    all_statuses = sum(statuses, Counter())
    return {
        "clients": clients,
        "kill_after_s": kill_after,
        "calls_made": sum(sent),
        "ok_seen": len(seen),
        "statuses": {str(k): v for k, v in sorted(all_statuses.items())},
        "failed": sum(failures),
        "echo_mismatch": sum(echo_mismatch),
    }


def measure(*, records: int = RECORDS, warmup: float = WARMUP_SECONDS, round_seconds: float = ROUND_SECONDS,
            rounds: int = ROUNDS, connections: int = CONNECTIONS, kill_clients: int = KILL_CLIENTS,
            kill_after: float = KILL_AFTER_SECONDS, server_url: str | None = None,
            progress: Callable[[str], None] = lambda message: None) -> dict:
    """The whole run; returns its figures (the test runs it small, `zhengtong bench share` at full size)."""
    wrk_binary()
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    with scratch(server_url) as (env, workdir):
        progress(f"setting up {records:,} records on a scratch database")
        setup = run_child(env, "setup", str(records), str(workdir))
        service, keys_file = setup["service"], Path(setup["keys_file"])
        keys = keys_file.read_text().split()
        authorization = f"ApiKey {setup['api_key']}"
        gateway = GATEWAY_PATH.format(service=service)
        bare = BARE_PATH.format(service=service)

        server = Server(env, workdir)
        sides = {"gateway": Side(), "bare": Side()}
        loads = []
        try:
            server.start(ready_path=bare + keys[0])
            sample = _sample_answers(server.port, gateway, bare, keys[0], authorization, setup["masked"])
            prefixes = {"gateway": gateway, "bare": bare}
            auth = {"gateway": authorization, "bare": ""}
            progress(f"warming up ({warmup:g} s each)")
            for side in ("bare", "gateway"):
                wrk_run(port=server.port, prefix=prefixes[side], keys_file=keys_file, authorization=auth[side],
                        seconds=warmup, workdir=workdir, connections=connections)
            for round_number in range(rounds):
                for side in ("gateway", "bare") if round_number % 2 == 0 else ("bare", "gateway"):
                    progress(f"round {round_number + 1}/{rounds}: {side} ({round_seconds:g} s)")
                    loads.append(os.getloadavg()[0])
                    sides[side].runs.append(wrk_run(
                        port=server.port, prefix=prefixes[side], keys_file=keys_file,
                        authorization=auth[side], seconds=round_seconds, workdir=workdir,
                        connections=connections))
        finally:
            server.stop()

        progress("kill test")
        run_id = f"kill{os.getpid()}x{int(time.time())}"
        victim = Server(env, workdir, name="killed-server")
        try:
            victim.start(ready_path=bare + keys[0])
            seen = kill_test(server=victim, prefix=gateway, keys=keys, authorization=authorization, run_id=run_id,
                             workdir=workdir, clients=kill_clients, kill_after=kill_after)
        finally:
            victim.stop()  # nothing left to stop when the test went as planned
        counted = run_child(env, "count", run_id, str(workdir))
        return {
            "setup": {k: v for k, v in setup.items() if k not in {"api_key", "keys_file"}},
            "server": server.config,
            "connections": connections,
            "wrk_threads": WRK_THREADS,
            "warmup_s": warmup,
            "round_s": round_seconds,
            "rounds": rounds,
            "gateway": sides["gateway"].summary(),
            "bare": sides["bare"].summary(),
            "sample": sample,
            "kill": {**seen, **counted},
            "load_before": load_before,
            "load_averages": loads,
            "total_seconds": time.perf_counter() - started,
        }


def _sample_answers(port: int, gateway: str, bare: str, key: str, authorization: str, masked: list[str]) -> dict:
    """One call of each before the load: both answer 200, the gateway masks, the bare view does not."""
    status, headers, body = http_get(port, gateway + key, {"Authorization": authorization, "X-Correlation-Id": "probe-1"})
    if status != 200:
        raise RuntimeError(f"the gateway answered {status} before the load: {body[:500]!r}")
    bare_status, _headers, bare_body = http_get(port, bare + key)
    if bare_status != 200:
        raise RuntimeError(f"the bare view answered {bare_status} before the load: {bare_body[:500]!r}")
    shared, plain = json.loads(body), json.loads(bare_body)["values"]
    values = shared.get("values", shared)
    unmasked = [name for name in masked if values.get(name) is not None and values.get(name) == plain.get(name)]
    if unmasked:
        raise RuntimeError(f"the gateway answered {unmasked} unmasked under a masked-only grant")
    return {"gateway_fields": sorted(values), "masked": sorted(set(masked) & set(values)),
            "correlation_echoed": headers.get("x-correlation-id") == "probe-1"}


# --- The registered benchmark ------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def result_from(figures: dict) -> BenchmarkResult:
    gateway, bare, kill, setup = figures["gateway"], figures["bare"], figures["kill"], figures["setup"]
    ratio = gateway["rate"] / bare["rate"] if bare["rate"] else 0.0
    per = 10_000
    loads = figures["load_averages"]
    server = figures["server"]
    notes = (
        f"At {figures['connections']} connections (wrk, {figures['wrk_threads']} threads, random keys of a "
        f"{KEY_SAMPLE:,}-key sample): gateway {gateway['rate']:,.0f} requests/s, p50 {gateway['p50_ms']:.1f} ms, "
        f"p99 {gateway['p99_ms']:.1f} ms, {gateway['non_2xx']} non-2xx and {gateway['socket_errors']} socket errors "
        f"in {gateway['requests']:,} calls; bare view {bare['rate']:,.0f} requests/s, p50 {bare['p50_ms']:.1f} ms, "
        f"p99 {bare['p99_ms']:.1f} ms, {bare['non_2xx']} non-2xx and {bare['socket_errors']} socket errors in "
        f"{bare['requests']:,}. The gateway keeps {ratio:.2f} of the bare view's throughput, target >= "
        f"{TARGET_RATIO}: {_verdict(ratio >= TARGET_RATIO)}; gateway p99 < {TARGET_P99_MS:.0f} ms: "
        f"{_verdict(gateway['p99_ms'] < TARGET_P99_MS)}; no error: "
        f"{_verdict(gateway['errors'] == 0 and bare['errors'] == 0)}. "
        f"(With {figures['connections']} connections in a closed loop the mean latency is connections / "
        f"throughput, {figures['connections'] / gateway['rate'] * 1000 if gateway['rate'] else 0:,.0f} ms at the "
        f"gateway's rate: its p99 can be under {TARGET_P99_MS:.0f} ms only above "
        f"{figures['connections'] / (TARGET_P99_MS / 1000):,.0f} requests/s.) "
        f"Kill test: {kill['clients']} client threads, SIGKILL to gunicorn's master and workers "
        f"{kill['kill_after_s']:g} s in: {kill['calls_made']:,} calls made, {kill['ok_seen']:,} answered 200, "
        f"{kill['calls_logged']:,} ShareCall rows and {kill['ledger_logged']:,} ledger entries (share.call) for "
        f"them, missing {kill['missing_ledger']} (target 0: {_verdict(kill['missing_ledger'] == 0 and kill['missing_calls'] == 0)}; "
        f"{kill['logged_not_seen']} logged but never seen answered: committed before the kill, answer lost). "
        f"Each side {figures['rounds']} rounds of {figures['round_s']:g} s, alternating, after {figures['warmup_s']:g} s "
        "of warm-up each; requests/s over all rounds of a side, p50 the median of the rounds', p99 the worst "
        "round's. One server for both: gunicorn with deploy/gunicorn.conf.py "
        f"({server['workers']} {server['worker_class']} workers x {server['threads']} threads, persistent "
        "database connections, DEBUG off, no access log), settings.bench; wrk, gunicorn and PostgreSQL share "
        f"the machine's {os.cpu_count()} cores. The gateway call: API key check, grant (fields, row scope "
        "'33', expiry, rate limit), the record decrypted and masked by grade (resident ID, name, mobile), "
        "a ShareCall row and a ledger entry committed before the answer. The bare view "
        "(exchange/bench_views.py, plain Django): the same indexed lookup by (service, key), decrypted, as "
        f"JSON. Data: {setup['records']:,} synthetic insured persons (9 fields) generated with DuckDB in "
        f"{setup['generate_seconds']:.1f} s, loaded through ingest in {setup['load_seconds']:.1f} s, published "
        f"to the serving index by service_publish in {setup['publish_seconds']:.1f} s "
        f"({setup['records'] / setup['publish_seconds']:,.0f} records/s, each encrypted at rest); "
        f"{setup['engine']}, scratch database. The machine's 1-minute load average before the run: "
        f"{figures['load_before']:.1f}; as the rounds started (this run's server, PostgreSQL and wrk included): "
        f"{min(loads):.1f}-{max(loads):.1f}. Whole run {figures['total_seconds']:.0f} s."
    )
    return BenchmarkResult(
        name="share",
        subject="sharing gateway: GET /api/v1/share/{service}/records/{key} (auth, grant, masking, ledger)",
        baseline="bare Django view: the same key lookup and decryption, nothing else (same server)",
        subject_seconds=per / gateway["rate"] if gateway["rate"] else float("inf"),
        baseline_seconds=per / bare["rate"] if bare["rate"] else float("inf"),
        work=f"{per:,} keyed lookups at {figures['connections']} connections, {setup['records']:,}-record service",
        target=f"throughput >= {TARGET_RATIO} of the bare view's (ratio <= {1 / TARGET_RATIO:.1f}), "
               f"p99 < {TARGET_P99_MS:.0f} ms, no error, no logged call lost when killed",
        notes=notes,
    )


def share() -> BenchmarkResult:
    figures = measure(progress=lambda message: print(f"  share: {message}", flush=True))
    return result_from(figures)


# Only where PostgreSQL answers, as the ledger's PostgreSQL benchmarks: the issue measures the
# gateway on PostgreSQL with the production web server.
if postgres_server_url() is not None:
    benchmark(share)


if __name__ == "__main__":
    _django_setup()
    command = sys.argv[1]
    if command == "setup":
        print(json.dumps(child_setup(int(sys.argv[2]), Path(sys.argv[3]))))
    elif command == "count":
        print(json.dumps(child_count(sys.argv[2], Path(sys.argv[3]))))
    else:
        raise SystemExit(f"unknown command {command!r}")
