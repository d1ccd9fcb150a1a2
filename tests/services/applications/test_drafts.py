"""Drafts: started by the applicant with every pre-fillable answer fetched from the registries
through the sharing gateway (logged, and visible to the person in mydata), answered field by
field with provenance, forged or invalid answers refused with nothing changed."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhengtong.data.exchange.models import ShareCall
from zhengtong.data.exchange.public import access_log_for, subject_ref
from zhengtong.services.applications import services
from zhengtong.services.applications.models import Application

from ..conftest import A_ADDRESS, A_ID, A_MOBILE, B_ID, USCC

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def snapshot(application: Application) -> tuple:
    application.refresh_from_db()
    return (application.state, application.answers, application.provenance, application.draft_step,
            application.updated_at)


def test_a_draft_is_prefilled_from_the_registry_with_provenance(people, catalogue):
    draft = services.draft_start(actor=people.a, implementation_id=catalogue.standard.public_id)
    assert draft.state == "draft" and draft.reference is None
    assert draft.answers == {"applicant_name": "王芳", "resident_id": A_ID, "mobile": A_MOBILE, "address": A_ADDRESS}
    assert {name: (p["source"], p["label"], p["changed"]) for name, p in draft.provenance.items()} == {
        name: ("registry-person", "人口综合库", False) for name in ("applicant_name", "resident_id", "mobile", "address")}
    assert (draft.department.code, draft.division.code, draft.channel) == ("330106-RS", "330106", "web")
    assert draft.citizen_id == people.citizen_a.id and draft.company_id is None


def test_every_prefill_read_is_logged_and_shows_in_the_person_s_access_log(people, catalogue, platform):
    services.draft_start(actor=people.a, implementation_id=catalogue.standard.public_id)
    call = ShareCall.objects.get()
    assert (call.operation, call.outcome, call.api_client_id, call.subject_ref) == (
        "record", "ok", platform.client.id, subject_ref("person", A_ID))
    assert sorted(call.fields) == ["address", "mobile", "name", "resident_id"]
    log = access_log_for(subject_refs=[subject_ref("person", A_ID), platform.registry_ids["a"]])
    assert [(e.kind, e.system, e.service_code, e.outcome) for e in log] == [
        ("share.call", "浙江政务服务网（一网通办）", "registry-person", "ok")]
    assert log[0].purpose == "政务服务事项办理（一网通办）"
    assert access_log_for(subject_refs=[subject_ref("person", B_ID)]) == []


def test_a_company_s_draft_is_prefilled_from_the_legal_person_registry(people, catalogue):
    draft = services.draft_start(actor=people.actor("company"), implementation_id=catalogue.simple.public_id)
    assert draft.answers == {"company_name": "杭州西湖数据有限公司", "uscc": USCC, "legal_representative": "王芳",
                             "mobile": "057188886666"}
    assert draft.provenance["uscc"]["source"] == "registry-company"
    assert draft.company_id == people.company.id


def test_without_a_grant_only_the_real_name_identifiers_are_prefilled(people, catalogue, platform):
    platform.grants["registry-person"].delete()
    draft = services.draft_start(actor=people.a, implementation_id=catalogue.standard.public_id)
    assert draft.answers == {"applicant_name": "王芳", "resident_id": A_ID}
    assert draft.provenance["resident_id"]["source"] == "account"
    assert ShareCall.objects.get().outcome == "grant_missing"


def test_who_may_start_a_draft(people, catalogue):
    with pytest.raises(PermissionDenied):
        services.draft_start(actor=people.actor("rs_case"), implementation_id=catalogue.standard.public_id)
    with pytest.raises(PermissionDenied, match="companies only"):
        services.draft_start(actor=people.a, implementation_id=catalogue.simple.public_id)
    with pytest.raises(PermissionDenied, match="citizens only"):
        services.draft_start(actor=people.actor("company"), implementation_id=catalogue.standard.public_id)
    catalogue.parallel.status = "draft"
    catalogue.parallel.save()
    with pytest.raises(ValidationError) as refused:
        services.draft_start(actor=people.a, implementation_id=catalogue.parallel.public_id)
    assert refused.value.message_dict == {"implementation": ["This service is not open for applications."]}
    assert Application.objects.count() == 0


def test_answers_are_validated_and_saved_with_their_provenance(people, catalogue):
    draft = services.draft_start(actor=people.a, implementation_id=catalogue.standard.public_id)
    services.draft_answer(actor=people.a, application_id=draft.public_id, step="reason",
                          answers={"reason": "contract_end", "left_on": "2025-02-28", "mobile": "13800001111"})
    draft.refresh_from_db()
    assert draft.answers["reason"] == "contract_end" and draft.answers["left_on"] == "2025-02-28"
    assert draft.draft_step == "reason"
    assert draft.provenance["reason"]["source"] == "applicant" and draft.provenance["reason"]["changed"] is False
    assert (draft.provenance["mobile"]["source"], draft.provenance["mobile"]["changed"]) == ("applicant", True)
    assert draft.provenance["mobile"]["fetched"]["value"] == A_MOBILE
    # Back to the fetched value: the registry's provenance again.
    services.draft_answer(actor=people.a, application_id=draft.public_id, answers={"mobile": A_MOBILE})
    draft.refresh_from_db()
    assert (draft.provenance["mobile"]["source"], draft.provenance["mobile"]["changed"]) == ("registry-person", False)


@pytest.mark.parametrize(("answers", "errors"), [
    ({"left_on": "2025-02-30"}, {"left_on": ["“离职日期”: 2025-02-30 is not a date in the calendar"]}),
    ({"reason": "bored"}, {"reason": ["“离职原因”: choose one of 劳动合同到期, 被用人单位解除"]}),
    ({"applicant_name": ""}, {"applicant_name": ["“申请人姓名”: this answer is required"]}),
    ({"remarks": "长" * 201}, {"remarks": ["“补充说明”: at most 200 characters, not 201"]}),
    # A forged hidden field: not a question of the form.
    ({"approved": "yes"}, {"approved": ["“approved” is not a question of this form."]}),
    # The applicant's own resident ID is pre-filled and read-only: another (valid) one is forged.
    ({"resident_id": B_ID}, {"resident_id": ["“公民身份号码” comes from your real-name account and cannot be changed."]}),
])
def test_bad_answers_are_refused_and_change_nothing(people, catalogue, answers, errors):
    draft = services.draft_start(actor=people.a, implementation_id=catalogue.standard.public_id)
    before = snapshot(draft)
    with pytest.raises(ValidationError) as refused:
        services.draft_answer(actor=people.a, application_id=draft.public_id,
                              answers={"reason": "dismissed", **answers}, step="x")
    assert refused.value.message_dict == errors
    assert snapshot(draft) == before


def test_a_bad_check_digit_names_the_field(people, catalogue, platform):
    from ..conftest import PERSON_FIELDS, form_field, implementation_make, item_make

    implementation = implementation_make(item_make("330106-GA-009", "居住证签注"), department="330106-GA",
                                         form_fields=[*PERSON_FIELDS, form_field("spouse_id", "配偶身份号码", "resident_id")])
    draft = services.draft_start(actor=people.a, implementation_id=implementation.public_id)
    before = snapshot(draft)
    with pytest.raises(ValidationError) as refused:
        services.draft_answer(actor=people.a, application_id=draft.public_id, answers={"spouse_id": "36042619910102009X"})
    (message,) = refused.value.message_dict["spouse_id"]
    assert message.startswith("“配偶身份号码”: ") and "check" in message.lower()
    assert snapshot(draft) == before


def test_another_applicant_can_neither_read_nor_answer_someone_else_s_draft(people, catalogue):
    from zhengtong.services.applications import selectors

    draft = services.draft_start(actor=people.a, implementation_id=catalogue.standard.public_id)
    before = snapshot(draft)
    with pytest.raises(PermissionDenied):
        services.draft_answer(actor=people.b, application_id=draft.public_id, answers={"reason": "dismissed"})
    with pytest.raises(PermissionDenied):
        selectors.access_application(actor=people.b, application_id=draft.public_id)
    with pytest.raises(PermissionDenied):  # staff do not see drafts
        selectors.access_application(actor=people.actor("rs_case"), application_id=draft.public_id)
    assert snapshot(draft) == before
    assert selectors.access_application(actor=people.a, application_id=draft.public_id) == draft
