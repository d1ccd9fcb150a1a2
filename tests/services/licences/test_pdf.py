"""The licence PDF (电子证照版式文件): rendered at issue with the CJK font embedded, byte-identical for
the same licence, its hash recorded; downloaded by its holder only; verified by upload (page and
API), where a tampered PDF or another licence's PDF carrying this one's payload fails."""

import base64
import hashlib
import io
import json
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader, PdfWriter
from rest_framework.test import APIClient

from tests.services.conftest import COMPANY_NAME, USCC
from zhengtong.kernel.identity.public import Actor
from zhengtong.services.licences import pdf, services
from zhengtong.services.licences.errors import LicenceInvalid
from zhengtong.services.licences.models import Licence

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_totp")]

BACKEND = "zhengtong.kernel.identity.backends.AccountBackend"
ANYONE = Actor(kind="anonymous")


def _stored(licence) -> bytes:
    with default_storage.open(services.pdf_storage_name(licence), "rb") as handle:
        return handle.read()


def _failed(result) -> dict[str, str]:
    return {check.name: check.detail for check in result.checks if not check.passed}


def test_the_pdf_holds_the_chinese_text_with_the_font_embedded_and_its_hash_is_recorded(business_licence):
    document = _stored(business_licence)
    assert document.startswith(b"%PDF-")
    assert hashlib.sha256(document).hexdigest() == business_licence.pdf_sha256
    assert Licence.objects.get(pk=business_licence.pk).pdf_sha256 == business_licence.pdf_sha256
    text = PdfReader(io.BytesIO(document)).pages[0].extract_text()
    compact = re.sub(r"[\s\x00]+", "", text)  # pypdf gives fpdf2's CID text with NULs between characters
    assert COMPANY_NAME in compact and "营业执照" in compact and business_licence.number in compact
    assert "统一社会信用代码" in compact and USCC in compact and "数据处理服务" in compact
    assert "西湖区市场监督管理局" in compact  # the issuer (and the seal's ring)
    assert re.search(rb"/FontFile[23]", document)
    embedded = json.loads(PdfReader(io.BytesIO(document)).attachments[pdf.ATTACHMENT][0])
    assert embedded["payload"] == services.licence_payload(business_licence)
    assert base64.b64decode(embedded["signature"]["value"]) == bytes(business_licence.signature)


def test_the_same_licence_always_renders_the_same_bytes(business_licence):
    licence = Licence.objects.select_related("type", "department", "seal").get(pk=business_licence.pk)
    first, second = pdf.licence_pdf_render(licence), pdf.licence_pdf_render(licence)
    assert first == second == _stored(business_licence)


def test_the_qr_code_in_the_pdf_carries_the_payload_that_verifies(business_licence):
    import segno

    payload = services.licence_payload(business_licence)
    expected = [list(row) for row in segno.make(services.canonical_json(payload).decode(), error="m", micro=False,
                                                  mask=pdf.QR_MASK).matrix]
    # Rebuild the drawn modules from the page's QR path ("q 0 g … re … f Q": one rectangle per dark run).
    content = PdfReader(io.BytesIO(_stored(business_licence))).pages[0].get_contents().get_data().decode("latin-1")
    path = re.search(r"q 0 g (.*?) f Q", content).group(1)
    runs = [tuple(float(n) for n in match) for match in re.findall(r"(\S+) (\S+) (\S+) (\S+) re", path)]
    module = -runs[0][3]
    left, top = min(r[0] for r in runs), max(r[1] for r in runs)
    drawn = [[False] * len(expected) for _ in expected]
    for x, y, width, _height in runs:
        row, column = round((top - y) / module), round((x - left) / module)
        for offset in range(round(width / module)):
            drawn[row][column + offset] = True
    assert drawn == [[bool(v) for v in row] for row in expected]
    # …and what it carries is the licence's signed payload, which verifies (the verify page's QR path).
    assert services.licence_verify(actor=ANYONE, payload=payload).valid


def test_an_uploaded_pdf_verifies_and_each_check_passes(business_licence):
    result = services.licence_verify(actor=ANYONE, pdf=_stored(business_licence))
    assert result.valid, result.reason
    assert {check.name for check in result.checks} >= {"document", "signature", "ledger", "state"}


def test_a_pdf_with_a_field_edited_fails_the_document_check(business_licence):
    reader = PdfReader(io.BytesIO(_stored(business_licence)))
    writer = PdfWriter(clone_from=reader)
    page = writer.pages[0]
    content = page.get_contents()
    data = content.get_data()
    # Move one drawn text line (an edit a forger would make), keep the embedded payload as it was.
    edited = data.replace(b" Td", b" Td", 1).replace(b"BT ", b"BT 1 0 0 1 0.5 0 cm ", 1)
    assert edited != data
    content.set_data(edited)
    buffer = io.BytesIO()
    writer.write(buffer)
    result = services.licence_verify(actor=ANYONE, pdf=buffer.getvalue())
    assert not result.valid
    assert "document" in _failed(result) and "altered" in _failed(result)["document"]
    assert "signature" not in _failed(result)  # the payload itself was left alone


def _with_embedded(document: bytes, embedded: bytes) -> bytes:
    """The PDF with its embedded licence.json replaced (what a forger would do), all else kept."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(document)))
    names = writer._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == pdf.ATTACHMENT
    names[1].get_object()["/EF"]["/F"].get_object().set_data(embedded)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_pdf_whose_embedded_payload_was_altered_fails(business_licence):
    document = _stored(business_licence)
    embedded = json.loads(PdfReader(io.BytesIO(document)).attachments[pdf.ATTACHMENT][0])
    embedded["payload"]["fields"]["business_scope"] = "金融服务"
    altered = _with_embedded(document, services.canonical_json(embedded))
    assert pdf.pdf_read(altered).payload["fields"]["business_scope"] == "金融服务"
    result = services.licence_verify(actor=ANYONE, pdf=altered)
    assert not result.valid and {"document", "signature"} <= set(_failed(result))


def test_a_pdf_with_a_second_licence_payload_is_refused(business_licence):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_stored(business_licence))))
    writer.add_attachment(pdf.ATTACHMENT, b"{}")
    buffer = io.BytesIO()
    writer.write(buffer)
    result = services.licence_verify(actor=ANYONE, pdf=buffer.getvalue())
    assert not result.valid and _failed(result) == {"document": "The PDF holds more than one licence."}


def test_another_licences_pdf_carrying_this_ones_payload_fails(people, types, sj_seal, business_licence):
    leader = people.actor("sj_leader")
    other = services.licence_issue(
        actor=leader, licence_type=types["business_licence"], department_id=leader.department_id,
        holder_kind="company", holder_user_id=people.company_user.id, holder_name=COMPANY_NAME,
        holder_identifier=USCC, fields={"name": COMPANY_NAME, "uscc": USCC, "business_scope": "软件开发"})
    other_pdf = _stored(other)
    ours = PdfReader(io.BytesIO(_stored(business_licence))).attachments[pdf.ATTACHMENT][0]
    swapped = _with_embedded(other_pdf, ours)
    assert pdf.pdf_read(swapped).payload["id"] == str(business_licence.public_id)
    result = services.licence_verify(actor=ANYONE, pdf=swapped)
    assert not result.valid and result.number == business_licence.number
    assert "document" in _failed(result) and "signature" not in _failed(result)
    assert services.licence_verify(actor=ANYONE, pdf=other_pdf).valid


@pytest.mark.parametrize(("language", "not_a_pdf", "no_licence"), [
    ("en", "The file is not a PDF.", "The PDF holds no licence issued by this platform."),
    ("zh-hans", "该文件不是 PDF 文件。", "该 PDF 文件中没有本平台签发的电子证照。"),
])
def test_not_a_pdf_or_a_pdf_without_a_licence_or_too_big_is_refused_in_the_readers_language(
        db, language, not_a_pdf, no_licence):
    blank = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.write(blank)
    with translation.override(language):
        assert services.licence_verify(actor=ANYONE, pdf=b"hello, not a pdf").reason == not_a_pdf
        assert services.licence_verify(actor=ANYONE, pdf=blank.getvalue()).reason == no_licence
        too_big = services.licence_verify(actor=ANYONE, pdf=b"%PDF-1.7\n" + b"0" * pdf.MAX_PDF_BYTES)
        assert not too_big.valid and "5 MB" in too_big.reason
    with pytest.raises(LicenceInvalid):
        pdf.pdf_read(b"")


def test_every_pdf_verification_is_logged(business_licence):
    from zhengtong.kernel.ledger.models import LedgerLeaf as Leaf

    before = Leaf.objects.filter(kind="licence.verified").count()
    services.licence_verify(actor=ANYONE, pdf=b"not a pdf")
    services.licence_verify(actor=ANYONE, pdf=_stored(business_licence))
    assert Leaf.objects.filter(kind="licence.verified").count() == before + 2


def test_only_the_holder_downloads_the_pdf(client, people, business_licence):
    url = reverse("licences:pdf", args=[business_licence.public_id])
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(people.user("citizen_a"), backend=BACKEND)
    assert client.get(url).status_code == 404
    client.force_login(people.user("company"), backend=BACKEND)
    detail = client.get(reverse("licences:detail", args=[business_licence.public_id])).content.decode()
    assert url in detail
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert hashlib.sha256(response.content).hexdigest() == business_licence.pdf_sha256

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api_url = reverse("licences-api-pdf", kwargs={"public_id": business_licence.public_id})
    api.force_authenticate(people.user("citizen_a"))
    assert api.get(api_url).status_code == 404
    api.force_authenticate(people.user("company"))
    downloaded = api.get(api_url)
    assert downloaded.status_code == 200 and downloaded.content == response.content


def test_the_verify_page_takes_an_uploaded_pdf(client, business_licence):
    page = client.post(reverse("licences:verify"),
                       {"pdf": SimpleUploadedFile("licence.pdf", _stored(business_licence), "application/pdf")},
                       HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Not valid" not in page and "Valid" in page and business_licence.number in page
    assert "The PDF is the one issued" in page
    refused = client.post(reverse("licences:verify"),
                          {"pdf": SimpleUploadedFile("x.pdf", b"GIF89a", "application/pdf")},
                          HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "该文件不是 PDF 文件。" in refused
    empty = client.post(reverse("licences:verify"), {"code": ""}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Enter a licence number or scan a show code." in empty


def test_the_verify_api_takes_a_pdf_as_base64_or_multipart(business_licence):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    url = reverse("licences-api-verify")
    document = _stored(business_licence)
    as_json = api.post(url, {"pdf": base64.b64encode(document).decode()}, format="json").json()
    assert as_json["valid"] is True and "document" in [c["name"] for c in as_json["checks"]]
    tampered = document.replace(b"/Producer", b"/Producxr", 1)  # one metadata byte
    assert tampered != document
    bad = api.post(url, {"pdf": io.BytesIO(tampered)}, format="multipart").json()
    assert bad["valid"] is False and bad["reason"].startswith("The PDF is not the one issued")
    assert api.post(url, {"pdf": "***"}, format="json").status_code == 400


def test_a_failed_render_leaves_no_licence_and_no_file(people, types, sj_seal, monkeypatch):
    def broken(licence):
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(services, "licence_pdf_render", broken)
    leader = people.actor("sj_leader")
    before = Licence.objects.count()
    with pytest.raises(RuntimeError):
        services.licence_issue(actor=leader, licence_type=types["business_licence"],
                               department_id=leader.department_id, holder_kind="company",
                               holder_user_id=people.company_user.id, holder_name=COMPANY_NAME,
                               holder_identifier=USCC, fields={})
    assert Licence.objects.count() == before


def test_without_a_cjk_font_issuing_works_and_the_pdf_says_which_font_is_missing(
        settings, people, types, sj_seal, english):
    settings.LICENCE_PDF_FONT = "/nonexistent/NotoSansCJK-Regular.ttc#2"
    leader = people.actor("sj_leader")
    licence = services.licence_issue(actor=leader, licence_type=types["business_licence"],
                                     department_id=leader.department_id, holder_kind="company",
                                     holder_user_id=people.company_user.id, holder_name=COMPANY_NAME,
                                     holder_identifier=USCC, fields={})
    assert licence.pdf_sha256 == ""
    assert not default_storage.exists(services.pdf_storage_name(licence))
    holder = Actor(kind="company", user_id=people.company_user.id)
    with pytest.raises(pdf.LicenceFontMissing) as raised:
        services.licence_pdf_get(actor=holder, licence_id=licence.public_id)
    assert "fonts-noto-cjk" in str(raised.value.message)
    with translation.override("zh-hans"):
        with pytest.raises(pdf.LicenceFontMissing) as raised:
            services.licence_pdf_get(actor=holder, licence_id=licence.public_id)
        assert "fonts-noto-cjk" in str(raised.value.message) and "中文字体" in str(raised.value.message)


def test_a_name_outside_gb2312_falls_back_to_the_full_font(people, types, sj_seal, english):
    assert ord("堃") not in pdf.reduced_codepoints()
    leader = people.actor("sj_leader")
    licence = services.licence_issue(
        actor=leader, licence_type=types["business_licence"], department_id=leader.department_id,
        holder_kind="company", holder_user_id=people.company_user.id, holder_name="杭州堃元数据有限公司",
        holder_identifier=USCC, fields={})
    document = _stored(licence)
    text = re.sub(r"[\s\x00]+", "", PdfReader(io.BytesIO(document)).pages[0].extract_text())
    assert "杭州堃元数据有限公司" in text
    assert services.licence_verify(actor=ANYONE, pdf=document).valid


def test_the_licence_benchmark_measures_issue_and_verify_against_bare_sm2(db):
    from zhengtong.bench.management.commands.bench import discover, select
    from zhengtong.services.licences import benchmarks

    discover()
    assert set(select(["licence"])) == {"licence_issue", "licence_verify"}
    figures = benchmarks.measure(3)  # on the test database: issues, re-renders, verifies (it asserts each)
    assert figures["count"] == 3 and figures["pdf_samples"] == 3
    assert figures["issue_seconds"] > 0 and figures["sign_seconds"] > 0 and figures["pdf_kb"] > 5
