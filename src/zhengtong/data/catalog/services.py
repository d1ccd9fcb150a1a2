"""Writes to the catalog. Each service: authorization first, then validation, then the change, its
change record (目录变更记录) and its domain event in one transaction; the dataset is re-indexed for
search after the commit.

Invariants every dataset keeps (checked on create and on every update):
- a sensitivity L4 dataset is never opened (open type "not open");
- an L2 or L3 dataset is opened only on application (open type "on application" or "not open");
- a dataset that is not shared between departments cannot be opened to the public either;
- core data (GB/T 43697) is L4, and important data is L3 or L4.
A retired dataset is frozen; only a draft can be published, and only once it has a table schema.
Resource codes and owner departments never change after registration.
"""

import copy
import re
from collections.abc import Iterable, Mapping
from datetime import date
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.kernel.events.public import publish
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.models import Department, Division

from . import permissions, search_index
from .descriptors import SchemaInvalid, SchemaProblem, descriptor_field_names, descriptor_validate
from .models import (
    ChangeAction,
    Dataset,
    DatasetChange,
    DatasetStatus,
    Grade,
    Licence,
    OpenType,
    QualityRule,
    ResourceCodeSequence,
    Sensitivity,
    ShareType,
    TableSchema,
    UpdateCycle,
)
from .rule_params import rule_problems
from .selectors import dataset_visible_queryset
from .vocabularies import Theme

RESOURCE_CODE = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{2,30}$")
KEYWORD_SEPARATORS = re.compile(r"[,，、;；\n]+")
MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 32
SEQUENCE_DIGITS = 5

# What dataset_update may change: everything but the resource code, the owner and the status.
METADATA_FIELDS = (
    "title", "description", "title_en", "description_en", "contact_name", "contact_email", "contact_phone",
    "keywords", "theme", "spatial_code", "temporal_start", "temporal_end", "share_type", "open_type",
    "update_cycle", "grade", "sensitivity", "licence",
)


# --- classification -------------------------------------------------------------------------

def classification_problems(*, share_type: str, open_type: str, grade: str, sensitivity: str) -> dict[str, str]:
    """Which combination of share type, open type, grade and sensitivity is not allowed, and why,
    keyed by the field to correct."""
    problems: dict[str, str] = {}
    if grade == Grade.CORE and sensitivity != Sensitivity.L4:
        problems["sensitivity"] = _("Core data (GB/T 43697) is sensitive: its level must be L4.")
    elif grade == Grade.IMPORTANT and sensitivity not in (Sensitivity.L3, Sensitivity.L4):
        problems["sensitivity"] = _("Important data (GB/T 43697) is at least fairly sensitive: its level must be L3 or L4.")
    if sensitivity == Sensitivity.L4 and open_type != OpenType.NOT_OPEN:
        problems["open_type"] = _("An L4 (sensitive) dataset is never opened: its open type must be “Not open”.")
    elif sensitivity in (Sensitivity.L2, Sensitivity.L3) and open_type == OpenType.OPEN:
        problems["open_type"] = _(
            "An L2 or L3 dataset is opened only on application, with approval, the subjects' consent and "
            "masking: its open type must be “Open on application” or “Not open”."
        )
    elif share_type == ShareType.NOT_SHARED and open_type != OpenType.NOT_OPEN:
        problems["open_type"] = _(
            "A dataset that is not shared between departments cannot be opened to the public: its open type "
            "must be “Not open”."
        )
    return problems


# --- metadata validation --------------------------------------------------------------------

def keywords_parse(value: str | Iterable[str]) -> list[str]:
    """Keywords from a list, or from text separated by commas, 、 or semicolons."""
    items = KEYWORD_SEPARATORS.split(value) if isinstance(value, str) else list(value)
    keywords: list[str] = []
    for item in items:
        item = str(item).strip()
        if item and item not in keywords:
            keywords.append(item)
    return keywords


def _choice(errors: dict, name: str, value: Any, choices, message: str) -> None:
    if value not in choices.values:
        errors[name] = message % {"value": value}


def _clean_metadata(values: dict[str, Any], *, owner_division_id: int) -> dict[str, Any]:
    """Validated, normalised model values from the service's keyword arguments. Raises a
    ValidationError with a message per field."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, limit in (("title", 200), ("title_en", 200), ("contact_name", 64)):
        text = " ".join(str(values.get(name) or "").split())
        if len(text) > limit:
            errors[name] = _("At most %(limit)s characters.") % {"limit": limit}
        clean[name] = text
    for name in ("description", "description_en"):
        clean[name] = str(values.get(name) or "").strip()
    if not clean["title"]:
        errors["title"] = _("Give the dataset a title.")
    if not clean["description"]:
        errors["description"] = _("Describe what the dataset holds.")

    email = str(values.get("contact_email") or "").strip()
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            errors["contact_email"] = _("Enter an e-mail address such as data@example.gov.cn.")
    clean["contact_email"] = email
    phone = str(values.get("contact_phone") or "").strip()
    if phone and not PHONE.match(phone):
        errors["contact_phone"] = _("Enter a telephone number of digits, such as 0571-87654321.")
    clean["contact_phone"] = phone

    keywords = keywords_parse(values.get("keywords") or [])
    if len(keywords) > MAX_KEYWORDS:
        errors["keywords"] = _("At most %(count)s keywords.") % {"count": MAX_KEYWORDS}
    elif any(len(k) > MAX_KEYWORD_LENGTH for k in keywords):
        errors["keywords"] = _("Each keyword has at most %(limit)s characters.") % {"limit": MAX_KEYWORD_LENGTH}
    clean["keywords"] = keywords

    theme = str(values.get("theme") or "").strip().upper()
    if theme and theme not in Theme.values:
        errors["theme"] = _("“%(value)s” is not a data theme.") % {"value": theme}
    clean["theme"] = theme

    spatial_code = str(values.get("spatial_code") or "").strip()
    if spatial_code:
        division_id = Division.objects.filter(code=spatial_code).values_list("id", flat=True).first()
        if division_id is None:
            errors["spatial_code"] = _("There is no division with the code “%(code)s”.") % {"code": spatial_code}
        clean["spatial_id"] = division_id
    else:
        # The coverage defaults to the owner department's own division.
        clean["spatial_id"] = owner_division_id

    start, end = values.get("temporal_start"), values.get("temporal_end")
    for name, value in (("temporal_start", start), ("temporal_end", end)):
        if value is not None and not isinstance(value, date):
            errors[name] = _("Enter a date.")
    if isinstance(start, date) and isinstance(end, date) and start > end:
        errors["temporal_end"] = _("The coverage cannot end before it starts.")
    clean["temporal_start"], clean["temporal_end"] = start, end

    _choice(errors, "share_type", values.get("share_type"), ShareType, _("“%(value)s” is not a share type."))
    _choice(errors, "open_type", values.get("open_type"), OpenType, _("“%(value)s” is not an open type."))
    _choice(errors, "update_cycle", values.get("update_cycle"), UpdateCycle, _("“%(value)s” is not an update cycle."))
    _choice(errors, "grade", values.get("grade"), Grade, _("“%(value)s” is not a data grade."))
    _choice(errors, "sensitivity", values.get("sensitivity"), Sensitivity, _("“%(value)s” is not a sensitivity level."))
    _choice(errors, "licence", values.get("licence"), Licence, _("“%(value)s” is not a licence the catalog offers."))
    for name in ("share_type", "open_type", "update_cycle", "grade", "sensitivity", "licence"):
        clean[name] = values.get(name)
    if not {"share_type", "open_type", "grade", "sensitivity"} & errors.keys():
        for name, message in classification_problems(
            share_type=clean["share_type"], open_type=clean["open_type"], grade=clean["grade"],
            sensitivity=clean["sensitivity"],
        ).items():
            errors.setdefault(name, message)
    if errors:
        raise ValidationError({name: ValidationError(message, code="invalid") for name, message in errors.items()})
    return clean


# --- shared steps ---------------------------------------------------------------------------

def _record(dataset: Dataset, actor: Actor, action: str, changes: Mapping[str, Any], event: str) -> None:
    """The change record and the domain event, in the caller's transaction; the search index
    follows after the commit."""
    DatasetChange.objects.create(
        dataset=dataset, action=action, actor_kind=actor.kind, actor_user_id=actor.user_id,
        actor_department_id=actor.department_id, changes=dict(changes),
    )
    publish(event, {
        "dataset": str(dataset.public_id), "resource_code": dataset.resource_code,
        "owner_department_id": dataset.owner_department_id, "status": dataset.status,
    })
    transaction.on_commit(partial(search_index.dataset_index, dataset.id), robust=True)


def _lock(dataset: Dataset) -> Dataset:
    return Dataset.objects.select_for_update().get(pk=dataset.pk)


def _authorize_edit(actor: Actor, dataset: Dataset) -> None:
    owner_division = Department.objects.filter(id=dataset.owner_department_id).values_list("division__code", flat=True)
    if not permissions.may_edit(actor, dataset.owner_department_id, owner_division.first()):
        raise PermissionDenied(f"{actor.kind} actor may not change dataset {dataset.resource_code}")


def _not_retired(dataset: Dataset) -> None:
    if dataset.status == DatasetStatus.RETIRED:
        raise ValidationError(_("The dataset has been retired; its catalog entry can no longer change."),
                              code="retired")


def _next_resource_code(department: Department) -> str:
    """"<department code>-<5-digit sequence>", from a per-department counter locked for the
    transaction (skipping any code somebody chose by hand)."""
    ResourceCodeSequence.objects.bulk_create([ResourceCodeSequence(department=department)], ignore_conflicts=True)
    sequence = ResourceCodeSequence.objects.select_for_update().get(department=department)
    while True:
        sequence.last_value += 1
        code = f"{department.code}-{sequence.last_value:0{SEQUENCE_DIGITS}d}"
        if not Dataset.objects.filter(resource_code=code).exists():
            break
    sequence.save(update_fields=["last_value"])
    return code


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# --- datasets -------------------------------------------------------------------------------

def dataset_create(
    *,
    actor: Actor,
    resource_code: str | None = None,
    title: str,
    description: str,
    owner_department_id: int,
    share_type: str,
    open_type: str,
    update_cycle: str,
    sensitivity: str,
    grade: str = Grade.GENERAL,
    title_en: str = "",
    description_en: str = "",
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    keywords: str | Iterable[str] = (),
    theme: str = "",
    spatial_code: str | None = None,
    temporal_start: date | None = None,
    temporal_end: date | None = None,
    licence: str = Licence.CC_BY_4_0,
) -> Dataset:
    """Register a dataset (a draft) for a department; its resource code is generated unless given."""
    department = Department.objects.select_related("division").filter(id=owner_department_id).first()
    if not permissions.may_edit(actor, owner_department_id, department.division.code if department else None):
        raise PermissionDenied(f"{actor.kind} actor may not register datasets for department {owner_department_id}")
    if department is None:
        raise ValidationError({"owner_department_id": _("Choose a department that exists.")}, code="unknown_department")
    values = dict(
        title=title, description=description, title_en=title_en, description_en=description_en,
        contact_name=contact_name, contact_email=contact_email, contact_phone=contact_phone, keywords=keywords,
        theme=theme, spatial_code=spatial_code, temporal_start=temporal_start, temporal_end=temporal_end,
        share_type=share_type, open_type=open_type, update_cycle=update_cycle, grade=grade,
        sensitivity=sensitivity, licence=licence,
    )
    clean = _clean_metadata(values, owner_division_id=department.division_id)
    if resource_code is not None:
        resource_code = resource_code.strip().upper()
        if not RESOURCE_CODE.match(resource_code) or len(resource_code) > 64:
            raise ValidationError({"resource_code": _(
                "A resource code holds capital letters and digits in groups joined by “-”, at most 64 "
                "characters, such as 330106-GA-00001."
            )}, code="invalid")
    with transaction.atomic():
        if resource_code is None:
            resource_code = _next_resource_code(department)
        elif Dataset.objects.filter(resource_code=resource_code).exists():
            raise ValidationError({"resource_code": _("The resource code %(code)s is already in the catalog.")
                                   % {"code": resource_code}}, code="taken")
        dataset = Dataset.objects.create(resource_code=resource_code, owner_department=department, **clean)
        _record(dataset, actor, ChangeAction.CREATED, {"resource_code": resource_code}, "catalog.dataset_created")
    return dataset


def dataset_update(*, actor: Actor, dataset: Dataset, **changes: Any) -> Dataset:
    """Change a dataset's metadata (any of METADATA_FIELDS, as keywords). Records only what
    actually changed; a call that changes nothing writes nothing."""
    unknown = set(changes) - set(METADATA_FIELDS)
    if unknown:
        raise TypeError(f"dataset_update() got unexpected fields: {', '.join(sorted(unknown))}")
    _authorize_edit(actor, dataset)
    with transaction.atomic():
        dataset = _lock(dataset)
        _not_retired(dataset)
        current = {name: getattr(dataset, name) for name in METADATA_FIELDS if name != "spatial_code"}
        current["spatial_code"] = dataset.spatial.code if dataset.spatial_id else None
        merged = {**current, **changes}
        clean = _clean_metadata(merged, owner_division_id=dataset.owner_department.division_id)
        diff: dict[str, list[Any]] = {}
        for name, value in clean.items():
            before = getattr(dataset, name)
            if before != value:
                key = "spatial" if name == "spatial_id" else name
                if key == "spatial":
                    before_code = current["spatial_code"]
                    after_code = Division.objects.filter(id=value).values_list("code", flat=True).first()
                    diff[key] = [before_code, after_code]
                else:
                    diff[key] = [_json_value(before), _json_value(value)]
                setattr(dataset, name, value)
        if not diff:
            return dataset
        dataset.save()
        _record(dataset, actor, ChangeAction.UPDATED, diff, "catalog.dataset_updated")
    return dataset


def dataset_publish(*, actor: Actor, dataset: Dataset) -> Dataset:
    """Publish a draft in the catalog: every staff member can then find it."""
    _authorize_edit(actor, dataset)
    with transaction.atomic():
        dataset = _lock(dataset)
        _not_retired(dataset)
        if dataset.status != DatasetStatus.DRAFT:
            raise ValidationError(_("The dataset is already published."), code="published")
        if not TableSchema.objects.filter(dataset=dataset).exists():
            raise ValidationError(_("Give the dataset a table schema before publishing it: loads and "
                                    "users need to know its fields."), code="no_schema")
        dataset.status = DatasetStatus.PUBLISHED
        dataset.published_at = dataset.published_at or timezone.now()
        dataset.save()
        _record(dataset, actor, ChangeAction.PUBLISHED, {"status": [DatasetStatus.DRAFT, DatasetStatus.PUBLISHED]},
                "catalog.dataset_published")
    return dataset


def dataset_retire(*, actor: Actor, dataset: Dataset, reason: str = "") -> Dataset:
    """Retire a dataset: it stays in the catalog's history, frozen, and takes no more changes."""
    _authorize_edit(actor, dataset)
    reason = reason.strip()
    with transaction.atomic():
        dataset = _lock(dataset)
        _not_retired(dataset)
        before = dataset.status
        dataset.status = DatasetStatus.RETIRED
        dataset.save()
        changes: dict[str, Any] = {"status": [before, DatasetStatus.RETIRED]}
        if reason:
            changes["reason"] = reason
        _record(dataset, actor, ChangeAction.RETIRED, changes, "catalog.dataset_retired")
    return dataset


# --- table schemas --------------------------------------------------------------------------

def schema_version_create(*, actor: Actor, dataset: Dataset, descriptor: Any) -> TableSchema:
    """A new version of the dataset's table schema. Raises SchemaInvalid (a ValidationError)
    listing every problem of the descriptor."""
    _authorize_edit(actor, dataset)
    descriptor_validate(descriptor)
    descriptor = copy.deepcopy(descriptor)
    with transaction.atomic():
        dataset = _lock(dataset)
        _not_retired(dataset)
        current = TableSchema.objects.filter(dataset=dataset).order_by("-version").first()
        if current is not None and current.descriptor == descriptor:
            raise SchemaInvalid([SchemaProblem("", "unchanged", _(
                "The schema is the same as version %(version)s; there is nothing to save.") % {"version": current.version})])
        names = set(descriptor_field_names(descriptor))
        problems = []
        for rule in QualityRule.objects.filter(dataset=dataset, is_active=True).order_by("code"):
            for used in _rule_fields(rule):
                if used not in names:
                    problems.append(SchemaProblem("fields", "rule_field_removed", _(
                        "The active rule “%(code)s” checks the field “%(field)s”, which this schema no longer "
                        "has: keep the field, or deactivate the rule first.") % {"code": rule.code, "field": used}))
        if problems:
            raise SchemaInvalid(problems)
        schema = TableSchema.objects.create(
            dataset=dataset, version=(current.version + 1) if current else 1, descriptor=descriptor
        )
        dataset.save(update_fields=["updated_at"])
        _record(dataset, actor, ChangeAction.SCHEMA_VERSIONED, {"version": schema.version},
                "catalog.schema_version_created")
    return schema


def _rule_fields(rule: QualityRule) -> list[str]:
    """The fields of its own dataset a declared rule reads."""
    fields = [rule.field] if rule.field else []
    params = rule.params or {}
    if rule.kind == "unique" and isinstance(params.get("fields"), list):
        fields += params["fields"]
    if rule.kind == "consistency" and isinstance(params.get("fields"), dict):
        fields += list(params["fields"].values())
    return fields


# --- quality rules --------------------------------------------------------------------------

def rule_create(
    *,
    actor: Actor,
    dataset: Dataset,
    code: str,
    kind: str,
    field: str = "",
    params: Any = None,
    description: str = "",
) -> QualityRule:
    """Declare a quality rule on a dataset (besides those its schema implies)."""
    _authorize_edit(actor, dataset)
    params = {} if params is None else params
    field = (field or "").strip()
    code = (code or "").strip()
    description = (description or "").strip()
    with transaction.atomic():
        dataset = _lock(dataset)
        _not_retired(dataset)
        current = TableSchema.objects.filter(dataset=dataset).order_by("-version").first()

        def reference_fields(resource_code: str) -> list[str] | None:
            target = dataset_visible_queryset(actor).filter(resource_code=resource_code).first()
            if target is None:
                return None
            schema = TableSchema.objects.filter(dataset=target).order_by("-version").first()
            return descriptor_field_names(schema.descriptor) if schema else []

        problems = rule_problems(
            code=code, kind=kind, field=field, params=params,
            field_names=descriptor_field_names(current.descriptor) if current else None,
            code_taken=QualityRule.objects.filter(dataset=dataset, code=code).exists(),
            reference_fields=reference_fields,
        )
        if len(description) > 200:
            problems.setdefault("description", []).append(_("At most %(limit)s characters.") % {"limit": 200})
        if problems:
            raise ValidationError({name: [ValidationError(m, code="invalid") for m in messages]
                                   for name, messages in problems.items()})
        rule = QualityRule.objects.create(
            dataset=dataset, code=code, kind=kind, field=field, params=copy.deepcopy(params), description=description
        )
        _record(dataset, actor, ChangeAction.RULE_CREATED, {"rule": code, "kind": kind}, "catalog.rule_created")
    return rule


def rule_deactivate(*, actor: Actor, rule: QualityRule) -> QualityRule:
    """Stop checking a declared rule; it stays listed, inactive, and its code stays taken."""
    _authorize_edit(actor, rule.dataset)
    with transaction.atomic():
        dataset = _lock(rule.dataset)
        _not_retired(dataset)
        rule = QualityRule.objects.select_for_update().get(pk=rule.pk)
        if not rule.is_active:
            raise ValidationError(_("The rule “%(code)s” is already inactive.") % {"code": rule.code}, code="inactive")
        rule.is_active = False
        rule.save(update_fields=["is_active"])
        _record(dataset, actor, ChangeAction.RULE_DEACTIVATED, {"rule": rule.code}, "catalog.rule_deactivated")
    return rule


def catalog_search_reindex() -> int:
    """Index every dataset afresh (after a restore, or if an after-commit indexing failed)."""
    return search_index.datasets_reindex()
