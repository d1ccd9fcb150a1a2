"""Idempotent submission under a race: two submissions with the same key make one application,
whether the second arrives after the first committed, while it is still open (the unique key
decides, and the loser re-reads the winner), or truly at the same time on PostgreSQL."""

import threading

import pytest
from django.db import close_old_connections, connection

from zhengtong.services.applications import services
from zhengtong.services.applications.models import Application, ApplicationTask

from .conftest import fill_standard

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.django_db
def test_the_loser_of_a_race_gets_the_winner_s_application(people, catalogue, monkeypatch):
    first_draft = fill_standard(people, catalogue)
    second_draft = fill_standard(people, catalogue)
    winner = services.application_submit(actor=people.a, application_id=first_draft.public_id, idempotency_key="k-1")
    # The second request looked the key up before the first committed: it saw nothing, so it goes
    # on to submit its own draft and meets the unique constraint.
    real_by_key = services._by_key
    calls = []

    def not_yet_committed(actor, key):
        calls.append(key)
        return None if len(calls) == 1 else real_by_key(actor, key)

    monkeypatch.setattr(services, "_by_key", not_yet_committed)
    loser = services.application_submit(actor=people.a, application_id=second_draft.public_id, idempotency_key="k-1")
    assert loser.pk == winner.pk and calls == ["k-1", "k-1"]
    second_draft.refresh_from_db()
    assert (second_draft.state, second_draft.reference, second_draft.idempotency_key) == ("draft", None, None)
    assert ApplicationTask.objects.filter(application=second_draft).count() == 0
    assert Application.objects.filter(idempotency_key="k-1").count() == 1


def _race(calls) -> list:
    """Run the calls in threads released at the same moment; their results (or exceptions)."""
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
        thread.join(timeout=60)
    return results


needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                    reason="concurrent writers need PostgreSQL (SQLite's test database is one connection)")


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_click_submits_once_on_postgresql(people, catalogue):
    draft = fill_standard(people, catalogue)
    actor = people.a
    results = _race([lambda: services.application_submit(actor=actor, application_id=draft.public_id,
                                                         idempotency_key="double-click")] * 2)
    assert all(isinstance(r, Application) for r in results), results
    assert results[0].pk == results[1].pk == draft.pk
    assert Application.objects.filter(state="submitted").count() == 1
    assert ApplicationTask.objects.filter(application=draft).count() == 1


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_drafts_sent_with_one_key_at_once_make_one_application_on_postgresql(people, catalogue):
    drafts = [fill_standard(people, catalogue), fill_standard(people, catalogue)]
    actor = people.a
    results = _race([lambda d=d: services.application_submit(actor=actor, application_id=d.public_id,
                                                             idempotency_key="retry-1") for d in drafts])
    assert all(isinstance(r, Application) for r in results), results
    assert results[0].pk == results[1].pk
    assert Application.objects.filter(state="submitted").count() == 1
    assert Application.objects.filter(state="draft").count() == 1
    assert ApplicationTask.objects.count() == 1
