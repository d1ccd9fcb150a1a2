"""The applicant's pages (Django test client): start, one question per page with provenance,
materials (fetch, preview, use, upload), check answers and an idempotent submit, confirmation,
my applications, tracking, correction, withdrawal, notices. Someone else's application is a 404;
every refused form shows its error, linked from the summary, and changes nothing."""

import html
import re
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhengtong.kernel.calendar.public import add_working_days
from zhengtong.kernel.masking.public import mask_value
from zhengtong.services.applications import services
from zhengtong.services.applications.models import Application, ApplicationMaterial, Notice

from ..conftest import A_ID, A_MOBILE, B_ID, SHEBAO
from .conftest import PDF, act, fill_standard, submit

pytestmark = pytest.mark.django_db

BACKEND = "zhengtong.kernel.identity.backends.AccountBackend"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture
def as_user(client, people):
    """as_user("citizen_a"): the test client signed in as one of the cast, in English (the msgids)."""

    def sign_in(name: str):
        client.logout()
        client.force_login(people.user(name), backend=BACKEND)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return sign_in


def url(name: str, *args) -> str:
    from django.urls import reverse

    return reverse(f"applications:{name}", args=args)


def draft_of(people, implementation, who: str = "citizen_a") -> Application:
    return services.draft_start(actor=people.actor(who), implementation_id=implementation.public_id)


def snapshot(application: Application) -> tuple:
    application.refresh_from_db()
    materials = list(ApplicationMaterial.objects.filter(application=application).order_by("id").values_list(
        "material__code", "source", "waived", "file", "previewed_at"))
    return (application.state, application.answers, application.provenance, application.draft_step,
            application.reference, application.idempotency_key, materials)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def summary_links(response) -> list[tuple[str, str]]:
    """(href, text) of the error summary's links."""
    page = response.content.decode()
    block = re.search(r'<div class="zt-error-summary".*?</ul>', page, re.S)
    assert block, "no error summary"
    return [(html.unescape(href), html.unescape(re.sub(r"\s+", " ", label).strip()))
            for href, label in re.findall(r'<a href="([^"]+)">(.*?)</a>', block.group(0), re.S)]


# --- start page ---------------------------------------------------------------------------------


def test_the_start_page_says_what_is_needed_and_what_is_fetched(client, catalogue):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get(url("start", catalogue.standard.public_id))
    assert response.status_code == 200
    body = text(response)
    assert "<h1>失业保险金申领</h1>" in body
    # the fetched material under "you do not need to provide", the uploads with their rules
    fetched = body.split("Materials you do not need to provide")[1].split("Materials to upload")[0]
    assert "社会保险参保证明" in fetched and "解除或终止劳动关系证明" not in fetched
    assert "解除或终止劳动关系证明 <span class=\"zt-secondary-text\">PDF、JPG、PNG, up to 2.0 MB</span>" in body
    assert "5 working days" in body and "20 working days" in body
    assert "None: you can do everything online" in body
    # not signed in: the way to sign in and come back here
    assert f'href="/account/login/?next=%2Fservices%2Fapply%2F{catalogue.standard.public_id}%2F"' in body
    assert "Start now" not in body


def test_starting_needs_a_sign_in_and_makes_a_prefilled_draft(client, as_user, people, catalogue):
    start = url("start", catalogue.standard.public_id)
    response = client.post(start)
    assert response.status_code == 302 and response["Location"] == f"/account/login/?next={start}"
    assert Application.objects.count() == 0

    as_user("citizen_a")
    assert "Start now" in text(client.get(start))
    response = client.post(start)
    application = Application.objects.get()
    # The resident ID comes from the account and is not asked: the first question is the name.
    assert response.status_code == 302
    assert response["Location"] == url("question", application.public_id, "applicant_name")
    assert (application.state, application.channel) == ("draft", "web")
    assert application.answers == {"applicant_name": "王芳", "resident_id": A_ID, "mobile": A_MOBILE,
                                   "address": "浙江省杭州市西湖区天目山路8号2幢302室"}


def test_a_phone_starts_a_phone_application(client, as_user, catalogue):
    as_user("citizen_a")
    phone = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
    client.post(url("start", catalogue.standard.public_id), HTTP_USER_AGENT=phone)
    assert Application.objects.get().channel == "mobile"


def test_a_citizen_cannot_start_a_company_service(client, as_user, catalogue):
    as_user("citizen_a")
    body = text(client.get(url("start", catalogue.simple.public_id)))
    assert "This service is for companies." in body and "Start now" not in body
    response = client.post(url("start", catalogue.simple.public_id))
    assert response.status_code == 302 and response["Location"] == url("start", catalogue.simple.public_id)
    assert Application.objects.count() == 0


def test_an_unpublished_service_has_no_start_page(client, catalogue):
    catalogue.standard.status = "suspended"
    catalogue.standard.save()
    assert client.get(url("start", catalogue.standard.public_id)).status_code == 404


# --- one question per page ----------------------------------------------------------------------


def test_a_prefilled_question_shows_where_its_answer_came_from(as_user, people, catalogue):
    client = as_user("citizen_a")
    draft = draft_of(people, catalogue.standard)
    response = client.get(url("question", draft.public_id, "mobile"))
    body = text(response)
    today = timezone.localdate().isoformat()
    assert f'<div class="ap-inset ap-inset--provenance" id="id_mobile_provenance"><p>From: 人口综合库, fetched {today}</p>' in body
    assert f'value="{A_MOBILE}"' in body
    assert 'aria-describedby="id_mobile_provenance"' in body
    # the back link goes to the question before; the caption counts the questions asked
    assert f'<a class="ap-back-link" href="{url("question", draft.public_id, "applicant_name")}">' in body
    assert "Question 2 of 6" in body


def test_an_invalid_answer_is_shown_with_its_error_and_nothing_changes(as_user, people, catalogue):
    client = as_user("citizen_a")
    draft = draft_of(people, catalogue.standard)
    before = snapshot(draft)
    response = client.post(url("question", draft.public_id, "left_on"), {"left_on": "2025-02-30", "_action": "continue"})
    assert response.status_code == 400
    message = "“离职日期”: 2025-02-30 is not a date in the calendar"
    assert summary_links(response) == [("#id_left_on", message)]
    body = text(response)
    assert f'<p class="zt-error-message" id="id_left_on_error"><span class="zt-visually-hidden">Error:</span> {message}</p>' in body
    assert 'aria-invalid="true"' in body and 'value="2025-02-30"' in body
    assert "<title>Error: 离职日期" in body
    assert snapshot(draft) == before


def test_a_required_choice_left_empty_is_an_error(as_user, people, catalogue):
    client = as_user("citizen_a")
    draft = draft_of(people, catalogue.standard)
    response = client.post(url("question", draft.public_id, "reason"), {"_action": "continue"})
    assert response.status_code == 400
    # a radio group: the summary links to its first option
    assert summary_links(response) == [("#id_reason_0", "“离职原因”: choose an answer")]


def test_answers_are_saved_and_the_journey_moves_on(as_user, people, catalogue):
    client = as_user("citizen_a")
    draft = draft_of(people, catalogue.standard)
    response = client.post(url("question", draft.public_id, "mobile"), {"mobile": "139 0000 1111", "_action": "continue"})
    assert response["Location"] == url("question", draft.public_id, "address")
    draft.refresh_from_db()
    assert draft.answers["mobile"] == "13900001111"
    assert draft.provenance["mobile"]["source"] == "applicant" and draft.provenance["mobile"]["changed"] is True
    assert draft.draft_step == "address"
    body = text(client.get(url("question", draft.public_id, "mobile")))
    assert "You changed this. It was fetched from 人口综合库" in body
    # the last question leads to the materials, then the check page
    response = client.post(url("question", draft.public_id, "remarks"), {"remarks": "", "_action": "continue"})
    assert response["Location"] == url("materials", draft.public_id)


def test_save_and_come_back_later_keeps_the_draft_and_its_page(as_user, people, catalogue):
    client = as_user("citizen_a")
    draft = draft_of(people, catalogue.standard)
    response = client.post(url("question", draft.public_id, "reason"), {"reason": "dismissed", "_action": "save"})
    assert response["Location"] == url("mine")
    draft.refresh_from_db()
    assert (draft.answers["reason"], draft.draft_step, draft.state) == ("dismissed", "reason", "draft")
    body = text(client.get(url("mine")))
    assert "Your application is saved as a draft." in body
    drafts = body.split("<h2>Drafts</h2>")[1].split("<h2>In progress</h2>")[0]
    assert f'<a href="{url("detail", draft.public_id)}">失业保险金申领</a>' in drafts
    # "continue" resumes on the page that was left
    response = client.get(url("detail", draft.public_id))
    assert response["Location"] == url("question", draft.public_id, "reason")
    # saving an empty required answer keeps what was there
    client.post(url("question", draft.public_id, "left_on"), {"left_on": "", "_action": "save"})
    draft.refresh_from_db()
    assert "left_on" not in draft.answers and draft.draft_step == "left_on"


def test_the_resident_id_from_the_account_cannot_be_changed(as_user, people, catalogue):
    client = as_user("citizen_a")
    draft = draft_of(people, catalogue.standard)
    before = snapshot(draft)
    response = client.get(url("question", draft.public_id, "resident_id"))
    body = text(response)
    assert f'<p class="ap-readonly">{A_ID}</p>' in body and 'name="resident_id"' not in body
    # a forged answer, on its page or smuggled into another question's form, changes nothing
    client.post(url("question", draft.public_id, "resident_id"), {"resident_id": B_ID, "_action": "continue"})
    client.post(url("question", draft.public_id, "applicant_name"),
                {"applicant_name": "王芳", "resident_id": B_ID, "_action": "continue"})
    after = snapshot(draft)
    assert after[1]["resident_id"] == A_ID
    assert after[1] == before[1]


def test_an_unknown_question_is_not_found(as_user, people, catalogue):
    client = as_user("citizen_a")
    draft = draft_of(people, catalogue.standard)
    assert client.get(url("question", draft.public_id, "salary")).status_code == 404


# --- materials ----------------------------------------------------------------------------------


def test_a_shared_material_is_previewed_then_used(as_user, people, catalogue):
    client = as_user("citizen_a")
    draft = draft_of(people, catalogue.standard)
    page = url("materials", draft.public_id)
    body = text(client.get(page))
    assert "Fetch and preview" in body and "社会保险参保证明" in body
    response = client.post(page, {"_action": "preview", "material": "shebao"})
    assert response["Location"] == f"{page}#material-shebao"
    body = text(client.get(page))
    # the evidence as the grant gives it: name and ID masked, the rest in clear
    assert "From: 社会保险参保证明, fetched" in body
    assert f"<dt>公民身份号码</dt><dd>{mask_value('resident_id', A_ID)} <span class=\"zt-secondary-text\">(partly hidden)</span></dd>" in body
    assert "<dt>参保单位</dt><dd>杭州西湖数据有限公司</dd>" in body
    assert A_ID not in body.split("From: 社会保险参保证明")[1].split("</dl>")[0]
    row = ApplicationMaterial.objects.get(application=draft, material__code="shebao")
    assert (row.source, row.waived, row.evidence_ref) == ("shared", False, f"{SHEBAO}:{A_ID}")
    client.post(page, {"_action": "accept", "material": "shebao"})
    row.refresh_from_db()
    assert row.waived is True
    assert "You do not need to submit this" in text(client.get(page))


def test_uploads_are_checked_and_a_refused_one_changes_nothing(as_user, people, catalogue):
    client = as_user("citizen_a")
    draft = draft_of(people, catalogue.standard)
    page = url("materials", draft.public_id)
    before = snapshot(draft)
    forged = SimpleUploadedFile("证明.pdf", EXE, content_type="application/pdf")
    response = client.post(page, {"_action": "upload", "material": "leaving_proof", "m-leaving_proof-file": forged})
    assert response.status_code == 400
    ((href, message),) = summary_links(response)
    assert href == "#id_m-leaving_proof-file"
    assert message.startswith("“解除或终止劳动关系证明”: the file's content is not pdf (it looks like exe)")
    body = text(response)
    assert 'id="id_m-leaving_proof-file" accept=".pdf,.jpg,.png" aria-describedby="id_m-leaving_proof-file_helptext id_m-leaving_proof-file_error" aria-invalid="true"' in body
    big = SimpleUploadedFile("证明.pdf", PDF + b"0" * (2 * 1024 * 1024), content_type="application/pdf")
    response = client.post(page, {"_action": "upload", "material": "leaving_proof", "m-leaving_proof-file": big})
    assert response.status_code == 400
    assert "the largest accepted is 2.0 MB" in summary_links(response)[0][1]
    response = client.post(page, {"_action": "upload", "material": "leaving_proof"})
    assert summary_links(response) == [("#id_m-leaving_proof-file", "“解除或终止劳动关系证明”: choose a file to upload.")]
    assert snapshot(draft) == before

    good = SimpleUploadedFile("离职证明.pdf", PDF, content_type="application/pdf")
    response = client.post(page, {"_action": "upload", "material": "leaving_proof", "m-leaving_proof-file": good})
    assert response.status_code == 302
    row = ApplicationMaterial.objects.get(application=draft, material__code="leaving_proof")
    assert (row.file_name, row.size, row.content_type) == ("离职证明.pdf", len(PDF), "application/pdf")
    assert "Uploaded" in text(client.get(page))
    # the applicant may download their own file
    download = client.get(url("material-file", draft.public_id, "leaving_proof"))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('离职证明.pdf')}"


# --- check answers and submit -------------------------------------------------------------------


def test_the_check_page_lists_what_is_missing_with_links_to_fix_it(as_user, people, catalogue):
    client = as_user("citizen_a")
    draft = draft_of(people, catalogue.standard)
    response = client.get(url("check", draft.public_id))
    body = text(response)
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', body).group(1)
    assert f'<a href="{url("question", draft.public_id, "mobile")}?change=1">Change<span class="zt-visually-hidden"> 手机号码</span></a>' in body
    assert "From your account" in body  # the resident ID has no change link
    before = snapshot(draft)
    response = client.post(url("check", draft.public_id), {"idempotency_key": key})
    assert response.status_code == 400
    assert summary_links(response) == [
        (f"{url('question', draft.public_id, 'reason')}?change=1", "“离职原因”: choose an answer"),
        (f"{url('question', draft.public_id, 'left_on')}?change=1", "“离职日期”: this answer is required"),
        (f"{url('materials', draft.public_id)}#material-leaving_proof", "“解除或终止劳动关系证明”: upload this material."),
        (f"{url('materials', draft.public_id)}#material-shebao", "“社会保险参保证明”: fetch it from shared data, or upload it."),
    ]
    # the failed submission keeps its key, so a retry after fixing is still the same submission
    assert f'name="idempotency_key" value="{key}"' in text(response)
    assert snapshot(draft) == before


def test_a_change_link_returns_to_the_check_page(as_user, people, catalogue):
    client = as_user("citizen_a")
    draft = draft_of(people, catalogue.standard)
    question = url("question", draft.public_id, "mobile") + "?change=1"
    body = text(client.get(question))
    assert f'<a class="ap-back-link" href="{url("check", draft.public_id)}">' in body
    response = client.post(question, {"mobile": "13900001111", "_action": "continue"})
    assert response["Location"] == url("check", draft.public_id)


def test_submitting_twice_with_the_same_key_makes_one_application(as_user, people, catalogue):
    client = as_user("citizen_a")
    draft = fill_standard(people, catalogue)
    body = text(client.get(url("check", draft.public_id)))
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', body).group(1)
    first = client.post(url("check", draft.public_id), {"idempotency_key": key})
    second = client.post(url("check", draft.public_id), {"idempotency_key": key})  # a double click
    assert first["Location"] == second["Location"] == url("confirmation", draft.public_id)
    application = Application.objects.get()
    assert (application.state, application.idempotency_key) == ("submitted", key)
    # a stale check page in another tab (another key) does not submit again
    third = client.post(url("check", draft.public_id), {"idempotency_key": "another-tab"})
    assert third["Location"] == url("detail", draft.public_id)
    application.refresh_from_db()
    assert (Application.objects.count(), application.idempotency_key) == (1, key)

    body = text(client.get(url("confirmation", draft.public_id)))
    assert f"Your reference<strong>{application.reference}</strong>" in body
    due = add_working_days(timezone.localdate(), 5)
    assert f'<time datetime="{due.isoformat()}">{due.isoformat()}</time>' in body
    assert "<dt>Materials you did not need to submit</dt><dd>1</dd>" in body
    assert "The service centre checks your application" in body


def test_an_instant_item_is_decided_and_the_decision_is_shown(as_user, people, catalogue):
    client = as_user("citizen_a")
    client.post(url("start", catalogue.instant.public_id))
    draft = Application.objects.get()
    # no question: the journey starts at the materials
    materials = url("materials", draft.public_id)
    client.post(materials, {"_action": "preview", "material": "insurance_status"})
    client.post(materials, {"_action": "accept", "material": "insurance_status"})
    key = re.search(r'name="idempotency_key" value="(\w+)"', text(client.get(url("check", draft.public_id)))).group(1)
    response = client.post(url("check", draft.public_id), {"idempotency_key": key})
    assert response["Location"] == url("confirmation", draft.public_id)
    application = Application.objects.get()
    assert (application.state, application.instant) == ("approved", True)
    body = text(client.get(url("confirmation", draft.public_id)))
    assert '<div class="ap-panel"> <h1>Approved</h1>' in body
    decision = application.decisions.get(source="dmn:flexible_employment_insurance")
    assert "<caption>What the rules looked at</caption>" in body
    assert "<tr><th scope=\"row\">参保状态</th><td>暂停缴费</td></tr>" in body
    assert f"Rule that matched: <strong>{decision.matched_rules[0]}</strong> — {decision.explanation}" in body


# --- my applications, tracking, correction, withdrawal -------------------------------------------


def test_my_applications_and_the_tracking_page(english, as_user, people, catalogue):
    application = submit(people, fill_standard(people, catalogue))
    draft_of(people, catalogue.parallel)
    client = as_user("citizen_a")
    body = text(client.get(url("mine")))
    progress = body.split("<h2>In progress</h2>")[1].split("<h2>Concluded</h2>")[0]
    assert f'<a href="{url("detail", application.public_id)}">失业保险金申领</a>' in progress
    assert "医师执业注册" in body.split("<h2>Drafts</h2>")[1].split("<h2>In progress</h2>")[0]
    body = text(client.get(url("detail", application.public_id)))
    assert f"Reference {application.reference}" in body
    assert "<dt>Now</dt> <dd>窗口受理 · due " in body
    assert "Application submitted" in body  # the timeline
    assert "From: 人口综合库, fetched" in body  # the answers keep their provenance


def test_a_correction_is_made_on_its_page_and_resent(as_user, people, catalogue):
    application = submit(people, fill_standard(people, catalogue))
    act(people, "window", application, "intake", "correct", note="离职证明不清晰，请重新上传；离职日期有误。")
    client = as_user("citizen_a")
    body = text(client.get(url("detail", application.public_id)))
    assert "The department needs a correction from you" in body and "离职证明不清晰，请重新上传；离职日期有误。" in body
    page = url("correct", application.public_id)
    body = text(client.get(page))
    assert "离职证明不清晰" in body and 'name="left_on"' in body and 'name="resident_id"' not in body
    # a bad answer: shown, nothing changed
    before = snapshot(application)
    response = client.post(page, {"_action": "resubmit", "left_on": "2025-13-01", "reason": "contract_end",
                                  "applicant_name": "王芳", "mobile": A_MOBILE})
    assert response.status_code == 400
    assert summary_links(response) == [("#id_left_on", "“离职日期”: 2025-13-01 is not a date in the calendar")]
    assert snapshot(application) == before
    # a new file, then the corrected answer: back to the window
    new = SimpleUploadedFile("新证明.pdf", PDF, content_type="application/pdf")
    response = client.post(page, {"_action": "upload", "material": "leaving_proof", "m-leaving_proof-file": new})
    assert response["Location"] == f"{page}#material-leaving_proof"
    response = client.post(page, {"_action": "resubmit", "left_on": "2025-03-31", "reason": "contract_end",
                                  "applicant_name": "王芳", "mobile": A_MOBILE, "address": "浙江省杭州市西湖区天目山路8号2幢302室",
                                  "remarks": ""})
    assert response["Location"] == url("detail", application.public_id)
    application.refresh_from_db()
    assert (application.state, application.answers["left_on"]) == ("submitted", "2025-03-31")
    assert ApplicationMaterial.objects.get(application=application, material__code="leaving_proof").file_name == "新证明.pdf"


def test_withdrawing_needs_a_reason(as_user, people, catalogue):
    application = submit(people, fill_standard(people, catalogue))
    client = as_user("citizen_a")
    page = url("withdraw", application.public_id)
    before = snapshot(application)
    response = client.post(page, {"reason": ""})
    assert response.status_code == 400
    assert summary_links(response) == [("#id_reason", "Say why you withdraw the application.")]
    assert snapshot(application) == before
    response = client.post(page, {"reason": "已在线下办理"})
    assert response["Location"] == url("mine")
    application.refresh_from_db()
    assert (application.state, application.outcome_reason) == ("withdrawn", "已在线下办理")


# --- notices ------------------------------------------------------------------------------------


def test_notices_are_listed_and_marked_read(english, as_user, people, catalogue):
    application = submit(people, fill_standard(people, catalogue))
    client = as_user("citizen_a")
    notice = Notice.objects.get(user=people.user("citizen_a"))
    body = text(client.get(url("notices")))
    assert "1 unread notice." in body and f"Application {application.reference} received" in body
    response = client.post(url("notice-read", notice.public_id), {"open": "1"})
    assert response["Location"] == url("detail", application.public_id)
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert "0 unread notices." in text(client.get(url("notices")))


def test_someone_else_s_notice_is_not_found(as_user, people, catalogue):
    submit(people, fill_standard(people, catalogue))
    notice = Notice.objects.get(user=people.user("citizen_a"))
    client = as_user("citizen_b")
    assert client.post(url("notice-read", notice.public_id)).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None
    assert "You have no notices." in text(client.get(url("notices")))


# --- who may see what ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["detail", "materials", "check", "confirmation", "correct", "withdraw"])
def test_another_citizen_gets_not_found(as_user, people, catalogue, page):
    draft = fill_standard(people, catalogue)
    application = submit(people, draft) if page in ("detail", "confirmation", "correct") else draft
    before = snapshot(application)
    client = as_user("citizen_b")
    assert client.get(url(page, application.public_id)).status_code == 404
    if page not in ("detail", "confirmation"):  # pages that take a form
        response = client.post(url(page, application.public_id), {"reason": "x", "idempotency_key": "k"})
        assert response.status_code == 404
    assert snapshot(application) == before


def test_another_citizen_cannot_answer_or_download(as_user, people, catalogue):
    draft = fill_standard(people, catalogue)
    before = snapshot(draft)
    client = as_user("citizen_b")
    response = client.post(url("question", draft.public_id, "mobile"), {"mobile": "13900001111", "_action": "continue"})
    assert response.status_code == 404
    assert client.get(url("material-file", draft.public_id, "leaving_proof")).status_code == 404
    assert snapshot(draft) == before


def test_staff_do_not_apply_and_strangers_sign_in_first(client, as_user, people, catalogue):
    draft = draft_of(people, catalogue.standard)
    response = client.get(url("mine"))
    assert response.status_code == 302 and response["Location"].startswith("/account/login/?next=")
    assert client.get(url("question", draft.public_id, "mobile")).status_code == 302
    as_user("rs_case")
    assert client.get(url("mine")).status_code == 403
    assert client.get(url("question", draft.public_id, "mobile")).status_code == 403
    assert client.post(url("start", catalogue.standard.public_id)).status_code == 403
    assert Application.objects.count() == 1


def test_my_applications_page_does_not_grow_in_queries(as_user, people, catalogue, django_assert_max_num_queries):
    client = as_user("citizen_a")
    for number in range(3):
        submit(people, fill_standard(people, catalogue), key=f"k{number}")
    with django_assert_max_num_queries(8):
        assert client.get(url("mine")).status_code == 200



def test_a_company_applies_with_its_credit_code_from_its_account(as_user, people, catalogue):
    from ..conftest import USCC

    client = as_user("company")
    response = client.post(url("start", catalogue.simple.public_id))
    application = Application.objects.get()
    assert response["Location"] == url("question", application.public_id, "company_name")
    assert application.answers["uscc"] == USCC
    body = text(client.get(url("question", application.public_id, "uscc")))
    assert f'<p class="ap-readonly">{USCC}</p>' in body
    # the citizen who represents the company cannot see the company's application
    assert as_user("citizen_a").get(url("detail", application.public_id)).status_code == 404


def test_a_used_material_is_not_offered_again(as_user, people, catalogue):
    client = as_user("citizen_a")
    draft = fill_standard(people, catalogue)
    body = text(client.get(url("materials", draft.public_id)))
    shebao = body.split('id="material-shebao"')[1].split("</li>")[0]
    assert "You do not need to submit this" in shebao
    assert "Use this material" not in shebao and "Fetch and preview" not in shebao
    assert "Upload your own copy instead" in shebao


def test_a_staff_notice_leads_to_the_workspace(as_user, people, catalogue):
    from zhengtong.services.applications.notices import notice_create

    application = submit(people, fill_standard(people, catalogue))
    notice_create(user_id=people.user("rs_leader").id, title="逾期督办", application=application,
                  url="https://elsewhere.example/")
    stray = notice_create(user_id=people.user("rs_leader").id, title="外部链接", url="/\\elsewhere.example/")
    client = as_user("rs_leader")
    body = text(client.get(url("notices")))
    assert "2 unread notices." in body
    notice = Notice.objects.get(title="逾期督办")
    response = client.post(url("notice-read", notice.public_id), {"open": "1"})
    assert response["Location"] == f"/workspace/applications/{application.public_id}/"
    # a notice whose link leaves the site is only marked read
    response = client.post(url("notice-read", stray.public_id), {"open": "1"})
    assert response["Location"] == url("notices")
