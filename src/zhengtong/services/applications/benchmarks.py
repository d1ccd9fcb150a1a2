"""Benchmark of submissions (`zhengtong bench apply`): concurrent citizens submit an instant item
(秒办) through the real API, against a bare view inserting the same application row, on one
production-configured server; then the applications stored are reconciled with the submissions
acknowledged.

The issue's question: how much of a bare insert's throughput does a whole submission keep — the
pre-fill through the sharing gateway (registry lookup, a logged and ledgered share call), the two
fetched materials (two more share calls), the routing, the reference, the process started, the DMN
decision and its Decision row, the ledger entry, the event and the notice — and does a retried
submission (the same Idempotency-Key again) never make a second application? Measured in one run
on PostgreSQL:

- Data: `citizens` Hangzhou residents aged 60 to 88 (valid resident IDs, each with a user and a
  signed-in session), their household register (户籍人口基本信息) registered in the catalog, loaded
  through ingest and published as a sharing service, and the person registry built from it by a
  registry run (golden records: what pre-fill reads). The service platform's API client (applications'
  `service_platform_client`) with grants on the registry and the dataset (rows made directly, the
  rate limit far above what the run reaches: the bench measures submissions, not the approval of
  grants nor the limiter). The instant item 老年人优待证申领 at Hangzhou (civil affairs), made and
  published through the guide's services, with the decision table `elderly_card`: every bench
  citizen is 60 or older and lives in Hangzhou, so every submission is approved at once.
- Server: gunicorn with deploy/gunicorn.conf.py (production: DEBUG off, gthread workers sized for
  the machine, persistent connections, no access log), settings.bench_apply (production's settings
  + the bare view's URL), in a child process on a free port.
- Load: wrk (Debian's package) with a Lua script; `connections` clients, 2 threads. Each request is
  a citizen's POST with their session cookie, CSRF token and a fresh Idempotency-Key; every
  RETRY_EVERY-th request is a deliberate retry: the key (and citizen) of the thread's previous
  submission sent again. Rounds alternate between (a) the API, POST /api/v1/applications/submissions/
  {"implementation": …} (applications' SubmissionApi: application_start_submitted), and (b) the bare view
  (bench_views.py), after a warm-up of each. Requests/s over all rounds of a side, p50 (median of
  the rounds') and p99 (the worst round's), answers by status. Target: the API keeps >= 0.3 of the
  bare view's throughput. After each run the harness pauses as long as the run's slowest answer,
  so the requests still in flight finish before the other side's round starts.
- Reconciliation: when the load stops some submissions are in flight (sent, never answered); a
  client that gets no answer retries with the same key, so the harness then sends every key the
  API rounds issued once more (the sweep) and checks: applications stored for the run == distinct
  keys acknowledged, each key answered with one and the same application every time (zero
  duplicates), each stored application approved with its DMN decision and its ledger entry.

Everything runs on a scratch PostgreSQL database next to DATABASE_URL's (else on 127.0.0.1:5432),
migrated, and dropped at the end, with a scratch ZHENGTONG_HOME (lake, keys).

    python -m zhengtong.services.applications.benchmarks setup CITIZENS WORKDIR   # in a child; prints JSON
    python -m zhengtong.services.applications.benchmarks count RUN WORKDIR        # in a child; prints JSON
"""

from __future__ import annotations

import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from zhengtong.bench import BenchmarkResult, benchmark, postgres_server_url

CITIZENS = 2000
CONNECTIONS = 32
WRK_THREADS = 2
WARMUP_SECONDS = 5
ROUND_SECONDS = 12
ROUNDS = 2  # per side, alternating: 24 s of measured load each
RETRY_EVERY = 10  # every tenth request sends the previous key again
SWEEP_CLIENTS = 8
TARGET_RATIO = 0.3

API_PATH = "/api/v1/applications/submissions/"
BARE_PATH = "/bench/bare/applications/submissions/"
SERVER_SETTINGS = "zhengtong.settings.bench_apply"
CHILD_TIMEOUT = int(os.environ.get("ZHENGTONG_APPLY_BENCH_TIMEOUT", "1800"))
CITY = "330100"
ITEM_CODE = "MZ-GG-0101"
DECISION_TABLE = "elderly_card"

# --- The bench citizens ------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文辉玲婷浩宇轩子涵欣怡梓晨思雨佳琪俊杭越"
ROADS = ("人民路", "解放路", "建设路", "中山路", "文化路", "新华路", "和平路", "青年路", "学院路", "体育场路")
MOBILE_PREFIXES = ("130", "133", "135", "136", "137", "138", "139", "150", "152", "158", "159", "186", "188")
HOUSEHOLD_TITLE = "户籍人口基本信息（申报基准测试）"
HOUSEHOLD_FIELDS = ("resident_id", "name", "gender", "birth_date", "division_code", "address", "mobile")
PERSON_IDENTITY = ["resident_id", "name", "birth_date", "gender", "address", "division_code"]


def _field(name, title, type_="string", *, domain=None, masking=None, **constraints) -> dict:
    spec: dict = {"name": name, "title": title, "type": type_}
    if domain:
        spec["domainType"] = domain
    if masking:
        spec["maskingKind"] = masking
    if constraints:
        spec["constraints"] = constraints
    return spec


HOUSEHOLD_DESCRIPTOR = {
    "fields": [
        _field("resident_id", "公民身份号码", domain="resident_id", masking="resident_id", required=True),
        _field("name", "姓名", masking="name", required=True),
        _field("gender", "性别", enum=["男", "女"]),
        _field("birth_date", "出生日期", "date"),
        _field("division_code", "户籍地行政区划代码", domain="division_code"),
        _field("address", "户籍地址", masking="address", required=True),
        _field("mobile", "联系电话", domain="mobile", masking="mobile"),
    ],
    "primaryKey": ["resident_id"],
    "missingValues": [""],
}


@dataclass(frozen=True)
class BenchPerson:
    resident_id: str
    name: str
    gender: str  # "M" / "F"
    birth_date: date
    county: str
    address: str
    mobile: str


def bench_persons(count: int, counties: list[tuple[str, str]], *, seed: int = 8) -> list[BenchPerson]:
    """`count` Hangzhou residents aged 60 to 88 with valid, unique resident IDs. `counties` are
    (code, name) of Hangzhou's counties."""
    from zhengtong.kernel.ids.public import resident_id_check_char

    rng = random.Random(seed)
    today = date.today()
    earliest, latest = date(today.year - 88, 1, 1), date(today.year - 61, 1, 1)
    seen: set[str] = set()
    persons = []
    while len(persons) < count:
        county_code, county_name = rng.choice(counties)
        born = earliest + timedelta(days=rng.randrange((latest - earliest).days))
        gender = rng.choice("MF")
        sequence = rng.randrange(0, 1000)
        if (sequence % 2 == 1) != (gender == "M"):
            sequence = (sequence + 1) % 1000
        body = f"{county_code}{born:%Y%m%d}{sequence:03d}"
        number = body + resident_id_check_char(body)
        if number in seen:
            continue
        seen.add(number)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        address = f"浙江省杭州市{county_name}{rng.choice(ROADS)}{rng.randrange(1, 400)}号{rng.randrange(1, 30)}幢"
        mobile = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        persons.append(BenchPerson(number, name, gender, born, county_code, address, mobile))
    return persons


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
    """Zhejiang's divisions and their standard departments (idempotent)."""
    from zhengtong.kernel.org.services import departments_create_standard, division_rows_bundled, divisions_load

    divisions_load(rows=division_rows_bundled())
    departments_create_standard()


def _citizens_create(persons: list[BenchPerson]) -> list[int]:
    """Citizen rows and their accounts (no password: the bench signs them in by session); user ids."""
    from zhengtong.kernel.identity.backends import citizen_login_key
    from zhengtong.kernel.identity.models import AccountKind, Citizen, User
    from zhengtong.kernel.org.models import Division

    divisions = {d.code: d for d in Division.objects.filter(code__in={p.county for p in persons})}
    users = []
    for person in persons:
        user = User(username=citizen_login_key(person.resident_id), kind=AccountKind.CITIZEN, display_name=person.name)
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users, batch_size=1000)
    by_name = dict(User.objects.filter(username__in=[u.username for u in users]).values_list("username", "id"))
    Citizen.objects.bulk_create([
        Citizen(resident_id=p.resident_id, name=p.name, gender=p.gender, birth_date=p.birth_date,
                division=divisions[p.county], address=p.address, mobile=p.mobile,
                user_id=by_name[citizen_login_key(p.resident_id)])
        for p in persons
    ], batch_size=1000)
    return [by_name[citizen_login_key(p.resident_id)] for p in persons]


def _household_dataset(persons: list[BenchPerson], workdir: Path) -> str:
    """The persons' household register through the catalog and ingest; its resource code."""
    import csv

    from zhengtong.data.catalog.public import dataset_create, dataset_publish, schema_version_create
    from zhengtong.data.ingest.public import load_run
    from zhengtong.kernel.identity.public import Actor
    from zhengtong.kernel.org.models import Department

    system = Actor(kind="system")
    owner = Department.objects.get(code=f"{CITY}-GA")
    dataset = dataset_create(
        actor=system, title=HOUSEHOLD_TITLE, owner_department_id=owner.id,
        description="申报基准测试的合成户籍数据：身份证号码、姓名、性别、出生日期、户籍地、地址和联系电话。",
        share_type="conditional", open_type="not_open", update_cycle="daily", sensitivity="L3",
        keywords=["户籍", "基准测试"], theme="SOCI",
    )
    schema_version_create(actor=system, resource_code=dataset.resource_code, descriptor=HOUSEHOLD_DESCRIPTOR)
    dataset_publish(actor=system, resource_code=dataset.resource_code)
    path = workdir / "household.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HOUSEHOLD_FIELDS)
        for p in persons:
            writer.writerow([p.resident_id, p.name, "男" if p.gender == "M" else "女", p.birth_date.isoformat(),
                             p.county, p.address, p.mobile])
    load = load_run(actor=system, resource_code=dataset.resource_code, source=str(path))
    if load.status != "succeeded" or load.rows_read != len(persons) or load.problem_rows:
        raise RuntimeError(f"the bench household register did not load whole and clean: {load}")
    path.unlink()
    return dataset.resource_code


def _person_registry(resource_code: str) -> None:
    """The person registry built from the household register (golden records for pre-fill)."""
    from zhengtong.data.registry import services as registry
    from zhengtong.kernel.identity.public import Actor

    system = Actor(kind="system")
    registry.source_register(actor=system, kind="person", resource_code=resource_code, name="hukou",
                             key_column="resident_id", columns={a: a for a in [*PERSON_IDENTITY, "mobile"]},
                             authoritative_for=PERSON_IDENTITY, verified_attributes=PERSON_IDENTITY)
    run = registry.registry_run(actor=system, kind="person")
    if run.status != "succeeded":
        raise RuntimeError(f"the bench person registry run did not succeed: {run.status}")


def _platform_grants(service_codes: list[str]) -> None:
    """The service platform's grants on the services it reads (rows made directly, as the
    sharing benchmark makes its grant: the bench measures submissions, not the approvals)."""
    from django.utils import timezone

    from zhengtong.data.exchange.models import ItemStatus, RequestItem, RequestStatus, SharingGrant, SharingRequest
    from zhengtong.data.exchange.models import SharingService

    from .evidence import service_platform_client

    client = service_platform_client()
    now = timezone.now()
    purpose = "政务服务事项办理（一网通办）：申请表预填和申请材料免提交（基准测试）"
    basis = "《浙江省公共数据条例》第二十六条"
    for service in SharingService.objects.filter(code__in=service_codes):
        fields = [f["name"] for f in service.fields]
        clear = fields if service.kind == "registry" else []
        request = SharingRequest.objects.create(
            consumer_department_id=client.department_id, api_client=client, purpose=purpose, legal_basis=basis,
            expires_on=(now + timedelta(days=365)).date(), status=RequestStatus.DECIDED, submitted_at=now,
            decided_at=now,
        )
        item = RequestItem.objects.create(request=request, service=service, fields=fields, clear_fields=clear,
                                          row_scope="", status=ItemStatus.APPROVED, owner_decided_at=now,
                                          bureau_decided_at=now)
        SharingGrant.objects.create(
            item=item, service=service, api_client=client, consumer_department_id=client.department_id,
            purpose=purpose, legal_basis=basis, fields=fields, clear_fields=clear, row_scope="",
            rate_limit_per_minute=100_000_000, expires_at=now + timedelta(days=365),
        )


def bench_item_form() -> list[dict]:
    """The instant item's questions: the applicant's particulars, every one pre-filled."""
    def question(name, zh, en, kind, prefill):
        return {"name": name, "label": {"zh": zh, "en": en}, "kind": kind, "required": True, "choices": [],
                "prefill": prefill, "help": "", "max_length": None}

    return [
        question("name", "申请人姓名", "Applicant's name", "text", "person.name"),
        question("resident_id", "公民身份号码", "Resident ID number", "resident_id", "person.resident_id"),
        question("birth_date", "出生日期", "Date of birth", "date", "person.birth_date"),
        question("division_code", "户籍所在地", "Registered division", "division", "person.division_code"),
        question("mobile", "联系电话", "Mobile phone", "mobile", "person.mobile"),
        question("address", "户籍地址", "Registered address", "address", "person.address"),
    ]


def _instant_item(household_service: str) -> str:
    """老年人优待证申领 at Hangzhou, through the guide's services; its implementation's public id."""
    from zhengtong.kernel.identity.public import Actor

    from zhengtong.services.guide.services import implementation_create, implementation_publish, item_create

    keeper = Actor(kind="staff", is_superuser=True)
    item_create(actor=keeper, data={
        "code": ITEM_CODE, "name": "老年人优待证申领", "item_type": "public_service",
        "competent_department_kind": "civil_affairs", "serving": "citizen", "theme": "养老服务",
        "basis": "《中华人民共和国老年人权益保障法》第五十七条",
    })
    implementation = implementation_create(
        actor=keeper, item_code=ITEM_CODE, division_code=CITY,
        data={"department": f"{CITY}-MZ", "conditions": "年满60周岁、户籍在本市的老年人。", "legal_days": 5,
              "promised_days": 1, "fees": [], "result_name": "老年人优待证（电子证）", "result_licence_type": "",
              "visits": 0, "online": True, "mobile": True, "instant": True, "process": "instant",
              "decision": DECISION_TABLE, "form_fields": bench_item_form(), "place": "", "hours": "",
              "consultation": "", "complaints": "", "special_steps": ""},
        materials=[
            {"code": "id-card", "name": "居民身份证", "source": "shared", "source_ref": "registry-person"},
            {"code": "household-book", "name": "居民户口簿", "source": "shared", "source_ref": household_service},
        ],
    )
    implementation_publish(actor=keeper, public_id=implementation.public_id)
    return str(implementation.public_id)


def _sessions(user_ids: list[int], path: Path) -> None:
    """A signed-in session per citizen (what a login leaves), and a CSRF secret for each; one
    "<session key> <csrf secret>" a line."""
    import secrets

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from zhengtong.kernel.identity.models import User

    store = SessionStore()
    expires = timezone.now() + timedelta(days=1)
    lines, rows = [], []
    for user in User.objects.filter(id__in=user_ids).order_by("id"):
        key = secrets.token_hex(16)
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "zhengtong.kernel.identity.backends.AccountBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash()}
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        lines.append(f"{key} {secrets.token_hex(16)}")
    Session.objects.bulk_create(rows, batch_size=1000)
    path.write_text("\n".join(lines) + "\n")


def bench_world_create(*, citizens: int, workdir: Path) -> dict:
    """Everything a submission needs (see the module docstring), on the current database; needs
    bench_org_ensure() first. Returns the implementation's public id, the sessions file and timings."""
    from django.db import connection

    from zhengtong.data.exchange.models import SharingService
    from zhengtong.data.exchange.publishing import service_publish
    from zhengtong.data.exchange.services import directory_sync
    from zhengtong.kernel.org.models import Division, DivisionLevel

    timings = {}
    started = time.perf_counter()
    counties = list(Division.objects.filter(level=DivisionLevel.COUNTY, parent__code=CITY)
                    .order_by("code").values_list("code", "name"))
    persons = bench_persons(citizens, counties)
    user_ids = _citizens_create(persons)
    timings["citizens_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    resource_code = _household_dataset(persons, workdir)
    timings["load_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    _person_registry(resource_code)
    timings["registry_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    directory_sync()
    household = SharingService.objects.get(dataset__resource_code=resource_code)
    published = service_publish(service_id=household.id)
    if published != citizens:
        raise RuntimeError(f"service_publish published {published:,} records of {citizens:,}")
    timings["publish_seconds"] = time.perf_counter() - started
    _platform_grants(["registry-person", household.code])
    implementation = _instant_item(household.code)
    sessions_file = workdir / "sessions.txt"
    _sessions(user_ids, sessions_file)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum would make them
            cursor.execute("ANALYZE")
    return {"implementation": implementation, "sessions_file": str(sessions_file), "citizens": citizens,
            "household_service": household.code, **timings}


def child_setup(citizens: int, workdir: Path) -> dict:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    bench_org_ensure()
    migrate_seconds = time.perf_counter() - started
    made = bench_world_create(citizens=citizens, workdir=workdir)
    return {**made, "migrate_seconds": migrate_seconds, "engine": _engine_label()}


def child_count(run_id: str, workdir: Path) -> dict:
    """What the database holds of the run's API submissions (idempotency keys starting with run_id),
    against what the clients were answered (workdir/answers.json: key → public ids seen)."""
    answers: dict[str, list[str]] = json.loads((workdir / "answers.json").read_text())
    return reconcile(run_id, answers)


def reconcile(run_id: str, answers: dict[str, list[str]]) -> dict:
    """Applications stored vs submissions acknowledged: each key answered with exactly one
    application, the same one stored for it, approved, with its decision and ledger entry."""
    from django.db.models import Count

    from zhengtong.kernel.ledger.models import LedgerLeaf

    from .models import Application, Decision

    prefix = run_id
    stored = dict(Application.objects.filter(idempotency_key__startswith=prefix)
                  .values_list("idempotency_key", "public_id"))
    stored = {key: str(public_id) for key, public_id in stored.items()}
    acknowledged = {key for key, ids in answers.items() if ids}
    answered_twice_differently = sorted(key for key, ids in answers.items() if len(set(ids)) > 1)
    mismatched = sorted(key for key in acknowledged & set(stored) if set(answers[key]) != {stored[key]})
    duplicates = (Application.objects.filter(idempotency_key__startswith=prefix)
                  .values("applicant_user_id", "idempotency_key").annotate(n=Count("id")).filter(n__gt=1).count())
    ids = list(stored.values())
    states = Counter(Application.objects.filter(idempotency_key__startswith=prefix).values_list("state", flat=True))
    decisions = Decision.objects.filter(application__idempotency_key__startswith=prefix,
                                        source=f"dmn:{DECISION_TABLE}").count()
    ledgered = LedgerLeaf.objects.filter(kind="application.submitted",
                                         subject__in=[f"application:{i}" for i in ids]).count()
    # A retry that loses the race to its first submission must leave nothing behind: drafts of
    # the run's applicants never submitted are what such a loser left.
    applicants = Application.objects.filter(idempotency_key__startswith=prefix).values("applicant_user_id")
    drafts_left = Application.objects.filter(state="draft", applicant_user_id__in=applicants).count()
    return {
        "keys_acknowledged": len(acknowledged),
        "applications_stored": len(stored),
        "stored_not_acknowledged": len(set(stored) - acknowledged),
        "acknowledged_not_stored": len(acknowledged - set(stored)),
        "answered_differently": len(answered_twice_differently),
        "mismatched": len(mismatched),
        "duplicates": duplicates,
        "states": dict(states),
        "decisions": decisions,
        "ledger_entries": ledgered,
        "drafts_left": drafts_left,
    }


# --- In the parent: scratch database, server, load --------------------------------------------


def http_post(port: int, path: str, headers: dict, body: bytes = b"", timeout: float = 30,
              connection: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        if own:
            connection.close()


@dataclass(frozen=True)
class Session:
    key: str
    csrf: str

    def headers(self, idempotency_key: str) -> dict:
        return {"Cookie": f"sessionid={self.key}; csrftoken={self.csrf}", "X-CSRFToken": self.csrf,
                "Idempotency-Key": idempotency_key, "Content-Type": "application/json"}


def sessions_read(path: Path) -> list[Session]:
    return [Session(*line.split()) for line in path.read_text().splitlines() if line.strip()]


def session_index(thread: int, number: int, count: int) -> int:
    """The citizen (0-based) of a thread's number-th key: the Lua script computes the same."""
    return (thread * 7919 + number * 31) % count


def run_key(run_id: str, thread: int, number: int) -> str:
    return f"{run_id}-{thread}-{number}"


def submission_body(implementation: str) -> bytes:
    """What both sides are posted: the instant item's implementation (every answer is pre-filled)."""
    return json.dumps({"implementation": implementation}).encode()


# wrk's script: POSTs of citizens' submissions, each with a fresh key but every RETRY_EVERY-th,
# which sends the thread's previous key (and citizen) again. Each thread has its own Lua state:
# setup() (in the main state) numbers the threads and keeps them, so done() can add up what each
# issued and how each was answered.
WRK_SCRIPT = r"""
local counter = 0
local threads = {}
function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

local sessions = {}
local path = os.getenv("ZT_BENCH_PATH")
local run = os.getenv("ZT_BENCH_RUN")
local retry_every = tonumber(os.getenv("ZT_BENCH_RETRY_EVERY") or "0")
local body = os.getenv("ZT_BENCH_BODY") or "{}"
issued = 0
retries = 0
sent = 0
created = 0
replayed = 0
other = 0

function init(args)
  for line in io.lines(os.getenv("ZT_BENCH_SESSIONS")) do
    local key, csrf = line:match("^(%S+)%s+(%S+)")
    if key then sessions[#sessions + 1] = {key, csrf} end
  end
end

local function submission(number)
  local session = sessions[((thread_number * 7919 + number * 31) % #sessions) + 1]
  return wrk.format("POST", path, {
    ["Cookie"] = "sessionid=" .. session[1] .. "; csrftoken=" .. session[2],
    ["X-CSRFToken"] = session[2],
    ["Idempotency-Key"] = run .. "-" .. thread_number .. "-" .. number,
    ["Content-Type"] = "application/json",
  }, body)
end

function request()
  sent = sent + 1
  if retry_every > 0 and issued > 0 and sent % retry_every == 0 then
    retries = retries + 1
    return submission(issued - 1)
  end
  issued = issued + 1
  return submission(issued - 1)
end

function response(status, headers, body)
  if status == 201 then created = created + 1
  elseif status == 200 then replayed = replayed + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local totals = {issued = 0, retries = 0, created = 0, replayed = 0, other = 0}
  local per_thread = {}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do totals[name] = totals[name] + thread:get(name) end
    per_thread[#per_thread + 1] = string.format('[%d, %d]', thread:get("thread_number"), thread:get("issued"))
  end
  local e = summary.errors
  io.write(string.format(
    'ZT_WRK {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "issued": %d, "retries": %d, ' ..
    '"created": %d, "replayed": %d, "other": %d, "threads": [%s]}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    totals.issued, totals.retries, totals.created, totals.replayed, totals.other, table.concat(per_thread, ", ")))
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
    socket_errors: int
    non_2xx: int
    issued: int  # fresh keys sent
    retries: int  # keys sent again
    created: int  # answered 201
    replayed: int  # answered 200
    threads: list[tuple[int, int]]  # (thread number, fresh keys it issued)
    run_id: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_run(*, port: int, path: str, body: bytes, sessions_file: Path, run_id: str, seconds: float, workdir: Path,
            connections: int = CONNECTIONS, threads: int = WRK_THREADS, retry_every: int = RETRY_EVERY) -> WrkRun:
    from zhengtong.data.exchange.benchmarks import wrk_binary

    script = workdir / "submit.lua"
    if not script.exists():
        script.write_text(WRK_SCRIPT)
    env = dict(os.environ, ZT_BENCH_PATH=path, ZT_BENCH_SESSIONS=str(sessions_file), ZT_BENCH_RUN=run_id,
               ZT_BENCH_RETRY_EVERY=str(retry_every), ZT_BENCH_BODY=body.decode())
    result = subprocess.run(
        [wrk_binary(), "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
         "--timeout", "30s", "-s", str(script), f"http://127.0.0.1:{port}/"],
        env=env, capture_output=True, text=True, timeout=seconds + 90,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("ZT_WRK ")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    figures = json.loads(lines[-1][len("ZT_WRK "):])
    return WrkRun(
        requests=figures["requests"], seconds=figures["duration_us"] / 1e6, p50_ms=figures["p50_us"] / 1000,
        p90_ms=figures["p90_us"] / 1000, p99_ms=figures["p99_us"] / 1000, max_ms=figures["max_us"] / 1000,
        socket_errors=figures["connect"] + figures["read"] + figures["write"] + figures["timeout"],
        non_2xx=figures["status"], issued=figures["issued"], retries=figures["retries"],
        created=figures["created"], replayed=figures["replayed"],
        threads=[tuple(pair) for pair in figures["threads"]], run_id=run_id,
    )


@dataclass
class Side:
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
                "issued": sum(r.issued for r in self.runs), "retries": sum(r.retries for r in self.runs),
                "created": sum(r.created for r in self.runs), "replayed": sum(r.replayed for r in self.runs),
                "rounds": [{"requests": r.requests, "seconds": r.seconds, "rate": r.rate, "p50_ms": r.p50_ms,
                            "p99_ms": r.p99_ms, "max_ms": r.max_ms} for r in self.runs]}


def sweep(*, port: int, path: str, body: bytes, sessions: list[Session], runs: list[WrkRun],
          clients: int = SWEEP_CLIENTS) -> tuple[dict[str, list[str]], Counter]:
    """Send every key the runs issued once more, as a client that got no answer would; returns
    key → the application public ids the sweep was answered with, and the statuses."""
    keys = [(run.run_id, thread, number) for run in runs for thread, issued in run.threads for number in range(issued)]
    answers: dict[str, list[str]] = {}
    statuses: Counter = Counter()
    lock = threading.Lock()
    position = iter(range(len(keys)))

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while True:
                with lock:
                    index = next(position, None)
                if index is None:
                    return
                run_id, thread, number = keys[index]
                key = run_key(run_id, thread, number)
                session = sessions[session_index(thread, number, len(sessions))]
                try:
                    status, answer = http_post(port, path, session.headers(key), body, connection=connection)
                except (OSError, http.client.HTTPException):
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    status, answer = http_post(port, path, session.headers(key), body, connection=connection)
                public_id = json.loads(answer).get("public_id") if status in (200, 201) else None
                with lock:
                    statuses[status] += 1
                    answers.setdefault(key, [])
                    if public_id:
                        answers[key].append(public_id)
        finally:
            connection.close()

    workers = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return answers, statuses


def settle(run: WrkRun, *, most: float = 15.0) -> None:
    """Let the requests still in flight when wrk stopped finish before the next round starts, so
    one side's tail does not run on the other side's time: as long as the slowest answer took."""
    time.sleep(min(most, run.max_ms / 1000))


def run_child(env: dict, *args: str) -> dict:
    from zhengtong.data.exchange.benchmarks import PROJECT_DIR

    result = subprocess.run(
        [sys.executable, "-m", "zhengtong.services.applications.benchmarks", *args],
        env=env, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=CHILD_TIMEOUT,
    )
    if result.returncode != 0:
        raise RuntimeError(f"apply benchmark child {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _probe(port: int, api: str, bare: str, payload: bytes, session: Session, run_id: str) -> dict:
    """One submission to each before the load, and the API's retry: both store and answer, the
    API's retry answers the same application."""
    status, body = http_post(port, api, session.headers(f"{run_id}-probe"), payload)
    if status not in (200, 201):
        raise RuntimeError(f"the API answered {status} before the load: {body[:800]!r}")
    again, again_body = http_post(port, api, session.headers(f"{run_id}-probe"), payload)
    first, second = json.loads(body), json.loads(again_body)
    if again not in (200, 201) or second.get("public_id") != first.get("public_id"):
        raise RuntimeError(f"the API's retry answered {again}: {again_body[:800]!r}")
    bare_status, bare_body = http_post(port, bare, session.headers(f"{run_id}-probe-bare"), payload)
    if bare_status != 201:
        raise RuntimeError(f"the bare view answered {bare_status} before the load: {bare_body[:500]!r}")
    return {"api_status": status, "retry_status": again, "state": first.get("state"),
            "bare_status": bare_status}


def measure(*, citizens: int = CITIZENS, warmup: float = WARMUP_SECONDS, round_seconds: float = ROUND_SECONDS,
            rounds: int = ROUNDS, connections: int = CONNECTIONS, retry_every: int = RETRY_EVERY,
            server_url: str | None = None, progress: Callable[[str], None] = lambda message: None) -> dict:
    """The whole run; returns its figures (the test runs it small, `zhengtong bench apply` at full size)."""
    from zhengtong.data.exchange.benchmarks import Server, scratch, wrk_binary

    wrk_binary()
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    with scratch(server_url) as (env, workdir):
        env = {**env, "DJANGO_SETTINGS_MODULE": SERVER_SETTINGS, "SECRET_KEY": "apply-benchmark-only"}
        progress(f"setting up {citizens:,} citizens on a scratch database")
        setup = run_child(env, "setup", str(citizens), str(workdir))
        sessions_file = Path(setup["sessions_file"])
        sessions = sessions_read(sessions_file)
        api, bare = API_PATH, BARE_PATH
        payload = submission_body(setup["implementation"])
        run_id = f"r{os.getpid()}x{int(time.time())}"

        server = Server(env, workdir)
        sides = {"api": Side(), "bare": Side()}
        loads = []
        try:
            server.start(ready_path="/")
            probe = _probe(server.port, api, bare, payload, sessions[0], run_id)
            paths = {"api": api, "bare": bare}
            progress(f"warming up ({warmup:g} s each)")
            for side in ("bare", "api"):
                settle(wrk_run(port=server.port, path=paths[side], body=payload, sessions_file=sessions_file,
                               run_id=f"w{side}{run_id}", seconds=warmup, workdir=workdir, connections=connections,
                               retry_every=retry_every))
            for round_number in range(rounds):
                for side in ("api", "bare") if round_number % 2 == 0 else ("bare", "api"):
                    progress(f"round {round_number + 1}/{rounds}: {side} ({round_seconds:g} s)")
                    loads.append(os.getloadavg()[0])
                    run = wrk_run(port=server.port, path=paths[side], body=payload, sessions_file=sessions_file,
                                  run_id=f"{run_id}-{side}{round_number}", seconds=round_seconds, workdir=workdir,
                                  connections=connections, retry_every=retry_every)
                    sides[side].runs.append(run)
                    settle(run)
            progress("the retry sweep: every key of the API rounds once more")
            answers, sweep_statuses = sweep(port=server.port, path=api, body=payload, sessions=sessions,
                                            runs=sides["api"].runs)
        finally:
            server.stop()
        (workdir / "answers.json").write_text(json.dumps(answers))
        counted = run_child(env, "count", f"{run_id}-api", str(workdir))
        return {
            "setup": {k: v for k, v in setup.items() if k not in {"sessions_file"}},
            "server": server.config,
            "connections": connections,
            "wrk_threads": WRK_THREADS,
            "retry_every": retry_every,
            "warmup_s": warmup,
            "round_s": round_seconds,
            "rounds": rounds,
            "api": sides["api"].summary(),
            "bare": sides["bare"].summary(),
            "probe": probe,
            "sweep": {"keys": len(answers),
                      "statuses": {str(k): v for k, v in sorted(sweep_statuses.items())}},
            "reconciliation": counted,
            "load_before": load_before,
            "load_averages": loads,
            "total_seconds": time.perf_counter() - started,
        }


# --- The registered benchmark ------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def reconciled(figures: dict) -> bool:
    """Stored == acknowledged, every key one application, every application decided and ledgered."""
    count = figures["reconciliation"]
    stored = count["applications_stored"]
    return (stored == count["keys_acknowledged"] and count["stored_not_acknowledged"] == 0
            and count["acknowledged_not_stored"] == 0 and count["answered_differently"] == 0
            and count["mismatched"] == 0 and count["duplicates"] == 0
            and count["states"] == ({"approved": stored} if stored else {})
            and count["decisions"] == stored and count["ledger_entries"] == stored)


def result_from(figures: dict) -> BenchmarkResult:
    api, bare, count, setup = figures["api"], figures["bare"], figures["reconciliation"], figures["setup"]
    ratio = api["rate"] / bare["rate"] if bare["rate"] else 0.0
    per = 1_000
    loads = figures["load_averages"] or [0.0]
    server = figures["server"]
    in_flight = count["applications_stored"] - api["created"]
    notes = (
        f"At {figures['connections']} connections (wrk, {figures['wrk_threads']} threads; {setup['citizens']:,} "
        f"signed-in citizens; every {figures['retry_every']}th request a retry of the thread's previous key): "
        f"API {api['rate']:,.0f} submissions/s, p50 {api['p50_ms']:.1f} ms, p99 {api['p99_ms']:.1f} ms, "
        f"{api['non_2xx']} non-2xx and {api['socket_errors']} socket errors in {api['requests']:,} requests "
        f"({api['issued']:,} keys, {api['retries']:,} retries; answered {api['created']:,} created and "
        f"{api['replayed']:,} replayed); bare insert {bare['rate']:,.0f} requests/s, p50 {bare['p50_ms']:.1f} ms, "
        f"p99 {bare['p99_ms']:.1f} ms, {bare['non_2xx']} non-2xx and {bare['socket_errors']} socket errors in "
        f"{bare['requests']:,}. The API keeps {ratio:.2f} of the bare insert's throughput, target >= "
        f"{TARGET_RATIO}: {_verdict(ratio >= TARGET_RATIO)}. Reconciliation (after the retry sweep sent every "
        f"API key once more: {figures['sweep']['statuses']}): {count['applications_stored']:,} applications "
        f"stored, {count['keys_acknowledged']:,} keys acknowledged, {count['duplicates']} duplicates, "
        f"{count['answered_differently']} keys answered with two applications, {count['mismatched']} answered "
        f"with another than the stored one; every one {', '.join(f'{n} {s}' for s, n in count['states'].items())}, "
        f"{count['decisions']:,} DMN decisions, {count['ledger_entries']:,} ledger entries "
        f"(application.submitted): {_verdict(reconciled(figures))}; {count['drafts_left']} drafts left behind by "
        "retries that lost the race to their first submission. "
        f"{max(in_flight, 0):,} submissions were stored without an answer during the load (in flight when "
        "wrk stopped, or a retry that won the race); the sweep's retry answered each with its application. "
        f"Each side {figures['rounds']} rounds of {figures['round_s']:g} s, alternating, after "
        f"{figures['warmup_s']:g} s of warm-up each, and after each run a pause as long as its slowest answer (the "
        "requests still in flight finish on nobody's time); requests/s over all rounds of a side, p50 the median "
        "of the rounds', p99 the worst round's. One server for both: gunicorn with deploy/gunicorn.conf.py "
        f"({server['workers']} {server['worker_class']} workers x {server['threads']} threads, persistent "
        "database connections, DEBUG off, no access log), settings.bench_apply; wrk, gunicorn and PostgreSQL "
        f"share the machine's {os.cpu_count()} cores. A submission: session and CSRF check, application_"
        "start_submitted (draft, pre-fill of 6 fields from the person registry through the sharing gateway, "
        "2 materials fetched through it and accepted, checks, routing, reference, the instant BPMN process, "
        "the DMN table elderly_card, Decision row, timeline events, ledger entry, outbox event, notice), "
        "its JSON. The bare view (applications/bench_views.py, plain Django): the same session and CSRF "
        "check, the citizen's row, one INSERT of the same Application row (answers, provenance, reference, "
        f"due date, state approved), idempotent on the same key. Setup: {setup['citizens']:,} citizens made in "
        f"{setup['citizens_seconds']:.1f} s, their household register loaded through ingest in "
        f"{setup['load_seconds']:.1f} s, the person registry run in {setup['registry_seconds']:.1f} s, the "
        f"register published in {setup['publish_seconds']:.1f} s; {setup['engine']}, scratch database. The "
        f"machine's 1-minute load average before the run: {figures['load_before']:.1f}; as the rounds started "
        f"(this run's server, PostgreSQL and wrk included): {min(loads):.1f}-{max(loads):.1f}. Whole run "
        f"{figures['total_seconds']:.0f} s."
    )
    return BenchmarkResult(
        name="apply",
        subject="POST /api/v1/applications/submissions/ with Idempotency-Key: application_start_submitted (pre-fill, "
                "fetched materials, process, DMN decision, ledger)",
        baseline="bare Django view: the same session check and one INSERT of the same application row (same server)",
        subject_seconds=per / api["rate"] if api["rate"] else float("inf"),
        baseline_seconds=per / bare["rate"] if bare["rate"] else float("inf"),
        work=f"{per:,} instant submissions at {figures['connections']} connections, "
             f"{setup['citizens']:,} citizens, 1 in {figures['retry_every']} a retry",
        target=f"throughput >= {TARGET_RATIO} of the bare insert's (ratio <= {1 / TARGET_RATIO:.2f}); "
               "applications stored == submissions acknowledged, zero duplicates",
        notes=notes,
    )


def apply() -> BenchmarkResult:
    figures = measure(progress=lambda message: print(f"  apply: {message}", flush=True))
    return result_from(figures)


# On PostgreSQL with the production web server, as the issue asks (the sharing benchmark's way).
if postgres_server_url() is not None:
    benchmark(apply)


if __name__ == "__main__":
    _django_setup()
    command = sys.argv[1]
    if command == "setup":
        print(json.dumps(child_setup(int(sys.argv[2]), Path(sys.argv[3]))))
    elif command == "count":
        print(json.dumps(child_count(sys.argv[2], Path(sys.argv[3]))))
    else:
        raise SystemExit(f"unknown command {command!r}")
