"""Applying for a bundle: the draft (pre-filled once per part through the sharing gateway), merged
answers, materials once, one transaction for every part, idempotency, one part's failure leaving
nothing, parallel handling by the departments, one result, and privacy."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.services.conftest import COMPANY_NAME, USCC, events_deliver_all
from zhengtong.data.exchange.models import ShareCall
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.services.applications import selectors as application_selectors
from zhengtong.services.applications import services as application_services
from zhengtong.services.applications.models import Application, ApplicationMaterial, ApplicationTask, Notice
from zhengtong.services.onething import selectors, services
from zhengtong.services.onething.models import BundleApplication, BundleApplicationPart, BundleState

from .conftest import ANSWERS, BUNDLE, EXE, GA_ITEM, RS_ITEM, SJ_ITEM, SW_ITEM, ZJ_ITEM, draft_complete, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

ITEMS = [SJ_ITEM, GA_ITEM, SW_ITEM, RS_ITEM, ZJ_ITEM]


def _parts(bundle_application) -> list[Application]:
    return [row.application for row in BundleApplicationPart.objects.filter(bundle_application=bundle_application)
            .select_related("application__item").order_by("part__position")]


def _snapshot(bundle_application):
    """What a refused submission must leave as it was."""
    bundle_application.refresh_from_db()
    parts = _parts(bundle_application)
    return (
        bundle_application.state, bundle_application.reference, bundle_application.idempotency_key,
        [(a.state, a.reference, a.idempotency_key, dict(a.answers)) for a in parts],
        ApplicationTask.objects.count(), LedgerLeaf.objects.filter(kind="application.submitted").count(),
        LedgerLeaf.objects.filter(kind="onething.submitted").count(), Notice.objects.count(),
        ApplicationMaterial.objects.filter(source="produced").count(),
    )


def test_the_handlers_follow_the_parts_events():
    from zhengtong.kernel.events.registry import handlers_for

    for name in ("applications.concluded", "applications.correction_requested", "applications.resubmitted"):
        assert "zhengtong.services.onething.handlers.on_part_changed" in handlers_for(name), name


def test_a_draft_makes_one_prefilled_draft_per_part(opening, people):
    company = people.actor("company")
    calls = ShareCall.objects.count()
    draft = services.bundle_draft_start(actor=company, bundle_code=BUNDLE)
    assert draft.state == BundleState.DRAFT and draft.reference is None
    parts = _parts(draft)
    assert [a.item.code for a in parts] == ITEMS
    assert {a.state for a in parts} == {"draft"}
    # each part's department gets its own pre-fill, each read through the gateway and logged
    assert ShareCall.objects.count() - calls == 5
    assert draft.answers == {"company_name": COMPANY_NAME, "uscc": USCC, "legal_representative": "王芳",
                             "mobile": "057188886666", "address": "浙江省杭州市西湖区文一西路1号"}
    assert draft.provenance["company_name"]["label"] == "法人综合库"
    assert draft.provenance["company_name"]["source"] == "registry-company"
    assert parts[1].answers["enterprise_name"] == COMPANY_NAME  # GA's own name for it


def test_a_bundle_for_companies_is_refused_to_a_citizen_and_to_staff(opening, people):
    for name in ("citizen_a", "sj_case"):
        with pytest.raises(PermissionDenied):
            services.bundle_draft_start(actor=people.actor(name), bundle_code=BUNDLE)
    assert BundleApplication.objects.count() == 0 and Application.objects.count() == 0


def test_answers_are_checked_against_the_merged_form(opening, people):
    company = people.actor("company")
    draft = services.bundle_draft_start(actor=company, bundle_code=BUNDLE)
    before = dict(draft.answers), dict(draft.provenance)
    cases = [
        ({"employee_count": "twelve"}, {"employee_count": ["“职工人数”: enter a number, for example 12 or 3.5"]}),
        ({"deposit_ratio": "20"}, {"deposit_ratio": ["“缴存比例”: choose one of 5%, 12%"]}),
        ({"accountant_mobile": "12345"}, "accountant_mobile"),
        ({"is_admin": "yes"}, {"is_admin": ["“is_admin” is not a question of this form."]}),  # forged
        ({"uscc": "91110000600037341L"}, {"uscc": ["“统一社会信用代码” comes from your real-name account and cannot be "
                                                  "changed."]}),
        ({"registered_capital": "100", "enterprise_name": "x"}, {"enterprise_name": [
            "“enterprise_name” is not a question of this form."]}),  # a part's own name is not the form's
    ]
    for answers, expected in cases:
        with pytest.raises(ValidationError) as caught:
            services.bundle_draft_answer(actor=company, bundle_application_id=draft.public_id, answers=answers)
        if isinstance(expected, dict):
            assert caught.value.message_dict == expected
        else:
            assert list(caught.value.message_dict) == [expected]
        draft.refresh_from_db()
        assert (draft.answers, draft.provenance) == before


def test_a_changed_prefilled_answer_is_marked_as_the_applicants(opening, people):
    company = people.actor("company")
    draft = services.bundle_draft_start(actor=company, bundle_code=BUNDLE)
    services.bundle_draft_answer(actor=company, bundle_application_id=draft.public_id,
                                 answers={"address": "浙江省杭州市西湖区文二路2号", "employee_count": "12"}, step="x")
    draft.refresh_from_db()
    assert draft.provenance["address"]["source"] == "applicant"
    assert draft.provenance["address"]["changed"] is True
    assert draft.provenance["address"]["fetched"]["value"] == "浙江省杭州市西湖区文一西路1号"
    assert draft.provenance["employee_count"]["changed"] is False
    # back to the fetched value: the registry is its source again
    services.bundle_draft_answer(actor=company, bundle_application_id=draft.public_id,
                                 answers={"address": "浙江省杭州市西湖区文一西路1号"})
    draft.refresh_from_db()
    assert draft.provenance["address"]["source"] == "registry-company"
    assert draft.draft_step == "x"


def test_materials_are_provided_once_for_every_part_that_needs_them(opening, people):
    company = people.actor("company")
    draft = services.bundle_draft_start(actor=company, bundle_code=BUNDLE)
    with pytest.raises(ValidationError) as caught:  # no accepting before looking
        services.bundle_material_accept(actor=company, bundle_application_id=draft.public_id,
                                        material_key="legal_rep_household")
    assert caught.value.message_dict == {"legal_rep_household": [
        "“法定代表人户籍信息”: look at the fetched document before accepting it."]}
    evidence = services.bundle_material_preview(actor=company, bundle_application_id=draft.public_id,
                                                material_key="legal_rep_household")
    assert evidence["title"] == "户籍信息"
    assert evidence["fields"]["relation"] == "户主"
    assert evidence["fields"]["name"] != "王芳"  # masked as the grant says
    services.bundle_material_accept(actor=company, bundle_application_id=draft.public_id,
                                    material_key="legal_rep_household")
    services.bundle_material_upload(actor=company, bundle_application_id=draft.public_id, material_key="address_proof",
                                    upload=upload("租赁合同.pdf"))
    sj, ga, sw, rs, zj = _parts(draft)
    rows = {(row.application_id, row.material.code): row
            for row in ApplicationMaterial.objects.select_related("material")}
    assert rows[(sj.id, "legal_rep_household")].waived and rows[(ga.id, "legal_rep_household")].waived
    assert rows[(sj.id, "address_proof")].file_name == rows[(sw.id, "address_proof")].file_name == "租赁合同.pdf"
    assert rows[(sj.id, "address_proof")].sha256 == rows[(sw.id, "address_proof")].sha256
    assert set(rows) == {(sj.id, "legal_rep_household"), (ga.id, "legal_rep_household"), (sj.id, "address_proof"),
                         (sw.id, "address_proof")}
    draft.refresh_from_db()
    assert {k: v["state"] for k, v in services.material_states(draft).items()} == {
        "legal_rep_household": "accepted", "address_proof": "uploaded"}


def test_a_bad_upload_is_refused_for_every_part_and_changes_nothing(opening, people):
    company = people.actor("company")
    draft = services.bundle_draft_start(actor=company, bundle_code=BUNDLE)
    with pytest.raises(ValidationError) as caught:
        services.bundle_material_upload(actor=company, bundle_application_id=draft.public_id, material_key="articles",
                                        upload=upload("章程.pdf", EXE))
    assert list(caught.value.message_dict) == ["articles"]
    assert "“公司章程”" in caught.value.message_dict["articles"][0]
    with pytest.raises(ValidationError) as caught:  # produced by a part: nothing to provide
        services.bundle_material_upload(actor=company, bundle_application_id=draft.public_id, material_key="licence",
                                        upload=upload("执照.pdf"))
    assert caught.value.message_dict == {"material": ["“licence” is not a material you provide for this service."]}
    assert ApplicationMaterial.objects.count() == 0
    draft.refresh_from_db()
    assert services.material_states(draft) == {}


def test_submission_makes_one_application_per_part_in_one_go(opening, people):
    company = people.actor("company")
    draft = draft_complete(company)
    submitted = services.bundle_application_submit(actor=company, bundle_application_id=draft.public_id,
                                                   idempotency_key="bundle-key-1")
    assert submitted.state == BundleState.IN_PROGRESS
    assert submitted.reference.startswith("YJS-330106-")
    parts = _parts(submitted)
    assert [a.state for a in parts] == ["submitted"] * 5
    assert [a.idempotency_key for a in parts] == [f"bundle-key-1:{n}" for n in range(1, 6)]
    assert [a.department.code for a in parts] == ["330106-SJ", "330106-GA", "330106-SW", "330106-RS", "330106-ZJ"]
    # the merged answers went to each part under its own field names
    assert parts[1].answers["enterprise_name"] == COMPANY_NAME and parts[1].answers["seal_kinds"] == "standard"
    assert parts[3].answers["employee_count"] == parts[4].answers["employee_count"] == "12"
    assert parts[3].provenance["company_name"]["source"] == "registry-company"  # unchanged: still the registry's
    # the licence SJ produces is waived in the four other parts, pointing at SJ's application
    produced = ApplicationMaterial.objects.filter(source="produced").select_related("application")
    assert sorted(m.application.item.code for m in produced) == sorted(ITEMS[1:])
    assert {m.evidence["produced_by"] for m in produced} == {str(parts[0].public_id)}
    assert all(m.waived for m in produced)
    # intake at the service centre's window, for every part (一窗受理)
    assert sorted(t.application.item.code for t in ApplicationTask.objects.filter(
        state="open", department__code="330106-BGT")) == sorted(ITEMS)
    leaf = LedgerLeaf.objects.get(kind="onething.submitted")
    assert leaf.subject == f"bundle_application:{submitted.public_id}"
    from zhengtong.services.onething.public import bundle_application_ref_get

    ref = bundle_application_ref_get(submitted.public_id)
    assert (ref.reference, ref.state, ref.bundle_code) == (submitted.reference, "in_progress", BUNDLE)
    assert ref.part_application_ids == tuple(a.public_id for a in parts)


def test_the_same_key_again_returns_the_same_bundle_application_and_changes_nothing(opening, people):
    company = people.actor("company")
    draft = draft_complete(company)
    first = services.bundle_application_submit(actor=company, bundle_application_id=draft.public_id,
                                               idempotency_key="same-key")
    before = _snapshot(first)
    again = services.bundle_application_submit(actor=company, bundle_application_id=draft.public_id,
                                               idempotency_key="same-key")
    assert again.pk == first.pk
    assert _snapshot(first) == before
    assert Application.objects.exclude(state="draft").count() == 5
    # a second draft submitted with the key of the first returns the first too
    other = draft_complete(company)
    assert services.bundle_application_submit(actor=company, bundle_application_id=other.public_id,
                                              idempotency_key="same-key").pk == first.pk
    other.refresh_from_db()
    assert other.state == BundleState.DRAFT
    # a submitted one with another key: refused, nothing changed
    with pytest.raises(ValidationError) as caught:
        services.bundle_application_submit(actor=company, bundle_application_id=draft.public_id,
                                           idempotency_key="other-key")
    assert list(caught.value.message_dict) == ["application"]
    assert _snapshot(first) == before


def test_one_part_failing_leaves_nothing_submitted_and_names_the_part(opening, people):
    company = people.actor("company")
    draft = draft_complete(company)
    # the public security bureau's form changes after the draft was made: a new required question
    implementation = opening.implementations["GA"]
    implementation.form_fields = [*implementation.form_fields,
                                  {"name": "seal_maker", "label": "刻章企业", "kind": "text", "required": True,
                                   "choices": [], "prefill": "", "help": "", "max_length": None}]
    implementation.save()
    before = _snapshot(draft)
    with pytest.raises(ValidationError) as caught:
        services.bundle_application_submit(actor=company, bundle_application_id=draft.public_id,
                                           idempotency_key="k-fail")
    assert caught.value.message_dict == {"seal_maker": ["公章刻制备案: “刻章企业”: this answer is required"]}
    assert _snapshot(draft) == before  # no part submitted, no task, no ledger entry, no notice
    assert Application.objects.filter(state="draft").count() == 5


def test_a_part_refused_by_its_service_rolls_back_the_parts_submitted_before_it(opening, people):
    company = people.actor("company")
    draft = draft_complete(company)
    # the applicant withdrew the fourth part's draft on the applications pages
    rs = _parts(draft)[3]
    application_services.application_withdraw(actor=company, application_id=rs.public_id, reason="不需要了")
    before = _snapshot(draft)
    with pytest.raises(ValidationError) as caught:
        services.bundle_application_submit(actor=company, bundle_application_id=draft.public_id,
                                           idempotency_key="k-part")
    assert caught.value.message_dict == {"application": [
        "单位社会保险登记: Only a draft can be changed; this application is “Withdrawn”."]}
    # the three parts submitted before it in the same transaction are drafts again, with no task
    assert _snapshot(draft) == before
    assert [a.state for a in _parts(draft)] == ["draft", "draft", "draft", "withdrawn", "draft"]
    assert not Application.objects.filter(idempotency_key__startswith="k-part").exists()


def test_missing_answers_and_materials_are_reported_before_any_part(opening, people):
    company = people.actor("company")
    draft = services.bundle_draft_start(actor=company, bundle_code=BUNDLE)
    before = _snapshot(draft)
    with pytest.raises(ValidationError) as caught:
        services.bundle_application_submit(actor=company, bundle_application_id=draft.public_id, idempotency_key="k")
    errors = caught.value.message_dict
    assert errors["employee_count"] == ["单位社会保险登记、单位住房公积金缴存登记: “职工人数”: this answer is required"]
    assert errors["materials.articles"] == ["企业设立登记: “公司章程”: upload this material."]
    assert errors["materials.legal_rep_household"] == [
        "企业设立登记、公章刻制备案: “法定代表人户籍信息”: accept the fetched document, or upload it."]
    assert "materials.licence" not in errors  # produced by the company registration: never asked
    assert _snapshot(draft) == before


def test_officers_of_the_departments_act_in_any_order_until_one_result(opening, people):
    company = people.actor("company")
    draft = draft_complete(company)
    submitted = services.bundle_application_submit(actor=company, bundle_application_id=draft.public_id,
                                                   idempotency_key="k-parallel")
    window = people.actor("window")
    for task in list(application_selectors.task_queue(actor=window)):
        application_services.task_act(actor=window, task_id=task.public_id, outcome="approve")
    events_deliver_all()
    progress = selectors.bundle_progress(actor=company, bundle_application_id=submitted.public_id)
    assert [p.state for p in progress.parts] == ["in_progress"] * 5
    # each department's case officer decides its own part only, in an order unlike the parts'
    for index, name in enumerate(("zj_case", "ga_case", "rs_case", "sw_case")):
        officer = people.actor(name)
        [task] = application_selectors.task_queue(actor=officer)
        assert task.department.code == f"330106-{name[:2].upper()}"
        application_services.task_act(actor=officer, task_id=task.public_id, outcome="approve", note="同意")
        events_deliver_all()
        submitted.refresh_from_db()
        assert submitted.state == BundleState.IN_PROGRESS
        assert selectors.bundle_progress(actor=company, bundle_application_id=submitted.public_id).approved_count == (
            index + 1)
    assert not Notice.objects.filter(user=people.company_user, title__contains="开办企业一件事").exists()
    [task] = application_selectors.task_queue(actor=people.actor("sj_case"))
    application_services.task_act(actor=people.actor("sj_case"), task_id=task.public_id, outcome="approve")
    # the state derived from the parts is the one result before any event is delivered
    assert selectors.bundle_progress(actor=company, bundle_application_id=submitted.public_id).state == "completed"
    events_deliver_all()
    submitted.refresh_from_db()
    assert submitted.state == BundleState.COMPLETED
    assert submitted.concluded_at is not None
    assert submitted.result_note == "企业开办完成（营业执照、印章、涉税事项、社保和公积金登记）: every part approved."
    [notice] = Notice.objects.filter(user=people.company_user, title__contains="开办企业一件事")
    assert notice.title == f"开办企业一件事 {submitted.reference}: done"
    assert notice.url == f"/services/onething/my/{submitted.public_id}/"
    assert LedgerLeaf.objects.filter(kind="onething.concluded").count() == 1
    events_deliver_all()  # a second delivery changes nothing
    assert LedgerLeaf.objects.filter(kind="onething.concluded").count() == 1
    assert Notice.objects.filter(user=people.company_user, title__contains="开办企业一件事").count() == 1


def test_an_officer_cannot_act_on_another_departments_part(opening, people):
    company = people.actor("company")
    draft = draft_complete(company)
    services.bundle_application_submit(actor=company, bundle_application_id=draft.public_id, idempotency_key="k")
    window = people.actor("window")
    for task in list(application_selectors.task_queue(actor=window)):
        application_services.task_act(actor=window, task_id=task.public_id, outcome="approve")
    sj_task = ApplicationTask.objects.get(state="open", application__item__code=SJ_ITEM)
    with pytest.raises(PermissionDenied):
        application_services.task_act(actor=people.actor("ga_case"), task_id=sj_task.public_id, outcome="approve")
    sj_task.refresh_from_db()
    assert sj_task.state == "open"


def test_a_part_sent_back_shows_as_correction_and_a_rejected_part_stops_the_one_result(opening, people):
    company = people.actor("company")
    draft = draft_complete(company)
    submitted = services.bundle_application_submit(actor=company, bundle_application_id=draft.public_id,
                                                   idempotency_key="k")
    window = people.actor("window")
    for task in list(application_selectors.task_queue(actor=window)):
        application_services.task_act(actor=window, task_id=task.public_id, outcome="approve")
    [task] = application_selectors.task_queue(actor=people.actor("rs_case"))
    application_services.task_act(actor=people.actor("rs_case"), task_id=task.public_id, outcome="correct",
                                  note="请补充职工花名册")
    events_deliver_all()
    submitted.refresh_from_db()
    assert submitted.state == BundleState.CORRECTION
    progress = selectors.bundle_progress(actor=company, bundle_application_id=submitted.public_id)
    assert [p.item_code for p in progress.parts if p.needs_correction] == [RS_ITEM]
    rs = next(p for p in progress.parts if p.item_code == RS_ITEM)
    application_services.application_correct(actor=company, application_id=rs.application_id,
                                             answers={"employee_count": "13"})
    events_deliver_all()
    submitted.refresh_from_db()
    assert submitted.state == BundleState.IN_PROGRESS
    [task] = application_selectors.task_queue(actor=people.actor("ga_case"))
    application_services.task_act(actor=people.actor("ga_case"), task_id=task.public_id, outcome="reject",
                                  note="印章样式不符合规定")
    events_deliver_all()
    submitted.refresh_from_db()
    assert submitted.state == BundleState.REJECTED
    assert submitted.result_note == f"{GA_ITEM}: 印章样式不符合规定"
    [notice] = Notice.objects.filter(user=people.company_user, title__contains="开办企业一件事")
    assert notice.title == f"开办企业一件事 {submitted.reference}: not approved"


def test_another_applicant_cannot_see_or_touch_it(opening, people):
    company = people.actor("company")
    draft = draft_complete(company)
    for name in ("citizen_a", "citizen_b"):
        other = people.actor(name)
        with pytest.raises(BundleApplication.DoesNotExist):
            selectors.bundle_progress(actor=other, bundle_application_id=draft.public_id)
        with pytest.raises(BundleApplication.DoesNotExist):
            services.bundle_draft_answer(actor=other, bundle_application_id=draft.public_id,
                                         answers={"employee_count": "1"})
        with pytest.raises(BundleApplication.DoesNotExist):
            services.bundle_application_submit(actor=other, bundle_application_id=draft.public_id,
                                               idempotency_key="steal")
        assert list(selectors.bundle_application_list_mine(actor=other)) == []
    with pytest.raises(BundleApplication.DoesNotExist):
        selectors.bundle_progress(actor=people.actor("sj_case"), bundle_application_id=draft.public_id)
    draft.refresh_from_db()
    assert draft.state == BundleState.DRAFT and draft.answers["employee_count"] == "12"


def test_the_api_shortcut_applies_in_one_call(opening, people):
    company = people.actor("company")
    with pytest.raises(ValidationError) as caught:  # two uploads are needed: not in one call
        services.bundle_application_start_submitted(actor=company, bundle_code=BUNDLE, answers=ANSWERS,
                                                    idempotency_key="api-1")
    assert set(caught.value.message_dict) == {"materials.articles", "materials.address_proof"}
    assert BundleApplication.objects.count() == 0 and Application.objects.count() == 0
