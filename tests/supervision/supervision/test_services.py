"""The services of supervision: the law library and its versions, items and their legal basis, the
review loop when a basis changes, the registers, plans and the committed, once-only, checkable draw."""

import zlib
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhengtong.kernel.loops import public as loops
from zhengtong.supervision.supervision import draw, selectors, services
from zhengtong.supervision.supervision.models import (
    Article,
    ArticleVersion,
    DrawnEntity,
    InspectableEntity,
    InspectionPlan,
    Law,
    PlanState,
    SupervisionItem,
)

from .conftest import uscc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

RATIOS = {"A": 1, "B": 3, "C": 10, "D": 20}


def messages(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- law library ---------------------------------------------------------------------------------


def test_amending_keeps_the_old_version_and_flags_citing_items_with_a_loop(people, law, item):
    article = law.articles.get(number="第一百一十条")
    old_text = article.text
    services.article_amend(actor=people.actor("sj_leader"), article_id=article.public_id, text="修改后的第一百一十条。")
    article.refresh_from_db()
    assert (article.version, article.state, article.text) == (2, "amended", "修改后的第一百一十条。")
    versions = list(ArticleVersion.objects.filter(article=article).values_list("version", "text", "change"))
    assert versions == [(1, old_text, "enacted"), (2, "修改后的第一百一十条。", "amended")]
    item.refresh_from_db()
    assert item.needs_review and "was amended" in item.review_reason
    case = loops.case_get(actor=people.actor("sj_officer"), public_id=item.review_case_id)
    assert (case.kind, case.state, case.assignee_department_id) == ("supervision_item_review", "assigned",
                                                                    item.department_id)
    # The department answers, the library's side accepts: the loop closes and the flag goes.
    services.item_review_respond(actor=people.actor("sj_officer"), item_id=item.public_id,
                                 response="已按新条文更新检查内容")
    item.refresh_from_db()
    assert item.needs_review and item.review_state == "responded"
    services.item_review_verify(actor=people.actor("sj_leader"), item_id=item.public_id, accepted=True)
    item.refresh_from_db()
    assert (item.needs_review, item.review_state, item.review_reason) == (False, "closed", "")


def test_repealing_flags_items_and_a_repealed_article_founds_nothing(people, law, item):
    article = law.articles.get(number="第一百一十条")
    services.article_repeal(actor=people.actor("sj_leader"), article_id=article.public_id)
    item.refresh_from_db()
    assert item.needs_review and "was repealed" in item.review_reason
    with pytest.raises(ValidationError) as error:
        services.item_create(actor=people.actor("sj_officer"), code="SJ-X", name="x", article_ids=[article.public_id],
                             checklist=["a"])
    assert "A repealed article cannot found a supervision item." in messages(error.value)
    with pytest.raises(ValidationError):
        services.article_amend(actor=people.actor("sj_leader"), article_id=article.public_id, text="再改")


def test_only_leaders_and_big_data_admins_edit_the_library(people, law):
    article = law.articles.first()
    with pytest.raises(PermissionDenied):
        services.article_amend(actor=people.actor("sj_officer"), article_id=article.public_id, text="改")
    assert Article.objects.get(pk=article.pk).version == 1
    with pytest.raises(PermissionDenied):
        services.law_create(actor=people.actor("sj_officer"), title="x", issuing_authority="y", level="law",
                            promulgated_on=date(2020, 1, 1), effective_on=date(2020, 1, 1))
    assert Law.objects.count() == 1


def test_an_item_without_a_legal_basis_is_refused(people):
    with pytest.raises(ValidationError) as error:
        services.item_create(actor=people.actor("sj_officer"), code="SJ-1", name="无依据事项", article_ids=[],
                             checklist=["a"])
    assert error.value.message_dict["articles"] == ["A supervision item needs a legal basis: cite at least one article."]
    assert SupervisionItem.objects.count() == 0


def test_a_department_edits_only_its_own_items(people, item):
    with pytest.raises(PermissionDenied):
        services.item_update(actor=people.actor("wj_leader"), item_id=item.public_id, name="改名")
    item.refresh_from_db()
    assert item.name == "食品经营者监督检查"
    services.item_update(actor=people.actor("sj_officer"), item_id=item.public_id, name="食品经营监督检查")
    item.refresh_from_db()
    assert item.name == "食品经营监督检查"


# --- registers -----------------------------------------------------------------------------------


def test_the_register_takes_credit_classes_from_credit(entities):
    assert InspectableEntity.objects.count() == 220
    assert InspectableEntity.objects.get(uscc=uscc(3)).credit_class == "C"
    assert InspectableEntity.objects.get(uscc=uscc(12)).credit_class == "D"
    assert InspectableEntity.objects.get(uscc=uscc(100)).credit_class == "B"
    from zhengtong.supervision.credit.public import credit_class_set

    credit_class_set(uscc(100), "A", reason="测试")
    assert services.entities_refresh_credit() == 1
    assert InspectableEntity.objects.get(uscc=uscc(100)).credit_class == "A"


def test_declared_conflicts_must_be_valid_codes(people, inspectors):
    inspector = inspectors["sj_insp1"]
    with pytest.raises(ValidationError):
        services.inspector_declare_conflicts(actor=people.actor("sj_insp1"), inspector_id=inspector.public_id,
                                             conflicts=["91110000600037341N"])
    inspector.refresh_from_db()
    assert inspector.conflicts == []
    with pytest.raises(PermissionDenied):
        services.inspector_declare_conflicts(actor=people.actor("sj_insp2"), inspector_id=inspector.public_id,
                                             conflicts=[uscc(1)])


# --- plans and the draw -------------------------------------------------------------------------


def _plan(people, items, ratios=RATIOS, per=2, actor="sj_officer", division="330106"):
    return services.plan_create(actor=people.actor(actor), title="2026年食品经营者双随机抽查",
                                item_ids=[i.public_id for i in items], division_code=division, ratios=ratios,
                                inspectors_per_inspection=per)


def test_plan_rules_refuse_cap_too_few_inspectors_and_no_item(people, item):
    with pytest.raises(ValidationError) as error:
        _plan(people, [item], ratios={"A": 6, "B": 3, "C": 10, "D": 20})
    assert error.value.message_dict["ratios"] == [
        "The ratio for class A (6%) is above the cap of 5% for ordinary supervision items."]
    with pytest.raises(ValidationError) as error:
        _plan(people, [item], per=1)
    assert error.value.message_dict["inspectors_per_inspection"] == ["An inspection needs at least 2 inspectors."]
    with pytest.raises(ValidationError) as error:
        _plan(people, [])
    assert error.value.message_dict["items"] == ["A plan needs at least one supervision item."]
    assert InspectionPlan.objects.count() == 0
    # A key item is not capped.
    item.is_key = True
    item.save()
    assert _plan(people, [item], ratios={"A": 6, "B": 3, "C": 10, "D": 20}).ratios == {
        "A": 600, "B": 300, "C": 1000, "D": 2000}


def test_a_department_plans_only_with_its_own_item(people, item):
    with pytest.raises(ValidationError) as error:
        _plan(people, [item], actor="wj_leader")
    assert error.value.message_dict["items"] == ["A plan must include an item of your own department."]


@pytest.fixture
def drawn_plan(people, item, inspectors, entities):
    conflicted = inspectors["sj_insp1"]
    services.inspector_declare_conflicts(actor=people.actor("sj_insp1"), inspector_id=conflicted.public_id,
                                         conflicts=[uscc(n) for n in range(1, 16)])
    plan = _plan(people, [item])
    services.plan_commit(actor=people.actor("sj_officer"), plan_id=plan.public_id)
    services.plan_draw(actor=people.actor("sj_officer"), plan_id=plan.public_id)
    plan.refresh_from_db()
    return plan


def test_the_draw_samples_per_class_within_the_division_and_recuses(drawn_plan):
    plan = drawn_plan
    assert plan.state == PlanState.DRAWN and plan.candidate_count == 200  # Binjiang is outside the plan
    drawn = list(DrawnEntity.objects.filter(plan=plan))
    by_class = {}
    for d in drawn:
        by_class[d.credit_class] = by_class.get(d.credit_class, 0) + 1
    # ceil(10% of 10) C, ceil(20% of 5) D, ceil(3% of 185) B
    assert by_class == {"B": 6, "C": 1, "D": 1}
    assert all(d.division_code == "330106" and d.name.startswith("杭州测试") for d in drawn)
    for d in drawn:
        n = int(d.uscc[8:16])
        if n <= 15:  # sj_insp1 (33010600 0001) declared a conflict with companies 1-15
            assert "330106000001" not in d.inspectors
        assert len(d.inspectors) == 2 or d.unassigned_reason
    assert plan.commitment == draw.seed_commitment(plan.seed)


def test_a_second_draw_is_refused_and_changes_nothing(people, drawn_plan):
    before = list(DrawnEntity.objects.filter(plan=drawn_plan).values_list("uscc", "inspectors"))
    with pytest.raises(ValidationError) as error:
        services.plan_draw(actor=people.actor("sj_officer"), plan_id=drawn_plan.public_id)
    assert "already been drawn" in messages(error.value)
    assert list(DrawnEntity.objects.filter(plan=drawn_plan).values_list("uscc", "inspectors")) == before


def test_the_draw_reruns_from_the_revealed_seed_and_tampering_fails_verify(people, drawn_plan):
    from zhengtong.kernel.ledger.models import LedgerLeaf

    report = selectors.plan_verify(plan=drawn_plan)
    assert not report.ok  # before the reveal there is no seed to check with
    services.plan_reveal(actor=people.actor("sj_officer"), plan_id=drawn_plan.public_id)
    # Commit, draw and reveal are each in the ledger, in that order.
    assert list(LedgerLeaf.objects.filter(subject=f"plan:{drawn_plan.public_id}").order_by("id").values_list(
        "kind", flat=True)) == ["supervision.draw_committed", "supervision.draw_run", "supervision.seed_revealed"]
    plan = InspectionPlan.objects.get(pk=drawn_plan.pk)
    report = selectors.plan_verify(plan=plan)
    assert report.ok and report.drawn_recomputed == report.drawn_recorded == 8
    # Any other seed fails the commitment.
    other = selectors.plan_verify(plan=plan, seed_hex="00" * 32)
    assert [c.code for c in other.checks if not c.ok] == ["commitment", "draw"]
    # A candidate list changed after the commitment fails its digest.
    text = zlib.decompress(bytes(plan.candidates)).replace(uscc(200).encode(), uscc(999).encode())
    InspectionPlan.objects.filter(pk=plan.pk).update(candidates=zlib.compress(text))
    tampered = selectors.plan_verify(plan=InspectionPlan.objects.get(pk=plan.pk))
    assert not tampered.ok and [c.code for c in tampered.checks if not c.ok][0] == "candidates"


def test_the_draw_is_a_pure_function_of_seed_and_lists():
    rows = [(uscc(n), "ABCD"[n % 4]) for n in range(1, 401)]
    canonical = draw.candidates_canonical(rows)
    entries = [draw.InspectorEntry(f"C{i}", "D1", frozenset({uscc(1)} if i < 3 else set())) for i in range(4)]
    first = draw.run("ab" * 32, canonical, {"A": 100, "B": 300, "C": 1000, "D": 2000}, entries, ["D1"], 2)
    again = draw.run("ab" * 32, canonical, {"A": 100, "B": 300, "C": 1000, "D": 2000}, entries, ["D1"], 2)
    other = draw.run("cd" * 32, canonical, {"A": 100, "B": 300, "C": 1000, "D": 2000}, entries, ["D1"], 2)
    assert first == again and [r.uscc for r in first] != [r.uscc for r in other]
    assert [sum(1 for r in first if r.credit_class == k) for k in "ABCD"] == [1, 3, 10, 20]
    # Recusal: with three of four inspectors conflicted, an entity gets only one: unassigned.
    forced = draw.assign("ab" * 32, [(uscc(1), "A")], entries, ["D1"], 2)
    assert forced == [draw.DrawnRow(uscc(1), "A", (), "too_few_inspectors:D1")]


def test_manual_assignment_refuses_a_conflicted_inspector(people, item, inspectors, entities):
    # Every SJ inspector but one is conflicted with company 1, so the draw leaves it unassigned.
    for name in ("sj_insp1", "sj_insp2"):
        services.inspector_declare_conflicts(actor=people.actor(name), inspector_id=inspectors[name].public_id,
                                             conflicts=[uscc(n) for n in range(1, 201)])
    plan = _plan(people, [item])
    services.plan_commit(actor=people.actor("sj_officer"), plan_id=plan.public_id)
    services.plan_draw(actor=people.actor("sj_officer"), plan_id=plan.public_id)
    entity = DrawnEntity.objects.filter(plan=plan).first()
    assert entity.inspectors == [] and entity.unassigned_reason == "too_few_inspectors:330106-SJ"
    with pytest.raises(ValidationError) as error:
        services.drawn_entity_assign(actor=people.actor("sj_officer"), plan_id=plan.public_id, uscc=entity.uscc,
                                     certificate_nos=["330106000001", "330106000003"])
    assert f"Inspector 330106000001 must recuse from {entity.uscc}" in messages(error.value)
    entity.refresh_from_db()
    assert entity.inspectors == []


def test_a_registry_link_recuses_the_legal_representative(people, item, inspectors, entities):
    # sj_insp3 is the legal representative of company 20: a link in the register.
    InspectableEntity.objects.filter(uscc=uscc(20)).update(legal_representative="sj_insp3")
    item.is_key = True  # a key item has no cap: draw everyone, so company 20 is drawn
    item.save()
    plan = _plan(people, [item], ratios={"A": 100, "B": 100, "C": 100, "D": 100}, per=2)
    services.plan_commit(actor=people.actor("sj_officer"), plan_id=plan.public_id)
    plan.refresh_from_db()
    snapshot = {e["certificate_no"]: e["recuse"] for e in plan.inspectors_snapshot}
    assert snapshot["330106000003"] == [uscc(20)]
    services.plan_draw(actor=people.actor("sj_officer"), plan_id=plan.public_id)
    entity = DrawnEntity.objects.get(plan=plan, uscc=uscc(20))
    assert sorted(entity.inspectors) == ["330106000001", "330106000002"]


def test_joint_plan_assigns_each_departments_inspectors(people, item, wj_item, inspectors, entities):
    plan = _plan(people, [item, wj_item])
    services.plan_commit(actor=people.actor("sj_officer"), plan_id=plan.public_id)
    services.plan_draw(actor=people.actor("sj_officer"), plan_id=plan.public_id)
    for entity in DrawnEntity.objects.filter(plan=plan):
        assert [c[:8] for c in entity.inspectors] == ["33010600", "33010600", "33010601", "33010601"]


def test_only_the_plans_department_draws_and_records_results(people, drawn_plan):
    with pytest.raises(PermissionDenied):
        services.plan_reveal(actor=people.actor("wj_leader"), plan_id=drawn_plan.public_id)
    entity = DrawnEntity.objects.filter(plan=drawn_plan).first()
    with pytest.raises(ValidationError):
        services.drawn_entity_result(actor=people.actor("sj_officer"), plan_id=drawn_plan.public_id, uscc=entity.uscc,
                                     result="fine", on=timezone.localdate())
    services.drawn_entity_result(actor=people.actor("sj_officer"), plan_id=drawn_plan.public_id, uscc=entity.uscc,
                                 result="rectification", on=timezone.localdate())
    entity.refresh_from_db()
    assert (entity.result, entity.result_on) == ("rectification", timezone.localdate())
    from zhengtong.supervision.supervision.public import inspections_of

    [seen] = inspections_of(entity.uscc)
    assert (seen.plan_id, seen.result, seen.department_code) == (drawn_plan.public_id, "rectification", "330106-SJ")
    assert drawn_plan.publish_due is not None and drawn_plan.publish_due > timezone.localdate()


def test_refresh_reads_companies_from_the_registry_with_their_credit_class(people):
    from tests.services.conftest import golden_record_make
    from zhengtong.supervision.credit.public import credit_class_set

    company = uscc(77)
    registry_id = golden_record_make("company", {"uscc": company, "name": "杭州登记测试有限公司",
                                                 "legal_representative": "sj_insp2", "division_code": "330106"})
    credit_class_set(company, "D", reason="测试")
    assert services.entities_refresh() == 1
    entity = InspectableEntity.objects.get(uscc=company)
    assert (entity.registry_id, entity.name, entity.division_code, entity.legal_representative,
            entity.credit_class) == (registry_id, "杭州登记测试有限公司", "330106", "sj_insp2", "D")


def test_events_keep_the_register_and_the_item_flag_current(people, law, item):
    from tests.services.conftest import events_deliver_all, golden_record_make
    from zhengtong.kernel.events.public import publish

    # A company's golden record changed in the registry: its row is refreshed.
    company = uscc(88)
    registry_id = golden_record_make("company", {"uscc": company, "name": "杭州事件测试有限公司",
                                                 "division_code": "330106"})
    publish("registry.golden_record_changed", {"registry_id": registry_id, "kind": "company",
                                               "attributes": ["name"], "run": None})
    events_deliver_all()
    assert InspectableEntity.objects.get(uscc=company).name == "杭州事件测试有限公司"
    # The review loop moved on the loops' own services: the item's mirror follows.
    services.article_repeal(actor=people.actor("sj_leader"), article_id=law.articles.get(number="第一百一十条").public_id)
    item.refresh_from_db()
    officer = people.actor("sj_officer")
    loops.case_accept(actor=officer, case=item.review_case_id)
    loops.case_respond(actor=officer, case=item.review_case_id, response="事项已调整依据")
    leader = people.actor("sj_leader")
    loops.case_verify(actor=leader, case=item.review_case_id, accepted=True)
    loops.case_close(actor=leader, case=item.review_case_id)
    events_deliver_all()
    item.refresh_from_db()
    assert (item.needs_review, item.review_state) == (False, "closed")


def test_an_implementation_is_a_department_of_the_items_kind(people, item):
    from zhengtong.supervision.supervision.models import ImplementationItem

    with pytest.raises(ValidationError) as error:
        services.implementation_create(actor=people.actor("wj_leader"), item_id=item.public_id)
    assert messages(error.value) == "Only a department of the item's kind can implement it."
    implementation = services.implementation_create(actor=people.actor("sj_officer"), item_id=item.public_id)
    assert (implementation.department.code, implementation.division.code) == ("330106-SJ", "330106")
    with pytest.raises(ValidationError):
        services.implementation_create(actor=people.actor("sj_leader"), item_id=item.public_id)
    assert ImplementationItem.objects.count() == 1
