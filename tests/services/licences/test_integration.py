"""Licences issued on approval (the applications.concluded handler) and used as materials."""

import pytest

from tests.services.applications.conftest import act, fill_standard, submit
from tests.services.conftest import events_deliver_all
from zhengtong.services.applications.public import EvidenceUnavailable
from zhengtong.services.licences import services
from zhengtong.services.licences.evidence import licence_evidence
from zhengtong.services.licences.models import Licence, LicenceType

pytestmark = pytest.mark.django_db


def test_an_approved_application_yields_its_licence_once(people, catalogue, types, english):
    leader = people.actor("rs_leader")
    services.seal_create(actor=leader, department_id=leader.department_id, name="西湖区人社局电子印章")
    type(catalogue.standard).objects.filter(pk=catalogue.standard.pk).update(result_licence_type="social_security_card")
    application = submit(people, fill_standard(people, catalogue))
    act(people, "window", application, "intake", "approve")
    act(people, "rs_case", application, "review", "done")
    act(people, "rs_leader", application, "approve", "approve")
    events_deliver_all()
    licence = Licence.objects.get()
    assert (licence.source_application, licence.type.code, licence.holder_user_id, licence.department.code) == (
        application.public_id, "social_security_card", people.users["citizen_a"].id, "330106-RS")
    assert (licence.holder_name, licence.holder_identifier) == ("王芳", "330106198503020246")
    # Its fields come from the holder's record, as the type's schema names their sources.
    assert licence.fields == {"name": "王芳", "card_number": "330106198503020246"}
    assert services.licence_verify(actor=people.actor("window"), number=licence.number).valid
    # A second delivery (at-least-once) issues nothing more.
    assert services.licence_issue_for_application(application_id=application.public_id).pk == licence.pk
    assert Licence.objects.count() == 1


def test_licence_fields_come_from_answers_choices_and_the_holder_record(types):
    business = LicenceType.objects.get(code="business_licence")
    fields = services.licence_fields_from(
        business, answers={"premises": "杭州市西湖区文三路1号", "business_scope": "retail", "unasked": "x"},
        record={"name": "杭州某某科技有限公司", "uscc": "91330106MA2XXXXX1X", "legal_representative": "李明"},
        choices={"business_scope": {"retail": "零售"}})
    # name and uscc from the record ("holder."), address from the answer "premises", the scope's
    # chosen answer by its label, the representative from the record by its own name; nothing else.
    assert fields == {"name": "杭州某某科技有限公司", "uscc": "91330106MA2XXXXX1X", "legal_representative": "李明",
                      "business_scope": "零售", "address": "杭州市西湖区文三路1号"}
    assert services.licence_fields_from(business, answers={}, record={}) == {}


def test_a_rejected_application_or_one_without_a_licence_type_yields_none(people, catalogue, types):
    application = submit(people, fill_standard(people, catalogue))
    act(people, "window", application, "intake", "approve")
    act(people, "rs_case", application, "review", "done")
    act(people, "rs_leader", application, "approve", "approve")
    events_deliver_all()  # approved, but the implementation issues no licence
    assert not Licence.objects.exists()
    assert services.licence_issue_for_application(application_id="not-an-id") is None


@pytest.fixture
def licence_material(types):
    return type("MaterialRef", (), {"name": "营业执照", "source": "licence", "source_ref": "business_licence"})()


def test_a_licence_as_a_material(people, business_licence, licence_material):
    from zhengtong.services.applications.evidence import applicant_of

    evidence = licence_evidence(material=licence_material, applicant=applicant_of(people.actor("company")),
                                correlation_id="t")
    assert (evidence.service, evidence.title, evidence.key) == ("business_licence", "营业执照", business_licence.number)
    assert evidence.fields["legal_representative"] == "王*" and evidence.fields["number"] == business_licence.number
    assert "legal_representative" in evidence.masked and "name" not in evidence.masked


def test_no_licence_no_evidence(people, business_licence, licence_material, english):
    from zhengtong.services.applications.evidence import applicant_of

    services.licence_suspend(actor=people.actor("sj_case"), licence_id=business_licence.public_id, reason="异常")
    with pytest.raises(EvidenceUnavailable) as refused:
        licence_evidence(material=licence_material, applicant=applicant_of(people.actor("company")), correlation_id="t")
    assert str(refused.value.message) == "You hold no active “营业执照”: upload “营业执照” instead."
    with pytest.raises(EvidenceUnavailable):  # another holder's licence is never theirs
        licence_evidence(material=licence_material, applicant=applicant_of(people.actor("citizen_a")),
                         correlation_id="t")


def test_the_provider_is_registered(db):
    from zhengtong.services.applications.evidence import evidence_provider

    assert evidence_provider("licence") is licence_evidence
