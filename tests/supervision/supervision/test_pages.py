"""Pages of supervision (Django test client), in Chinese by default, and the API."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from zhengtong.supervision.supervision import services
from zhengtong.supervision.supervision.models import DrawnEntity, InspectionPlan, SupervisionItem

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_totp")]

BACKEND = "zhengtong.kernel.identity.backends.AccountBackend"


@pytest.fixture
def as_user(client, people):
    def sign_in(name: str, language: str = "zh-hans"):
        client.logout()
        client.force_login(people.users[name], backend=BACKEND)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
        return client

    return sign_in


def test_staff_pages_render_in_chinese_and_the_plan_journey(as_user, people, law, item, inspectors, entities):
    page = as_user("sj_officer")
    text = page.get(reverse("supervision:law-list")).content.decode()
    assert "法律法规库" in text and "中华人民共和国食品安全法" in text
    text = page.get(reverse("supervision:law-detail", args=[law.public_id])).content.decode()
    assert "第一百一十条" in text and "食品经营者监督检查" in text
    assert "监管事项" in page.get(reverse("supervision:item-list")).content.decode()
    assert "原料进货查验" in page.get(reverse("supervision:item-detail", args=[item.public_id])).content.decode()
    assert "330106000001" in page.get(reverse("supervision:inspector-list")).content.decode()

    # A ratio above the cap is refused on the page, in Chinese, and nothing is saved.
    response = page.post(reverse("supervision:plan-list"), {
        "title": "抽查", "items": [str(item.public_id)], "division": "330106", "ratio_A": "9", "ratio_B": "3",
        "ratio_C": "10", "ratio_D": "20", "per": "2"}, follow=True)
    assert "普通监管事项" in response.content.decode() and InspectionPlan.objects.count() == 0
    response = page.post(reverse("supervision:plan-list"), {
        "title": "2026年食品经营抽查", "items": [str(item.public_id)], "division": "330106", "ratio_A": "1",
        "ratio_B": "3", "ratio_C": "10", "ratio_D": "20", "per": "2"})
    plan = InspectionPlan.objects.get()
    assert response.url == reverse("supervision:plan-detail", args=[plan.public_id])
    for action in ("commit", "draw", "reveal"):
        page.post(reverse("supervision:plan-act", args=[plan.public_id, action]))
    plan.refresh_from_db()
    assert plan.state == "revealed"
    # A second draw from the page is refused with the reason.
    response = page.post(reverse("supervision:plan-act", args=[plan.public_id, "draw"]), follow=True)
    assert "不能为改变结果而重新抽取" in response.content.decode()

    # The public pages, signed out: commitment, seed, companies; the check verifies.
    page.logout()
    text = page.get(reverse("supervision:public-detail", args=[plan.public_id])).content.decode()
    assert plan.commitment in text and plan.seed in text and "杭州测试" in text
    drawn = DrawnEntity.objects.filter(plan=plan).first()
    assert drawn.uscc in text
    text = page.get(reverse("supervision:public-verify", args=[plan.public_id])).content.decode()
    assert "抽取结果核验一致" in text
    text = page.get(reverse("supervision:public-verify", args=[plan.public_id]) + "?seed=" + "00" * 32).content.decode()
    assert "抽取结果核验不一致" in text
    tsv = page.get(reverse("supervision:public-candidates", args=[plan.public_id])).content
    assert tsv.count(b"\n") == 200
    assert "双随机" in page.get(reverse("supervision:method")).content.decode()
    assert plan.title in page.get(reverse("supervision:public-list")).content.decode()


def test_staff_pages_need_staff(client, people):
    assert client.get(reverse("supervision:law-list")).status_code == 302


def test_api_items_scoping_and_public_verify(as_user, people, law, item, inspectors, entities):
    api = as_user("wj_leader", language="en")
    article = law.articles.first()
    response = api.post("/api/v1/supervision/items/", {"code": "WJ-2", "name": "无依据", "checklist": ["a"]},
                        content_type="application/json")
    assert response.status_code == 400
    assert response.json()["fields"]["articles"] == [
        "A supervision item needs a legal basis: cite at least one article."]
    response = api.post("/api/v1/supervision/items/", {"code": "WJ-2", "name": "卫生检查", "checklist": ["a"],
                                                       "articles": [str(article.public_id)]},
                        content_type="application/json")
    assert response.status_code == 201 and response.json()["department"] == "330106-WJ"
    assert SupervisionItem.objects.count() == 2
    assert {i["code"] for i in api.get("/api/v1/supervision/items/").json()} == {"SJ-330106-001", "WJ-2"}

    plan = services.plan_create(actor=people.actor("sj_officer"), title="抽查", item_ids=[item.public_id],
                                division_code="330106", ratios={"A": 1, "B": 3, "C": 10, "D": 20},
                                inspectors_per_inspection=2)
    # Another department cannot act on the plan.
    assert api.post(f"/api/v1/supervision/plans/{plan.public_id}/commit/").status_code == 403
    sj = as_user("sj_officer", language="en")
    for action in ("commit", "draw"):
        assert sj.post(f"/api/v1/supervision/plans/{plan.public_id}/{action}/").status_code == 200
    response = sj.post(f"/api/v1/supervision/plans/{plan.public_id}/draw/")
    assert response.status_code == 400 and "already been drawn" in response.json()["detail"]
    assert sj.post(f"/api/v1/supervision/plans/{plan.public_id}/reveal/").json()["seed"]
    sj.logout()
    body = client_get_json(sj, f"/api/v1/supervision/public/plans/{plan.public_id}/verify/")
    assert body["ok"] is True and body["drawn_recorded"] == 8
    detail = client_get_json(sj, f"/api/v1/supervision/public/plans/{plan.public_id}/")
    assert len(detail["drawn"]) == 8 and detail["plan"]["commitment"] == plan.__class__.objects.get(
        pk=plan.pk).commitment


def client_get_json(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.json()


def test_refresh_command_runs_on_an_empty_registry(db, capsys):
    call_command("supervision", "refresh-entities")
    assert "0 entities refreshed" in capsys.readouterr().out


def test_register_pages_review_answer_and_result_recording(as_user, people, law, item, entities):
    from zhengtong.supervision.supervision.models import Inspector

    leader = as_user("sj_leader", language="en")
    leader.post(reverse("supervision:inspector-register"), {"username": "sj_insp1", "certificate_no": "330106009999"})
    leader.post(reverse("supervision:inspector-register"), {"username": "sj_insp2", "certificate_no": "330106009998"})
    # Staff of another department cannot be registered here.
    response = leader.post(reverse("supervision:inspector-register"),
                           {"username": "wj_insp1", "certificate_no": "330106019999"}, follow=True)
    assert "Only staff of your own department" in response.content.decode()
    assert sorted(Inspector.objects.values_list("certificate_no", flat=True)) == ["330106009998", "330106009999"]
    inspector = Inspector.objects.get(certificate_no="330106009999")
    own = as_user("sj_insp1")
    own.post(reverse("supervision:inspector-conflicts", args=[inspector.public_id]), {"conflicts": entities[0][1]})
    inspector.refresh_from_db()
    assert inspector.conflicts == [entities[0][1]]
    assert "执法检查人员名录库" in own.get(reverse("supervision:inspector-list")).content.decode()

    # The law changes; the owning department answers the review on the item's page.
    services.article_amend(actor=people.actor("sj_leader"), article_id=law.articles.get(number="第一百一十条").public_id,
                           text="新条文")
    officer = as_user("sj_officer")
    text = officer.get(reverse("supervision:item-detail", args=[item.public_id])).content.decode()
    assert "设定依据已变更：复核中" in text
    officer.post(reverse("supervision:item-review", args=[item.public_id]), {"response": "已核对"})
    item.refresh_from_db()
    assert item.review_state == "responded" and item.needs_review

    item.needs_review = False  # the answer is accepted below through the service; plan meanwhile
    item.save()
    plan = services.plan_create(actor=people.actor("sj_officer"), title="抽查", item_ids=[item.public_id],
                                division_code="330106", ratios={"A": 1, "B": 3, "C": 10, "D": 20},
                                inspectors_per_inspection=2)
    services.plan_commit(actor=people.actor("sj_officer"), plan_id=plan.public_id)
    services.plan_draw(actor=people.actor("sj_officer"), plan_id=plan.public_id)
    drawn = DrawnEntity.objects.filter(plan=plan).exclude(inspectors=[]).first()
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    officer.post(reverse("supervision:plan-entity-act", args=[plan.public_id, drawn.uscc, "result"]),
                 {"result": "no_problem", "on": today})
    drawn.refresh_from_db()
    assert (drawn.result, drawn.result_on.isoformat()) == ("no_problem", today)
    officer.post(reverse("supervision:plan-act", args=[plan.public_id, "reveal"]))
    text = officer.get(reverse("supervision:public-detail", args=[plan.public_id])).content.decode()
    assert "未发现问题" in text and "应于此日前公示" in text


def test_public_list_queries_do_not_grow_with_plans(client, people, item, inspectors, entities):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def publish():
        plan = services.plan_create(actor=people.actor("sj_officer"), title="抽查", item_ids=[item.public_id],
                                    division_code="330106", ratios={"A": 1, "B": 3, "C": 10, "D": 20},
                                    inspectors_per_inspection=2)
        services.plan_commit(actor=people.actor("sj_officer"), plan_id=plan.public_id)

    publish()
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("supervision:public-list")).status_code == 200
    publish()
    publish()
    with CaptureQueriesContext(connection) as three:
        assert client.get(reverse("supervision:public-list")).content.decode().count("抽查") >= 3
    assert len(three) == len(one)
