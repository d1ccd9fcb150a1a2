"""One form and one set of materials out of a bundle's parts (一表申请、一套材料).

Pure functions over the guide's frozen references: no database, no actor. The services call them
when a bundle is defined (a conflict is a ValidationError then, not when an applicant meets it)
and the selectors call them to show a bundle's merged form.

Fields: each part's `field_map` maps an item's field name to a merged name; an unmapped field keeps
its own name. Every item field mapped to the same merged name is asked once. They must agree on
what they ask: the same kind, the same choices, and at most one registry attribute to pre-fill
from. The merged field is required when any part requires it, holds at most the shortest
max_length, and reads with the label of the first part that asks it.

Materials: a material whose source is PRODUCED with `source_ref` = the item code of another part is
not asked at all: the applicant gets it from that part ("a document produced by one step is not
asked for by the next"), and each part that needs it records it as produced at submission. Other
materials needed by several parts are asked once: fetched ones (SHARED, LICENCE) when they come
from the same source (same `source_ref`), uploads when they have the same code; an upload shared by
several parts must satisfy every part's checks (the common file types, the smallest size limit).
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from zhengtong.services.guide.public import FormField, ImplementationRef, MaterialRef, MaterialSource

# Registry identifiers that a pre-filled field must not change (they say who is applying).
IDENTIFIER_PREFILLS = frozenset({"person.resident_id", "company.uscc"})
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


@dataclass(frozen=True)
class PartSource:
    """What merging needs of one part: its position, its item and its field map."""

    position: int
    item_code: str
    item_name: str
    field_map: Mapping[str, str]
    implementation: ImplementationRef


@dataclass(frozen=True)
class MergedField:
    """One question of the merged form, asked once for every part that needs it."""

    field: FormField  # named with the merged name
    uses: tuple[tuple[int, str], ...]  # (part position, item field name)

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def read_only(self) -> bool:
        """An identifier pre-filled from the registry: it says who applies, it is not an answer."""
        return self.field.prefill in IDENTIFIER_PREFILLS


@dataclass(frozen=True)
class MergedMaterial:
    """One material of the merged set: asked once (or not at all, when another part produces it)."""

    key: str  # unique within the bundle: the first use's material code (suffixed on a clash)
    name: str
    source: str  # MaterialSource
    source_ref: str
    required: bool
    copies: int
    accepted_types: tuple[str, ...]  # the types every part accepts for an upload (() = any)
    max_bytes: int
    uses: tuple[tuple[int, str], ...]  # (part position, material code)
    produced_by: int | None = None  # the position of the part that produces it
    produced_by_name: str = ""

    @property
    def waived(self) -> bool:
        """Not provided by the applicant: fetched (after a preview) or produced by another part."""
        return self.source != MaterialSource.UPLOAD

    @property
    def asked(self) -> bool:
        """Whether the applicant meets it at all (produced ones are not even shown as a step)."""
        return self.produced_by is None

    @property
    def fetched(self) -> bool:
        return self.produced_by is None and self.source in (MaterialSource.SHARED, MaterialSource.LICENCE)


@dataclass(frozen=True)
class MergedForm:
    fields: tuple[MergedField, ...]
    materials: tuple[MergedMaterial, ...]

    def field(self, name: str) -> MergedField | None:
        return next((field for field in self.fields if field.name == name), None)

    def material(self, key: str) -> MergedMaterial | None:
        return next((material for material in self.materials if material.key == key), None)

    @property
    def questions(self) -> tuple[MergedField, ...]:
        """The fields asked one per page (identifiers are shown, not asked)."""
        return tuple(field for field in self.fields if not field.read_only)


def field_map_problems(field_map: object, implementation: ImplementationRef) -> list[str]:
    """What is wrong with a part's field map (keys must be the item's fields, values field names)."""
    if not isinstance(field_map, Mapping):
        return [_("the field map must map the item's field names to merged field names")]
    problems = []
    known = {field.name for field in implementation.form_fields}
    for source, target in field_map.items():
        if source not in known:
            problems.append(
                _("“%(field)s” is not a field of the item's form (its fields: %(known)s)")
                % {"field": source, "known": "、".join(sorted(known)) or "—"}
            )
        elif not isinstance(target, str) or not _is_field_name(target):
            problems.append(
                _("the merged name “%(name)s” must start with a lower-case letter and hold only a-z, 0-9 and _")
                % {"name": target}
            )
    return problems


def _is_field_name(name: str) -> bool:
    return FIELD_NAME.fullmatch(name) is not None


def _kind_label(kind: str) -> str:
    return {
        "text": _("text"), "textarea": _("long text"), "date": _("date"), "number": _("number"),
        "choice": _("choice"), "yesno": _("yes or no"), "resident_id": _("resident ID"),
        "uscc": _("unified social credit code"), "mobile": _("mobile number"), "division": _("division"),
        "address": _("address"), "email": _("email"),
    }.get(kind, kind)


def form_merge(parts: Sequence[PartSource]) -> MergedForm:
    """The merged form of `parts` (in position order). ValidationError naming the merged field and
    the two parts when they cannot be asked as one question."""
    fields: dict[str, dict] = {}
    errors: list[ValidationError] = []
    for part in parts:
        for field in part.implementation.form_fields:
            name = part.field_map.get(field.name, field.name)
            merged = fields.get(name)
            if merged is None:
                fields[name] = {"first": field, "first_part": part, "required": field.required,
                                "max_length": field.max_length, "prefill": field.prefill,
                                "uses": [(part.position, field.name)]}
                continue
            if any(position == part.position for position, _name in merged["uses"]):
                errors.append(ValidationError(
                    _("“%(part)s” maps two of its fields to “%(name)s”: each part's fields must stay apart"),
                    code="field_conflict", params={"part": part.item_name, "name": name}))
                continue
            problem = _conflict(merged["first"], field)
            if merged["prefill"] and field.prefill and merged["prefill"] != field.prefill:
                problem = _("it is pre-filled from %(a)s in one and from %(b)s in the other") % {
                    "a": merged["prefill"], "b": field.prefill}
            if problem:
                errors.append(ValidationError(
                    _("The field “%(name)s” cannot be asked once for “%(first)s” and “%(second)s”: %(problem)s"),
                    code="field_conflict",
                    params={"name": name, "first": merged["first_part"].item_name, "second": part.item_name,
                            "problem": problem}))
                continue
            merged["required"] = merged["required"] or field.required
            if field.max_length is not None:
                merged["max_length"] = min(merged["max_length"] or field.max_length, field.max_length)
            merged["prefill"] = merged["prefill"] or field.prefill
            merged["uses"].append((part.position, field.name))
    materials, material_errors = _materials_merge(parts)
    errors.extend(material_errors)
    if errors:
        raise ValidationError(errors)
    merged_fields = []
    for name, merged in fields.items():
        data = merged["first"].to_json()
        data.update(name=name, required=merged["required"], max_length=merged["max_length"], prefill=merged["prefill"])
        merged_fields.append(MergedField(field=FormField.from_json(data), uses=tuple(merged["uses"])))
    return MergedForm(fields=tuple(merged_fields), materials=materials)


def _conflict(first: FormField, other: FormField) -> str:
    if first.kind != other.kind:
        return _("it is a %(a)s in one and a %(b)s in the other") % {
            "a": _kind_label(first.kind), "b": _kind_label(other.kind)}
    if first.kind == "choice" and set(first.choices) != set(other.choices):
        return _("their choices differ")
    return ""


def _materials_merge(parts: Sequence[PartSource]) -> tuple[tuple[MergedMaterial, ...], list[ValidationError]]:
    producers = {part.item_code: part for part in parts}
    groups: dict[tuple, dict] = {}
    errors: list[ValidationError] = []
    for part in parts:
        for material in part.implementation.materials:
            producer = producers.get(material.source_ref) if material.source == MaterialSource.PRODUCED else None
            if producer is not None and producer.position == part.position:
                producer = None  # an item cannot be its own earlier step
            if producer is not None:
                group_key = ("produced", material.source_ref)
            elif material.source in (MaterialSource.SHARED, MaterialSource.LICENCE):
                group_key = (material.source, material.source_ref)
            else:
                group_key = ("upload", material.code)  # PRODUCED outside the bundle: uploaded
            group = groups.get(group_key)
            if group is None:
                groups[group_key] = {"first": material, "first_part": part, "producer": producer,
                                     "required": material.required, "copies": material.copies,
                                     "types": tuple(material.accepted_types), "max_bytes": material.max_bytes,
                                     "uses": [(part.position, material.code)]}
                continue
            group["required"] = group["required"] or material.required
            group["copies"] = max(group["copies"], material.copies)
            group["max_bytes"] = min(group["max_bytes"], material.max_bytes)
            types = _common_types(group["types"], tuple(material.accepted_types))
            if types is None and group_key[0] == "upload":
                errors.append(ValidationError(
                    _("The material “%(name)s” cannot be uploaded once for “%(first)s” and “%(second)s”: "
                      "they accept no file type in common"),
                    code="material_conflict",
                    params={"name": material.name, "first": group["first_part"].item_name,
                            "second": part.item_name}))
                continue
            # A fetched material may be uploaded instead: the same rules, as far as they agree.
            group["types"] = types or ()
            group["uses"].append((part.position, material.code))
    materials = []
    keys: set[str] = set()
    for group_key, group in groups.items():
        first: MaterialRef = group["first"]
        key = first.code
        suffix = 2
        while key in keys:
            key = f"{first.code}-{suffix}"
            suffix += 1
        keys.add(key)
        producer = group["producer"]
        materials.append(MergedMaterial(
            key=key,
            name=first.name,
            source=MaterialSource.PRODUCED if producer is not None else (
                first.source if group_key[0] != "upload" else MaterialSource.UPLOAD),
            source_ref=first.source_ref if group_key[0] != "upload" else "",
            required=group["required"],
            copies=group["copies"],
            accepted_types=group["types"],
            max_bytes=group["max_bytes"],
            uses=tuple(group["uses"]),
            produced_by=producer.position if producer is not None else None,
            produced_by_name=producer.item_name if producer is not None else "",
        ))
    return tuple(materials), errors


def _common_types(first: tuple[str, ...], other: tuple[str, ...]) -> tuple[str, ...] | None:
    """The file types both accept (() = any), None when they have none in common."""
    if not first:
        return tuple(t.lower() for t in other)
    if not other:
        return first
    wanted = {t.lower() for t in other}
    common = tuple(t for t in first if t.lower() in wanted)
    return common or None
