"""The demo's service platform (一网通办): `zhengtong demo` publishes the items, bundles and finder,
obtains the platform's sharing grants through the exchange's request flow, and leaves applications
in every state — among them the demo citizen's instant item, approved by its decision table.

The demo is built once for the module (about 30 s) inside a transaction rolled back at the end;
each test runs in a savepoint of it, so one test's changes never reach another."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections, transaction
from django.test import override_settings

from zhengtong.data.exchange.models import ItemStatus, RequestItem, SharingGrant, SharingService
from zhengtong.demo import service_items
from zhengtong.demo.services import (
    SERVICE_STAFF,
    applicants_ensure,
    demo_upload,
    instant_item_for,
    platform_services,
    sharing_service_code,
)
from zhengtong.kernel.identity.models import Citizen, User
from zhengtong.kernel.identity.public import actor_from_user
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.services.applications import workflow
from zhengtong.services.applications.evidence import service_platform_client
from zhengtong.services.applications.measures import measures
from zhengtong.services.applications.models import Application, ApplicationTask, Decision
from zhengtong.services.applications.selectors import task_queue
from zhengtong.services.applications.uploads import upload_check
from zhengtong.services.guide.models import FinderQuestion, ItemImplementation, Material, ServiceItem
from zhengtong.services.guide.public import implementation_for
from zhengtong.services.guide.selectors import finder_step
from zhengtong.services.onething.models import Bundle, BundleApplication
from zhengtong.services.licences.models import Licence, Seal, SealKeeper
from zhengtong.services.licences.services import licence_verify
from zhengtong.services.onething.selectors import bundle_form
from zhengtong.services.reviews.models import Review
from zhengtong.services.reviews.selectors import open_bad_review_list, review_statistics

SEED = 3


pytestmark = pytest.mark.xdist_group("demo_services")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The whole demo (province at scale 1, datasets, registries, exchange, open data, service
    platform), built once; its printed output."""
    lake = tmp_path_factory.mktemp("lake")
    with django_db_blocker.unblock(), override_settings(LAKE_URL=lake.as_uri()):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            out = StringIO()
            call_command("demo", scale=1, seed=SEED, no_progress=True, stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            for connection in connections.all():
                connection.close()


@pytest.fixture
def built(demo, db):
    return demo


def _citizen() -> Citizen:
    return Citizen.objects.filter(user__isnull=False).select_related("division").order_by("id").first()


def _actor(username: str):
    return actor_from_user(User.objects.get(username=username))


def test_the_catalogue_has_every_item_published_with_its_materials_and_processes(built):
    codes = [item.code for item in service_items.DEMO_ITEMS]
    assert len(codes) == len(set(codes)) == 23
    assert set(ServiceItem.objects.filter(code__in=codes).values_list("code", flat=True)) == set(codes)
    implementations = ItemImplementation.objects.filter(item__code__in=codes)
    expected = sum(len(item.implementations) for item in service_items.DEMO_ITEMS)
    assert implementations.count() == expected == 26
    assert set(implementations.values_list("status", flat=True)) == {"published"}
    assert set(implementations.values_list("division__code", flat=True)) == {"330100", "330106"}
    assert set(implementations.values_list("process", flat=True)) == {"instant", "standard", "simple",
                                                                       "parallel_review"}
    # Every process and decision table named exists in the engine.
    assert set(implementations.values_list("process", flat=True)) <= set(workflow.process_names())
    instant = implementations.filter(instant=True)
    assert sorted(set(instant.values_list("decision", flat=True))) == [
        "elderly_card", "flexible_employment_insurance", "longevity_allowance", "sole_trader_deregistration"]
    for table in set(instant.values_list("decision", flat=True)):
        assert workflow.decision_inputs(table)  # parses, and names its inputs

    # The implementing department is the item's kind at the implementation's division.
    for implementation in implementations.select_related("item", "department", "division"):
        assert implementation.department.kind == implementation.item.competent_department_kind
        assert implementation.department.division_id == implementation.division_id
    # Fees in integer fen, e.g. the ID card's 20 yuan.
    renewal = implementations.get(item__code=service_items.ID_CARD_RENEWAL, division__code="330100")
    assert [fee["amount_fen"] for fee in renewal.fees] == [2000]


def test_shared_materials_name_the_demo_sharing_services(built):
    household = SharingService.objects.get(dataset__title="户籍人口基本信息", owner_department__code="330100-GA")
    insurance = SharingService.objects.get(dataset__title="社会保险参保人员信息", owner_department__code="330100-RS")
    market = SharingService.objects.get(dataset__title="市场主体登记信息", owner_department__code="330100-SJ")
    assert sharing_service_code(service_items.HOUSEHOLD) == household.code
    assert sharing_service_code("dataset:没有这个数据集") is None
    shared = Material.objects.filter(implementation__item__code__in=[i.code for i in service_items.DEMO_ITEMS],
                                     source="shared")
    assert set(shared.values_list("source_ref", flat=True)) == {household.code, insurance.code, market.code,
                                                                "registry-person"}
    assert shared.filter(code="household-book").values_list("source_ref", flat=True).distinct().get() == household.code
    produced = Material.objects.filter(source="produced", implementation__item__code__in=[
        i.code for i in service_items.DEMO_ITEMS])
    assert set(produced.values_list("source_ref", flat=True)) == {service_items.COMPANY_REGISTRATION,
                                                                  service_items.BIRTH_CERTIFICATE}


def test_the_platform_grants_went_through_the_request_flow(built):
    client = service_platform_client()
    items = RequestItem.objects.filter(request__api_client=client).select_related("service", "request")
    assert sorted(items.values_list("service__code", flat=True)) == platform_services()
    assert len(platform_services()) == 5
    for item in items:
        assert item.status == ItemStatus.APPROVED
        assert item.owner_decided_by_id is not None  # the owning department's data officer
        if item.service.share_type == "conditional":  # then the big-data bureau, someone else
            assert item.bureau_decided_by_id not in (None, item.owner_decided_by_id)
    grants = SharingGrant.objects.filter(api_client=client, revoked_at__isnull=True)
    assert grants.count() == 5
    registry = grants.get(service__code="registry-person")
    assert registry.clear_fields == registry.fields  # pre-fill shows applicants their own values
    assert grants.get(service__code=sharing_service_code(service_items.HOUSEHOLD)).clear_fields == []
    assert LedgerLeaf.objects.filter(kind="share.grant.created").count() >= 5


def test_the_demo_citizen_gets_an_instant_item_approved_with_zero_uploads(built):
    citizen = _citizen()
    expected = instant_item_for(citizen)
    assert expected  # every adult qualifies for one of them by age
    approved = Application.objects.filter(applicant_user=citizen.user, instant=True, state="approved")
    assert sorted(approved.values_list("item__code", flat=True)) == sorted(expected)
    for application in approved:
        assert application.reference and application.concluded_at is not None
        assert not application.tasks.exists()  # no person handled it (审批零人工)
        assert application.materials.count() == application.materials.filter(waived=True).count() >= 1
        assert not application.materials.exclude(file="").exclude(file__isnull=True).exists()
        decision = Decision.objects.get(application=application, source__startswith="dmn:")
        assert decision.outcome == "approve"
        assert decision.inputs["resident_of_city"] is True
        assert decision.matched_rules and decision.explanation
        assert LedgerLeaf.objects.filter(kind="application.submitted",
                                         subject=f"application:{application.public_id}").count() == 1
    assert "秒办 Instant" in built and citizen.name in built


def test_the_applications_cover_every_state_and_fill_the_queues(built):
    states = Counter(Application.objects.values_list("state", flat=True))
    assert {"draft", "submitted", "in_progress", "correction", "approved", "rejected"} <= set(states)
    assert states["approved"] >= 4

    window = task_queue(actor=_actor("hz.window"))
    assert window.exists() and set(window.values_list("role", flat=True)) == {"window_officer"}
    assert task_queue(actor=_actor("hz.hrss.officer")).filter(application__item__code=service_items
                                                              .UNEMPLOYMENT_BENEFIT).exists()
    correction = Application.objects.get(state="correction")
    assert correction.item.code == service_items.ID_CARD_RENEWAL
    assert correction.applicant_user_id == _citizen().user_id
    assert correction.tasks.filter(role="applicant", state="open").exists()
    assert "数码照片回执" in correction.tasks.get(outcome="correct").note
    rejected = Application.objects.get(state="rejected")
    assert "不能重复参加" in rejected.outcome_reason

    # The measures page has numbers: the big-data bureau sees the whole province.
    total = measures(actor=_actor("zj.bigdata.admin"))[0]
    assert total.scope == "total"
    assert total.submitted == Application.objects.exclude(state="draft").count()
    assert total.instant_approvals == Application.objects.filter(instant=True, state="approved").count() >= 2
    assert total.materials_waived > 0 and total.phone > 0 and total.decided > 0


def test_every_service_officer_of_the_demo_can_sign_in_and_has_a_queue(built):
    for spec in SERVICE_STAFF:
        user = User.objects.get(username=spec.username)
        assert user.check_password("zhengtong-demo-2026")
        actor = actor_from_user(user)
        assert set(spec.roles) <= actor.roles
        assert actor.division_code == spec.division_code
        if set(spec.roles) & {"window_officer", "case_officer", "leader"}:
            task_queue(actor=actor)  # does not refuse: they are staff with a queue
        assert spec.username in built


def test_the_bundles_are_published_and_their_applications_under_way(built):
    opening = Bundle.objects.get(code="company-opening")
    newborn = Bundle.objects.get(code="newborn")
    assert opening.is_published and newborn.is_published
    assert [p.item.code for p in opening.parts.order_by("position")] == [
        service_items.COMPANY_REGISTRATION, service_items.SEAL_ENGRAVING, service_items.TAX_REGISTRATION,
        service_items.EMPLOYER_INSURANCE, service_items.HOUSING_FUND_EMPLOYER]
    assert {p.item.competent_department_kind for p in opening.parts.all()} == {
        "market_regulation", "public_security", "taxation", "human_resources", "housing"}
    form = bundle_form(opening)
    # The business licence the registration produces is asked of nobody (一件事: produced, not asked).
    licence = [m for m in form.materials if m.source == "produced"]
    assert len(licence) == 1 and not licence[0].asked and len(licence[0].uses) == 4
    # Shared questions asked once.
    assert [f.name for f in form.fields].count("legal_representative") == 1
    newborn_form = bundle_form(newborn)
    assert [f.name for f in newborn_form.fields].count("baby_name") == 1
    assert "card_holder_name" not in [f.name for f in newborn_form.fields]

    applications = BundleApplication.objects.filter(bundle__in=[opening, newborn])
    assert applications.count() == 2
    assert set(applications.values_list("state", flat=True)) == {"in_progress"}
    opened = applications.get(bundle=opening)
    part_states = {row.part.item.code: row.application.state for row in opened.parts.select_related(
        "part__item", "application")}
    assert part_states[service_items.COMPANY_REGISTRATION] == "approved"
    assert part_states[service_items.SEAL_ENGRAVING] == "approved"
    assert part_states[service_items.EMPLOYER_INSURANCE] == "submitted"


def test_the_finder_leads_to_the_items(built):
    assert FinderQuestion.objects.filter(is_start=True).get().code == "who"
    step = finder_step(answers=["person"])
    assert step.question.code == "life-event"
    results = finder_step(answers=["person", "elderly", "80-plus"], division_code="330106").results
    assert [r.item.code for r in results][:2] == [service_items.ELDERLY_CARD, service_items.LONGEVITY_ALLOWANCE]
    company = finder_step(answers=["company", "opening"], division_code="330100").results
    assert {r.item.code for r in company} == {p.item_code for p in service_items.COMPANY_OPENING.parts}


def test_xihu_and_hangzhou_implement_the_same_item_four_levels_the_same(built):
    """四级四同: the Xihu and Hangzhou lists of one item share the catalogue entry; a Xihu
    applicant gets Xihu's, a Binjiang one Hangzhou's."""
    xihu = implementation_for(item_code=service_items.PUBLIC_RENTAL_HOUSING, division_code="330106")
    binjiang = implementation_for(item_code=service_items.PUBLIC_RENTAL_HOUSING, division_code="330108")
    assert xihu.division_code == "330106" and binjiang.division_code == "330100"
    assert xihu.item_id == binjiang.item_id and xihu.item_name == binjiang.item_name
    assert (xihu.promised_days, binjiang.promised_days) == (25, 30)
    assert implementation_for(item_code=service_items.PRIMARY_SCHOOL, division_code="330108") is None


def test_running_the_demo_again_changes_nothing(built):
    def counts():
        return (ServiceItem.objects.count(), ItemImplementation.objects.count(), Bundle.objects.count(),
                FinderQuestion.objects.count(), Application.objects.count(), ApplicationTask.objects.count(),
                SharingGrant.objects.count(), RequestItem.objects.count(), User.objects.count(),
                Seal.objects.count(), SealKeeper.objects.count(), Licence.objects.count(), Review.objects.count(),
                list(Review.objects.order_by("id").values_list("loop_state", flat=True)))

    before = counts()
    out = StringIO()
    call_command("demo", scale=1, seed=SEED, if_empty=True, no_progress=True, stdout=out)
    assert counts() == before
    # The same accounts are printed again.
    assert all(spec.username in out.getvalue() for spec in SERVICE_STAFF)
    assert applicants_ensure().company.user_id is not None


def test_the_demo_uploads_pass_the_platform_upload_checks():
    """The files the demo uploads are what the upload check accepts: real PDF and PNG content."""
    for types in (("pdf",), ("jpg", "png"), ("pdf", "jpg", "png")):
        material = type("M", (), {"code": "scan", "accepted_types": types})()
        checked = upload_check(upload=demo_upload(material), code="scan", material_name="scan",
                               accepted_types=list(types), max_bytes=1024 * 1024)
        assert checked.extension == ("pdf" if "pdf" in types else "png")


def test_the_portal_pages_show_the_demo(built, client):
    """The guide, the finder, the bundles and the demo citizen's applications, as a visitor and the
    citizen see them."""
    portal = client.get("/services/")
    assert portal.status_code == 200
    guide = client.get(f"/services/items/{service_items.ELDERLY_CARD}/")
    assert guide.status_code == 200
    page = guide.content.decode()
    assert "老年人优待证申领" in page and "居民身份证" in page and "《中华人民共和国老年人权益保障法》" in page
    assert client.get("/services/finder/").status_code == 200
    opening = client.get("/services/onething/company-opening/")
    assert opening.status_code == 200 and "开办企业一件事" in opening.content.decode()

    citizen = _citizen()
    client.force_login(citizen.user)
    mine = client.get("/services/my/").content.decode()
    for application in Application.objects.filter(applicant_user=citizen.user).exclude(state="draft"):
        assert application.reference in mine


def test_the_approved_applications_yield_sealed_licences_in_the_wallets(built, client):
    """Each department issuing a demo item's licence has an e-seal made by its leader, its case
    officers keep it; the approved applications' licences are in the holders' wallets, filled in
    from the answers and the registries, and each verifies."""
    from zhengtong.demo.licences import issuing_departments

    departments = issuing_departments()
    assert {d.code for d in departments} >= {"330100-MZ", "330106-MZ", "330100-RS", "330100-SJ", "330100-WJ",
                                            "330100-ZR"}
    for department in departments:
        seal = Seal.objects.get(department=department, state="active")
        assert seal.created_by.staff_member.department_id == department.id
        assert "leader" in actor_from_user(seal.created_by).roles
    # The case officers who approve (not leaders themselves) were granted the seal's use.
    assert set(SealKeeper.objects.filter(seal__department__code="330100-RS").values_list("user__username", flat=True)
               ) == {"hz.hrss.officer"}
    assert set(SealKeeper.objects.filter(seal__department__code="330100-SJ").values_list("user__username", flat=True)
               ) == {"hz.amr.officer"}

    # One licence per approved application whose implementation names a licence type.
    approved = Application.objects.filter(state="approved").exclude(implementation__result_licence_type="")
    assert approved.count() >= 4
    assert set(Licence.objects.values_list("source_application", flat=True)) == set(
        approved.values_list("public_id", flat=True))
    for licence in Licence.objects.select_related("type"):
        assert licence.fields and set(licence.fields) <= {spec["name"] for spec in licence.type.schema}
        result = licence_verify(actor=_actor("hz.window"), number=licence.number)
        assert (result.valid, result.reason) == (True, "")

    citizen = _citizen()
    assert instant_item_for(citizen)[0] == service_items.ELDERLY_CARD  # seed 3's demo citizen is over 60
    mine = Licence.objects.get(holder_user=citizen.user, type__code="elderly_card")
    assert mine.holder_identifier == citizen.resident_id and mine.fields["name"] == citizen.name
    company = applicants_ensure().company
    business = Licence.objects.get(holder_user_id=company.user_id, type__code="business_licence")
    assert business.fields["uscc"] == company.uscc and business.department.code == "330100-SJ"
    assert "数据处理服务" in business.fields["business_scope"]
    transfer = Licence.objects.get(type__code="real_estate_certificate")
    assert transfer.fields == {"owner": transfer.holder_name, "location": "浙江省杭州市西湖区文三路90号3幢2单元501室",
                               "area": "89.46"}

    for user, licence in ((citizen.user, mine), (company.user, business)):
        client.force_login(user)
        wallet = client.get("/services/licences/").content.decode()
        assert licence.number in wallet and licence.type.name in wallet
    assert "电子证照 Licences" in built


def test_the_reviews_fill_the_statistics_and_the_departments_queue(built, client, settings):
    settings.STAFF_REQUIRE_TOTP = False
    rows = {row.code: row for row in review_statistics()}
    assert sum(row.count for row in rows.values()) == Review.objects.count() >= 8
    assert sum(row.satisfied for row in rows.values()) >= 6  # mostly good
    # The pension's bad review was called back, put right on time and the fix accepted.
    closed = Review.objects.get(item__code=service_items.RESIDENT_PENSION)
    assert (closed.level, closed.loop_state, closed.fix_accepted, closed.rectified_on_time) == (2, "closed", True,
                                                                                                True)
    assert closed.callback_note and closed.rectification
    assert rows["330100-RS"].on_time_rectification == 1.0 and rows["330100-RS"].bad == 1
    # The ID card's is still open, waiting in the public security bureau's queue for its callback.
    open_review = Review.objects.get(item__code=service_items.ID_CARD_RENEWAL)
    assert (open_review.level, open_review.loop_state, open_review.loop_open) == (2, "assigned", True)
    queue = open_bad_review_list(actor=_actor("hz.ga.officer"), today=open_review.created_at.date())
    assert [row.public_id for row in queue] == [open_review.public_id]

    statistics = client.get("/services/reviews/statistics/").content.decode()
    assert "杭州市人力资源和社会保障局" in statistics and "100% (1/1)" in statistics
    client.force_login(User.objects.get(username="hz.ga.officer"))
    staff_page = client.get("/services/reviews/workspace/").content.decode()
    assert open_review.comment in staff_page and _citizen().name not in staff_page

