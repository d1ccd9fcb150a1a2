"""The sharing benchmark's harness (`zhengtong bench share`) at a small scale: counts, not speed.

The generated dataset, the bare view beside the gateway, wrk's script and the kill test's tally
run on either database; the whole harness (scratch database, gunicorn with the production
configuration, wrk, the server killed under load) runs when the suite runs on PostgreSQL, which the
benchmark needs. Tests that drive wrk are skipped only where wrk is not installed.
"""

import csv
import os
import shutil
import time
from datetime import date

import pytest
from django.test import Client

from zhengtong.data.exchange import benchmarks
from zhengtong.data.exchange.models import ShareCall, ShareRecord
from zhengtong.kernel.ids.public import resident_id_parse
from zhengtong.kernel.ledger.models import LedgerLeaf

needs_wrk = pytest.mark.skipif(
    shutil.which("wrk") is None,
    reason="wrk is not installed: the share benchmark's load generator (scripts/ensure-wrk installs Debian's wrk)",
)
ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def test_the_generated_persons_have_valid_unique_ids_that_agree_with_their_rows(tmp_path):
    import duckdb

    path = tmp_path / "persons.csv"
    with duckdb.connect() as con:
        con.execute(benchmarks.generation_sql(5000, str(path)))
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5000
    assert len({row["resident_id"] for row in rows}) == 5000
    assert list(rows[0]) == [f["name"] for f in benchmarks.DESCRIPTOR["fields"]]
    for row in rows:
        parsed = resident_id_parse(row["resident_id"])  # raises on a wrong check character or date
        assert parsed.birth_date == date.fromisoformat(row["birth_date"])
        assert parsed.division_code == row["division_code"]
        assert row["gender"] == {"M": "男", "F": "女"}[parsed.gender]
        assert benchmarks.MONTHLY_BASE_MIN <= float(row["monthly_base"]) <= benchmarks.MONTHLY_BASE_MAX
        assert row["insurance_status"] in benchmarks.STATUSES
        assert date.fromisoformat(row["insured_since"]) > parsed.birth_date


def test_the_kill_tally_counts_answered_calls_missing_from_the_log():
    tally = benchmarks.kill_counts(seen_ok={"r-0-0", "r-0-1", "r-1-0"}, calls={"r-0-0", "r-0-1", "r-1-0", "r-1-1"},
                                   ledgered={"r-0-0", "r-1-0", "r-1-1"})
    assert tally == {"ok_seen": 3, "calls_logged": 4, "ledger_logged": 3, "missing_calls": 0, "missing_ledger": 1,
                     "logged_not_seen": 1}
    whole = benchmarks.kill_counts(seen_ok={"a"}, calls={"a"}, ledgered={"a"})
    assert whole["missing_calls"] == whole["missing_ledger"] == 0


@pytest.fixture
def bench_service(db, tmp_path, settings):
    """The benchmark's service at 300 records, set up the way the benchmark sets it up, in the
    test database; the bench settings' URLs (the bare view in front of production's)."""
    settings.LAKE_URL = (tmp_path / "lake").as_uri()
    settings.ROOT_URLCONF = "zhengtong.data.exchange.bench_views"
    work = tmp_path / "work"
    work.mkdir()
    benchmarks.bench_org_ensure()
    return benchmarks.bench_service_create(records=300, workdir=work)


def _logged() -> tuple[int, int]:
    return ShareCall.objects.count(), LedgerLeaf.objects.filter(kind="share.call").count()


def test_the_bare_view_and_the_gateway_answer_the_same_record_only_the_gateway_masks_and_logs(bench_service):
    assert ShareRecord.objects.count() == 300
    keys = bench_service.keys_file.read_text().split()
    assert len(keys) == 300 and len(set(keys)) == 300
    assert sorted(bench_service.masked) == ["mobile", "name", "resident_id"]
    client = Client()
    key = keys[7]

    before = _logged()
    bare = client.get(benchmarks.BARE_PATH.format(service=bench_service.service) + key)
    assert bare.status_code == 200
    plain = bare.json()["values"]
    assert plain["resident_id"] == key and "*" not in plain["name"] + plain["mobile"]
    assert _logged() == before  # the bare view logs nothing
    assert client.get(benchmarks.BARE_PATH.format(service=bench_service.service) + "330106199101010000").status_code == 404

    shared = client.get(benchmarks.GATEWAY_PATH.format(service=bench_service.service) + key,
                        HTTP_AUTHORIZATION=f"ApiKey {bench_service.api_key}", HTTP_X_CORRELATION_ID="bench-test-1")
    assert shared.status_code == 200
    assert shared["X-Correlation-Id"] == "bench-test-1"
    values = shared.json()["values"]
    assert set(values) == set(plain) == set(bench_service.fields)
    for name in bench_service.masked:
        assert values[name] != plain[name] and "*" in values[name]
    for name in set(plain) - set(bench_service.masked):
        assert values[name] == plain[name]
    assert _logged() == (before[0] + 1, before[1] + 1)
    assert ShareCall.objects.get(correlation_id="bench-test-1").outcome == "ok"


def test_the_kill_count_reads_the_calls_and_the_ledger_entries_of_the_run(bench_service, tmp_path):
    client = Client()
    keys = bench_service.keys_file.read_text().split()
    path = benchmarks.GATEWAY_PATH.format(service=bench_service.service)
    for number in range(3):
        response = client.get(path + keys[number], HTTP_AUTHORIZATION=f"ApiKey {bench_service.api_key}",
                              HTTP_X_CORRELATION_ID=f"kill7-0-{number}")
        assert response.status_code == 200
    client.get(path + keys[3], HTTP_AUTHORIZATION=f"ApiKey {bench_service.api_key}",
               HTTP_X_CORRELATION_ID="other8-0-0")  # another run's call: not counted
    # The clients saw 0, 1 and 2 answered, and 5, which the server never logged.
    (tmp_path / "ok-ids.txt").write_text("kill7-0-0\nkill7-0-1\nkill7-0-2\nkill7-0-5\n")
    assert benchmarks.child_count("kill7", tmp_path) == {
        "ok_seen": 4, "calls_logged": 3, "ledger_logged": 3, "missing_calls": 1, "missing_ledger": 1,
        "logged_not_seen": 0,
    }


def test_the_bench_settings_mount_the_bare_view_only_there():
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve("/bench/bare/ds-x/records/1")  # production's URLs (the test settings' ROOT_URLCONF)
    assert resolve("/bench/bare/ds-x/records/1", urlconf="zhengtong.data.exchange.bench_views").url_name == \
        "bench-bare-record"
    assert resolve("/api/v1/share/ds-x/records/1", urlconf="zhengtong.data.exchange.bench_views")


@needs_wrk
@pytest.mark.django_db(transaction=True)
def test_wrk_drives_both_views_with_random_keys_and_every_answered_gateway_call_is_logged(
        live_server, tmp_path, settings):
    settings.LAKE_URL = (tmp_path / "lake").as_uri()
    settings.ROOT_URLCONF = "zhengtong.data.exchange.bench_views"
    work = tmp_path / "work"
    work.mkdir()
    benchmarks.bench_org_ensure()
    made = benchmarks.bench_service_create(records=200, workdir=work)
    port = int(live_server.url.rsplit(":", 1)[1])
    # One connection: the live server shares the test's database connection on SQLite.
    bare = benchmarks.wrk_run(port=port, prefix=benchmarks.BARE_PATH.format(service=made.service),
                              keys_file=made.keys_file, authorization="", seconds=1, workdir=work,
                              connections=1, threads=1)
    assert bare.requests > 0 and bare.socket_errors == 0 and bare.non_2xx == 0
    assert _logged() == (0, 0)

    gateway = benchmarks.wrk_run(port=port, prefix=benchmarks.GATEWAY_PATH.format(service=made.service),
                                 keys_file=made.keys_file, authorization=f"ApiKey {made.api_key}", seconds=1,
                                 workdir=work, connections=1, threads=1)
    assert gateway.requests > 0 and gateway.socket_errors == 0 and gateway.non_2xx == 0
    calls = ShareCall.objects.filter(outcome="ok")
    # The one call in flight when wrk stopped may still be finishing in the server's thread: wait
    # until the log stops growing before comparing.
    deadline, seen = time.monotonic() + 5, -1
    while time.monotonic() < deadline and calls.count() != seen:
        seen = calls.count()
        time.sleep(0.3)
    # Every answer wrk counted was logged first; at most that one call was logged without being counted.
    assert gateway.requests <= calls.count() <= gateway.requests + 1
    assert LedgerLeaf.objects.filter(kind="share.call").count() == calls.count()
    assert calls.values("subject_ref").distinct().count() > 1  # random keys, not one record again and again


@needs_wrk
@pytest.mark.skipif(not ON_POSTGRESQL, reason="the whole harness runs on PostgreSQL (DATABASE_URL), as the benchmark")
def test_the_whole_harness_at_a_small_scale_loses_no_logged_call_when_the_server_is_killed():
    figures = benchmarks.measure(records=2000, warmup=1, round_seconds=2, rounds=2, connections=8, kill_clients=4,
                                 kill_after=2.0, server_url=os.environ["DATABASE_URL"])
    for side in ("gateway", "bare"):
        assert figures[side]["requests"] > 0
        assert figures[side]["errors"] == 0
        assert len(figures[side]["rounds"]) == 2
    assert figures["sample"]["masked"] == ["mobile", "name", "resident_id"]
    assert figures["sample"]["correlation_echoed"] is True
    kill = figures["kill"]
    assert kill["ok_seen"] > 0 and kill["calls_made"] >= kill["ok_seen"]
    assert kill["missing_calls"] == 0 and kill["missing_ledger"] == 0
    assert kill["calls_logged"] >= kill["ok_seen"] and kill["echo_mismatch"] == 0
    assert figures["setup"]["records"] == 2000

    result = benchmarks.result_from(figures)
    assert result.name == "share"
    assert result.ratio == pytest.approx(figures["bare"]["rate"] / figures["gateway"]["rate"])
    assert f"{kill['ok_seen']:,} answered 200" in result.notes
