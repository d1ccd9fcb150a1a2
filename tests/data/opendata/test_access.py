"""Who may read which data, the usage meter, the ledger record of conditional reads, and the
usage summaries built on them."""

import datetime as dt
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from zhengtong.data.opendata.access import DataAccess, data_access_check, data_read_record
from zhengtong.data.opendata.errors import OpenDataError
from zhengtong.data.opendata.models import (
    ApplicationStatus,
    DailyUsage,
    DeveloperKey,
    OpenDataApplication,
    OpenDataset,
    OpenTier,
)
from zhengtong.data.opendata.usage import usage_dataset_summary, usage_key_summary
from zhengtong.kernel.ledger.models import LedgerLeaf

from .conftest import Codes


def _dataset(code: str) -> OpenDataset:
    return OpenDataset.objects.get(resource_code=code)


def _key(user, prefix: str) -> DeveloperKey:
    return DeveloperKey.objects.create(owner=user, name="test", prefix=prefix, secret_hash="0" * 64,
                                       rate_per_minute=60, daily_quota=1000)


def _application(user, *, status=ApplicationStatus.APPROVED, expires_in: timedelta | None = timedelta(days=30),
                 code: str = Codes.APPLY) -> OpenDataApplication:
    now = timezone.now()
    return OpenDataApplication.objects.create(
        dataset_id=_dataset(code).dataset_id, applicant=user, purpose="研究个体工商户分布", agreement_version="1",
        agreement_accepted_at=now, requested_until=(now + timedelta(days=60)).date(), status=status,
        expires_at=now + expires_in if expires_in is not None else None,
    )


def _refusal(**kwargs) -> OpenDataError:
    with pytest.raises(OpenDataError) as caught:
        data_access_check(**kwargs)
    return caught.value


def _usage() -> list[tuple]:
    return list(DailyUsage.objects.order_by("resource_code", "key_prefix", "channel")
                .values_list("resource_code", "key_prefix", "channel", "calls", "rows"))


def _reads() -> list[LedgerLeaf]:
    return list(LedgerLeaf.objects.filter(kind="opendata.read").order_by("id"))


# --- access ------------------------------------------------------------------------------------

def test_open_data_is_for_everyone(open_world, people):
    dataset = _dataset(Codes.OPEN)
    anonymous = data_access_check(open_dataset=dataset, user=AnonymousUser())
    assert anonymous == DataAccess(open_dataset_id=dataset.id, tier=OpenTier.OPEN, user_id=None, key_prefix="",
                                   application=None, resource_code=Codes.OPEN)
    assert data_access_check(open_dataset=dataset).user_id is None
    developer = people.users["developer"]
    keyed = data_access_check(open_dataset=dataset, key=_key(developer, "zto_dev1"))
    assert (keyed.user_id, keyed.key_prefix, keyed.application) == (developer.id, "zto_dev1", None)


def test_on_application_data_needs_an_approved_application(open_world, people):
    dataset = _dataset(Codes.APPLY)
    developer = people.users["developer"]
    assert _refusal(open_dataset=dataset).code == "application_required"
    assert _refusal(open_dataset=dataset, user=AnonymousUser()).code == "application_required"
    refused = _refusal(open_dataset=dataset, user=developer)
    assert (refused.code, refused.status, refused.params) == ("application_required", 403, {"dataset": Codes.APPLY})
    for status in (ApplicationStatus.PENDING, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN):
        _application(developer, status=status)
        assert _refusal(open_dataset=dataset, user=developer).code == "application_required"
    _application(developer, expires_in=None)  # approved, but without an end: not a valid grant
    assert _refusal(open_dataset=dataset, user=developer).code == "application_required"
    approved = _application(developer)
    access = data_access_check(open_dataset=dataset, user=developer)
    assert (access.tier, access.user_id, access.key_prefix, access.application) == (
        OpenTier.ON_APPLICATION, developer.id, "", approved)


def test_the_applicants_key_reads_and_nobody_elses(open_world, people):
    dataset = _dataset(Codes.APPLY)
    developer, other = people.users["developer"], people.users["other"]
    approved = _application(developer)
    key = _key(developer, "zto_dev1")
    access = data_access_check(open_dataset=dataset, key=key)
    assert (access.user_id, access.key_prefix, access.application) == (developer.id, "zto_dev1", approved)
    # Someone else's key, even sent by the applicant while signed in, reads as its owner.
    assert _refusal(open_dataset=dataset, user=developer, key=_key(other, "zto_oth1")).code == "application_required"
    assert _refusal(open_dataset=dataset, user=other).code == "application_required"


def test_an_expired_application_says_when_it_ended(open_world, people):
    dataset = _dataset(Codes.APPLY)
    developer = people.users["developer"]
    ended = _application(developer, expires_in=-timedelta(days=2))
    _application(developer, expires_in=-timedelta(days=9))
    refused = _refusal(open_dataset=dataset, user=developer)
    assert refused.code == "application_expired"
    assert refused.params == {"dataset": Codes.APPLY,
                              "expired_at": timezone.localtime(ended.expires_at).strftime("%Y-%m-%d %H:%M")}
    renewed = _application(developer, expires_in=timedelta(hours=1))
    assert data_access_check(open_dataset=dataset, user=developer).application == renewed


def test_an_application_for_another_dataset_does_not_count(open_world, people):
    developer = people.users["developer"]
    _application(developer, code=Codes.OPEN)
    assert _refusal(open_dataset=_dataset(Codes.APPLY), user=developer).code == "application_required"


# --- the record of reads ---------------------------------------------------------------------

def test_reads_are_metered_per_day_dataset_key_and_channel(open_world, people):
    key = _key(people.users["developer"], "zto_dev1")
    keyed = data_access_check(open_dataset=_dataset(Codes.OPEN), key=key)
    anonymous = data_access_check(open_dataset=_dataset(Codes.OPEN))
    data_read_record(access=keyed, channel="api", rows=100)
    data_read_record(access=keyed, channel="api", rows=30)
    data_read_record(access=keyed, channel="download", rows=30)
    data_read_record(access=anonymous, channel="preview", rows=20)
    data_read_record(access=anonymous, channel="preview", rows=0)
    assert _usage() == [(Codes.OPEN, "", "preview", 2, 20), (Codes.OPEN, "zto_dev1", "api", 2, 130),
                        (Codes.OPEN, "zto_dev1", "download", 1, 30)]
    assert set(DailyUsage.objects.values_list("day", flat=True)) == {timezone.localdate()}
    assert _reads() == []  # open data: metered, not logged


def test_an_on_application_read_is_logged_in_the_ledger(open_world, people):
    developer = people.users["developer"]
    approved = _application(developer)
    access = data_access_check(open_dataset=_dataset(Codes.APPLY), key=_key(developer, "zto_dev1"))
    data_read_record(access=access, channel="api", rows=12, detail={"filters": {"trade": "零售"}})
    assert _usage() == [(Codes.APPLY, "zto_dev1", "api", 1, 12)]
    [entry] = _reads()
    assert (entry.subject, entry.actor) == (f"dataset:{Codes.APPLY}", f"user:{developer.id}")
    assert json.loads(entry.body)["payload"] == {
        "application": str(approved.public_id), "purpose": "研究个体工商户分布", "channel": "api", "rows": 12,
        "key_prefix": "zto_dev1", "detail": {"filters": {"trade": "零售"}},
    }


def test_a_refused_ledger_entry_leaves_no_usage_behind(open_world, people):
    developer = people.users["developer"]
    _application(developer)
    access = data_access_check(open_dataset=_dataset(Codes.APPLY), user=developer)
    data_read_record(access=access, channel="preview", rows=5)
    before = (_usage(), [e.id for e in _reads()])
    with pytest.raises(Exception):  # the ledger takes no floats: the whole record is refused
        data_read_record(access=access, channel="preview", rows=5, detail={"ratio": 0.5})
    assert (_usage(), [e.id for e in _reads()]) == before


def test_an_unknown_channel_is_refused(open_world):
    access = data_access_check(open_dataset=_dataset(Codes.OPEN))
    with pytest.raises(ValueError):
        data_read_record(access=access, channel="carrier-pigeon", rows=1)
    assert _usage() == []


# --- summaries -------------------------------------------------------------------------------

def test_usage_summaries_per_dataset_and_per_key(open_world, people):
    today = timezone.localdate()
    rows = [
        (today, Codes.OPEN, "zto_dev1", "api", 3, 300),
        (today, Codes.OPEN, "", "preview", 5, 100),
        (today - timedelta(days=1), Codes.OPEN, "zto_dev1", "download", 1, 30),
        (today - timedelta(days=1), Codes.APPLY, "zto_dev1", "api", 2, 24),
        (today - timedelta(days=29), Codes.OPEN, "zto_dev1", "ckan", 1, 10),
        (today - timedelta(days=30), Codes.OPEN, "zto_dev1", "api", 50, 5000),  # outside 30 days
        (today, "", "zto_dev1", "api", 4, 0),  # searches: no one dataset
        (today, Codes.OPEN, "zto_oth1", "api", 7, 70),
    ]
    DailyUsage.objects.bulk_create([DailyUsage(day=d, resource_code=c, key_prefix=k, channel=ch, calls=n, rows=r)
                                    for d, c, k, ch, n, r in rows])
    summary = usage_dataset_summary(Codes.OPEN)
    assert (summary.since, summary.days, summary.calls, summary.rows) == (today - timedelta(days=29), 30, 17, 510)
    assert [(c.channel, c.calls, c.rows) for c in summary.channels] == [
        ("api", 10, 370), ("ckan", 1, 10), ("download", 1, 30), ("preview", 5, 100)]
    assert [(d.day, d.calls, d.rows) for d in summary.by_day] == [
        (today - timedelta(days=29), 1, 10), (today - timedelta(days=1), 1, 30), (today, 15, 470)]
    assert usage_dataset_summary(Codes.OPEN, days=1).calls == 15

    key = usage_key_summary("zto_dev1")
    assert (key.calls, key.rows) == (11, 364)
    assert [(line.day, line.resource_code, line.title, line.calls, line.rows) for line in key.rows_by_dataset_day] == [
        (today, "", "", 4, 0),
        (today, Codes.OPEN, "西湖区食品经营许可公示", 3, 300),
        (today - timedelta(days=1), Codes.OPEN, "西湖区食品经营许可公示", 1, 30),
        (today - timedelta(days=1), Codes.APPLY, "西湖区个体工商户经营者信息", 2, 24),
        (today - timedelta(days=29), Codes.OPEN, "西湖区食品经营许可公示", 1, 10),
    ]
    assert usage_key_summary("zto_none").rows_by_dataset_day == ()


def test_a_summary_of_a_hidden_dataset_names_no_title(open_world):
    DailyUsage.objects.create(day=timezone.localdate(), resource_code=Codes.SECRET, key_prefix="zto_x",
                              channel="api", calls=1, rows=1)
    [line] = usage_key_summary("zto_x").rows_by_dataset_day
    assert (line.resource_code, line.title) == (Codes.SECRET, "")
    assert isinstance(line.day, dt.date)
