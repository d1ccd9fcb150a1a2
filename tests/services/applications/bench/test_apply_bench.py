"""The submission benchmark's harness (`zhengtong bench apply`) at a small scale: counts, not speed.

The bench world (citizens signed in, their household register through ingest, the person registry,
the platform's grants, the instant item through the guide), the API and the bare view side by
side, the reconciliation of stored applications with acknowledged submissions, and wrk's script
with its deliberate retries run on either database; the whole harness (scratch database, gunicorn
with the production configuration, wrk, the retry sweep) runs when the suite runs on PostgreSQL,
which the benchmark needs. Tests that drive wrk are skipped only where wrk is not installed.
"""

import json
from datetime import date

import pytest
from django.db import connections, transaction
from django.test import Client, override_settings

from zhengtong.kernel.ids.public import resident_id_parse
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.services.applications import benchmarks
from zhengtong.services.applications.models import Application, Decision

BENCH_URLS = "zhengtong.services.applications.bench_views"


def test_the_bench_citizens_are_hangzhou_residents_of_sixty_or_more_with_valid_unique_ids():
    counties = [("330106", "西湖区"), ("330108", "滨江区")]
    persons = benchmarks.bench_persons(500, counties)
    assert len(persons) == 500 and len({p.resident_id for p in persons}) == 500
    today = date.today()
    for person in persons:
        parsed = resident_id_parse(person.resident_id)  # raises on a wrong check character or date
        assert parsed.birth_date == person.birth_date and parsed.gender == person.gender
        assert parsed.division_code == person.county in {"330106", "330108"}
        age = today.year - person.birth_date.year - ((today.month, today.day) < (person.birth_date.month,
                                                                                  person.birth_date.day))
        assert 60 <= age <= 88
        assert person.address.startswith("浙江省杭州市") and len(person.mobile) == 11
    assert benchmarks.bench_persons(50, counties) == benchmarks.bench_persons(50, counties)  # seeded


def test_the_lua_key_and_citizen_of_a_submission_are_what_the_sweep_recomputes():
    assert benchmarks.run_key("r1-api0", 2, 17) == "r1-api0-2-17"
    # The Lua script: sessions[((thread_number * 7919 + number * 31) % #sessions) + 1] (1-based).
    assert "((thread_number * 7919 + number * 31) % #sessions) + 1" in benchmarks.WRK_SCRIPT
    assert benchmarks.session_index(2, 17, 40) == (2 * 7919 + 17 * 31) % 40
    assert json.loads(benchmarks.submission_body("abc")) == {"implementation": "abc"}


@pytest.fixture(scope="module")
def world_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """The benchmark's world at 12 citizens, made the way the benchmark makes it, once for the
    module (in a transaction rolled back at its end; each test runs in a savepoint inside it), with
    the bench settings' URLs (the bare view in front of production's)."""
    work = tmp_path_factory.mktemp("apply-world")
    (work / "work").mkdir()
    with django_db_blocker.unblock(), override_settings(LAKE_URL=(work / "lake").as_uri(), ROOT_URLCONF=BENCH_URLS):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            benchmarks.bench_org_ensure()
            made = benchmarks.bench_world_create(citizens=12, workdir=work / "work")
            made["sessions"] = benchmarks.sessions_read(work / "work" / "sessions.txt")
            made["body"] = benchmarks.submission_body(made["implementation"])
            yield made
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            for connection in connections.all():
                connection.close()


@pytest.fixture
def world(world_once, db):
    return world_once


def _post(path: str, session: benchmarks.Session, key: str | None, body: bytes):
    client = Client(enforce_csrf_checks=True)
    headers = session.headers(key or "")
    if key is None:
        headers.pop("Idempotency-Key")
    return client.post(path, data=body, content_type="application/json",
                       HTTP_COOKIE=headers["Cookie"], HTTP_X_CSRFTOKEN=headers["X-CSRFToken"],
                       **({"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}))


def test_the_api_and_the_bare_view_store_the_same_row_only_the_api_decides_and_logs(world):
    session = world["sessions"][3]
    before = (Application.objects.count(), LedgerLeaf.objects.filter(kind="application.submitted").count())

    api = _post(benchmarks.API_PATH, session, "t-api-1", world["body"])
    assert api.status_code == 201, api.content
    stored = Application.objects.get(idempotency_key="t-api-1")
    assert api.json()["public_id"] == str(stored.public_id)
    assert stored.state == "approved" and stored.instant is True
    decision = Decision.objects.get(application=stored)
    assert (decision.source, decision.outcome) == ("dmn:elderly_card", "approve")
    assert decision.inputs["age"] >= 60 and decision.inputs["resident_of_city"] is True
    assert stored.materials.filter(waived=True).count() == 2  # the ID card and the household book, fetched
    assert LedgerLeaf.objects.filter(kind="application.submitted",
                                     subject=f"application:{stored.public_id}").count() == 1
    # The retry (the same key) answers the same application and stores nothing.
    again = _post(benchmarks.API_PATH, session, "t-api-1", world["body"])
    assert again.status_code == 200 and again.json()["public_id"] == str(stored.public_id)
    assert Application.objects.exclude(state="draft").count() == before[0] + 1

    bare = _post(benchmarks.BARE_PATH, session, "t-bare-1", world["body"])
    assert bare.status_code == 201, bare.content
    row = Application.objects.get(idempotency_key="t-bare-1")
    assert bare.json() == {"public_id": str(row.public_id), "reference": row.reference, "state": "approved"}
    for name in ("implementation_id", "item_id", "applicant_user_id", "citizen_id", "division_id", "department_id",
                 "state", "channel", "instant", "due_on"):
        assert getattr(row, name) == getattr(stored, name), name
    assert row.answers == stored.answers  # what pre-fill put in, read straight from the citizen's row
    assert set(row.provenance) == set(stored.provenance)
    assert row.reference.startswith("330100-") and row.reference != stored.reference
    assert not row.decisions.exists() and not row.materials.exists()
    assert LedgerLeaf.objects.filter(kind="application.submitted").count() == before[1] + 1  # the API's only
    replay = _post(benchmarks.BARE_PATH, session, "t-bare-1", world["body"])
    assert replay.status_code == 200 and replay.json()["public_id"] == str(row.public_id)
    assert Application.objects.filter(idempotency_key="t-bare-1").count() == 1


def test_the_bare_view_refuses_what_the_api_refuses_and_stores_nothing(world):
    session = world["sessions"][0]
    count = Application.objects.count()
    assert _post(benchmarks.BARE_PATH, session, None, world["body"]).status_code == 400  # no key
    assert _post(benchmarks.BARE_PATH, session, "k" * 129, world["body"]).status_code == 400
    assert _post(benchmarks.BARE_PATH, session, "t-1", b'{"implementation": "not-a-uuid"}').status_code == 400
    unknown = _post(benchmarks.BARE_PATH, session, "t-1",
                    benchmarks.submission_body("00000000-0000-0000-0000-000000000000"))
    assert unknown.status_code == 404
    anonymous = Client().post(benchmarks.BARE_PATH, data=world["body"], content_type="application/json",
                              HTTP_IDEMPOTENCY_KEY="t-1")
    assert anonymous.status_code == 403
    no_csrf = Client(enforce_csrf_checks=True).post(
        benchmarks.BARE_PATH, data=world["body"], content_type="application/json",
        HTTP_COOKIE=f"sessionid={session.key}", HTTP_IDEMPOTENCY_KEY="t-1")
    assert no_csrf.status_code == 403  # the same CSRF check as the API's session authentication
    assert Application.objects.count() == count


def test_the_reconciliation_counts_stored_applications_against_acknowledged_keys(world):
    sessions = world["sessions"]
    answered = {}
    for number in range(3):
        key = benchmarks.run_key("recon7-api0", 1, number)
        response = _post(benchmarks.API_PATH, sessions[number], key, world["body"])
        assert response.status_code == 201
        answered[key] = [response.json()["public_id"]] * 2  # answered twice (the retry), the same
    _post(benchmarks.API_PATH, sessions[5], "other8-api0-1-0", world["body"])  # another run's: not counted
    whole = benchmarks.reconcile("recon7-api", answered)
    assert whole == {"keys_acknowledged": 3, "applications_stored": 3, "stored_not_acknowledged": 0,
                     "acknowledged_not_stored": 0, "answered_differently": 0, "mismatched": 0, "duplicates": 0,
                     "states": {"approved": 3}, "decisions": 3, "ledger_entries": 3, "drafts_left": 0}
    assert benchmarks.reconciled({"reconciliation": whole})

    # What the tally would show for a lost, a duplicated and a phantom submission.
    lost = {**answered, "recon7-api0-1-9": ["00000000-0000-0000-0000-000000000009"]}
    assert benchmarks.reconcile("recon7-api", lost)["acknowledged_not_stored"] == 1
    first = benchmarks.run_key("recon7-api0", 1, 0)
    twice = {**answered, first: [answered[first][0], "00000000-0000-0000-0000-000000000001"]}
    counted = benchmarks.reconcile("recon7-api", twice)
    assert counted["answered_differently"] == 1 and counted["mismatched"] == 1
    assert not benchmarks.reconciled({"reconciliation": counted})
    unanswered = {key: ids for key, ids in answered.items() if not key.endswith("-2")}
    assert benchmarks.reconcile("recon7-api", unanswered)["stored_not_acknowledged"] == 1
    # A draft an applicant of the run never submitted (what a retry losing its race would leave).
    from zhengtong.kernel.identity.public import actor_from_user
    from zhengtong.services.applications import services

    applicant = Application.objects.get(idempotency_key=first).applicant_user
    services.draft_start(actor=actor_from_user(applicant), implementation_id=world["implementation"])
    assert benchmarks.reconcile("recon7-api", answered)["drafts_left"] == 1


def test_the_bench_settings_mount_the_bare_view_only_there():
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve(benchmarks.BARE_PATH)  # production's URLs (the test settings' ROOT_URLCONF)
    assert resolve(benchmarks.BARE_PATH, urlconf=BENCH_URLS).url_name == "bench-bare-submit"
    assert resolve(benchmarks.API_PATH, urlconf=BENCH_URLS)  # and everything production serves
    assert resolve("/bench/bare/ds-x/records/1", urlconf=BENCH_URLS).url_name == "bench-bare-record"
    from zhengtong.settings import bench_apply

    assert bench_apply.ROOT_URLCONF == BENCH_URLS and bench_apply.DEBUG is False
