"""Licences issued on approval (the applications.concluded handler) and used as materials."""

import pytest

from tests.services.applications.conftest import act, fill_standard, submit
from tests.services.conftest import events_deliver_all
from zhengtong.services.applications.public import EvidenceUnavailable
from zhengtong.services.licences import services
from zhengtong.services.licences.evidence import licence_evidence
from zhengtong.services.licences.models import Licence

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
    assert services.licence_verify(actor=people.actor("window"), number=licence.number).valid
    # A second delivery (at-least-once) issues nothing more.
    assert services.licence_issue_for_application(application_id=application.public_id).pk == licence.pk
    assert Licence.objects.count() == 1


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
