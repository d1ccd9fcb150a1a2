"""Reuse showcases (应用展示): submitted by people, reviewed by the big-data bureau, shown with
the public datasets they use — and never with a hidden one."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.data.opendata.conftest import Codes
from zhengtong.data.catalog.public import dataset_get
from zhengtong.data.opendata import services
from zhengtong.data.opendata.community_selectors import (
    showcases_for_dataset,
    showcases_for_reviewer,
    showcases_published,
)
from zhengtong.data.opendata.models import Showcase

pytestmark = pytest.mark.django_db


def submit(people, name="developer", **overrides) -> Showcase:
    arguments = dict(submitter_user=people.users[name], title="西湖美食地图",
                     description="根据食品经营许可公示数据，在地图上展示西湖区的持证餐饮店。",
                     url="https://example.org/xihu-food-map", resource_codes=[Codes.OPEN, Codes.APPLY])
    arguments.update(overrides)
    return services.showcase_submit(**arguments)


def states() -> list[tuple]:
    return list(Showcase.objects.order_by("id").values_list("status", "reviewed_by_id", "published_at"))


def test_a_showcase_is_submitted_with_its_datasets(open_world_unserved, people):
    showcase = submit(people, resource_codes=[Codes.OPEN.lower(), " " + Codes.APPLY, Codes.OPEN])
    showcase.refresh_from_db()
    assert (showcase.title, showcase.url, showcase.status) == ("西湖美食地图", "https://example.org/xihu-food-map", "pending")
    assert showcase.submitter_id == people.users["developer"].id
    assert sorted(showcase.datasets.values_list("resource_code", flat=True)) == [Codes.OPEN, Codes.APPLY]
    assert showcases_published() == []


@pytest.mark.parametrize(("overrides", "field"), [
    ({"url": "http://example.org/app"}, "url"),
    ({"url": "javascript:alert(1)"}, "url"),
    ({"url": "https://"}, "url"),
    ({"title": ""}, "title"),
    ({"description": "好用"}, "description"),
    ({"resource_codes": []}, "datasets"),
    ({"resource_codes": ["330106-SJ-99999"]}, "datasets"),
])
def test_bad_showcases_are_refused_and_nothing_is_stored(open_world_unserved, people, overrides, field):
    with pytest.raises(ValidationError) as refused:
        submit(people, **overrides)
    assert list(refused.value.message_dict) == [field]
    assert Showcase.objects.count() == 0


@pytest.mark.parametrize("code", [Codes.NEGATIVE, Codes.SECRET, Codes.DRAFT])
def test_a_hidden_dataset_is_refused_like_one_that_does_not_exist(open_world_unserved, people, code):
    with pytest.raises(ValidationError) as hidden:
        submit(people, resource_codes=[Codes.OPEN, code])
    with pytest.raises(ValidationError) as unknown:
        submit(people, resource_codes=[Codes.OPEN, "330106-XX-00999"])
    assert hidden.value.messages == [unknown.value.messages[0].replace("330106-XX-00999", code)]
    assert Showcase.objects.count() == 0


def test_staff_do_not_submit_showcases(open_world_unserved, people):
    with pytest.raises(PermissionDenied):
        submit(people, name="xihu_dsj_admin")
    assert Showcase.objects.count() == 0


def test_the_bureau_publishes_and_the_public_sees_it_with_its_datasets(open_world_unserved, people):
    showcase = submit(people)
    assert [v.showcase.pk for v in showcases_for_reviewer(actor=people.actor("xihu_dsj_admin"))] == [showcase.pk]
    services.showcase_review(actor=people.actor("xihu_dsj_admin"), showcase=showcase, publish=True)
    showcase.refresh_from_db()
    assert (showcase.status, showcase.reviewed_by_id) == ("published", people.users["xihu_dsj_admin"].id)
    assert showcase.published_at is not None
    [view] = showcases_published()
    assert [od.resource_code for od in view.open_datasets] == [Codes.OPEN, Codes.APPLY]
    assert [v.showcase.pk for v in showcases_for_dataset(dataset_get(resource_code=Codes.OPEN).id)] == [showcase.pk]
    assert showcases_for_dataset(dataset_get(resource_code=Codes.NINGBO).id) == []
    assert showcases_for_dataset(dataset_get(resource_code=Codes.SECRET).id) == []
    assert showcases_for_reviewer(actor=people.actor("xihu_dsj_admin")) == []
    with pytest.raises(ValidationError):
        services.showcase_review(actor=people.actor("zj_dsj_admin"), showcase=showcase, publish=False)
    assert states() == [("published", people.users["xihu_dsj_admin"].id, showcase.published_at)]


def test_a_rejected_showcase_is_not_shown(open_world_unserved, people):
    showcase = submit(people)
    services.showcase_review(actor=people.actor("zj_dsj_admin"), showcase=showcase, publish=False)
    assert states() == [("rejected", people.users["zj_dsj_admin"].id, None)]
    assert showcases_published() == []


@pytest.mark.parametrize("name", ["sj_data", "ga_data", "developer"])
def test_only_the_bureau_reviews(open_world_unserved, people, name):
    showcase = submit(people)
    with pytest.raises(PermissionDenied):
        services.showcase_review(actor=people.actor(name), showcase=showcase, publish=True)
    assert states() == [("pending", None, None)]
    assert showcases_for_reviewer(actor=people.actor(name)) == []


def test_a_city_bureau_does_not_review_another_citys_data(open_world_unserved, people):
    showcase = submit(people, resource_codes=[Codes.OPEN, Codes.NINGBO])
    with pytest.raises(PermissionDenied):
        services.showcase_review(actor=people.actor("xihu_dsj_admin"), showcase=showcase, publish=True)
    assert states() == [("pending", None, None)]
    services.showcase_review(actor=people.actor("zj_dsj_admin"), showcase=showcase, publish=True)
    assert states()[0][0] == "published"
