"""The guide's pages: the portal, an item's guide, the finder (public), and the workspace's lists,
edit form, publishing, import and export (staff)."""

import io
import json

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.services.guide.conftest import (
    CATALOGUE,
    SYSTEM,
    catalogue_load,
    guide_state,
    implementation_data,
    item_data,
)
from zhengtong.services.guide import services
from zhengtong.services.guide.models import ItemImplementation, Material

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def page(client, url, status=200, **extra):
    response = client.get(url, **extra)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


# --- the portal ---------------------------------------------------------------------------------


def test_the_portal_lists_and_searches_published_items(client, listed):
    html = page(client, "/services/", **EN)
    for name in ("失业保险金申领", "企业营业执照变更登记", "新生儿入户", "出生医学证明核发", "职业技能培训补贴申领"):
        assert name in html
    assert "社会保障卡补办" not in html and "住房公积金提取" not in html  # a draft, a suspended list
    assert '<label class="zt-label" for="gd-q">Search services</label>' in html
    assert "6 services" in html
    html = page(client, "/services/?q=营业执照", **EN)
    assert "1 service matches “营业执照”" in html and "企业营业执照变更登记" in html and "失业保险金申领" not in html
    html = page(client, "/services/?q=驾驶证", **EN)
    assert "0 services match “驾驶证”" in html and "No service matches." in html


def test_the_tabs_themes_and_facets_narrow_the_list(client, listed):
    html = page(client, "/services/?serving=company&division=all", **EN)
    assert "企业营业执照变更登记" in html and "出生医学证明核发" in html and "失业保险金申领" not in html
    assert 'aria-current="page">For companies</a>' in html
    html = page(client, "/services/?theme=生育收养&division=all", **EN)
    assert "新生儿入户" in html and "出生医学证明核发" in html and "2 services" in html
    html = page(client, "/services/?type=benefit&division=all", **EN)
    assert "失业保险金申领" in html and "职业技能培训补贴申领" in html and "新生儿入户" not in html
    assert "Remove this filter" in html


def test_a_citizen_sees_their_own_area_first(client, listed, guide_people):
    client.force_login(guide_people.users["citizen_a"])  # 王芳 of Xihu
    html = page(client, "/services/", **EN)
    assert "出生医学证明核发" not in html  # published in Binjiang only
    assert '<option value="330106" selected>西湖区</option>' in html
    html = page(client, "/services/?division=330108", **EN)
    assert "出生医学证明核发" in html and "失业保险金申领" not in html
    html = page(client, "/services/?division=all", **EN)
    assert "出生医学证明核发" in html and "失业保险金申领" in html


def test_the_list_pages_queries_do_not_grow_with_the_items(client, departments):
    def count() -> int:
        client.get("/services/?q=培训补贴&division=330106")  # jieba and caches warm
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/services/?q=培训补贴&division=330106").status_code == 200
        return len(queries)

    few = {f"330000-RS-{n:04d}": (f"技能培训补贴申领{n}", "human_resources", "citizen", "benefit", "就业创业", [],
                                  [("330106", "330106-RS", "published")], "") for n in range(3)}
    catalogue_load(few)
    before = count()
    more = {f"330000-RS-{n:04d}": (f"技能培训补贴申领{n}", "human_resources", "citizen", "benefit", f"主题{n % 4}", [],
                                   [("330106", "330106-RS", "published"), ("330000", "330000-RS", "published")], "")
            for n in range(3, 40)}
    catalogue_load(more)
    assert count() == before


# --- an item's guide ----------------------------------------------------------------------------


def test_the_item_guide_shows_every_element_and_the_start_button(client, listed):
    html = page(client, "/services/items/330000-RS-0101/", **EN)
    assert "<h1>职业技能培训补贴申领</h1>" in html
    assert "Handled by 西湖区人力资源和社会保障局 (西湖区)." in html
    assert f'href="/services/apply/{listed.public_id}/"' in html
    assert implementation_data()["conditions"] in html
    assert "No need to submit: fetched from shared data" in html  # 社会保险参保证明
    assert "E-licence" in html  # 职业资格证书
    assert "Upload (pdf, jpg, at most 2.0\xa0MB)" in html  # 培训费发票
    assert "《浙江省职业技能培训补贴管理办法》" in html
    assert "2 materials fetched for you" in html
    assert "5 working days" in html and "20 working days" in html
    assert "None: zero visits (跑零次)" in html
    assert "工本费: 15.00 yuan" in html and "浙价费〔2017〕1号" in html
    assert "培训补贴发放" in html and item_data()["basis"] in html
    for element in ("西湖区民生服务中心（文三路 1 号）", "工作日 9:00-17:00", "0571-12345", "12345 政务服务热线", "现场核验原件"):
        assert element in html
    assert "A case officer of the department reviews it" in html  # the standard process's steps


def test_the_item_guide_follows_the_area_and_hides_unpublished_items(client, listed):
    html = page(client, "/services/items/330000-GA-0001/?division=330106004", **EN)
    assert "Handled by 杭州市公安局 (杭州市)." in html
    assert "Your area has no list of its own for this service: 杭州市's applies." in html
    # Offered in Binjiang only: Ningbo's visitor reads Binjiang's guide, without a start button.
    html = page(client, "/services/items/330000-WJ-0001/?division=330203", **EN)
    assert "This service is not offered in your area: this is 滨江区's guide." in html
    assert "/services/apply/" not in html
    html = page(client, "/services/items/330000-WJ-0001/?division=330108", **EN)
    assert "/services/apply/" in html and "not offered in your area" not in html
    page(client, "/services/items/330000-RS-0002/", status=404)  # a draft
    page(client, "/services/items/330000-ZJ-0001/", status=404)  # suspended
    page(client, "/services/items/NO-SUCH/", status=404)


def test_an_item_not_applied_for_online_has_no_start_button(client, departments):
    services.item_create(actor=SYSTEM, data=item_data(code="330000-MZ-0001", name="结婚登记",
                                                      competent_department_kind="civil_affairs"))
    made = services.implementation_create(actor=SYSTEM, item_code="330000-MZ-0001", division_code="330106",
                                          data=implementation_data(department="330106-MZ", online=False,
                                                                   mobile=False, visits=1))
    services.implementation_publish(actor=SYSTEM, public_id=made.public_id)
    html = page(client, "/services/items/330000-MZ-0001/", **EN)
    assert "/services/apply/" not in html
    assert "This service is not applied for online: apply at the place below." in html
    assert "At most 1 visit" in html


# --- the finder -----------------------------------------------------------------------------------


@pytest.fixture
def finder(listed):
    services.finder_question_save(actor=SYSTEM, code="family", text="家里有什么事？", answers=[
        {"code": "baby", "label": "孩子出生", "themes": ["生育收养"]},
        {"code": "job", "label": "失业了", "items": ["330000-RS-0001", "330000-RS-0101"]}])
    services.finder_question_save(actor=SYSTEM, code="who", text="您要为谁办事？", is_start=True, answers=[
        {"code": "me", "label": "我自己和家人", "next": "family"},
        {"code": "company", "label": "我的企业", "themes": ["开办企业"]}])


def test_the_finder_asks_one_question_a_page_and_ends_with_items(client, finder):
    html = page(client, "/services/finder/?division=all", **EN)
    assert "<h1>您要为谁办事？</h1>" in html and "Question 1" in html
    assert 'href="/services/finder/?a=me&amp;division=all">我自己和家人</a>' in html
    html = page(client, "/services/finder/?a=me&division=all", **EN)
    assert "<h1>家里有什么事？</h1>" in html and "Question 2" in html
    assert 'href="/services/finder/?division=all">Back</a>' in html
    html = page(client, "/services/finder/?a=me&a=job&division=all", **EN)
    assert "Services that match your answers" in html
    assert html.index("失业保险金申领") < html.index("职业技能培训补贴申领")  # in the answer's order
    assert "<dt>您要为谁办事？</dt><dd>我自己和家人</dd>" in html
    html = page(client, "/services/finder/?a=me&a=baby&division=330108", **EN)
    assert "新生儿入户" in html and "出生医学证明核发" in html  # Hangzhou's list, Binjiang's own
    html = page(client, "/services/finder/?a=me&a=baby&division=330106", **EN)
    assert "新生儿入户" in html and "出生医学证明核发" not in html


def test_a_stale_finder_link_starts_again(client, finder):
    html = page(client, "/services/finder/?a=me&a=nothing", **EN)
    assert "<h1>您要为谁办事？</h1>" in html


def test_without_questions_the_finder_says_so(client, departments):
    html = page(client, "/services/finder/", status=404, **EN)
    assert "The guided finder is not set up yet" in html


# --- the workspace --------------------------------------------------------------------------------


@pytest.fixture
def staff_client(guide_people, no_totp):
    def make(name: str) -> Client:
        client = Client(**EN)
        client.force_login(guide_people.users[name])
        return client
    return make


def edit_post(implementation, **changes) -> dict:
    data = implementation_data(**changes)
    post = {key: value for key, value in data.items() if key not in ("fees", "form_fields", "online", "mobile",
                                                                      "instant")}
    post["fees"] = "\n".join(f"{f['name']}|{f['amount_fen']}|{f['basis']}" for f in data["fees"])
    post["form_fields"] = json.dumps(data["form_fields"], ensure_ascii=False)
    for flag in ("online", "mobile", "instant"):
        if data[flag]:
            post[flag] = "on"
    materials = list(implementation.materials.order_by("position", "id")) if implementation else []
    post.update({"materials-TOTAL_FORMS": str(len(materials) + 1), "materials-INITIAL_FORMS": str(len(materials)),
                 "materials-MIN_NUM_FORMS": "0", "materials-MAX_NUM_FORMS": "1000"})
    for number, material in enumerate(materials):
        post.update({f"materials-{number}-{key}": value for key, value in {
            "code": material.code, "name": material.name, "copies": material.copies, "form": material.form,
            "source": material.source, "source_ref": material.source_ref,
            "accepted_types": ", ".join(material.accepted_types), "max_bytes": material.max_bytes,
            "basis": material.basis}.items()})
        if material.required:
            post[f"materials-{number}-required"] = "on"
    return post


def test_staff_pages_need_a_staff_sign_in(client, listed):
    response = client.get("/workspace/guide/")
    assert response.status_code == 302 and "/account/" in response["Location"]


def test_the_list_shows_the_lists_the_officer_keeps(staff_client, listed):
    html = page(staff_client("rs_case"), "/workspace/guide/")
    assert "职业技能培训补贴申领" in html and "失业保险金申领" in html and "工伤保险待遇核定" in html
    assert "社会保障卡补办" in html  # its own draft
    assert "新生儿入户" not in html and "企业营业执照变更登记" not in html  # other departments'
    assert "4 implementation lists" in html
    html = page(staff_client("rs_case"), "/workspace/guide/?status=draft")
    assert "1 implementation list" in html and "社会保障卡补办" in html
    html = page(staff_client("hz_dsj_admin"), "/workspace/guide/?q=入户")
    assert "新生儿入户" in html and "1 implementation list" in html


def test_the_lists_queries_do_not_grow_with_the_rows(staff_client, departments, guide_people):
    client = staff_client("zj_dsj_admin")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/workspace/guide/").status_code == 200
        return len(queries)

    catalogue_load({k: v for k, v in list(CATALOGUE.items())[:2]})
    before = count()
    catalogue_load({k: v for k, v in list(CATALOGUE.items())[2:]})
    assert count() == before


def test_another_departments_list_is_not_found(staff_client, listed):
    hangzhou_ga = ItemImplementation.objects.get(item__code="330000-GA-0001")
    for url in (f"/workspace/guide/implementations/{hangzhou_ga.public_id}/",
                f"/workspace/guide/implementations/{hangzhou_ga.public_id}/suspend/"):
        assert staff_client("rs_case").get(url).status_code == 404
    before = guide_state()
    response = staff_client("rs_case").post(f"/workspace/guide/implementations/{hangzhou_ga.public_id}/publish/")
    assert response.status_code == 404
    assert guide_state() == before


def test_an_edit_with_errors_shows_them_linked_to_their_fields_and_changes_nothing(staff_client, listed):
    client = staff_client("rs_case")
    url = f"/workspace/guide/implementations/{listed.public_id}/"
    before = guide_state()
    response = client.post(url, edit_post(listed, promised_days=30))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div class="zt-error-summary" role="alert"' in html
    assert ('<li><a href="#id_promised_days">The promised time limit (30 working days) is longer than the statutory '
            'time limit (20 working days)</a></li>') in html
    assert 'aria-invalid="true"' in html
    assert guide_state() == before


def test_a_material_error_is_shown_on_its_row(staff_client, listed):
    post = edit_post(listed)
    post["materials-1-source_ref"] = ""  # 社会保险参保证明 fetched from shared data, from nowhere
    before = guide_state()
    html = staff_client("rs_case").post(f"/workspace/guide/implementations/{listed.public_id}/", post).content.decode()
    assert "a material fetched from shared data names the sharing service" in html
    assert '<a href="#id_materials-1-code">a material fetched from shared data names the sharing service</a>' in html
    assert guide_state() == before


def test_an_edit_saves_and_keeps_the_unchanged_materials(staff_client, listed):
    client = staff_client("rs_case")
    post = edit_post(listed, promised_days=3, fees=[{"name": "工本费", "amount_fen": 500, "basis": ""}])
    post.update({"materials-3-code": "photo", "materials-3-name": "照片", "materials-3-copies": "1",
                 "materials-3-form": "electronic", "materials-3-source": "upload", "materials-3-accepted_types": "jpg",
                 "materials-3-max_bytes": "1048576", "materials-3-required": "on"})
    post["materials-0-DELETE"] = "on"  # 职业资格证书 goes
    response = client.post(f"/workspace/guide/implementations/{listed.public_id}/", post)
    assert response.status_code == 302
    listed.refresh_from_db()
    assert (listed.promised_days, listed.fees) == (3, [{"name": "工本费", "amount_fen": 500, "basis": ""}])
    assert [m.code for m in listed.materials.order_by("position")] == ["shebao", "invoice", "photo"]
    html = page(client, response["Location"])
    assert "The implementation list is saved." in html


def test_new_publish_and_suspend_from_the_workspace(staff_client, guide_people, listed):
    client = staff_client("sj_case")
    services.item_create(actor=SYSTEM, data=item_data(code="330000-SJ-0002", name="食品经营许可",
                                                      competent_department_kind="market_regulation"))
    post = edit_post(None, department="330106-SJ")
    post.update({"item_code": "330000-SJ-0002", "division": "330106"})
    response = client.post("/workspace/guide/implementations/new/", post)
    assert response.status_code == 302
    made = ItemImplementation.objects.get(item__code="330000-SJ-0002")
    assert (made.status, made.department.code) == ("draft", "330106-SJ")
    # Another department's code in the form: refused on the field.
    post.update({"item_code": "330000-SJ-0002", "division": "330108", "department": "330108-SJ"})
    html = client.post("/workspace/guide/implementations/new/", post).content.decode()
    assert '<a href="#id_department">You do not keep the implementation lists of this department</a>' in html

    response = client.post(f"/workspace/guide/implementations/{made.public_id}/publish/")
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.status == "published"
    html = page(client, f"/workspace/guide/implementations/{made.public_id}/suspend/")
    assert '<label class="zt-label" for="id_reason">Why is it suspended?</label>' in html
    html = client.post(f"/workspace/guide/implementations/{made.public_id}/suspend/", {"reason": ""}).content.decode()
    assert '<a href="#id_reason">This field is required.</a>' in html
    response = client.post(f"/workspace/guide/implementations/{made.public_id}/suspend/", {"reason": "窗口调整"})
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.status == "suspended"


def test_export_and_import_from_the_workspace(staff_client, listed):
    client = staff_client("rs_case")
    response = client.get("/workspace/guide/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="guide-')
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book["事项与实施清单"].iter_rows(values_only=True))
    assert len(rows) == 5  # the header and the officer's four lists
    promised = rows[0].index("承诺期限（工作日）")
    sheet = book["事项与实施清单"]
    for number in range(2, 6):
        sheet.cell(row=number, column=promised + 1, value=1)
    buffer = io.BytesIO()
    book.save(buffer)
    upload = io.BytesIO(buffer.getvalue())
    upload.name = "guide.xlsx"
    response = client.post("/workspace/guide/import/", {"file": upload})
    assert response.status_code == 302
    assert set(ItemImplementation.objects.filter(department__code="330106-RS").values_list("promised_days",
                                                                                           flat=True)) == {1}
    html = page(client, response["Location"])
    assert "4 implementation lists created" not in html and "4 changed" in html

    bad = io.BytesIO(b"not a spreadsheet")
    bad.name = "guide.xlsx"
    before = guide_state()
    html = client.post("/workspace/guide/import/", {"file": bad}).content.decode()
    assert '<a href="#id_file">Nothing was imported: the file has 1 problems, listed below.</a>' in html
    assert "<li>The file is not an Excel workbook (.xlsx): save it as .xlsx and upload it again</li>" in html
    assert guide_state() == before


def test_material_rows_keep_their_materials_ids(staff_client, listed):
    ids = dict(Material.objects.filter(implementation=listed).values_list("code", "id"))
    response = staff_client("rs_case").post(f"/workspace/guide/implementations/{listed.public_id}/",
                                            edit_post(listed, hours="工作日 8:30-17:30"))
    assert response.status_code == 302
    assert dict(Material.objects.filter(implementation=listed).values_list("code", "id")) == ids
