"""行政处罚: a penalty case from an inspection through decision (双公示, ledger, credit) to closing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.services.conftest import events_deliver_all
from tests.supervision.supervision.conftest import uscc
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.supervision.credit.models import CreditRecord
from zhengtong.supervision.credit.public import credit_classes, credit_evaluate
from zhengtong.supervision.supervision import inspections, services
from zhengtong.supervision.supervision.inspections import Signature
from zhengtong.supervision.supervision.models import PenaltyCase

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

COMPANY = uscc(100)  # graded B, no records
ANSWERS = {"许可证照": ("does_not", "许可证过期"), "从业人员健康证明": ("conforms", ""), "原料进货查验": ("conforms", "")}


@pytest.fixture
def case(people, item, inspectors, entities):
    """An ad-hoc inspection of 杭州测试100号有限公司 with the outcome "penalty case"."""
    signed = [Signature(inspectors[n].certificate_no, inspectors[n].name, True) for n in ("sj_insp1", "sj_insp2")]
    inspections.inspection_record(actor=people.actor("sj_insp1"), uscc=COMPANY, item_id=item.public_id,
                                  outcome="penalty_case", answers=ANSWERS, signatures=signed,
                                  findings="食品经营许可证已过期仍从事经营")
    return PenaltyCase.objects.get(uscc=COMPANY)


def decide(people, case, article, who="sj_leader", **kwargs):
    values = {"penalty_kind": "fine", "fine_fen": 500000, "facts": "许可证过期经营三个月"} | kwargs
    return inspections.penalty_case_decide(actor=people.actor(who), case_id=case.public_id,
                                           article_id=article.public_id if article else None, **values)


def test_the_chain_from_inspection_to_a_lower_credit_grade(people, law, case):
    assert credit_classes([COMPANY]) == {COMPANY: "B"}
    article = law.articles.get(number="第一百一十条")
    inspections.penalty_case_investigate(actor=people.actor("sj_officer"), case_id=case.public_id)
    decided = decide(people, case, article, serious=True)
    assert decided.state == "decided" and decided.decision_number.startswith("330106-SJ罚〔")
    assert decided.basis_text == "《中华人民共和国食品安全法》第一百一十条"
    assert LedgerLeaf.objects.filter(kind="supervision.penalty_decided", subject=f"penalty:{case.public_id}").exists()
    assert CreditRecord.objects.filter(category="penalty").count() == 0  # delivered by the worker, not inline
    events_deliver_all()
    record = CreditRecord.objects.get(category="penalty", decision_number=decided.decision_number)
    assert record.legal_basis == decided.basis_text and record.department_id == case.department_id
    credit_evaluate(COMPANY)
    assert credit_classes([COMPANY])[COMPANY] in ("C", "D")
    inspections.penalty_case_enforce(actor=people.actor("sj_officer"), case_id=case.public_id, note="已缴纳罚款")
    closed = inspections.penalty_case_close(actor=people.actor("sj_officer"), case_id=case.public_id)
    assert closed.state == "closed" and [h["state"] for h in closed.history] == [
        "filed", "investigating", "decided", "enforcing", "closed"]


def test_a_decision_needs_a_leader_and_a_basis_in_force(people, law, case):
    article = law.articles.get(number="第一百一十条")
    with pytest.raises(ValidationError, match="this step is not open"):
        decide(people, case, article)  # still filed
    inspections.penalty_case_investigate(actor=people.actor("sj_officer"), case_id=case.public_id)
    with pytest.raises(PermissionDenied, match="Only a leader"):
        decide(people, case, article, who="sj_officer")
    with pytest.raises(PermissionDenied):
        decide(people, case, article, who="wj_leader")
    with pytest.raises(ValidationError) as error:
        decide(people, case, None)
    assert error.value.message_dict["basis"] == [
        "A penalty decision needs its legal basis: an article of the law library in force."]
    services.article_repeal(actor=people.actor("sj_leader"), article_id=article.public_id)
    with pytest.raises(ValidationError, match="legal basis"):
        decide(people, case, article)
    other = law.articles.get(number="第一百一十三条")
    with pytest.raises(ValidationError, match="amount of the fine"):
        decide(people, case, other, fine_fen=0)
    case.refresh_from_db()
    assert (case.state, case.decision_number) == ("investigating", "")
    assert decide(people, case, other, penalty_kind="warning").penalty_text == "Warning"


def test_the_public_page_lists_decisions_in_chinese(client, people, law, case):
    inspections.penalty_case_investigate(actor=people.actor("sj_officer"), case_id=case.public_id)
    decided = decide(people, case, law.articles.get(number="第一百一十条"))
    response = client.get("/supervision/public/penalties/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode()
    assert response.status_code == 200
    assert "杭州测试100号有限公司" in body and decided.decision_number in body and "第一百一十条" in body
    assert "行政处罚" in body and "5000.00" in body


def test_the_staff_pages_take_a_case_to_its_decision_in_chinese(client, people, law, case, no_totp):
    from django.urls import reverse

    client.force_login(people.users["sj_leader"], backend="zhengtong.kernel.identity.backends.AccountBackend")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    text = client.get(reverse("supervision:case-list")).content.decode()
    assert "行政处罚案件" in text and "杭州测试100号有限公司" in text and "已立案" in text
    client.post(reverse("supervision:case-act", args=[case.public_id, "investigate"]), {"note": "调取进货台账"})
    detail = reverse("supervision:case-detail", args=[case.public_id])
    text = client.get(detail).content.decode()
    assert "作出处罚决定" in text and "第一百一十条" in text
    act = reverse("supervision:case-act", args=[case.public_id, "decide"])
    text = client.post(act, {"article": "", "penalty_kind": "warning", "facts": "事实"}, follow=True).content.decode()
    assert "处罚决定须有法律依据" in text
    article = law.articles.get(number="第一百一十条")
    client.post(act, {"article": str(article.public_id), "penalty_kind": "fine", "fine_yuan": "2000",
                      "facts": "事实"})
    case.refresh_from_db()
    assert (case.state, case.fine_fen) == ("decided", 200000)
    assert "罚款" in client.get(detail).content.decode()
    # Another department's case is not found.
    client.force_login(people.users["wj_leader"], backend="zhengtong.kernel.identity.backends.AccountBackend")
    assert client.get(detail).status_code == 404
