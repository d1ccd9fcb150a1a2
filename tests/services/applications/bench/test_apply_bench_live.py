"""The apply benchmark's live parts: wrk against a live server, and the whole harness on
PostgreSQL. Apart from the world-sharing tests in test_apply_bench.py, because these commit (a
module-wide transaction there would hold them)."""

import os
import shutil
import time

import pytest

from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.services.applications import benchmarks
from zhengtong.services.applications.models import Application

needs_wrk = pytest.mark.skipif(
    shutil.which("wrk") is None,
    reason="wrk is not installed: the benchmark's load generator (scripts/ensure-wrk installs Debian's wrk)",
)
ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
BENCH_URLS = "zhengtong.services.applications.bench_views"


def _quietly(read, *, seconds: float = 10.0):
    """A read of the test's SQLite database once the live server's thread has let go of it."""
    from django.db import OperationalError

    deadline = time.monotonic() + seconds
    while True:
        try:
            return read()
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@needs_wrk
@pytest.mark.django_db(transaction=True)
def test_wrk_submits_with_retries_and_the_sweep_reconciles_every_key(live_server, tmp_path, settings):
    settings.LAKE_URL = (tmp_path / "lake").as_uri()
    settings.ROOT_URLCONF = BENCH_URLS
    work = tmp_path / "work"
    work.mkdir()
    benchmarks.bench_org_ensure()
    made = benchmarks.bench_world_create(citizens=10, workdir=work)
    sessions_file = work / "sessions.txt"
    body = benchmarks.submission_body(made["implementation"])
    port = int(live_server.url.rsplit(":", 1)[1])
    sessions = benchmarks.sessions_read(sessions_file)
    # The live server's first requests load the URLs and the processes: not wrk's to wait for.
    for path in (benchmarks.BARE_PATH, benchmarks.API_PATH):
        assert benchmarks.http_post(port, path, sessions[0].headers(f"warm{path}"), body)[0] == 201
    ledgered = LedgerLeaf.objects.filter(kind="application.submitted").count()
    # One connection: the live server shares the test's database connection on SQLite. Six seconds,
    # so a loaded machine (the suite runs on two workers) still sends enough requests for retries.
    bare = benchmarks.wrk_run(port=port, path=benchmarks.BARE_PATH, body=body, sessions_file=sessions_file,
                              run_id="wb1-bare0", seconds=6, workdir=work, connections=1, threads=1, retry_every=4)
    assert bare.requests > 0 and bare.socket_errors == 0 and bare.non_2xx == 0
    assert bare.retries >= 1 and bare.created + bare.replayed == bare.requests
    # One connection: each retry comes after its key was stored, and is answered as a replay (but
    # the last request sent may be in flight when wrk stops, unanswered).
    assert bare.retries - 1 <= bare.replayed <= bare.retries
    # The live server's thread may still be finishing the request in flight (SQLite: wait, or the
    # shared in-memory database reports its table locked).
    benchmarks.settle(bare)
    assert _quietly(lambda: LedgerLeaf.objects.filter(kind="application.submitted").count()) == ledgered

    api = benchmarks.wrk_run(port=port, path=benchmarks.API_PATH, body=body, sessions_file=sessions_file,
                             run_id="wb1-api0", seconds=6, workdir=work, connections=1, threads=1, retry_every=4)
    assert api.requests > 0 and api.socket_errors == 0 and api.non_2xx == 0
    assert api.retries >= 1 and api.retries - 1 <= api.replayed <= api.retries
    assert api.created + api.replayed == api.requests
    assert api.threads == [(1, api.issued)]
    # The one submission in flight when wrk stopped may still be finishing in the server's thread.
    benchmarks.settle(api)
    stored = _quietly(lambda: Application.objects.filter(idempotency_key__startswith="wb1-api").count())
    assert api.created <= stored <= api.issued

    answers, statuses = benchmarks.sweep(port=port, path=benchmarks.API_PATH, body=body, sessions=sessions,
                                         runs=[api], clients=1)
    assert sum(statuses.values()) == api.issued == len(answers)
    assert set(statuses) <= {200, 201}
    counted = benchmarks.reconcile("wb1-api", answers)
    assert counted["applications_stored"] == counted["keys_acknowledged"] == api.issued
    assert benchmarks.reconciled({"reconciliation": counted})


@needs_wrk
@pytest.mark.skipif(not ON_POSTGRESQL, reason="the whole harness runs on PostgreSQL (DATABASE_URL), as the benchmark")
def test_the_whole_harness_at_a_small_scale_reconciles_every_submission():
    figures = benchmarks.measure(citizens=60, warmup=2, round_seconds=3, rounds=2, connections=4, retry_every=2,
                                 server_url=os.environ["DATABASE_URL"])
    for side in ("api", "bare"):
        assert figures[side]["requests"] > 0 and figures[side]["errors"] == 0
        assert len(figures[side]["rounds"]) == 2
        assert figures[side]["retries"] > 0
    assert figures["probe"] == {"api_status": 201, "retry_status": 200, "state": "approved", "bare_status": 201}
    count = figures["reconciliation"]
    assert count["applications_stored"] == count["keys_acknowledged"] == figures["api"]["issued"]
    assert count["duplicates"] == count["mismatched"] == count["answered_differently"] == 0
    assert benchmarks.reconciled(figures)
    assert figures["setup"]["citizens"] == 60 and figures["retry_every"] == 2

    result = benchmarks.result_from(figures)
    assert result.name == "apply"
    assert result.ratio == pytest.approx(figures["bare"]["rate"] / figures["api"]["rate"])
    assert f"{count['applications_stored']:,} applications stored" in result.notes
