"""Idempotent bundle submission under a race: two submissions with one key make one bundle
application and five applications, whether the second looked the key up before the first
committed (the unique key decides, the loser re-reads the winner) or they arrive truly at the same
time on PostgreSQL."""

import threading

import pytest
from django.db import close_old_connections, connection

from zhengtong.services.applications.models import Application, ApplicationTask
from zhengtong.services.onething import services
from zhengtong.services.onething.models import BundleApplication, BundleState

from .conftest import draft_complete

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.django_db
def test_the_loser_of_a_race_gets_the_winners_bundle_application(opening, people, monkeypatch):
    company = people.actor("company")
    first, second = draft_complete(company), draft_complete(company)
    winner = services.bundle_application_submit(actor=company, bundle_application_id=first.public_id,
                                                idempotency_key="k-1")
    real_by_key = services._by_key
    calls = []

    def not_yet_committed(actor, key):  # the second request looked before the first committed
        calls.append(key)
        return None if len(calls) == 1 else real_by_key(actor, key)

    monkeypatch.setattr(services, "_by_key", not_yet_committed)
    loser = services.bundle_application_submit(actor=company, bundle_application_id=second.public_id,
                                               idempotency_key="k-1")
    assert loser.pk == winner.pk and calls == ["k-1", "k-1"]
    second.refresh_from_db()
    assert (second.state, second.reference, second.idempotency_key) == (BundleState.DRAFT, None, None)
    assert Application.objects.exclude(state="draft").count() == 5
    assert Application.objects.filter(state="draft").count() == 5  # the loser's parts are drafts still


def _race(calls) -> list:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - reported to the test
            results[index] = error
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (SQLite's test database is one connection)")


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_click_submits_once_on_postgresql(opening, people):
    company = people.actor("company")
    draft = draft_complete(company)
    results = _race([lambda: services.bundle_application_submit(actor=company, bundle_application_id=draft.public_id,
                                                                idempotency_key="double-click")] * 2)
    assert all(isinstance(r, BundleApplication) for r in results), results
    assert results[0].pk == results[1].pk == draft.pk
    assert Application.objects.filter(state="submitted").count() == 5
    assert ApplicationTask.objects.count() == 5


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_drafts_sent_with_one_key_at_once_make_one_bundle_application_on_postgresql(opening, people):
    company = people.actor("company")
    drafts = [draft_complete(company), draft_complete(company)]
    results = _race([lambda d=d: services.bundle_application_submit(actor=company, bundle_application_id=d.public_id,
                                                                    idempotency_key="retry-1") for d in drafts])
    assert all(isinstance(r, BundleApplication) for r in results), results
    assert results[0].pk == results[1].pk
    assert BundleApplication.objects.filter(state=BundleState.IN_PROGRESS).count() == 1
    assert BundleApplication.objects.filter(state=BundleState.DRAFT).count() == 1
    assert Application.objects.filter(state="submitted").count() == 5
    assert ApplicationTask.objects.count() == 5
