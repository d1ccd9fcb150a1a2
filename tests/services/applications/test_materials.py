"""Materials: fetched from shared data through the gateway and previewed before the applicant
accepts them (免提交), uploaded with their content checked, or waived because another part of a
bundle produces them."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from zhengtong.data.exchange.models import ShareCall
from zhengtong.data.exchange.public import access_log_for, subject_ref
from zhengtong.services.applications import evidence as evidence_module
from zhengtong.services.applications import services
from zhengtong.services.applications.evidence import Evidence, EvidenceUnavailable, register_evidence_provider
from zhengtong.services.applications.models import ApplicationMaterial

from ..conftest import A_ID, SHEBAO, implementation_make, item_make, material

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 100


def pdf(name="证明.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


@pytest.fixture
def draft(people, catalogue):
    return services.draft_start(actor=people.a, implementation_id=catalogue.standard.public_id)


def rows(application) -> list[tuple]:
    return list(ApplicationMaterial.objects.filter(application=application).order_by("id").values_list(
        "material__code", "source", "waived", "evidence_ref", "file_name", "size", "sha256"))


def test_a_shared_material_is_previewed_masked_as_the_grant_says_then_accepted(people, draft, platform):
    calls_before = ShareCall.objects.count()
    row = services.material_preview(actor=people.a, application_id=draft.public_id, material_code="shebao")
    assert (row.source, row.waived, row.evidence_ref) == ("shared", False, f"{SHEBAO}:{A_ID}")
    assert row.evidence == {
        "service": SHEBAO, "title": "社会保险参保证明", "key": A_ID,
        "fields": {"resident_id": "3***************46", "name": "王*", "employer": "杭州西湖数据有限公司",
                   "insured_since": "2012-07-01", "months_paid": "150"},
        "labels": {"resident_id": "公民身份号码", "name": "姓名", "employer": "参保单位", "insured_since": "参保日期",
                   "months_paid": "累计缴费月数"},
        "masked": ["resident_id", "name"],
    }
    assert ShareCall.objects.count() == calls_before + 1
    log = access_log_for(subject_refs=[subject_ref("person", A_ID)])
    assert log[0].service_code == SHEBAO and log[0].system == "浙江政务服务网（一网通办）"
    accepted = services.material_accept(actor=people.a, application_id=draft.public_id, material_code="shebao")
    assert accepted.waived is True and accepted.pk == row.pk


def test_accepting_needs_a_preview_first(people, draft):
    with pytest.raises(ValidationError) as refused:
        services.material_accept(actor=people.a, application_id=draft.public_id, material_code="shebao")
    assert refused.value.message_dict == {"shebao": ["“社会保险参保证明”: look at the fetched document before accepting it."]}
    assert rows(draft) == []


def test_a_person_without_a_record_is_told_to_upload(people, catalogue, platform):
    draft = services.draft_start(actor=people.b, implementation_id=catalogue.standard.public_id)
    with pytest.raises(ValidationError) as refused:
        services.material_preview(actor=people.b, application_id=draft.public_id, material_code="shebao")
    assert refused.value.message_dict == {
        "shebao": ["“社会保险参保证明” holds no record of you: upload “社会保险参保证明” instead."]}
    assert rows(draft) == []
    assert ShareCall.objects.filter(service__code=SHEBAO).get().outcome == "unknown_key"


def test_a_licence_material_without_a_provider_must_be_uploaded(people, platform):
    implementation = implementation_make(
        item_make("330106-ZJ-001", "住房公积金提取"), department="330106-ZJ",
        materials=[material("marriage", "结婚证", source="licence", source_ref="marriage_certificate")])
    draft = services.draft_start(actor=people.a, implementation_id=implementation.public_id)
    with pytest.raises(ValidationError) as refused:
        services.material_preview(actor=people.a, application_id=draft.public_id, material_code="marriage")
    assert refused.value.message_dict == {"marriage": ["E-licences cannot be fetched yet: upload “结婚证”."]}
    assert rows(draft) == []


def test_an_evidence_provider_plugs_in_for_licences(people, platform, monkeypatch):
    monkeypatch.setattr(evidence_module, "_PROVIDERS", dict(evidence_module._PROVIDERS))
    seen = []

    def licences(*, material, applicant, correlation_id):
        seen.append((material.source_ref, applicant.resident_id))
        if applicant.resident_id != A_ID:
            raise EvidenceUnavailable("没有电子证照")
        return Evidence(service="licence:marriage_certificate", title="结婚证", key="330106-2015-001",
                        fields={"holder": "王*"}, labels={"holder": "持证人"}, masked=("holder",))

    register_evidence_provider("licence", licences)
    implementation = implementation_make(
        item_make("330106-ZJ-001", "住房公积金提取"), department="330106-ZJ",
        materials=[material("marriage", "结婚证", source="licence", source_ref="marriage_certificate")])
    draft = services.draft_start(actor=people.a, implementation_id=implementation.public_id)
    row = services.material_preview(actor=people.a, application_id=draft.public_id, material_code="marriage")
    assert (row.source, row.evidence_ref, row.evidence["fields"]) == (
        "licence", "licence:marriage_certificate:330106-2015-001", {"holder": "王*"})
    assert seen == [("marriage_certificate", A_ID)]
    assert services.material_accept(actor=people.a, application_id=draft.public_id, material_code="marriage").waived


def test_an_upload_is_kept_with_its_checksum(people, draft):
    import hashlib

    row = services.material_upload(actor=people.a, application_id=draft.public_id, material_code="leaving_proof",
                                   upload=pdf())
    assert rows(draft) == [("leaving_proof", "upload", False, "", "证明.pdf", len(PDF), hashlib.sha256(PDF).hexdigest())]
    assert row.content_type == "application/pdf"
    assert row.file.name.endswith(".pdf") and "证明" not in row.file.name  # stored under a random name
    assert row.file.read() == PDF
    # A second upload replaces the first.
    services.material_upload(actor=people.a, application_id=draft.public_id, material_code="leaving_proof",
                             upload=SimpleUploadedFile("scan.png", PNG))
    assert [r[4] for r in rows(draft)] == ["scan.png"]


@pytest.mark.parametrize(("upload", "message"), [
    (SimpleUploadedFile("setup.pdf", EXE), "“解除或终止劳动关系证明”: the file's content is not pdf (it looks like exe); "
                                           "upload one of: pdf、jpg、png."),
    (SimpleUploadedFile("notes.txt", b"hello"), "“解除或终止劳动关系证明”: a txt file is not accepted; upload one of: "
                                               "pdf、jpg、png."),
    (SimpleUploadedFile("big.pdf", PDF + b"0" * (2 * 1024 * 1024)), "“解除或终止劳动关系证明”: the file is 2.0\xa0MB; "
                                                                      "the largest accepted is 2.0\xa0MB."),
    # An accepted kind of content under another kind's name.
    (SimpleUploadedFile("photo.pdf", PNG), "“解除或终止劳动关系证明”: the file is named .pdf but its content is png."),
    (SimpleUploadedFile("empty.pdf", b""), "“解除或终止劳动关系证明”: the file is empty."),
])
def test_bad_uploads_are_refused_and_change_nothing(people, draft, upload, message, settings):
    import os

    with pytest.raises(ValidationError) as refused:
        services.material_upload(actor=people.a, application_id=draft.public_id, material_code="leaving_proof",
                                 upload=upload)
    assert refused.value.message_dict == {"leaving_proof": [message]}
    assert rows(draft) == []
    assert not os.path.exists(os.path.join(settings.MEDIA_ROOT, "applications"))


def test_materials_of_someone_else_s_application_are_out_of_reach(people, draft):
    with pytest.raises(PermissionDenied):
        services.material_upload(actor=people.b, application_id=draft.public_id, material_code="leaving_proof",
                                 upload=pdf())
    with pytest.raises(PermissionDenied):
        services.material_preview(actor=people.b, application_id=draft.public_id, material_code="shebao")
    assert rows(draft) == []
    assert ShareCall.objects.filter(service__code=SHEBAO).count() == 0


def test_an_unknown_material_is_refused(people, draft):
    with pytest.raises(ValidationError) as refused:
        services.material_upload(actor=people.a, application_id=draft.public_id, material_code="passport",
                                 upload=pdf())
    assert refused.value.message_dict == {"material": ["“passport” is not a material of this service."]}


def test_a_produced_material_is_waived_with_its_producer(people, platform):
    implementation = implementation_make(
        item_make("330106-SW-001", "税务登记"), department="330106-SW",
        materials=[material("licence", "营业执照", source="produced", source_ref="330106-SJ-001")])
    draft = services.draft_start(actor=people.a, implementation_id=implementation.public_id)
    row = services.material_waive_produced(actor=people.a, application_id=draft.public_id, material_code="licence",
                                           produced_by="bundle-1:0")
    assert (row.source, row.waived, row.evidence, row.evidence_ref) == (
        "produced", True, {"produced_by": "bundle-1:0"}, "bundle-1:0")
    other = services.draft_start(actor=people.a, implementation_id=implementation.public_id)
    with pytest.raises(ValidationError) as refused:
        services.material_waive_produced(actor=people.a, application_id=other.public_id, material_code="licence",
                                         produced_by=" ")
    assert refused.value.message_dict == {"produced_by": ["Say which application produces this material."]}
    assert rows(other) == []
