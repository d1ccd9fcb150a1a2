"""Writes to the guide: catalogue entries, implementation lists and their materials, the finder.

Every service checks who is acting first (permissions.Editor), then every value it was given,
and only then writes, in one transaction: a rejected call changes nothing. Errors are
ValidationError keyed by the element (`legal_days`, `materials`…) with messages that say what
is wrong with the value given; PermissionDenied when the actor may not edit the row.

四级四同: an item's name, code, type and legal basis live on the catalogue entry (ServiceItem)
and are the same at every level; an implementation list only varies the rest, so asking an
implementation to change them is refused with a message pointing at the catalogue.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.events.public import publish
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ledger.public import ledger_append
from zhengtong.kernel.org.models import Department, DepartmentKind, Division

from .forms import form_fields_parse
from .indexing import item_index
from .models import (
    FinderQuestion,
    HandlingKind,
    ImplementationStatus,
    ItemImplementation,
    ItemType,
    Material,
    MaterialSource,
    ServiceItem,
    ServingSubject,
)
from .permissions import Editor, implementation_editor_check
from .selectors import access_implementation

ITEM_CODE = re.compile(r"^[0-9A-Z][0-9A-Z-]{1,63}$")
PROCESS_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
MATERIAL_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
FINDER_CODE = MATERIAL_CODE

# The processes applications ships (applications/processes/*.bpmn); a deployment that adds its
# own lists them all in the GUIDE_PROCESS_NAMES setting. The guide cannot import applications.
DEFAULT_PROCESS_NAMES = ("instant", "standard", "simple", "parallel_review")
INSTANT_PROCESS = "instant"
ACCEPTED_FILE_TYPES = ("pdf", "ofd", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx")
MATERIAL_FORMS = ("electronic", "paper", "both")
MAX_DAYS = 365  # no statutory limit of a service item is longer than a year of working days
MAX_VISITS = 9
MAX_COPIES = 99
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_LONG_TEXT = 10_000
MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 32

ITEM_KEYS = (
    "code",
    "name",
    "item_type",
    "competent_department_kind",
    "basis",
    "parent",
    "handling_kind",
    "serving",
    "theme",
    "keywords",
)
# The elements an implementation varies (and its department, by code).
IMPLEMENTATION_KEYS = (
    "department",
    "conditions",
    "legal_days",
    "promised_days",
    "fees",
    "result_name",
    "result_licence_type",
    "visits",
    "online",
    "mobile",
    "instant",
    "process",
    "decision",
    "form_fields",
    "place",
    "hours",
    "consultation",
    "complaints",
    "special_steps",
)
# 四级四同: what lives on the catalogue entry only.
CATALOGUE_KEYS = ("name", "code", "item_type", "basis")
MATERIAL_KEYS = ("code", "name", "copies", "basis", "form", "required", "source", "source_ref", "accepted_types", "max_bytes")

TEXT_LIMITS = {
    "conditions": MAX_LONG_TEXT,
    "special_steps": MAX_LONG_TEXT,
    "result_name": 200,
    "place": 255,
    "hours": 255,
    "consultation": 255,
    "complaints": 255,
}


class Problems:
    """Errors found so far, by element; raised together so a form shows them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list] = {}

    def add(self, element: str, message, /, **params: Any) -> None:
        # The params stay on the error (formatted when shown), so the spreadsheet import can
        # point a material's problem at its own row.
        self.errors.setdefault(element, []).append(ValidationError(message, code=element, params=params or None))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _whole_number(value: Any) -> int | None:
    """An int from an int or a string of digits; None for anything else (floats, booleans, words)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        folded = value.strip().lower()
        if folded in ("true", "yes", "1", "是", "y"):
            return True
        if folded in ("false", "no", "0", "否", "n"):
            return False
    return None


def process_names() -> tuple[str, ...]:
    return tuple(getattr(settings, "GUIDE_PROCESS_NAMES", DEFAULT_PROCESS_NAMES))


def _actor_label(actor: Actor) -> str:
    """Who acted, as the ledger names them (the scheme the other modules use)."""
    return f"{actor.kind}:{actor.user_id}" if actor.user_id is not None else actor.kind


# --- Catalogue entries (事项目录) ------------------------------------------------------------------


def _item_values(data: Mapping[str, Any], problems: Problems, *, current: ServiceItem | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in data:
        if key not in ITEM_KEYS:
            problems.add(key, _("“%(key)s” is not an element of a catalogue entry"), key=key)
    if current is None or "code" in data:
        code = _text(data.get("code")).upper()
        if current is not None and code != current.code:
            problems.add("code", _("An item's code cannot change (it is %(code)s); create a new item instead"),
                         code=current.code)
        elif not code:
            problems.add("code", _("Enter the item code"))
        elif not ITEM_CODE.match(code):
            problems.add("code", _("The item code “%(code)s” may hold only capital letters, digits and hyphens "
                                   "(2 to 64 characters, starting with a letter or digit)"), code=code)
        elif current is None and ServiceItem.objects.filter(code=code).exists():
            problems.add("code", _("There is already an item with the code %(code)s"), code=code)
        values["code"] = code
    if current is None or "name" in data:
        name = _text(data.get("name"))
        if not name:
            problems.add("name", _("Enter the item name"))
        elif len(name) > 200:
            problems.add("name", _("The item name has %(length)s characters; at most 200"), length=len(name))
        values["name"] = name
    if current is None or "item_type" in data:
        item_type = _text(data.get("item_type"))
        if item_type not in ItemType.values:
            problems.add("item_type", _("“%(value)s” is not an item type; one of %(choices)s"), value=item_type,
                         choices=", ".join(ItemType.values))
        values["item_type"] = item_type
    if current is None or "competent_department_kind" in data:
        kind = _text(data.get("competent_department_kind"))
        if kind not in DepartmentKind.values:
            problems.add("competent_department_kind", _("“%(value)s” is not a kind of department; one of %(choices)s"),
                         value=kind, choices=", ".join(DepartmentKind.values))
        values["competent_department_kind"] = kind
    if current is None or "basis" in data:
        basis = _text(data.get("basis"))
        if not basis:
            problems.add("basis", _("Enter the legal basis (设定和实施依据): the laws and regulations that set the item"))
        elif len(basis) > MAX_LONG_TEXT:
            problems.add("basis", _("The legal basis has %(length)s characters; at most %(limit)s"),
                         length=len(basis), limit=MAX_LONG_TEXT)
        values["basis"] = basis
    if current is None or "handling_kind" in data:
        handling = _text(data.get("handling_kind")) or HandlingKind.NEW
        if handling not in HandlingKind.values:
            problems.add("handling_kind", _("“%(value)s” is not a handling kind; one of %(choices)s"), value=handling,
                         choices=", ".join(HandlingKind.values))
        values["handling_kind"] = handling
    if current is None or "serving" in data:
        serving = _text(data.get("serving"))
        if serving not in ServingSubject.values:
            problems.add("serving", _("“%(value)s” is not who may apply; one of %(choices)s"), value=serving,
                         choices=", ".join(ServingSubject.values))
        values["serving"] = serving
    if current is None or "theme" in data:
        theme = _text(data.get("theme"))
        if len(theme) > 64:
            problems.add("theme", _("The theme has %(length)s characters; at most 64"), length=len(theme))
        values["theme"] = theme
    if current is None or "keywords" in data:
        values["keywords"] = _keywords(data.get("keywords"), problems)
    if current is None or "parent" in data:
        values["parent"] = _parent(_text(data.get("parent")).upper(), problems, current=current)
    return values


def _keywords(raw: Any, problems: Problems) -> list[str]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        raw = re.split(r"[,，、;；\n]", raw)
    if not isinstance(raw, (list, tuple)) or not all(isinstance(k, str) for k in raw):
        problems.add("keywords", _("Keywords must be a list of words"))
        return []
    keywords = list(dict.fromkeys(k.strip() for k in raw if k.strip()))
    if len(keywords) > MAX_KEYWORDS:
        problems.add("keywords", _("%(count)s keywords; at most %(limit)s"), count=len(keywords), limit=MAX_KEYWORDS)
    for keyword in keywords:
        if len(keyword) > MAX_KEYWORD_LENGTH:
            problems.add("keywords", _("The keyword “%(keyword)s” is longer than %(limit)s characters"),
                         keyword=keyword, limit=MAX_KEYWORD_LENGTH)
    return keywords


def _parent(code: str, problems: Problems, *, current: ServiceItem | None) -> ServiceItem | None:
    if not code:
        return None
    parent = ServiceItem.objects.filter(code=code).first()
    if parent is None:
        problems.add("parent", _("There is no item with the code %(code)s to be the parent"), code=code)
        return None
    if current is not None:
        ancestor = parent
        while ancestor is not None:
            if ancestor.pk == current.pk:
                problems.add("parent", _("%(code)s is this item or one of its sub-items: it cannot be the parent"),
                             code=code)
                return None
            ancestor = ancestor.parent
    if ItemImplementation.objects.filter(item=parent).exists():
        problems.add("parent", _("%(code)s has implementation lists, so it is applied for itself and cannot have "
                                 "sub-items"), code=code)
    return parent


def _items_editor_check(editor: Editor, *, competent_department_kind: str | None) -> None:
    if not editor.may_edit_items(competent_department_kind=competent_department_kind):
        raise PermissionDenied(_("Only the province's general office, its big-data bureau or the province "
                                 "department in charge of the item keeps the service catalogue"))


def item_create(*, actor: Actor, data: Mapping[str, Any]) -> ServiceItem:
    """Add a catalogue entry (事项目录): code, name, type, competent department kind, legal basis,
    who may apply, handling kind, parent, theme, keywords."""
    editor = Editor(actor)
    _items_editor_check(editor, competent_department_kind=_text(data.get("competent_department_kind")) or None)
    problems = Problems()
    values = _item_values(data, problems, current=None)
    problems.raise_if_any()
    with transaction.atomic():
        item = ServiceItem.objects.create(**values)
        ledger_append(kind="guide.item.created", subject=item.code, actor=_actor_label(actor),
                      payload={"item": item.code, "name": item.name, "type": item.item_type})
    return item


def item_update(*, actor: Actor, code: str, data: Mapping[str, Any]) -> ServiceItem:
    """Change a catalogue entry; the change reaches every level's implementation (四级四同)."""
    editor = Editor(actor)
    item = ServiceItem.objects.filter(code=code).first()
    if item is None:
        raise ValidationError({"code": _("There is no item with the code %(code)s") % {"code": code}})
    _items_editor_check(editor, competent_department_kind=item.competent_department_kind)
    if "competent_department_kind" in data and _text(data["competent_department_kind"]) != item.competent_department_kind:
        # Handing an item to another department is the province coordinators' call.
        _items_editor_check(editor, competent_department_kind=None)
    problems = Problems()
    values = _item_values(data, problems, current=item)
    problems.raise_if_any()
    changed = {key: value for key, value in values.items() if getattr(item, key) != value}
    if not changed:
        return item
    with transaction.atomic():
        for key, value in changed.items():
            setattr(item, key, value)
        item.save()
        ledger_append(kind="guide.item.updated", subject=item.code, actor=_actor_label(actor),
                      payload={"item": item.code, "changed": sorted(changed)})
        item_index(item)
    return item


# --- Implementation lists (实施清单 / 办事指南) ----------------------------------------------------


def _implementation_values(
    data: Mapping[str, Any],
    problems: Problems,
    *,
    current: ItemImplementation | None,
    division: Division | None,
) -> dict[str, Any]:
    """Check the elements given (all of them for a new implementation) and return them cleaned."""
    values: dict[str, Any] = {}
    for key in data:
        if key in CATALOGUE_KEYS:
            problems.add(key, _("The item's %(element)s is the same at every level (四级四同): change it on the "
                                "catalogue entry, not on an implementation list"), element=_element_label(key))
        elif key not in IMPLEMENTATION_KEYS:
            problems.add(key, _("“%(key)s” is not an element of an implementation list"), key=key)

    def given(key: str) -> bool:
        return current is None or key in data

    def old(key: str) -> Any:
        return getattr(current, key) if current is not None else None

    if given("department"):
        values["department"] = _department(_text(data.get("department")), division, problems)
    for key, limit in TEXT_LIMITS.items():
        if given(key):
            text = _text(data.get(key))
            if len(text) > limit:
                problems.add(key, _("%(element)s has %(length)s characters; at most %(limit)s"),
                             element=_element_label(key), length=len(text), limit=limit)
            values[key] = text
    if given("result_name") and not values["result_name"]:
        problems.add("result_name", _("Enter the result of the item (办理结果), e.g. the licence or certificate issued"))
    for key in ("legal_days", "promised_days"):
        if given(key):
            number = _whole_number(data.get(key))
            if number is None:
                problems.add(key, _("%(element)s must be a whole number of working days, not “%(value)s”"),
                             element=_element_label(key), value=_text(data.get(key)))
            elif not 0 <= number <= MAX_DAYS:
                problems.add(key, _("%(element)s must be between 0 and %(limit)s working days, not %(value)s"),
                             element=_element_label(key), limit=MAX_DAYS, value=number)
                number = None
            values[key] = number
    legal = values.get("legal_days", old("legal_days"))
    promised = values.get("promised_days", old("promised_days"))
    if ("legal_days" in values or "promised_days" in values) and legal is not None and promised is not None:
        if promised > legal:
            problems.add("promised_days", _("The promised time limit (%(promised)s working days) is longer than the "
                                            "statutory time limit (%(legal)s working days)"),
                         promised=promised, legal=legal)
    if given("fees"):
        values["fees"] = _fees(data.get("fees"), problems)
    if given("result_licence_type"):
        licence = _text(data.get("result_licence_type"))
        if licence and not REFERENCE.match(licence):
            problems.add("result_licence_type", _("The licence type code “%(value)s” may hold only letters, digits "
                                                  "and . _ : - (at most 128 characters)"), value=licence)
        values["result_licence_type"] = licence
    if given("visits"):
        visits = _whole_number(data.get("visits"))
        if visits is None or not 0 <= visits <= MAX_VISITS:
            problems.add("visits", _("Visits on site must be a whole number from 0 to %(limit)s, not “%(value)s”"),
                         limit=MAX_VISITS, value=_text(data.get("visits")))
            visits = None
        values["visits"] = visits
    for key in ("online", "mobile", "instant"):
        if given(key):
            raw = data.get(key)
            flag = False if raw in (None, "") else _boolean(raw)
            if flag is None:
                problems.add(key, _("%(element)s must be yes or no, not “%(value)s”"), element=_element_label(key),
                             value=_text(raw))
            values[key] = flag
    if given("process"):
        process = _text(data.get("process"))
        if not process:
            problems.add("process", _("Choose the process (BPMN) the applications follow"))
        elif not PROCESS_NAME.match(process):
            problems.add("process", _("The process name “%(value)s” may hold only a-z, 0-9 and _"), value=process)
        elif process not in process_names():
            problems.add("process", _("There is no process called “%(value)s”; one of %(choices)s"), value=process,
                         choices=", ".join(process_names()))
        values["process"] = process
    if given("decision"):
        decision = _text(data.get("decision"))
        if decision and not PROCESS_NAME.match(decision):
            problems.add("decision", _("The decision table name “%(value)s” may hold only a-z, 0-9 and _"),
                         value=decision)
        values["decision"] = decision
    if given("form_fields"):
        try:
            fields = form_fields_parse(data.get("form_fields"))
        except ValidationError as error:
            for message in error.messages:
                problems.add("form_fields", message)
            fields = ()
        values["form_fields"] = [field.to_json() for field in fields]

    # The elements checked together, with the values the implementation will have afterwards.
    def final(key: str) -> Any:
        return values[key] if key in values else old(key)

    if final("mobile") and final("online") is False and ("mobile" in values or "online" in values):
        problems.add("mobile", _("An item applied for on a phone is applied for online: tick “online” too"))
    if final("visits") == 0 and final("online") is False and ("visits" in values or "online" in values):
        problems.add("visits", _("Zero visits on site (跑零次) needs the item to be applied for online"))
    if any(key in values for key in ("instant", "process", "decision")) and not problems.errors.get("process"):
        instant, process, decision = final("instant"), final("process"), final("decision")
        if instant and not decision:
            problems.add("decision", _("An instant item (秒办) is decided by a decision table: name it"))
        if instant and process != INSTANT_PROCESS:
            problems.add("process", _("An instant item (秒办) follows the “%(instant)s” process, not “%(value)s”"),
                         instant=INSTANT_PROCESS, value=process)
        if not instant and process == INSTANT_PROCESS:
            problems.add("instant", _("The “%(instant)s” process decides items instantly: tick “instant approval”"),
                         instant=INSTANT_PROCESS)
        if not instant and decision:
            problems.add("decision", _("Only an instant item (秒办) has a decision table"))
    return values


ELEMENT_LABELS = {
    "code": _("code"),
    "name": _("name"),
    "item_type": _("type"),
    "basis": _("legal basis"),
    "conditions": _("The conditions for acceptance"),
    "special_steps": _("The special steps"),
    "result_name": _("The result"),
    "place": _("The place"),
    "hours": _("The office hours"),
    "consultation": _("The enquiries line"),
    "complaints": _("The complaints line"),
    "legal_days": _("The statutory time limit"),
    "promised_days": _("The promised time limit"),
    "online": _("Online application"),
    "mobile": _("Phone application"),
    "instant": _("Instant approval"),
}


def _element_label(key: str) -> str:
    return str(ELEMENT_LABELS.get(key, key))


def _department(code: str, division: Division | None, problems: Problems) -> Department | None:
    if not code:
        problems.add("department", _("Enter the code of the implementing department (实施机关)"))
        return None
    department = Department.objects.select_related("division").filter(code=code).first()
    if department is None:
        problems.add("department", _("There is no department with the code %(code)s"), code=code)
        return None
    if division is not None and not _division_within(division, department.division):
        problems.add("department", _("%(department)s is not at %(division)s or above it, so it cannot implement the "
                                     "item there"), department=department.name, division=division.name)
    return department


def _division_within(inner: Division, outer: Division) -> bool:
    node = inner
    while node is not None:
        if node.pk == outer.pk:
            return True
        node = node.parent
    return False


def _fees(raw: Any, problems: Problems) -> list[dict[str, Any]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, (list, tuple)):
        problems.add("fees", _("Fees must be a list of {name, amount_fen, basis}"))
        return []
    fees = []
    for position, fee in enumerate(raw, start=1):
        if not isinstance(fee, Mapping) or set(fee) - {"name", "amount_fen", "basis"}:
            problems.add("fees", _("Fee %(position)s: give only its name, amount_fen and basis"), position=position)
            continue
        name = _text(fee.get("name"))
        amount = fee.get("amount_fen")
        if not name:
            problems.add("fees", _("Fee %(position)s: enter its name"), position=position)
        if isinstance(amount, bool) or not isinstance(amount, int):
            problems.add("fees", _("Fee %(position)s: the amount is a whole number of fen (分), not “%(value)s”"),
                         position=position, value=_text(amount))
            continue
        if amount < 0:
            problems.add("fees", _("Fee %(position)s: the amount cannot be negative"), position=position)
            continue
        fees.append({"name": name, "amount_fen": amount, "basis": _text(fee.get("basis"))})
    return fees


def _leaf_check(item: ServiceItem, problems: Problems) -> None:
    if item.children.exists():
        problems.add("item", _("%(code)s has sub-items: an implementation list is made for a sub-item (办理项)"),
                     code=item.code)


def implementation_create(
    *,
    actor: Actor,
    item_code: str,
    division_code: str,
    data: Mapping[str, Any],
    materials: Sequence[Mapping[str, Any]] | None = None,
) -> ItemImplementation:
    """A division's implementation list of an item, as a draft; `data` holds every element
    (IMPLEMENTATION_KEYS, `department` by code) and `materials` the materials (see materials_set)."""
    editor = Editor(actor)
    if not editor.is_staff:
        raise PermissionDenied(_("Only staff keep implementation lists"))
    problems = Problems()
    item = ServiceItem.objects.filter(code=_text(item_code).upper()).first()
    division = Division.objects.select_related("parent__parent__parent").filter(code=_text(division_code)).first()
    if item is None:
        problems.add("item", _("There is no item with the code %(code)s"), code=item_code)
    else:
        _leaf_check(item, problems)
    if division is None:
        problems.add("division", _("There is no division with the code %(code)s"), code=division_code)
    department_code = _text(data.get("department"))
    department = Department.objects.filter(code=department_code).first()
    if department is not None and division is not None:
        implementation_editor_check(editor, department_id=department.id, division_code=division.code)
    if item is not None and division is not None and ItemImplementation.objects.filter(item=item, division=division).exists():
        problems.add("division", _("%(division)s already has an implementation list of %(item)s"),
                     division=division.name, item=item.name)
    values = _implementation_values(data, problems, current=None, division=division)
    cleaned_materials = _materials_values(materials or [], problems, item=item) if materials is not None else []
    problems.raise_if_any()
    with transaction.atomic():
        implementation = ItemImplementation.objects.create(item=item, division=division, **values)
        _materials_write(implementation, cleaned_materials)
        ledger_append(kind="guide.implementation.created", subject=str(implementation.public_id),
                      actor=_actor_label(actor),
                      payload={"item": item.code, "division": division.code, "department": values["department"].code})
    return implementation


def implementation_update(
    *,
    actor: Actor,
    public_id: UUID | str,
    data: Mapping[str, Any],
    materials: Sequence[Mapping[str, Any]] | None = None,
) -> ItemImplementation:
    """Change the elements given (and replace the materials when `materials` is given)."""
    implementation = access_implementation(actor=actor, public_id=public_id)
    editor = Editor(actor)
    problems = Problems()
    values = _implementation_values(data, problems, current=implementation, division=implementation.division)
    new_department = values.get("department")
    if new_department is not None and new_department.pk != implementation.department_id:
        implementation_editor_check(editor, department_id=new_department.pk, division_code=implementation.division.code)
    cleaned_materials = (
        _materials_values(materials, problems, item=implementation.item) if materials is not None else None
    )
    problems.raise_if_any()
    changed = sorted(key for key, value in values.items() if getattr(implementation, key) != value)
    with transaction.atomic():
        for key in changed:
            setattr(implementation, key, values[key])
        if cleaned_materials is not None:
            materials_changed = _materials_write(implementation, cleaned_materials, replace=True)
            if materials_changed:
                changed.append("materials")
        if not changed:
            return implementation
        implementation.save()
        ledger_append(kind="guide.implementation.updated", subject=str(implementation.public_id),
                      actor=_actor_label(actor), payload={"item": implementation.item.code,
                                                          "division": implementation.division.code,
                                                          "changed": changed})
        if implementation.status == ImplementationStatus.PUBLISHED:
            item_index(implementation.item)
    return implementation


def _publish_problems(implementation: ItemImplementation) -> Problems:
    """Recheck the whole list before it goes public (rules may have changed since it was saved)."""
    problems = Problems()
    data = {key: getattr(implementation, key) for key in IMPLEMENTATION_KEYS if key != "department"}
    data["department"] = implementation.department.code
    _implementation_values(data, problems, current=None, division=implementation.division)
    _leaf_check(implementation.item, problems)
    for material in implementation.materials.all():
        if material.source == MaterialSource.UPLOAD and not material.accepted_types:
            problems.add("materials", _("Material “%(name)s” is uploaded but lists no accepted file types"),
                         name=material.name)
    return problems


def implementation_publish(*, actor: Actor, public_id: UUID | str) -> ItemImplementation:
    """Make the implementation list public: applicants find and apply for it (ledger entry and
    the event `guide.implementation_published`)."""
    implementation = access_implementation(actor=actor, public_id=public_id)
    if implementation.status == ImplementationStatus.PUBLISHED:
        raise ValidationError({"status": _("The implementation list is already published")})
    _publish_problems(implementation).raise_if_any()
    with transaction.atomic():
        implementation.status = ImplementationStatus.PUBLISHED
        implementation.save(update_fields=["status", "updated_at"])
        payload = {
            "implementation": str(implementation.public_id),
            "item": implementation.item.code,
            "division": implementation.division.code,
        }
        ledger_append(kind="guide.implementation.published", subject=str(implementation.public_id),
                      actor=_actor_label(actor), payload={**payload, "department": implementation.department.code})
        publish("guide.implementation_published", payload)
        item_index(implementation.item)
    return implementation


def implementation_suspend(*, actor: Actor, public_id: UUID | str, reason: str) -> ItemImplementation:
    """Stop new applications for a published implementation (those under way go on)."""
    implementation = access_implementation(actor=actor, public_id=public_id)
    reason = _text(reason)
    problems = Problems()
    if implementation.status != ImplementationStatus.PUBLISHED:
        problems.add("status", _("Only a published implementation list can be suspended"))
    if not reason:
        problems.add("reason", _("Say why the implementation list is suspended"))
    elif len(reason) > 500:
        problems.add("reason", _("The reason has %(length)s characters; at most 500"), length=len(reason))
    problems.raise_if_any()
    with transaction.atomic():
        implementation.status = ImplementationStatus.SUSPENDED
        implementation.save(update_fields=["status", "updated_at"])
        ledger_append(kind="guide.implementation.suspended", subject=str(implementation.public_id),
                      actor=_actor_label(actor),
                      payload={"item": implementation.item.code, "division": implementation.division.code,
                               "reason": reason})
        item_index(implementation.item)
    return implementation


# --- Materials (申请材料) ----------------------------------------------------------------------------


def _materials_values(raw: Iterable[Mapping[str, Any]], problems: Problems, *, item: ServiceItem | None) -> list[dict]:
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Iterable):
        problems.add("materials", _("Materials must be a list"))
        return []
    cleaned: list[dict] = []
    codes: set[str] = set()
    for position, entry in enumerate(raw, start=1):
        if not isinstance(entry, Mapping):
            problems.add("materials", _("Material %(position)s is not a set of elements"), position=position)
            continue
        before = len(problems.errors.get("materials", []))

        def add(message, **params: Any) -> None:
            problems.add("materials", _("Material %(position)s: %(problem)s"), position=position,
                         problem=message % params if params else message)

        for key in entry:
            if key not in MATERIAL_KEYS:
                add(_("“%(key)s” is not an element of a material"), key=key)
        code = _text(entry.get("code")).lower()
        if not MATERIAL_CODE.match(code):
            add(_("the code “%(code)s” may hold only a-z, 0-9, _ and - (at most 64 characters)"), code=code)
        elif code in codes:
            add(_("the code “%(code)s” is used twice"), code=code)
        codes.add(code)
        name = _text(entry.get("name"))
        if not name:
            add(_("enter its name"))
        elif len(name) > 200:
            add(_("the name has %(length)s characters; at most 200"), length=len(name))
        copies = _whole_number(entry.get("copies", 1))
        if copies is None or not 1 <= copies <= MAX_COPIES:
            add(_("copies must be a whole number from 1 to %(limit)s, not “%(value)s”"), limit=MAX_COPIES,
                value=_text(entry.get("copies")))
        form = _text(entry.get("form")) or "electronic"
        if form not in MATERIAL_FORMS:
            add(_("the form “%(value)s” is not one of %(choices)s"), value=form, choices=", ".join(MATERIAL_FORMS))
        raw_required = entry.get("required", True)
        required = True if raw_required in (None, "") else _boolean(raw_required)
        if required is None:
            add(_("required must be yes or no, not “%(value)s”"), value=_text(entry.get("required")))
        source = _text(entry.get("source")) or MaterialSource.UPLOAD
        source_ref = _text(entry.get("source_ref"))
        if source not in MaterialSource.values:
            add(_("the source “%(value)s” is not one of %(choices)s"), value=source,
                choices=", ".join(MaterialSource.values))
        elif source == MaterialSource.UPLOAD:
            if source_ref:
                add(_("an uploaded material is not fetched from anywhere: leave “fetched from” empty"))
        elif not source_ref:
            add({
                MaterialSource.SHARED: _("a material fetched from shared data names the sharing service"),
                MaterialSource.LICENCE: _("a material fetched from an e-licence names the licence type"),
                MaterialSource.PRODUCED: _("a material produced by an earlier step names that step's item code"),
            }[source])
        elif not REFERENCE.match(source_ref):
            add(_("“fetched from” (“%(value)s”) may hold only letters, digits and . _ : -"), value=source_ref)
        elif source == MaterialSource.PRODUCED:
            source_ref = source_ref.upper()
            if not ServiceItem.objects.filter(code=source_ref).exists():
                add(_("there is no item with the code %(code)s to produce it"), code=source_ref)
            elif item is not None and source_ref == item.code:
                add(_("an item cannot produce its own material"))
        types_raw = entry.get("accepted_types") or []
        if isinstance(types_raw, str):
            types_raw = re.split(r"[,，、;；\s]+", types_raw)
        types = list(dict.fromkeys(_text(t).lower().lstrip(".") for t in types_raw if _text(t)))
        unknown = [t for t in types if t not in ACCEPTED_FILE_TYPES]
        if unknown:
            add(_("the file types %(unknown)s are not accepted; choose from %(choices)s"),
                unknown=", ".join(unknown), choices=", ".join(ACCEPTED_FILE_TYPES))
        if source == MaterialSource.UPLOAD and not types:
            add(_("an uploaded material lists the file types accepted (e.g. pdf, jpg)"))
        max_bytes = _whole_number(entry.get("max_bytes", 10 * 1024 * 1024))
        if max_bytes is None or not 1 <= max_bytes <= MAX_UPLOAD_BYTES:
            add(_("the largest upload must be a whole number of bytes from 1 to %(limit)s, not “%(value)s”"),
                limit=MAX_UPLOAD_BYTES, value=_text(entry.get("max_bytes")))
        basis = _text(entry.get("basis"))
        if len(basis) > 255:
            add(_("the basis has %(length)s characters; at most 255"), length=len(basis))
        if len(problems.errors.get("materials", [])) == before:
            cleaned.append({
                "code": code, "name": name, "copies": copies, "form": form, "required": required, "source": source,
                "source_ref": source_ref, "accepted_types": types, "max_bytes": max_bytes, "basis": basis,
                "position": position,
            })
    return cleaned


def _materials_write(implementation: ItemImplementation, cleaned: list[dict], *, replace: bool = False) -> bool:
    """Write the materials (by code: update, add, and with `replace` remove the rest); whether
    anything changed. A material some application used cannot be removed."""
    existing = {material.code: material for material in implementation.materials.all()}
    changed = False
    for values in cleaned:
        material = existing.pop(values["code"], None)
        if material is None:
            Material.objects.create(implementation=implementation, **values)
            changed = True
            continue
        if any(getattr(material, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(material, key, value)
            material.save()
            changed = True
    if replace and existing:
        for material in existing.values():
            try:
                material.delete()
            except ProtectedError:
                raise ValidationError({"materials": _(
                    "Material “%(name)s” is part of applications already made and cannot be removed: mark it not "
                    "required instead") % {"name": material.name}}) from None
        changed = True
    return changed


def materials_set(*, actor: Actor, public_id: UUID | str, materials: Sequence[Mapping[str, Any]]) -> list[Material]:
    """Replace the implementation's materials with `materials` (each: code, name, copies, form,
    required, source, source_ref, accepted_types, max_bytes, basis), matched by code."""
    implementation = implementation_update(actor=actor, public_id=public_id, data={}, materials=materials)
    return list(implementation.materials.order_by("position", "id"))


# --- The guided finder (智能导服) -------------------------------------------------------------------


def finder_question_save(
    *,
    actor: Actor,
    code: str,
    text: str,
    answers: Sequence[Mapping[str, Any]],
    is_start: bool = False,
    position: int = 0,
) -> FinderQuestion:
    """Add or change a finder question. Each answer: {"code", "label", "next": question code or
    "", "themes": [...], "items": [item codes]}; an answer either asks the next question or ends
    with items (those listed, and those of its themes)."""
    editor = Editor(actor)
    if not editor.may_edit_finder():
        raise PermissionDenied(_("Only the province's general office or big-data bureau keeps the guided finder"))
    problems = Problems()
    code = _text(code).lower()
    text = _text(text)
    if not FINDER_CODE.match(code):
        problems.add("code", _("The question code “%(code)s” may hold only a-z, 0-9, _ and -"), code=code)
    if not text:
        problems.add("text", _("Enter the question"))
    elif len(text) > 200:
        problems.add("text", _("The question has %(length)s characters; at most 200"), length=len(text))
    cleaned = []
    if not isinstance(answers, (list, tuple)) or not answers:
        problems.add("answers", _("A question needs at least one answer"))
        answers = []
    seen: set[str] = set()
    for number, answer in enumerate(answers, start=1):
        if not isinstance(answer, Mapping):
            problems.add("answers", _("Answer %(number)s is not a set of elements"), number=number)
            continue
        answer_code = _text(answer.get("code")).lower()
        label = _text(answer.get("label"))
        next_code = _text(answer.get("next")).lower()
        themes = [_text(t) for t in answer.get("themes") or [] if _text(t)]
        items = [_text(i).upper() for i in answer.get("items") or [] if _text(i)]
        if not FINDER_CODE.match(answer_code) or answer_code in seen:
            problems.add("answers", _("Answer %(number)s: its code “%(code)s” must be unique and hold only a-z, 0-9, "
                                      "_ and -"), number=number, code=answer_code)
        seen.add(answer_code)
        if not label:
            problems.add("answers", _("Answer %(number)s: enter its label"), number=number)
        if next_code and (themes or items):
            problems.add("answers", _("Answer %(number)s: either ask a next question or end with items, not both"),
                         number=number)
        if not next_code and not themes and not items:
            problems.add("answers", _("Answer %(number)s: ask a next question or name items or themes"), number=number)
        if next_code and next_code != code and not FinderQuestion.objects.filter(code=next_code).exists():
            problems.add("answers", _("Answer %(number)s: there is no question “%(code)s”"), number=number,
                         code=next_code)
        if next_code == code:
            problems.add("answers", _("Answer %(number)s: a question cannot lead to itself"), number=number)
        known = set(ServiceItem.objects.filter(code__in=items).values_list("code", flat=True))
        for missing in [i for i in items if i not in known]:
            problems.add("answers", _("Answer %(number)s: there is no item with the code %(code)s"), number=number,
                         code=missing)
        cleaned.append({"code": answer_code, "label": label, "next": next_code, "themes": themes, "items": items})
    number = _whole_number(position)
    if number is None or number < 0:
        problems.add("position", _("The position must be a whole number"))
    problems.raise_if_any()
    with transaction.atomic():
        question, _created = FinderQuestion.objects.update_or_create(
            code=code, defaults={"text": text, "answers": cleaned, "is_start": bool(is_start), "position": number}
        )
        if is_start:
            FinderQuestion.objects.exclude(pk=question.pk).filter(is_start=True).update(is_start=False)
    return question
