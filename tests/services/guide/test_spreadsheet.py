"""Spreadsheet import and export in the standard layout: a round trip gives the same data, and a
bad file is refused as a whole with errors naming sheet, row and column."""

import io
import zipfile

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.services.guide.conftest import SYSTEM, guide_state, implementation_data, item_data, materials_data
from zhengtong.services.guide import services
from zhengtong.services.guide.models import ItemImplementation, Material, ServiceItem
from zhengtong.services.guide.spreadsheet import (
    MAIN_COLUMNS,
    MAIN_SHEET,
    MATERIAL_COLUMNS,
    MATERIALS_SHEET,
    SpreadsheetError,
    export_rows,
    guide_export,
    guide_import,
)

HEADERS = [title for title, _key in MAIN_COLUMNS]
MATERIAL_HEADERS = [title for title, _key in MATERIAL_COLUMNS]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def catalogue(guide_people):
    """A parent item with two sub-items; lists in every status, fees, every material source."""
    services.item_create(actor=SYSTEM, data=item_data(code="330000-RS-0100", name="职业培训", keywords=[]))
    services.item_create(actor=SYSTEM, data=item_data(parent="330000-RS-0100"))
    services.item_create(actor=SYSTEM, data=item_data(code="330000-RS-0102", name="技能等级认定", parent="330000-RS-0100",
                                                      item_type="confirmation", serving="both"))
    services.item_create(actor=SYSTEM, data=item_data(code="330000-SJ-0001", name="营业执照核发",
                                                      competent_department_kind="market_regulation",
                                                      serving="company", item_type="licensing", theme="开办企业"))
    xihu = services.implementation_create(
        actor=SYSTEM, item_code="330000-RS-0101", division_code="330106",
        data=implementation_data(fees=[{"name": "工本费", "amount_fen": 1500, "basis": "浙价费〔2017〕1号"},
                                       {"name": "邮寄费", "amount_fen": 0, "basis": ""}]),
        materials=[*materials_data(), {"code": "licence", "name": "营业执照", "source": "produced",
                                       "source_ref": "330000-SJ-0001"}])
    services.implementation_publish(actor=SYSTEM, public_id=xihu.public_id)
    hangzhou = services.implementation_create(
        actor=SYSTEM, item_code="330000-RS-0101", division_code="330100",
        data=implementation_data(department="330100-RS", visits=1, mobile=False, special_steps="专家评审（不计入时限）"))
    services.implementation_publish(actor=SYSTEM, public_id=hangzhou.public_id)
    services.implementation_suspend(actor=SYSTEM, public_id=hangzhou.public_id, reason="调整")
    services.implementation_create(actor=SYSTEM, item_code="330000-RS-0102", division_code="330106",
                                   data=implementation_data(instant=True, process="instant", decision="skill_level",
                                                            form_fields=[]))


def workbook(main: list[list], materials: list[list] | None = None, *, headers=None, material_headers=None,
             sheets=(MAIN_SHEET, MATERIALS_SHEET)) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    if MAIN_SHEET in sheets:
        sheet = book.create_sheet(MAIN_SHEET)
        sheet.append(headers or HEADERS)
        for row in main:
            sheet.append(row)
    if MATERIALS_SHEET in sheets:
        sheet = book.create_sheet(MATERIALS_SHEET)
        sheet.append(material_headers or MATERIAL_HEADERS)
        for row in materials or []:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main_row(**values) -> list:
    """One row of the main sheet: a valid new item and its Xihu list, with `values` by element key."""
    item = item_data(code="330000-MZ-0001", name="结婚登记", competent_department_kind="civil_affairs", keywords=[])
    implementation = implementation_data(department="330106-MZ", form_fields=[])
    merged = {**item, "keywords": "", "parent": "", "division": "330106", "status": "draft", **implementation,
              "fees": "", "form_fields": "", "online": "是", "mobile": "是", "instant": "否", **values}
    return [merged[key] for _title, key in MAIN_COLUMNS]


def material_row(**values) -> list:
    merged = {"item": "330000-MZ-0001", "division": "330106", "code": "id_card", "name": "居民身份证", "copies": 1,
              "form": "electronic", "required": "是", "source": "licence", "source_ref": "resident_id_card",
              "accepted_types": "", "max_bytes": 10485760, "basis": "", **values}
    return [merged[key] for _title, key in MATERIAL_COLUMNS]


def import_refused(content: bytes, actor=SYSTEM) -> list[str]:
    before = guide_state()
    with pytest.raises(SpreadsheetError) as caught:
        guide_import(actor=actor, content=content)
    assert guide_state() == before
    return caught.value.messages


def test_export_then_import_gives_the_same_data(catalogue):
    exported = export_rows(actor=SYSTEM)
    content = guide_export(actor=SYSTEM)
    main, materials = exported
    assert len(main) == 5  # three lists, and the two items with none (the parent, the licence item)
    assert len(materials) == 4
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    assert book.sheetnames == [MAIN_SHEET, MATERIALS_SHEET, "填写说明"]
    assert [c.value for c in next(book[MAIN_SHEET].iter_rows(max_row=1))] == HEADERS

    Material.objects.all().delete()
    ItemImplementation.objects.all().delete()
    ServiceItem.objects.filter(parent__isnull=False).delete()
    ServiceItem.objects.all().delete()
    result = guide_import(actor=SYSTEM, content=content)
    assert (result.items_created, result.items_updated, result.implementations_created,
            result.implementations_updated, result.published, result.suspended) == (4, 0, 3, 0, 2, 1)
    assert export_rows(actor=SYSTEM) == exported
    xihu = ItemImplementation.objects.get(item__code="330000-RS-0101", division__code="330106")
    assert xihu.fees == [{"name": "工本费", "amount_fen": 1500, "basis": "浙价费〔2017〕1号"},
                         {"name": "邮寄费", "amount_fen": 0, "basis": ""}]
    assert xihu.form_fields == implementation_data()["form_fields"]
    assert ServiceItem.objects.get(code="330000-RS-0101").parent.code == "330000-RS-0100"

    # The same file again changes nothing.
    before = guide_state()
    again = guide_import(actor=SYSTEM, content=content)
    assert (again.items_created, again.items_updated, again.implementations_created, again.implementations_updated,
            again.published, again.suspended) == (0, 0, 0, 0, 0, 0)
    assert guide_state() == before


def test_an_import_changes_what_the_file_changes(catalogue):
    main, materials = export_rows(actor=SYSTEM)
    promised = HEADERS.index("承诺期限（工作日）")
    row = next(r for r in main if r[0] == "330000-RS-0101" and r[len(HEADERS) - 21] == "330106")
    row[promised] = 3
    result = guide_import(actor=SYSTEM, content=workbook(main, materials))
    assert (result.implementations_updated, result.items_updated) == (1, 0)
    assert ItemImplementation.objects.get(item__code="330000-RS-0101", division__code="330106").promised_days == 3


def test_a_new_item_and_list_from_a_hand_made_file(guide_people):
    content = workbook([main_row(status="published", fees="工本费|1000|浙价费")],
                       [material_row(), material_row(code="photo", name="照片", source="upload", source_ref="",
                                                     accepted_types="jpg, png", required="否")])
    result = guide_import(actor=SYSTEM, content=content)
    assert (result.items_created, result.implementations_created, result.published) == (1, 1, 1)
    implementation = ItemImplementation.objects.get(item__code="330000-MZ-0001")
    assert (implementation.status, implementation.fees) == (
        "published", [{"name": "工本费", "amount_fen": 1000, "basis": "浙价费"}])
    assert [(m.code, m.source, m.required, m.accepted_types) for m in implementation.materials.order_by("position")] == [
        ("id_card", "licence", True, []), ("photo", "upload", False, ["jpg", "png"])]


@pytest.mark.parametrize(("values", "message"), [
    ({"promised_days": 30}, "Sheet “事项与实施清单” row 2, “承诺期限（工作日）”: The promised time limit (30 working days) "
                            "is longer than the statutory time limit (20 working days)"),
    ({"legal_days": "五天"}, "Sheet “事项与实施清单” row 2, “法定期限（工作日）”: The statutory time limit must be a whole "
                           "number of working days, not “五天”"),
    ({"visits": 1.5}, "Sheet “事项与实施清单” row 2, “到现场次数”: Visits on site must be a whole number from 0 to 9, "
                      "not “1.5”"),
    ({"department": "330106-XX"}, "Sheet “事项与实施清单” row 2, “实施机关编码”: There is no department with the code "
                                  "330106-XX"),
    ({"fees": "工本费|十元|浙价费"}, "Sheet “事项与实施清单” row 2, “收费”: line 1: the amount is a whole number of fen "
                                  "(分), not “十元”"),
    ({"form_fields": "[{"}, "Sheet “事项与实施清单” row 2, “表单字段（JSON）”: not valid JSON (Expecting property name "
                            "enclosed in double quotes: line 1 column 3 (char 2))"),
    ({"item_type": "许可"}, "Sheet “事项与实施清单” row 2, “事项类型”: “许可” is not an item type; one of licensing, "
                          "confirmation, adjudication, benefit, reward, filing, other_power, public_service"),
    ({"online": "也许"}, "Sheet “事项与实施清单” row 2, “网上办理”: Online application must be yes or no, not “也许”"),
    ({"status": "active"}, "Sheet “事项与实施清单” row 2, “状态”: “active” is not a status; one of draft、published、"
                           "suspended"),
    ({"division": "339999"}, "Sheet “事项与实施清单” row 2, “实施区划代码”: There is no division with the code 339999"),
])
def test_a_bad_cell_is_named_by_sheet_row_and_column(guide_people, values, message):
    assert import_refused(workbook([main_row(**values)], [])) == [message]


def test_a_bad_material_is_named_on_the_materials_sheet(guide_people):
    content = workbook([main_row()], [material_row(), material_row(code="photo", source="upload", source_ref="")])
    assert import_refused(content) == [
        "Sheet “申请材料” row 3: an uploaded material lists the file types accepted (e.g. pdf, jpg)"]
    content = workbook([main_row()], [material_row(item="330000-MZ-0009")])
    assert import_refused(content) == [
        "Sheet “申请材料” row 2: no row of “事项与实施清单” has item 330000-MZ-0009 at division 330106"]


def test_one_bad_row_and_nothing_is_imported(guide_people):
    good = main_row()
    second = main_row(code="330000-MZ-0002", name="离婚登记")
    bad = main_row(code="330000-MZ-0003", name="补领结婚证", promised_days=99, legal_days=10)
    messages = import_refused(workbook([good, second, bad], [material_row()]))
    assert messages == ["Sheet “事项与实施清单” row 4, “承诺期限（工作日）”: The promised time limit (99 working days) is "
                        "longer than the statutory time limit (10 working days)"]
    assert not ServiceItem.objects.filter(code__startswith="330000-MZ").exists()


def test_an_items_catalogue_columns_agree_on_all_its_rows(guide_people):
    messages = import_refused(workbook([main_row(), main_row(division="330100", department="330100-MZ",
                                                             name="结婚登记（杭州）")]))
    assert messages == ["Sheet “事项与实施清单” row 3, “事项名称”: differs from row 2: an item's catalogue columns are "
                        "the same on all its rows"]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "The file is empty"),
    ("事项编码,事项名称\n330000-MZ-0001,结婚登记\n".encode(),
     "The file is not an Excel workbook (.xlsx): save it as .xlsx and upload it again"),
    (b"%PDF-1.7\n", "The file is not an Excel workbook (.xlsx): save it as .xlsx and upload it again"),
])
def test_an_empty_or_non_xlsx_file_is_refused(guide_people, content, message):
    assert import_refused(content) == [message]


def test_a_zip_that_is_not_a_workbook_is_refused(guide_people):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "不是表格")
    assert import_refused(buffer.getvalue()) == [
        "The file is not an Excel workbook (.xlsx): save it as .xlsx and upload it again"]


def test_a_file_in_another_layout_is_refused(guide_people):
    assert import_refused(workbook([main_row()], sheets=(MAIN_SHEET,))) == [
        "Sheet “申请材料”: the sheet is missing; use the standard layout (export a file to start from)"]
    headers = [("承诺时限" if h == "承诺期限（工作日）" else h) for h in HEADERS]
    assert import_refused(workbook([main_row()], headers=headers)) == [
        "Sheet “事项与实施清单” row 1, “承诺期限（工作日）”: the column is missing",
        "Sheet “事项与实施清单” row 1, “承诺时限”: the column is not part of the standard layout"]
    assert import_refused(workbook([], [])) == ["Sheet “事项与实施清单”: no rows to import"]


def test_a_county_officer_imports_only_their_own_departments_lists(guide_people, catalogue):
    main, materials = export_rows(actor=guide_people.actor("rs_case"))
    # Xihu's RS lists only (two of them), and no item without a list: they do not keep the catalogue.
    assert sorted((row[0], row[len(HEADERS) - 21]) for row in main) == [
        ("330000-RS-0101", "330106"), ("330000-RS-0102", "330106")]
    promised = HEADERS.index("承诺期限（工作日）")
    for row in main:
        row[promised] = 2
    result = guide_import(actor=guide_people.actor("rs_case"), content=workbook(main, materials))
    assert result.implementations_updated == 2
    # A row for Hangzhou's list is refused, and so is the whole file.
    hangzhou = main_row(code="330000-RS-0101", name="职业技能培训补贴申领", competent_department_kind="human_resources",
                        keywords="培训补贴、技能提升", parent="330000-RS-0100", item_type="benefit", theme="就业创业",
                        basis=item_data()["basis"], division="330100", department="330100-RS")
    messages = import_refused(workbook([*main, hangzhou], materials), actor=guide_people.actor("rs_case"))
    assert messages == [
        "Sheet “事项与实施清单” row 4, “实施机关编码”: Only the implementing department's case officers and leaders, "
        "or the general office and big-data bureau of the division, keep this implementation list"]


def test_the_commands_export_and_import(catalogue, tmp_path):
    path = tmp_path / "guide.xlsx"
    out = io.StringIO()
    call_command("guide_export", str(path), stdout=out)
    assert out.getvalue().startswith(f"wrote {path} (")
    exported = export_rows(actor=SYSTEM)
    Material.objects.all().delete()
    ItemImplementation.objects.all().delete()
    ServiceItem.objects.filter(parent__isnull=False).delete()
    ServiceItem.objects.all().delete()
    out = io.StringIO()
    call_command("guide_import", str(path), stdout=out)
    assert out.getvalue().strip() == ("imported guide.xlsx: items 4 created, 0 updated; implementation lists 3 created, "
                                      "0 updated, 2 published, 1 suspended")
    assert export_rows(actor=SYSTEM) == exported
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(CommandError, match="nothing was imported:\n  The file is not an Excel workbook"):
        call_command("guide_import", str(bad))
    with pytest.raises(CommandError, match="no such file"):
        call_command("guide_import", str(tmp_path / "missing.xlsx"))
