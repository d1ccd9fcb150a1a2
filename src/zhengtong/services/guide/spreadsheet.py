"""The guide as a spreadsheet in the standard layout (xlsx), for bulk import and export.

Sheet “事项与实施清单”: one row per implementation list, the catalogue entry's columns first (the
same on every row of an item: 四级四同), then the implementation's; an item with no
implementation yet has one row with the implementation columns empty.
Sheet “申请材料”: one row per material, keyed by item code and division code, in order.
Sheet “填写说明”: what each column holds and the codes allowed (ignored on import).

Cells hold codes (item type `benefit`, source `shared`…), 是/否 for yes and no, whole numbers
of working days and of fen, fees one per line as `name|amount in fen|basis`, keywords and
file types separated by 、 or commas, and the form fields as the JSON list the implementation
stores (see forms.py).

Import is all or nothing: every row goes through the guide's services (so every rule and every
permission applies), and any error anywhere rolls the whole file back. Errors name the sheet, the
row and the column: “事项与实施清单” row 5, “承诺期限（工作日）”: the promised time limit (30
working days) is longer than the statutory time limit (20 working days).

openpyxl reads (it parses what Excel and WPS write), xlsxwriter writes (faster, smaller files).
"""

import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.models import DepartmentKind

from . import services
from .models import (
    HandlingKind,
    ImplementationStatus,
    ItemImplementation,
    ItemType,
    Material,
    MaterialSource,
    ServiceItem,
    ServingSubject,
)
from .permissions import Editor

MAIN_SHEET = "事项与实施清单"
MATERIALS_SHEET = "申请材料"
NOTES_SHEET = "填写说明"
YES, NO = "是", "否"
MAX_BYTES = 20 * 1024 * 1024  # a spreadsheet of the whole province's catalogue is a few MiB
MAX_ROWS = 50_000

# (header, element key) in the standard order.
ITEM_COLUMNS = (
    ("事项编码", "code"),
    ("事项名称", "name"),
    ("事项类型", "item_type"),
    ("主管部门类别", "competent_department_kind"),
    ("设定和实施依据", "basis"),
    ("上级事项编码", "parent"),
    ("办理项类型", "handling_kind"),
    ("服务对象", "serving"),
    ("主题", "theme"),
    ("关键词", "keywords"),
)
IMPLEMENTATION_COLUMNS = (
    ("实施区划代码", "division"),
    ("实施机关编码", "department"),
    ("状态", "status"),
    ("受理条件", "conditions"),
    ("法定期限（工作日）", "legal_days"),
    ("承诺期限（工作日）", "promised_days"),
    ("收费", "fees"),
    ("办理结果", "result_name"),
    ("结果证照类型", "result_licence_type"),
    ("到现场次数", "visits"),
    ("网上办理", "online"),
    ("掌上办理", "mobile"),
    ("秒办", "instant"),
    ("办理流程", "process"),
    ("决策表", "decision"),
    ("表单字段（JSON）", "form_fields"),
    ("办理地点", "place"),
    ("办理时间", "hours"),
    ("咨询方式", "consultation"),
    ("监督投诉方式", "complaints"),
    ("特殊环节", "special_steps"),
)
MAIN_COLUMNS = ITEM_COLUMNS + IMPLEMENTATION_COLUMNS
MATERIAL_COLUMNS = (
    ("事项编码", "item"),
    ("实施区划代码", "division"),
    ("材料编码", "code"),
    ("材料名称", "name"),
    ("份数", "copies"),
    ("介质", "form"),
    ("是否必需", "required"),
    ("来源", "source"),
    ("获取来源", "source_ref"),
    ("文件类型", "accepted_types"),
    ("大小上限（字节）", "max_bytes"),
    ("依据", "basis"),
)
BOOLEAN_KEYS = frozenset({"online", "mobile", "instant", "required"})
NUMBER_KEYS = frozenset({"legal_days", "promised_days", "visits", "copies", "max_bytes"})
MAIN_HEADER = {key: header for header, key in MAIN_COLUMNS}
MATERIAL_HEADER = {key: header for header, key in MATERIAL_COLUMNS}


class SpreadsheetError(ValidationError):
    """The file was refused: `.messages` lists every problem, each naming sheet, row and column."""


@dataclass
class ImportResult:
    items_created: int = 0
    items_updated: int = 0
    implementations_created: int = 0
    implementations_updated: int = 0
    published: int = 0
    suspended: int = 0


# --- Export ---------------------------------------------------------------------------------------


def _yes_no(value: bool) -> str:
    return YES if value else NO


def _fees_cell(fees: list[dict]) -> str:
    return "\n".join(f"{fee.get('name', '')}|{fee.get('amount_fen', 0)}|{fee.get('basis', '')}" for fee in fees or ())


def _item_cells(item: ServiceItem) -> list[Any]:
    return [
        item.code,
        item.name,
        item.item_type,
        item.competent_department_kind,
        item.basis,
        item.parent.code if item.parent_id else "",
        item.handling_kind,
        item.serving,
        item.theme,
        "、".join(item.keywords or ()),
    ]


def _implementation_cells(row: ItemImplementation) -> list[Any]:
    return [
        row.division.code,
        row.department.code,
        row.status,
        row.conditions,
        row.legal_days,
        row.promised_days,
        _fees_cell(row.fees),
        row.result_name,
        row.result_licence_type,
        row.visits,
        _yes_no(row.online),
        _yes_no(row.mobile),
        _yes_no(row.instant),
        row.process,
        row.decision,
        json.dumps(row.form_fields, ensure_ascii=False) if row.form_fields else "",
        row.place,
        row.hours,
        row.consultation,
        row.complaints,
        row.special_steps,
    ]


def _material_cells(item_code: str, division_code: str, material: Material) -> list[Any]:
    return [
        item_code,
        division_code,
        material.code,
        material.name,
        material.copies,
        material.form,
        _yes_no(material.required),
        material.source,
        material.source_ref,
        ",".join(material.accepted_types or ()),
        material.max_bytes,
        material.basis,
    ]


def export_rows(*, actor: Actor) -> tuple[list[list[Any]], list[list[Any]]]:
    """The main sheet's and the materials sheet's rows (without headers) the actor may export:
    everything for a trusted actor or the province's coordinators, else the lists they keep."""
    editor = Editor(actor)
    if not editor.is_staff:
        raise PermissionDenied(_("Only staff export the guide"))
    implementations = (
        ItemImplementation.objects.filter(editor.implementation_scope())
        .select_related("item__parent", "division", "department")
        .prefetch_related("materials")
        .order_by("item__code", "division__code")
    )
    whole_catalogue = editor.may_edit_items()
    items = ServiceItem.objects.select_related("parent").order_by("code") if whole_catalogue else ServiceItem.objects.none()
    main: list[list[Any]] = []
    materials: list[list[Any]] = []
    covered: set[int] = set()
    for row in implementations:
        covered.add(row.item_id)
        main.append(_item_cells(row.item) + _implementation_cells(row))
        for material in sorted(row.materials.all(), key=lambda m: (m.position, m.id)):
            materials.append(_material_cells(row.item.code, row.division.code, material))
    for item in items:
        if item.id not in covered:
            main.append(_item_cells(item) + [""] * len(IMPLEMENTATION_COLUMNS))
    main.sort(key=lambda cells: (cells[0], cells[len(ITEM_COLUMNS)]))
    return main, materials


def _notes() -> list[tuple[str, str]]:
    def codes(choices: Iterable[str]) -> str:
        return "、".join(choices)

    return [
        ("事项类型", codes(ItemType.values)),
        ("主管部门类别", codes(DepartmentKind.values)),
        ("办理项类型", codes(HandlingKind.values)),
        ("服务对象", codes(ServingSubject.values)),
        ("状态", codes(ImplementationStatus.values)),
        ("办理流程", codes(services.process_names())),
        ("收费", "每行一项：名称|金额（分，整数）|依据；免费留空"),
        ("网上办理、掌上办理、秒办、是否必需", f"{YES} 或 {NO}"),
        ("来源", codes(MaterialSource.values) + "（shared 填共享服务编码，licence 填证照类型，produced 填产生它的事项编码）"),
        ("介质", codes(services.MATERIAL_FORMS)),
        ("文件类型", codes(services.ACCEPTED_FILE_TYPES)),
        ("表单字段（JSON）", "[{\"name\", \"label\", \"kind\", \"required\", \"choices\", \"prefill\", \"help\", \"max_length\"}]"),
    ]


def guide_export(*, actor: Actor) -> bytes:
    """The xlsx file in the standard layout."""
    import xlsxwriter

    main, materials = export_rows(actor=actor)
    buffer = io.BytesIO()
    # constant_memory writes row by row: the whole province's catalogue stays small in memory.
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                            "strings_to_formulas": False, "strings_to_urls": False})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    for name, columns, rows in ((MAIN_SHEET, MAIN_COLUMNS, main), (MATERIALS_SHEET, MATERIAL_COLUMNS, materials)):
        sheet = workbook.add_worksheet(name)
        sheet.freeze_panes(1, 1)
        for number, (title, _key) in enumerate(columns):
            sheet.write_string(0, number, title, header)
            sheet.set_column(number, number, max(10, min(40, len(title) * 2 + 2)))
        for row_number, cells in enumerate(rows, start=1):
            for number, value in enumerate(cells):
                if isinstance(value, int) and not isinstance(value, bool):
                    sheet.write_number(row_number, number, value)
                else:
                    sheet.write_string(row_number, number, str(value or ""), wrap)
    notes = workbook.add_worksheet(NOTES_SHEET)
    notes.set_column(0, 0, 30)
    notes.set_column(1, 1, 100)
    notes.write_string(0, 0, "列", header)
    notes.write_string(0, 1, "填写说明", header)
    for number, (column, text) in enumerate(_notes(), start=1):
        notes.write_string(number, 0, column)
        notes.write_string(number, 1, text, wrap)
    workbook.close()
    return buffer.getvalue()


# --- Import ---------------------------------------------------------------------------------------


@dataclass
class _Row:
    sheet: str
    number: int  # as the spreadsheet numbers it (the header is row 1)
    values: dict[str, Any]


@dataclass
class _Errors:
    messages: list[str] = field(default_factory=list)

    def add(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        if row is None:
            self.messages.append(_("Sheet “%(sheet)s”: %(message)s") % {"sheet": sheet, "message": message})
        elif column is None:
            self.messages.append(_("Sheet “%(sheet)s” row %(row)s: %(message)s")
                                 % {"sheet": sheet, "row": row, "message": message})
        else:
            self.messages.append(_("Sheet “%(sheet)s” row %(row)s, “%(column)s”: %(message)s")
                                 % {"sheet": sheet, "row": row, "column": column, "message": message})

    def raise_if_any(self) -> None:
        if self.messages:
            raise SpreadsheetError(self.messages)


def _cell(value: Any) -> Any:
    """A cell as the services take it: text stripped, whole floats as ints (Excel stores 5 as 5.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _workbook(content: bytes):
    import openpyxl

    if not content:
        raise SpreadsheetError([_("The file is empty")])
    if len(content) > MAX_BYTES:
        raise SpreadsheetError([_("The file is larger than %(limit)s MiB") % {"limit": MAX_BYTES // 2**20}])
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise SpreadsheetError([_("The file is not an Excel workbook (.xlsx): save it as .xlsx and upload it again")])
    try:
        return openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (KeyError, InvalidFileException…) for a broken file
        raise SpreadsheetError(
            [_("The file is not an Excel workbook (.xlsx): save it as .xlsx and upload it again")]
        ) from None


def _read_sheet(workbook, name: str, columns: tuple[tuple[str, str], ...], errors: _Errors) -> list[_Row]:
    if name not in workbook.sheetnames:
        errors.add(name, None, None, _("the sheet is missing; use the standard layout (export a file to start from)"))
        return []
    rows = workbook[name].iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        errors.add(name, None, None, _("the sheet is empty: its first row names the columns"))
        return []
    titles = [str(h).strip() if h is not None else "" for h in header]
    while titles and not titles[-1]:
        titles.pop()
    expected = [title for title, _key in columns]
    missing = [title for title in expected if title not in titles]
    unknown = [title for title in titles if title and title not in expected]
    for title in missing:
        errors.add(name, 1, title, _("the column is missing"))
    for title in unknown:
        errors.add(name, 1, title, _("the column is not part of the standard layout"))
    if missing or unknown:
        return []
    keys = {index: dict(columns)[title] for index, title in enumerate(titles) if title}
    read: list[_Row] = []
    for number, cells in enumerate(rows, start=2):
        if number > MAX_ROWS:
            errors.add(name, number, None, _("too many rows: at most %(limit)s") % {"limit": MAX_ROWS})
            break
        if cells is None or all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        values = {key: _cell(cells[index]) if index < len(cells) else "" for index, key in keys.items()}
        read.append(_Row(name, number, values))
    return read


def _boolean_cell(value: Any) -> Any:
    if value in (YES, "yes", "Yes", "TRUE", "true", True, 1):
        return True
    if value in (NO, "no", "No", "FALSE", "false", False, 0, ""):
        return False
    return value  # the service names what is wrong with it


def _number_cell(value: Any) -> Any:
    return "" if value == "" else value


def _fees_parse(text: Any, row: _Row, errors: _Errors) -> list[dict] | None:
    if text in ("", None):
        return []
    fees = []
    for line_number, line in enumerate(str(text).splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3:
            errors.add(row.sheet, row.number, MAIN_HEADER["fees"],
                       _("line %(line)s should be name|amount in fen|basis") % {"line": line_number})
            return None
        name, amount, basis = parts
        if not amount.isdigit():
            errors.add(row.sheet, row.number, MAIN_HEADER["fees"],
                       _("line %(line)s: the amount is a whole number of fen (分), not “%(value)s”")
                       % {"line": line_number, "value": amount})
            return None
        fees.append({"name": name, "amount_fen": int(amount), "basis": basis})
    return fees


def _form_fields_parse(text: Any, row: _Row, errors: _Errors) -> list | None:
    if text in ("", None):
        return []
    try:
        return json.loads(str(text))
    except ValueError as error:
        errors.add(row.sheet, row.number, MAIN_HEADER["form_fields"],
                   _("not valid JSON (%(error)s)") % {"error": str(error)})
        return None


def _report(error: ValidationError, row: _Row, errors: _Errors, headers: dict[str, str],
            material_rows: list[_Row] | None = None) -> None:
    """Each message of a service's error on its sheet, row and column."""
    extra = {"item": headers.get("code"), "division": MAIN_HEADER["division"], "status": MAIN_HEADER["status"]}
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            errors.add(row.sheet, row.number, None, message)
        return
    for key, items in error.error_dict.items():
        for item in items:
            params = item.params or {}
            if key == "materials" and material_rows and "position" in params and "problem" in params:
                target = material_rows[params["position"] - 1]
                errors.add(target.sheet, target.number, None, str(params["problem"]))
                continue
            column = headers.get(key) or extra.get(key)
            if key == "materials" and material_rows:
                errors.add(material_rows[0].sheet, material_rows[0].number, None, " ".join(item.messages))
                continue
            errors.add(row.sheet, row.number, column, " ".join(item.messages))


def guide_import(*, actor: Actor, content: bytes) -> ImportResult:
    """Create or update every item, implementation list and material of the file, or nothing:
    SpreadsheetError lists every problem found. Statuses are applied too: a list marked
    published is published, one marked suspended is suspended (published first if new)."""
    editor = Editor(actor)
    if not editor.is_staff:
        raise PermissionDenied(_("Only staff import the guide"))
    workbook = _workbook(content)
    errors = _Errors()
    try:
        main = _read_sheet(workbook, MAIN_SHEET, MAIN_COLUMNS, errors)
        material_rows = _read_sheet(workbook, MATERIALS_SHEET, MATERIAL_COLUMNS, errors)
    finally:
        workbook.close()
    errors.raise_if_any()
    if not main:
        raise SpreadsheetError([_("Sheet “%(sheet)s”: no rows to import") % {"sheet": MAIN_SHEET}])

    # Catalogue entries: one per code, the same on every row of the item.
    items: dict[str, _Row] = {}
    for row in main:
        code = str(row.values["code"]).upper()
        row.values["code"] = code
        if not code:
            errors.add(row.sheet, row.number, MAIN_HEADER["code"], _("enter the item code"))
            continue
        first = items.get(code)
        if first is None:
            items[code] = row
            continue
        for _title, key in ITEM_COLUMNS:
            if first.values[key] != row.values[key]:
                errors.add(row.sheet, row.number, MAIN_HEADER[key],
                           _("differs from row %(row)s: an item's catalogue columns are the same on all its rows")
                           % {"row": first.number})
    # Materials by (item, division), in file order.
    materials: dict[tuple[str, str], list[_Row]] = {}
    places = {(str(row.values["code"]), str(row.values["division"])) for row in main if row.values["division"] != ""}
    for row in material_rows:
        key = (str(row.values["item"]).upper(), str(row.values["division"]))
        if key not in places:
            errors.add(row.sheet, row.number, None,
                       _("no row of “%(sheet)s” has item %(item)s at division %(division)s")
                       % {"sheet": MAIN_SHEET, "item": key[0], "division": key[1]})
            continue
        materials.setdefault(key, []).append(row)
    errors.raise_if_any()

    result = ImportResult()
    with transaction.atomic():
        failed = {row.values["code"] for row in _parents_first(items) if not _import_item(actor, row, errors, result)}
        seen: set[tuple[str, str]] = set()
        for row in main:
            if row.values["code"] in failed:  # its item's error is reported already
                continue
            if row.values["division"] == "":
                if any(row.values[key] not in ("", None) for _t, key in IMPLEMENTATION_COLUMNS):
                    errors.add(row.sheet, row.number, MAIN_HEADER["division"],
                               _("enter the division of the implementation list"))
                continue
            place = (row.values["code"], str(row.values["division"]))
            if place in seen:
                errors.add(row.sheet, row.number, MAIN_HEADER["division"],
                           _("item %(item)s at division %(division)s is on an earlier row too")
                           % {"item": place[0], "division": place[1]})
                continue
            seen.add(place)
            _import_implementation(actor, row, materials.get(place, []), errors, result)
        if errors.messages:
            transaction.set_rollback(True)
    errors.raise_if_any()
    return result


def _parents_first(items: dict[str, _Row]) -> list[_Row]:
    ordered: list[_Row] = []
    placed: set[str] = set()

    def place(code: str, trail: tuple[str, ...] = ()) -> None:
        if code in placed or code not in items or code in trail:
            return
        parent = str(items[code].values["parent"]).upper()
        if parent:
            place(parent, (*trail, code))
        placed.add(code)
        ordered.append(items[code])

    for code in sorted(items, key=lambda c: items[c].number):
        place(code)
    return ordered


def _import_item(actor: Actor, row: _Row, errors: _Errors, result: ImportResult) -> bool:
    """Create or update the row's catalogue entry; False when it was refused."""
    data = {key: row.values[key] for _title, key in ITEM_COLUMNS}
    headers = {key: title for title, key in ITEM_COLUMNS}
    existing = ServiceItem.objects.filter(code=data["code"]).select_related("parent").first()
    try:
        with transaction.atomic():
            if existing is None:
                services.item_create(actor=actor, data=data)
                result.items_created += 1
            elif [str(value) for value in _item_cells(existing)] != [str(data[key]) for _t, key in ITEM_COLUMNS]:
                # Only a changed entry goes through item_update (and its permission check): a
                # county's file repeats the province's catalogue columns unchanged.
                changes = {key: value for key, value in data.items() if key != "code"}
                before = _item_cells(existing)
                item = services.item_update(actor=actor, code=existing.code, data=changes)
                result.items_updated += int(_item_cells(item) != before)
    except ValidationError as error:
        _report(error, row, errors, headers)
        return False
    except PermissionDenied as error:
        errors.add(row.sheet, row.number, None, str(error))
        return False
    return True


def _import_implementation(actor: Actor, row: _Row, material_rows: list[_Row], errors: _Errors,
                           result: ImportResult) -> None:
    before = len(errors.messages)
    data: dict[str, Any] = {}
    for _title, key in IMPLEMENTATION_COLUMNS:
        if key in ("division", "status"):
            continue
        value = row.values[key]
        if key in BOOLEAN_KEYS:
            value = _boolean_cell(value)
        elif key == "fees":
            value = _fees_parse(value, row, errors)
        elif key == "form_fields":
            value = _form_fields_parse(value, row, errors)
        data[key] = value
    status = str(row.values["status"] or ImplementationStatus.DRAFT)
    if status not in ImplementationStatus.values:
        errors.add(row.sheet, row.number, MAIN_HEADER["status"],
                   _("“%(value)s” is not a status; one of %(choices)s")
                   % {"value": status, "choices": "、".join(ImplementationStatus.values)})
    materials = []
    for material_row in material_rows:
        values = {key: material_row.values[key] for _title, key in MATERIAL_COLUMNS if key not in ("item", "division")}
        values["required"] = _boolean_cell(values["required"])
        materials.append(values)
    if len(errors.messages) != before:
        return
    headers = {key: title for title, key in IMPLEMENTATION_COLUMNS}
    division_code = str(row.values["division"])
    existing = ItemImplementation.objects.filter(item__code=row.values["code"], division__code=division_code).first()
    try:
        with transaction.atomic():
            if existing is None:
                implementation = services.implementation_create(
                    actor=actor, item_code=row.values["code"], division_code=division_code, data=data,
                    materials=materials,
                )
                result.implementations_created += 1
            else:
                stamp = existing.updated_at
                implementation = services.implementation_update(
                    actor=actor, public_id=existing.public_id, data=data, materials=materials
                )
                result.implementations_updated += int(implementation.updated_at != stamp)
            _apply_status(actor, implementation, status, result)
    except ValidationError as error:
        _report(error, row, errors, {**headers, "item": MAIN_HEADER["code"]}, material_rows)
    except PermissionDenied as error:
        errors.add(row.sheet, row.number, MAIN_HEADER["department"], str(error))


def _apply_status(actor: Actor, implementation: ItemImplementation, status: str, result: ImportResult) -> None:
    current = implementation.status
    if status == current:
        return
    if status == ImplementationStatus.DRAFT:
        raise ValidationError({"status": _("A published or suspended list cannot return to draft; suspend it instead")})
    if status in (ImplementationStatus.PUBLISHED, ImplementationStatus.SUSPENDED) and current != ImplementationStatus.PUBLISHED:
        services.implementation_publish(actor=actor, public_id=implementation.public_id)
        result.published += 1
    if status == ImplementationStatus.SUSPENDED:
        services.implementation_suspend(actor=actor, public_id=implementation.public_id,
                                        reason=_("Suspended by spreadsheet import"))
        result.suspended += 1
