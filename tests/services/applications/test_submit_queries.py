"""The one-call submission of an instant item (application_start_submitted) stays cheap: a budget
of SQL queries it may not grow beyond (it was 84 on PostgreSQL before the path was trimmed), while
every read of the person's data still goes through the sharing gateway and is logged — three
gateway calls (the pre-fill from the person registry, the ID-card evidence from the same registry
and the insurance status), each with its ShareCall and its ledger entry. And a submission that
loses an idempotency race leaves nothing of its own behind."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengtong.data.exchange.models import ShareCall
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.services.applications import services
from zhengtong.services.applications.models import Application, ApplicationMaterial, Decision

from ..conftest import INSURANCE_STATUS, PERSON_FIELDS, implementation_make, item_make, material

pytestmark = pytest.mark.usefixtures("english")

# The queries of one submission on the default connection, after a first submission warmed the
# process up; measured on both engines (SQLite has no savepoint-free self-committing log statement).
QUERY_BUDGET = {"postgresql": 49, "sqlite": 69}


@pytest.fixture
def bench_like(platform):
    """An instant item shaped like the submission benchmark's: pre-filled questions from the person
    registry, the ID card from the same registry, and a dataset the decision table reads."""
    return implementation_make(
        item_make("330106-RS-009", "灵活就业人员参保登记（测试）", item_type="public_service"),
        department="330106-RS", process="instant", instant=True, decision="flexible_employment_insurance",
        promised_days=1, legal_days=5, form_fields=PERSON_FIELDS,
        materials=[material("id_card", "居民身份证", source="shared", source_ref="registry-person"),
                   material("insurance_status", "社会保险参保状态", source="shared", source_ref=INSURANCE_STATUS)],
    )


def start(people, implementation, who: str, key: str) -> Application:
    return services.application_start_submitted(actor=people.actor(who), implementation_id=implementation.public_id,
                                                answers={}, idempotency_key=key)


@pytest.mark.django_db
def test_one_submission_stays_within_its_query_budget_and_logs_every_read(people, bench_like):
    start(people, bench_like, "citizen_a", "warm-up")  # the first call of a process warms its caches up
    actor = people.actor("citizen_a")
    calls_before, leaves_before = ShareCall.objects.count(), LedgerLeaf.objects.count()
    share_leaves_before = LedgerLeaf.objects.filter(kind="share.call").count()
    with CaptureQueriesContext(connection) as queries:
        application = services.application_start_submitted(actor=actor, implementation_id=bench_like.public_id,
                                                           answers={}, idempotency_key="measured")
    assert (application.state, application.instant) == ("approved", True)
    assert len(queries.captured_queries) <= QUERY_BUDGET[connection.vendor], "\n".join(
        q["sql"][:160] for q in queries.captured_queries)
    calls = list(ShareCall.objects.filter(correlation_id=application.public_id.hex).order_by("id")
                 .values_list("service__code", "outcome", "subject_ref"))
    assert [(code, outcome) for code, outcome, _subject in calls] == [
        ("registry-person", "ok"), ("registry-person", "ok"), (INSURANCE_STATUS, "ok")]
    assert ShareCall.objects.count() == calls_before + 3
    # Each read's ledger entry, plus the submission's and the decision's.
    assert LedgerLeaf.objects.count() == leaves_before + 3 + 2
    assert LedgerLeaf.objects.filter(kind="share.call").count() == share_leaves_before + 3
    assert sorted(application.answers) == ["address", "applicant_name", "mobile", "resident_id"]
    rows = ApplicationMaterial.objects.filter(application=application).order_by("id")
    assert [(row.material.code, row.waived, row.evidence["service"]) for row in rows] == [
        ("id_card", True, "registry-person"), ("insurance_status", True, INSURANCE_STATUS)]
    assert Decision.objects.get(application=application).outcome == "approve"


@pytest.mark.django_db
def test_the_loser_of_a_key_race_leaves_no_draft_and_gets_the_winner(people, bench_like, monkeypatch):
    winner = start(people, bench_like, "citizen_a", "race-1")
    # The loser looked the key up before the winner committed: it saw nothing, fetched, and met
    # the unique constraint when it submitted.
    real_by_key, seen = services._by_key, []

    def not_yet_committed(actor, key):
        seen.append(key)
        return None if len(seen) == 1 else real_by_key(actor, key)

    monkeypatch.setattr(services, "_by_key", not_yet_committed)
    calls_before = ShareCall.objects.count()
    loser = start(people, bench_like, "citizen_a", "race-1")
    assert loser.pk == winner.pk and seen == ["race-1", "race-1"]
    assert list(Application.objects.values_list("pk", "state")) == [(winner.pk, "approved")]
    assert ApplicationMaterial.objects.exclude(application=winner).count() == 0
    assert Decision.objects.count() == 1
    # What the loser read was read: its gateway calls stay logged.
    assert ShareCall.objects.count() == calls_before + 3


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="concurrent writers need PostgreSQL (SQLite's test database is one connection)")
@pytest.mark.django_db(transaction=True)
def test_two_one_call_submissions_with_one_key_at_once_leave_one_application_on_postgresql(people, bench_like):
    from .test_idempotency import _race

    actor = people.a
    results = _race([lambda: services.application_start_submitted(
        actor=actor, implementation_id=bench_like.public_id, answers={}, idempotency_key="at-once")] * 2)
    assert all(isinstance(r, Application) for r in results), results
    assert results[0].pk == results[1].pk
    assert list(Application.objects.values_list("pk", "state")) == [(results[0].pk, "approved")]
    assert ApplicationMaterial.objects.count() == 2
