"""Clerical review: pairs in doubt become loop cases on the right desk; decisions are kept and
handed to every later run (and the real engine follows them)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhengtong.data.registry import services
from zhengtong.data.registry.linkage.spec import ClericalDecision as EngineDecision
from zhengtong.data.registry.models import ClericalDecision, PairStatus, ReviewPair
from zhengtong.data.registry.public import master_get, registry_lookup
from zhengtong.kernel.loops.models import Case

from .conftest import CHEN, ZHAO, ScriptedEngine, ledger, person, run
from .test_identity import master_of

pytestmark = pytest.mark.django_db

HUKOU_CHEN = f"hukou:{CHEN}"
SHEBAO_ZHAO = f"shebao:{ZHAO}"
SHEBAO_CHEN = f"shebao:{CHEN}"


def script_doubt(engine, left=HUKOU_CHEN, right=SHEBAO_ZHAO, probability=0.8):
    engine.script(records={left: person("陈梅", CHEN), right: person("陈敏", ZHAO, "1992-05-20")},
                  clusters=[[left], [right]], review=[(left, right, probability)])


def test_a_pair_in_doubt_opens_one_case_on_the_nearest_bureau_s_desk(sources, engine, departments):
    script_doubt(engine)
    first = run()
    pair = ReviewPair.objects.get()
    assert (pair.status, pair.match_probability, pair.run_id) == (PairStatus.OPEN, 0.8, first.pk)
    # The records come from two departments of Xihu: Xihu's big-data bureau reviews them.
    assert pair.department == departments["330106-DSJ"]
    case = Case.objects.get(public_id=pair.case_id)
    assert case.kind == "registry_review" and case.assignee_department == departments["330106-DSJ"]
    assert case.title == "Same person? 陈* and 陈* (match 0.80)" or case.title == "是否同一人？陈* 与 陈*（匹配度 0.80）"
    assert "陈梅" not in case.title + case.description and CHEN not in case.description
    assert pair.left_record_id == HUKOU_CHEN and pair.right_record_id == SHEBAO_ZHAO
    assert pair.left_master.registry_id != pair.right_master.registry_id

    # The same doubt in the next run: the same pair and case, not a second one.
    script_doubt(engine, probability=0.85)
    run()
    assert ReviewPair.objects.count() == 1 and Case.objects.filter(kind="registry_review").count() == 1
    assert ReviewPair.objects.get().match_probability == 0.85


def test_a_pair_within_one_department_goes_to_that_department(sources, engine, departments):
    script_doubt(engine, left=SHEBAO_CHEN, right=SHEBAO_ZHAO)
    run()
    assert ReviewPair.objects.get().department == departments["330106-RS"]


def test_the_decision_is_kept_closes_the_case_and_reaches_every_later_run(sources, engine, people):
    script_doubt(engine)
    run()
    pair = ReviewPair.objects.get()
    decided = services.review_decide(actor=people.actor("xihu_dsj_admin"), pair=pair.public_id, accepted=False,
                                     note="不同出生日期")
    assert decided.status == PairStatus.REJECTED
    decision = ClericalDecision.objects.get()
    assert (decision.left_record_id, decision.right_record_id, decision.accepted, decision.note) == (
        HUKOU_CHEN, SHEBAO_ZHAO, False, "不同出生日期")
    assert decision.decided_by == people.users["xihu_dsj_admin"]
    case = Case.objects.get(public_id=pair.case_id)
    assert case.state == "closed"
    assert [body["accepted"] for _subject, _actor, body in ledger("registry.review_decided")] == [False]

    # The engine is told, and the pair is not raised again.
    engine.script(records=engine.records, clusters=[[HUKOU_CHEN], [SHEBAO_ZHAO]])
    run()
    assert engine.decisions[-1] == (EngineDecision(HUKOU_CHEN, SHEBAO_ZHAO, False),)
    assert ReviewPair.objects.filter(status=PairStatus.OPEN).count() == 0

    with pytest.raises(ValidationError):
        services.review_decide(actor=people.actor("xihu_dsj_admin"), pair=pair.public_id, accepted=True)
    assert ClericalDecision.objects.count() == 1


def test_only_the_desk_may_decide_and_a_refusal_changes_nothing(sources, engine, people):
    script_doubt(engine)
    run()
    pair = ReviewPair.objects.get()
    for name in ("ga_officer", "ningbo_ga_officer", "ga_clerk"):
        with pytest.raises(PermissionDenied):
            services.review_decide(actor=people.actor(name), pair=pair.public_id, accepted=True)
    assert ClericalDecision.objects.count() == 0
    assert ReviewPair.objects.get().status == PairStatus.OPEN
    assert Case.objects.get(public_id=pair.case_id).state != "closed"


def test_a_pair_no_longer_in_doubt_is_superseded_and_its_case_closed(sources, engine):
    script_doubt(engine)
    run()
    engine.script(records=engine.records, clusters=[[HUKOU_CHEN], [SHEBAO_ZHAO]])
    run()
    pair = ReviewPair.objects.get()
    assert pair.status == PairStatus.SUPERSEDED
    assert Case.objects.get(public_id=pair.case_id).state == "closed"


def test_the_real_engine_links_an_accepted_pair(sources, engine, people, monkeypatch):
    script_doubt(engine)
    run()
    chen_before, zhao_before = master_of(HUKOU_CHEN).registry_id, master_of(SHEBAO_ZHAO).registry_id
    assert chen_before != zhao_before
    services.review_decide(actor=people.actor("xihu_dsj_admin"), pair=ReviewPair.objects.get(), accepted=True)
    monkeypatch.undo()  # the real engine from here on
    linked = run()
    assert linked.status == "succeeded" and linked.masters_merged == 1
    assert registry_lookup(kind="person", resident_id=CHEN) is not None
    assert master_of(HUKOU_CHEN) == master_of(SHEBAO_ZHAO) == master_of(SHEBAO_CHEN)
    # The merged id redirects to the survivor, which kept one of the two ids.
    survivor = master_of(HUKOU_CHEN).registry_id
    assert survivor in (chen_before, zhao_before)
    gone = zhao_before if survivor == chen_before else chen_before
    assert master_get(gone).registry_id == survivor


def test_the_real_engine_splits_a_rejected_pair_that_shares_a_valid_id(sources, people, monkeypatch):
    run()  # the real engine: both Chen records share a valid ID, one master
    chen = master_of(HUKOU_CHEN)
    assert master_of(SHEBAO_CHEN) == chen
    scripted = ScriptedEngine()
    monkeypatch.setattr(services, "linkage_run", scripted)
    scripted.script(records={HUKOU_CHEN: person("陈梅", CHEN), SHEBAO_CHEN: person("陈梅", CHEN)},
                    clusters=[[HUKOU_CHEN, SHEBAO_CHEN]], review=[(HUKOU_CHEN, SHEBAO_CHEN, 0.7)])
    run()
    services.review_decide(actor=people.actor("xihu_dsj_admin"), pair=ReviewPair.objects.get(), accepted=False)
    monkeypatch.undo()
    parted = run()
    assert parted.masters_split == 1
    assert master_of(HUKOU_CHEN).pk == chen.pk
    assert master_of(SHEBAO_CHEN).pk != chen.pk
