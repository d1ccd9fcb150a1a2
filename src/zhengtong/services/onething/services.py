"""Writes of one-thing bundles (一件事): defining a bundle, and applying for one.

Defining (the platform, the service centre of a division):

    from zhengtong.services.onething.public import PartSpec, bundle_create

    bundle = bundle_create(
        actor=actor, code="company-opening", name="开办企业一件事", serving="company",
        division_code="330106", result_name="企业开办完成（营业执照、印章、税务、社保、公积金）",
        description="…",
        parts=[PartSpec("330106-SJ-010", field_map={"enterprise_name": "company_name"}),
               PartSpec("330106-GA-020"), …],
        publish=True,
    )

`bundle_create(*, actor, code, name, serving, division_code, result_name, description="",
parts=(), publish=False) -> Bundle` is the stable signature the demo builds its bundles with.
Each part names a service item by code; the item must have a published implementation serving the
bundle's division (guide.implementation_for), and `field_map` maps the item's form field names to
the merged form's names (an unmapped field keeps its own name; fields mapped to the same name are
asked once). A bundle whose parts cannot be merged (a field of two kinds, an upload with no file
type in common) is refused at definition time: see merging.py.

Applying (a citizen or company): `bundle_draft_start` makes the bundle application and, through
the applications services, one draft per part (each pre-filled from the registries through the
sharing gateway, so every read is logged for the person); the applicant answers the merged form
(`bundle_draft_answer`), looks at and accepts fetched materials once (`bundle_material_preview`,
`bundle_material_accept`) and uploads the rest once (`bundle_material_upload`), then
`bundle_application_submit` submits every part in one transaction: the part's answers, materials
produced by another part marked as such, and `application_submit` with the key
"<idempotency key>:<part position>". If any part is refused, nothing is submitted and the error
names the part and the field. The same key again returns the bundle application it first submitted.

Every service takes the actor first, checks who may act before anything else, and changes nothing
when it refuses (ValidationError keyed by field, PermissionDenied, or DoesNotExist for a bundle
application that is not the actor's).
"""

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from zhengtong.kernel.events.public import publish
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ledger.public import ledger_append
from zhengtong.kernel.org.models import Division
from zhengtong.services.applications import public as applications
from zhengtong.services.guide.public import ServingSubject, form_field_validate, implementation_for, item_get

from . import access
from .merging import MergedForm, PartSource, field_map_problems, form_merge
from .models import Bundle, BundleApplication, BundleApplicationPart, BundlePart, BundleState

EVENT_PUBLISHED = "onething.bundle_published"
EVENT_SUBMITTED = "onething.submitted"
EVENT_CONCLUDED = "onething.concluded"

CODE_MAX_LENGTH = 64
NAME_MAX_LENGTH = 200
# The parts' keys are "<key>:<position>" in Application.idempotency_key (128 characters).
IDEMPOTENCY_KEY_MAX_LENGTH = 120
MIN_PARTS = 2
MAX_PARTS = 20
MATERIALS = "@materials"  # the key of material states in BundleApplication.provenance (never a field name)
APPLICANT_SOURCE = "applicant"
FETCHED_STATES = ("previewed", "accepted")
RESERVED_CODES = frozenset({"my"})  # path segments of the pages (urls.py)


@dataclass(frozen=True)
class PartSpec:
    """One part of a bundle being defined: a service item and how its fields map to the merged form."""

    item_code: str
    field_map: Mapping[str, str] = field(default_factory=dict)


def now() -> datetime:
    return timezone.now()


def actor_label(actor: Actor | None) -> str:
    """Who acted, as the ledger names them (the registry's and exchange's scheme)."""
    if actor is None:
        return "system"
    if actor.user_id is not None:
        return f"{actor.kind}:{actor.user_id}"
    return actor.kind


def _uuid_or_none(value):
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (TypeError, ValueError):
        return None


# --- the parts and their merged form ----------------------------------------------------------


def part_sources(bundle: Bundle, parts: Iterable[BundlePart] | None = None) -> list[PartSource]:
    """The parts with the implementation serving the bundle's division, in position order.
    ValidationError naming each part that no published implementation serves."""
    division_code = bundle.division.code
    sources, errors = [], []
    for part in (parts if parts is not None else bundle.parts.select_related("item").order_by("position", "id")):
        implementation = implementation_for(item_code=part.item.code, division_code=division_code)
        if implementation is None:
            errors.append(ValidationError(
                _("“%(item)s” has no published implementation list serving %(division)s."),
                code="not_offered", params={"item": part.item.name, "division": bundle.division.name}))
            continue
        sources.append(PartSource(position=part.position, item_code=part.item.code, item_name=part.item.name,
                                  field_map=dict(part.field_map or {}), implementation=implementation))
    if errors:
        raise ValidationError({"parts": errors})
    return sources


def parts_merge(sources: Sequence[PartSource]) -> MergedForm:
    try:
        return form_merge(sources)
    except ValidationError as error:
        raise ValidationError({"parts": error.error_list}) from None


# --- defining bundles ---------------------------------------------------------------------------


def _authorize_define(actor: Actor, division_code: str) -> None:
    if not access.may_define(actor, division_code):
        raise PermissionDenied(gettext("Only the service centre or the big-data bureau of this division (or above) "
                                       "defines one-thing bundles."))


def _part_spec(raw) -> PartSpec:
    if isinstance(raw, PartSpec):
        return raw
    if isinstance(raw, Mapping):
        return PartSpec(item_code=str(raw.get("item_code", "")), field_map=raw.get("field_map") or {})
    return PartSpec(item_code=str(raw))


def _part_rows(bundle: Bundle, specs: Sequence[PartSpec], *, first_position: int,
               existing: Sequence[BundlePart] = ()) -> list[BundlePart]:
    """Unsaved BundlePart rows for `specs`, checked: the item exists, serves the bundle's kind of
    applicant, is not in the bundle already, and its field map names its own fields; then the whole
    bundle (existing parts and these) must merge into one form."""
    errors: list[ValidationError] = []
    rows: list[BundlePart] = []
    sources: list[PartSource] = []
    seen = {part.item.code for part in existing}
    for part in existing:
        implementation = implementation_for(item_code=part.item.code, division_code=bundle.division.code)
        if implementation is None:
            errors.append(ValidationError(
                _("“%(item)s” has no published implementation list serving %(division)s."), code="not_offered",
                params={"item": part.item.name, "division": bundle.division.name}))
            continue
        sources.append(PartSource(part.position, part.item.code, part.item.name, dict(part.field_map or {}),
                                  implementation))
    for offset, spec in enumerate(specs):
        item = item_get(code=spec.item_code) if spec.item_code else None
        if item is None:
            errors.append(ValidationError(_("There is no service item “%(code)s”."), code="unknown_item",
                                          params={"code": spec.item_code or "-"}))
            continue
        if item.code in seen:
            errors.append(ValidationError(_("“%(item)s” is in the bundle already."), code="duplicate_item",
                                          params={"item": item.name}))
            continue
        seen.add(item.code)
        if bundle.serving != item.serving and item.serving != ServingSubject.BOTH:
            errors.append(ValidationError(
                _("“%(item)s” serves %(item_serving)s, the bundle serves %(serving)s."), code="serving",
                params={"item": item.name, "item_serving": ServingSubject(item.serving).label,
                        "serving": ServingSubject(bundle.serving).label}))
            continue
        implementation = implementation_for(item_code=item.code, division_code=bundle.division.code)
        if implementation is None:
            errors.append(ValidationError(
                _("“%(item)s” has no published implementation list serving %(division)s."), code="not_offered",
                params={"item": item.name, "division": bundle.division.name}))
            continue
        problems = field_map_problems(spec.field_map, implementation)
        for problem in problems:
            errors.append(ValidationError(_("“%(item)s”: %(problem)s"), code="field_map",
                                          params={"item": item.name, "problem": problem}))
        if problems:
            continue
        row = BundlePart(bundle=bundle, item_id=item.id, position=first_position + offset,
                         field_map=dict(spec.field_map))
        rows.append(row)
        sources.append(PartSource(row.position, item.code, item.name, row.field_map, implementation))
    if errors:
        raise ValidationError({"parts": errors})
    parts_merge(sources)
    return rows


def bundle_create(*, actor: Actor, code: str, name: str, serving: str, division_code: str, result_name: str,
                  description: str = "", parts: Sequence[PartSpec | Mapping | str] = (),
                  publish: bool = False) -> Bundle:
    """Define a bundle offered at `division_code` with its parts (PartSpec, or {"item_code",
    "field_map"}, or an item code), published at once when `publish` (it then needs two parts).

    PermissionDenied unless the actor may define bundles there; ValidationError keyed by field
    (code, name, serving, division_code, result_name, parts) for anything wrong; nothing is made then.
    """
    division_code = str(division_code or "").strip()
    _authorize_define(actor, division_code)
    code = str(code or "").strip()
    name = str(name or "").strip()
    result_name = str(result_name or "").strip()
    errors: dict[str, list] = {}
    try:
        validate_slug(code)
        if len(code) > CODE_MAX_LENGTH:
            raise ValidationError("long")
    except ValidationError:
        errors["code"] = [_("The code is 1 to %(max)s letters, digits, hyphens or underscores.")
                          % {"max": CODE_MAX_LENGTH}]
    else:
        if code in RESERVED_CODES:
            errors["code"] = [_("“%(code)s” is reserved; choose another code.") % {"code": code}]
        elif Bundle.objects.filter(code=code).exists():
            errors["code"] = [_("A bundle with the code “%(code)s” exists already.") % {"code": code}]
    if not name or len(name) > NAME_MAX_LENGTH:
        errors["name"] = [_("The name is 1 to %(max)s characters.") % {"max": NAME_MAX_LENGTH}]
    if not result_name or len(result_name) > NAME_MAX_LENGTH:
        errors["result_name"] = [_("Name the one result the applicant gets (1 to %(max)s characters).")
                                 % {"max": NAME_MAX_LENGTH}]
    if serving not in ServingSubject.values:
        errors["serving"] = [_("Say whom the bundle serves: citizen, company or both.")]
    division = Division.objects.filter(code=division_code).first()
    if division is None:
        errors["division_code"] = [_("There is no division “%(code)s”.") % {"code": division_code or "-"}]
    specs = [_part_spec(raw) for raw in parts]
    if len(specs) > MAX_PARTS:
        errors["parts"] = [_("A bundle has at most %(max)s parts.") % {"max": MAX_PARTS}]
    if publish and len(specs) < MIN_PARTS:
        errors.setdefault("parts", []).append(_("A published bundle has at least %(min)s parts.") % {"min": MIN_PARTS})
    if errors:
        raise ValidationError(errors)
    bundle = Bundle(code=code, name=name, description=str(description or "").strip(), serving=serving,
                    division=division, result_name=result_name, is_published=False)
    rows = _part_rows(bundle, specs, first_position=1)
    with transaction.atomic():
        bundle.save()
        for row in rows:
            row.bundle = bundle
        BundlePart.objects.bulk_create(rows)
        ledger_append(kind="onething.bundle_created", subject=f"bundle:{bundle.code}", actor=actor_label(actor),
                      payload={"name": bundle.name, "division": division.code, "serving": serving,
                               "parts": [spec.item_code for spec in specs]})
        if publish:
            _publish(actor, bundle)
    return bundle


def _bundle_for_change(actor: Actor, bundle_code: str) -> Bundle:
    bundle = Bundle.objects.select_for_update(of=("self",)).select_related("division").filter(
        code=str(bundle_code or "")).first()
    if bundle is None:
        raise Bundle.DoesNotExist(f"no bundle {bundle_code}")
    _authorize_define(actor, bundle.division.code)
    return bundle


def bundle_part_add(*, actor: Actor, bundle_code: str, item_code: str,
                    field_map: Mapping[str, str] | None = None) -> BundlePart:
    """Add a part at the end of an unpublished bundle (publishing freezes the parts: an applicant
    part-way through must not meet a different form)."""
    with transaction.atomic():
        bundle = _bundle_for_change(actor, bundle_code)
        if bundle.is_published:
            raise ValidationError({"parts": _("Unpublish the bundle before changing its parts.")},
                                  code="published")
        existing = list(bundle.parts.select_related("item").order_by("position", "id"))
        if len(existing) >= MAX_PARTS:
            raise ValidationError({"parts": _("A bundle has at most %(max)s parts.") % {"max": MAX_PARTS}})
        position = max((part.position for part in existing), default=0) + 1
        [row] = _part_rows(bundle, [PartSpec(str(item_code or ""), field_map or {})], first_position=position,
                           existing=existing)
        row.save()
        ledger_append(kind="onething.part_added", subject=f"bundle:{bundle.code}", actor=actor_label(actor),
                      payload={"item": item_code, "position": position, "field_map": dict(row.field_map)})
    return row


def _publish(actor: Actor, bundle: Bundle) -> None:
    sources = part_sources(bundle)
    if len(sources) < MIN_PARTS:
        raise ValidationError({"parts": _("A published bundle has at least %(min)s parts.") % {"min": MIN_PARTS}},
                              code="too_few_parts")
    parts_merge(sources)
    bundle.is_published = True
    bundle.save(update_fields=["is_published", "updated_at"])
    ledger_append(kind="onething.bundle_published", subject=f"bundle:{bundle.code}", actor=actor_label(actor),
                  payload={"parts": [source.item_code for source in sources],
                           "implementations": [str(source.implementation.public_id) for source in sources]})
    publish(EVENT_PUBLISHED, {"bundle": bundle.code, "division": bundle.division.code})


def bundle_publish(*, actor: Actor, bundle_code: str) -> Bundle:
    """Open the bundle for applications: it needs two parts or more, each offered at its division,
    whose forms merge."""
    with transaction.atomic():
        bundle = _bundle_for_change(actor, bundle_code)
        if not bundle.is_published:
            _publish(actor, bundle)
    return bundle


def bundle_unpublish(*, actor: Actor, bundle_code: str) -> Bundle:
    """Close the bundle to new applications (those made already go on)."""
    with transaction.atomic():
        bundle = _bundle_for_change(actor, bundle_code)
        if bundle.is_published:
            bundle.is_published = False
            bundle.save(update_fields=["is_published", "updated_at"])
            ledger_append(kind="onething.bundle_unpublished", subject=f"bundle:{bundle.code}",
                          actor=actor_label(actor), payload={})
    return bundle


# --- applying: the draft ------------------------------------------------------------------------


def _own(actor: Actor, bundle_application_id, *, lock: bool = True) -> BundleApplication:
    """The actor's own bundle application; DoesNotExist for anyone else's (it does not exist for them)."""
    if actor.kind not in access.APPLICANT_KINDS or actor.user_id is None:
        raise PermissionDenied(gettext("Only a signed-in citizen or company applies for a one-thing service."))
    public_id = _uuid_or_none(bundle_application_id)
    rows = BundleApplication.objects.select_related("bundle__division")
    if lock:
        rows = rows.select_for_update(of=("self",))
    found = rows.filter(public_id=public_id, applicant_user_id=actor.user_id).first() if public_id else None
    if found is None:
        raise BundleApplication.DoesNotExist(f"no bundle application {bundle_application_id}")
    return found


def _draft(actor: Actor, bundle_application_id, *, lock: bool = True) -> BundleApplication:
    found = _own(actor, bundle_application_id, lock=lock)
    if found.state != BundleState.DRAFT:
        raise ValidationError({"application": _("This application was submitted already (reference %(reference)s).")
                               % {"reference": found.reference or "-"}}, code="submitted")
    return found


def _application_parts(bundle_application: BundleApplication) -> list[BundleApplicationPart]:
    return list(bundle_application.parts.select_related("part__item", "application").order_by("part__position"))


def bundle_form_of(bundle_application: BundleApplication) -> MergedForm:
    """The merged form of a bundle application (its parts as they are now)."""
    return parts_merge(part_sources(bundle_application.bundle))


def bundle_draft_start(*, actor: Actor, bundle_code: str, channel: str = "web") -> BundleApplication:
    """A new bundle application: one draft per part through the applications services (each
    pre-filled from the registries, every read logged), and the merged answers taken from them
    with their provenance. All or nothing."""
    bundle = Bundle.objects.select_related("division").filter(code=str(bundle_code or ""), is_published=True).first()
    if bundle is None:
        raise Bundle.DoesNotExist(f"no published bundle {bundle_code}")
    if not access.may_apply(actor, bundle.serving):
        raise PermissionDenied(gettext("This one-thing service is for %(serving)s.")
                               % {"serving": ServingSubject(bundle.serving).label})
    sources = part_sources(bundle)
    merged = parts_merge(sources)
    parts = {part.position: part for part in bundle.parts.all()}
    with transaction.atomic():
        bundle_application = BundleApplication.objects.create(bundle=bundle, applicant_user_id=actor.user_id,
                                                              state=BundleState.DRAFT)
        drafts = {}
        for source in sources:
            try:
                draft = applications.draft_start(actor=actor, implementation_id=source.implementation.public_id,
                                                 channel=channel)
            except ValidationError as error:
                raise _part_error(error, source, merged) from None
            drafts[source.position] = draft
            BundleApplicationPart.objects.create(bundle_application=bundle_application, part=parts[source.position],
                                                 application_id=draft.pk)
        answers, provenance = {}, {}
        for merged_field in merged.fields:
            for position, name in merged_field.uses:
                draft = drafts[position]
                value = (draft.answers or {}).get(name)
                if value not in (None, ""):
                    answers[merged_field.name] = value
                    origin = dict((draft.provenance or {}).get(name) or {})
                    origin.setdefault("value", value)
                    provenance[merged_field.name] = origin
                    break
        provenance[MATERIALS] = {}
        bundle_application.answers = answers
        bundle_application.provenance = provenance
        bundle_application.save(update_fields=["answers", "provenance", "updated_at"])
    return bundle_application


def _fetched(provenance: dict, name: str) -> dict | None:
    """What was fetched for a field before the applicant changed it (None if nothing was)."""
    entry = provenance.get(name)
    if not entry:
        return None
    if entry.get("source") == APPLICANT_SOURCE:
        return entry.get("fetched")
    return entry


def bundle_draft_answer(*, actor: Actor, bundle_application_id, answers: Mapping[str, str],
                        step: str = "") -> BundleApplication:
    """Save answers of the merged form (only the given fields are checked): a field not in the
    form (forged) or a read-only identifier changed is refused, with the rest, as a whole."""
    if not isinstance(answers, Mapping):
        raise ValidationError({"answers": _("The answers must be a mapping of field names to text.")},
                              code="invalid")
    with transaction.atomic():
        bundle_application = _draft(actor, bundle_application_id)
        merged = bundle_form_of(bundle_application)
        provenance = dict(bundle_application.provenance or {})
        errors: dict[str, list] = {}
        clean: dict[str, str] = {}
        for name, raw in answers.items():
            merged_field = merged.field(str(name))
            if merged_field is None:
                errors[str(name)[:64]] = [ValidationError(_("“%(name)s” is not a question of this form."),
                                                          code="unknown_field", params={"name": str(name)[:64]})]
                continue
            try:
                value = form_field_validate(merged_field.field, None if raw is None else str(raw))
            except ValidationError as error:
                errors[merged_field.name] = error.error_list
                continue
            fetched = _fetched(provenance, merged_field.name)
            if merged_field.read_only and fetched is not None and value != fetched.get("value"):
                errors[merged_field.name] = [ValidationError(
                    _("“%(label)s” comes from your real-name account and cannot be changed."), code="read_only",
                    params={"label": merged_field.field.label})]
                continue
            clean[merged_field.name] = value
        if errors:
            raise ValidationError(errors)
        saved = dict(bundle_application.answers or {})
        at = now().isoformat()
        for name, value in clean.items():
            saved[name] = value
            fetched = _fetched(provenance, name)
            if fetched is not None and fetched.get("value") == value:
                provenance[name] = {**fetched, "changed": False}
            else:
                entry = {"source": APPLICANT_SOURCE, "label": gettext("Entered by the applicant"), "at": at,
                         "changed": fetched is not None}
                if fetched is not None:
                    entry["fetched"] = fetched
                provenance[name] = entry
        bundle_application.answers = saved
        bundle_application.provenance = provenance
        if step:
            bundle_application.draft_step = str(step)[:64]
        bundle_application.save(update_fields=["answers", "provenance", "draft_step", "updated_at"])
    return bundle_application


# --- applying: materials, once ------------------------------------------------------------------


def material_states(bundle_application: BundleApplication) -> dict[str, dict]:
    """{merged material key: {"state": previewed | accepted | uploaded, …}} of a bundle application."""
    return dict((bundle_application.provenance or {}).get(MATERIALS) or {})


def _material(merged: MergedForm, key: str):
    material = merged.material(str(key))
    if material is None or not material.asked:
        raise ValidationError({"material": _("“%(key)s” is not a material you provide for this service.")
                               % {"key": str(key)[:64]}}, code="unknown_material")
    return material


def _part_application_ids(bundle_application: BundleApplication) -> dict[int, object]:
    return {row.part.position: row.application.public_id for row in _application_parts(bundle_application)}


def _material_state_save(bundle_application: BundleApplication, key: str, state: dict | None) -> None:
    provenance = dict(bundle_application.provenance or {})
    states = dict(provenance.get(MATERIALS) or {})
    if state is None:
        states.pop(key, None)
    else:
        states[key] = state
    provenance[MATERIALS] = states
    bundle_application.provenance = provenance
    bundle_application.save(update_fields=["provenance", "updated_at"])


def _material_error(error: ValidationError, key: str) -> ValidationError:
    """A part's material error, keyed by the merged material."""
    messages = []
    for value in (error.message_dict.values() if hasattr(error, "error_dict") else [error.messages]):
        messages.extend(value)
    return ValidationError({key: messages})


def bundle_material_preview(*, actor: Actor, bundle_application_id, material_key: str) -> dict:
    """Fetch the evidence of a fetched material (shared data, e-licence) for the applicant to look
    at, through the first part that needs it; returns the evidence shown (fields masked as the
    grant says, the source's title)."""
    bundle_application = _draft(actor, bundle_application_id, lock=False)
    merged = bundle_form_of(bundle_application)
    material = _material(merged, material_key)
    if not material.fetched:
        raise ValidationError({material.key: _("“%(material)s” is not fetched from shared data: upload it.")
                               % {"material": material.name}}, code="not_fetched")
    ids = _part_application_ids(bundle_application)
    position, code = material.uses[0]
    try:
        row = applications.material_preview(actor=actor, application_id=ids[position], material_code=code)
    except ValidationError as error:
        raise _material_error(error, material.key) from None
    with transaction.atomic():
        bundle_application = _draft(actor, bundle_application_id)
        _material_state_save(bundle_application, material.key, {
            "state": "previewed", "at": now().isoformat(), "evidence": row.evidence or {}})
    return row.evidence or {}


def bundle_material_accept(*, actor: Actor, bundle_application_id, material_key: str) -> BundleApplication:
    """Use the previewed evidence instead of providing the material (免提交), for every part that
    needs it (each part's department fetches its own copy through the gateway, logged)."""
    bundle_application = _draft(actor, bundle_application_id, lock=False)
    merged = bundle_form_of(bundle_application)
    material = _material(merged, material_key)
    state = material_states(bundle_application).get(material.key) or {}
    if not material.fetched or state.get("state") not in FETCHED_STATES:
        raise ValidationError({material.key: _("“%(material)s”: look at the fetched document before accepting it.")
                               % {"material": material.name}}, code="not_previewed")
    ids = _part_application_ids(bundle_application)
    with transaction.atomic():
        bundle_application = _draft(actor, bundle_application_id)
        try:
            for index, (position, code) in enumerate(material.uses):
                if index > 0:  # the first part's copy was fetched for the preview
                    applications.material_preview(actor=actor, application_id=ids[position], material_code=code)
                applications.material_accept(actor=actor, application_id=ids[position], material_code=code)
        except ValidationError as error:
            raise _material_error(error, material.key) from None
        _material_state_save(bundle_application, material.key, {**state, "state": "accepted",
                                                                 "accepted_at": now().isoformat()})
    return bundle_application


def bundle_material_upload(*, actor: Actor, bundle_application_id, material_key: str, upload) -> BundleApplication:
    """Upload a material once: the file is checked against, and kept for, every part that needs it."""
    with transaction.atomic():
        bundle_application = _draft(actor, bundle_application_id)
        merged = bundle_form_of(bundle_application)
        material = _material(merged, material_key)
        ids = _part_application_ids(bundle_application)
        row = None
        try:
            for position, code in material.uses:
                row = applications.material_upload(actor=actor, application_id=ids[position], material_code=code,
                                                   upload=upload)
        except ValidationError as error:
            raise _material_error(error, material.key) from None
        _material_state_save(bundle_application, material.key, {
            "state": "uploaded", "at": now().isoformat(), "file_name": row.file_name, "size": row.size})
    return bundle_application


# --- applying: submission -----------------------------------------------------------------------


def _key_check(idempotency_key: str) -> str:
    key = str(idempotency_key or "").strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ValidationError({"idempotency_key": _("Send an idempotency key of 1 to %(max)s characters.")
                               % {"max": IDEMPOTENCY_KEY_MAX_LENGTH}}, code="idempotency_key")
    return key


def _by_key(actor: Actor, key: str) -> BundleApplication | None:
    return BundleApplication.objects.filter(applicant_user_id=actor.user_id, idempotency_key=key).first()


def _merged_key(key: str, source: PartSource, merged: MergedForm) -> str:
    """A part's error key as the merged form names it: its field's merged name, its material's key."""
    if key.startswith("materials."):
        code = key.removeprefix("materials.")
        for material in merged.materials:
            if (source.position, code) in material.uses:
                return f"materials.{material.key}"
        return key
    for merged_field in merged.fields:
        if (source.position, key) in merged_field.uses:
            return merged_field.name
    return key if key != "__all__" else "parts"


def _part_error(error: ValidationError, source: PartSource, merged: MergedForm) -> ValidationError:
    """A part's refusal keyed by the merged form, each message naming the part."""
    if hasattr(error, "error_dict"):
        items = error.message_dict.items()
    else:
        items = [("parts", error.messages)]
    return ValidationError({
        _merged_key(key, source, merged): [
            gettext("%(part)s: %(message)s") % {"part": source.item_name, "message": message} for message in messages]
        for key, messages in items})


def _errors_add(errors: dict[str, list], error: ValidationError) -> None:
    for key, messages in error.message_dict.items():
        bucket = errors.setdefault(key, [])
        bucket.extend(message for message in messages if message not in bucket)


def bundle_application_submit(*, actor: Actor, bundle_application_id, idempotency_key: str) -> BundleApplication:
    """Submit every part at once, in one transaction (see the module docstring). A retry with the
    same key returns the bundle application the key first submitted and changes nothing."""
    if actor.kind not in access.APPLICANT_KINDS or actor.user_id is None:
        raise PermissionDenied(gettext("Only a signed-in citizen or company applies for a one-thing service."))
    key = _key_check(idempotency_key)
    existing = _by_key(actor, key)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _submit(actor, bundle_application_id, key)
    except IntegrityError:
        existing = _by_key(actor, key)  # a concurrent submission with the same key won
        if existing is not None:
            return existing
        raise


def _submit(actor: Actor, bundle_application_id, key: str) -> BundleApplication:
    bundle_application = _own(actor, bundle_application_id)
    if bundle_application.state != BundleState.DRAFT:
        if bundle_application.idempotency_key == key:
            return bundle_application
        raise ValidationError({"application": _("This application was submitted already (reference %(reference)s).")
                               % {"reference": bundle_application.reference or "-"}}, code="submitted")
    bundle = bundle_application.bundle
    if not bundle.is_published:
        raise ValidationError({"bundle": _("This one-thing service is not open for applications any more.")},
                              code="not_published")
    bundle_application.idempotency_key = key
    bundle_application.save(update_fields=["idempotency_key", "updated_at"])  # claims the key first
    sources = part_sources(bundle)
    merged = parts_merge(sources)
    rows = {row.part.position: row for row in _application_parts(bundle_application)}
    answers = bundle_application.answers or {}
    states = material_states(bundle_application)
    errors: dict[str, list] = {}
    names = {source.position: source.item_name for source in sources}

    def for_parts(uses, message) -> str:  # each message names the parts that need the answer
        parts = "、".join(names[position] for position, _name in uses)
        return gettext("%(part)s: %(message)s") % {"part": parts, "message": message}

    for merged_field in merged.fields:
        try:
            form_field_validate(merged_field.field, answers.get(merged_field.name, ""))
        except ValidationError as error:
            errors[merged_field.name] = [for_parts(merged_field.uses, m) for m in error.messages]
    for material in merged.materials:
        if material.asked and material.required and (states.get(material.key) or {}).get("state") not in (
                "accepted", "uploaded"):
            message = (_("“%(material)s”: accept the fetched document, or upload it.") if material.fetched
                       else _("“%(material)s”: upload this material.")) % {"material": material.name}
            errors[f"materials.{material.key}"] = [for_parts(material.uses, message)]
    if errors:
        raise ValidationError(errors)
    submitted = {}
    for source in sources:  # every part is tried, so the applicant sees every part's problem at once
        row = rows.get(source.position)
        if row is None:
            _errors_add(errors, ValidationError({"parts": gettext("%(part)s: its draft is missing; start again.")
                                                 % {"part": source.item_name}}))
            continue
        application_id = row.application.public_id
        part_answers = {name: answers.get(merged_name, "")
                        for name, merged_name in _field_names(source).items()}
        try:
            with transaction.atomic():
                applications.draft_answer(actor=actor, application_id=application_id, answers=part_answers)
                for material in merged.materials:
                    if material.produced_by is None:
                        continue
                    producer = rows.get(material.produced_by)
                    for position, code in material.uses:
                        if position == source.position and producer is not None:
                            applications.material_waive_produced(
                                actor=actor, application_id=application_id, material_code=code,
                                produced_by=str(producer.application.public_id))
                submitted[source.position] = applications.application_submit(
                    actor=actor, application_id=application_id, idempotency_key=f"{key}:{source.position}")
        except ValidationError as error:
            _errors_add(errors, _part_error(error, source, merged))
    if errors:
        raise ValidationError(errors)  # the outer transaction rolls every part back
    bundle_application.reference = _reference(bundle.division.code)
    bundle_application.submitted_at = now()
    bundle_application.state = BundleState.IN_PROGRESS
    bundle_application.save(update_fields=["reference", "submitted_at", "state", "updated_at"])
    ledger_append(kind="onething.submitted", subject=f"bundle_application:{bundle_application.public_id}",
                  actor=actor_label(actor), payload={
                      "reference": bundle_application.reference, "bundle": bundle.code,
                      "parts": {str(position): str(application.reference)
                                for position, application in submitted.items()}})
    publish(EVENT_SUBMITTED, _event_payload(bundle_application))
    _state_sync(bundle_application)  # instant parts may have concluded already
    return bundle_application


def _field_names(source: PartSource) -> dict[str, str]:
    """{the item's field name: its merged name} for every field of the part's form."""
    return {f.name: source.field_map.get(f.name, f.name) for f in source.implementation.form_fields}


def _reference(division_code: str) -> str:
    """一件事编号: "YJS-330106-20250310-48213957" (random digits: one reference says nothing of others)."""
    today = timezone.localdate(now())
    for _attempt in range(5):
        digits = "".join(secrets.choice("0123456789") for _ in range(8))
        reference = f"YJS-{division_code}-{today:%Y%m%d}-{digits}"
        if not BundleApplication.objects.filter(reference=reference).exists():
            return reference
    raise RuntimeError("could not find a free bundle reference")  # pragma: no cover - 10^8 per day


def _event_payload(bundle_application: BundleApplication) -> dict:
    return {"bundle_application": str(bundle_application.public_id), "reference": bundle_application.reference,
            "bundle": bundle_application.bundle.code, "state": bundle_application.state,
            "applicant_user": bundle_application.applicant_user_id}


def bundle_application_start_submitted(*, actor: Actor, bundle_code: str, answers: Mapping[str, str],
                                       idempotency_key: str, channel: str = "web") -> BundleApplication:
    """For APIs: start, answer, accept every fetchable material and submit, in one transaction.
    A bundle with a material to upload cannot be applied for this way (ValidationError naming it).
    A retry with the same key returns the first bundle application."""
    if actor.kind not in access.APPLICANT_KINDS or actor.user_id is None:
        raise PermissionDenied(gettext("Only a signed-in citizen or company applies for a one-thing service."))
    key = _key_check(idempotency_key)
    existing = _by_key(actor, key)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            draft = bundle_draft_start(actor=actor, bundle_code=bundle_code, channel=channel)
            if answers:
                bundle_draft_answer(actor=actor, bundle_application_id=draft.public_id, answers=answers)
            merged = bundle_form_of(draft)
            uploads = [m for m in merged.materials if m.asked and m.required and not m.fetched]
            if uploads:
                raise ValidationError({f"materials.{m.key}": _("“%(material)s” must be uploaded: apply on the "
                                                               "website or the phone.") % {"material": m.name}
                                       for m in uploads})
            for material in merged.materials:
                if material.fetched:
                    try:
                        bundle_material_preview(actor=actor, bundle_application_id=draft.public_id,
                                                material_key=material.key)
                        bundle_material_accept(actor=actor, bundle_application_id=draft.public_id,
                                               material_key=material.key)
                    except ValidationError:
                        if material.required:
                            raise
            return _submit(actor, draft.public_id, key)
    except IntegrityError:
        existing = _by_key(actor, key)
        if existing is not None:
            return existing
        raise


# --- one result -----------------------------------------------------------------------------------


def bundle_state_derive(part_states: Sequence[str]) -> str:
    """The bundle's state from its parts' (applications') states: any part not approved (rejected
    or withdrawn) → rejected (the one result cannot issue); else any sent back → correction; all
    approved → completed; else in progress."""
    State = applications.ApplicationState
    if not part_states:
        return BundleState.DRAFT
    if all(state == State.DRAFT for state in part_states):
        return BundleState.DRAFT
    if any(state in (State.REJECTED, State.WITHDRAWN) for state in part_states):
        return BundleState.REJECTED
    if any(state == State.CORRECTION for state in part_states):
        return BundleState.CORRECTION
    if all(state == State.APPROVED for state in part_states):
        return BundleState.COMPLETED
    return BundleState.IN_PROGRESS


def _state_sync(bundle_application: BundleApplication) -> BundleApplication:
    """Bring the stored state in line with the parts'; on the one result (or a refusal), conclude:
    ledger entry, event, and a notice to the applicant."""
    if bundle_application.state in (BundleState.DRAFT, BundleState.COMPLETED, BundleState.REJECTED):
        return bundle_application
    ids = [row.application.public_id for row in _application_parts(bundle_application)]
    refs = applications.application_refs_get(ids)
    state = bundle_state_derive([refs[i].state for i in ids if i in refs])
    if state == bundle_application.state:
        return bundle_application
    bundle_application.state = state
    fields = ["state", "updated_at"]
    if state in (BundleState.COMPLETED, BundleState.REJECTED):
        bundle = bundle_application.bundle
        bundle_application.concluded_at = now()
        if state == BundleState.COMPLETED:
            bundle_application.result_note = gettext("%(result)s: every part approved.") % {
                "result": bundle.result_name}
        else:
            reasons = [f"{refs[i].item_code}: {refs[i].outcome_reason}" for i in ids
                       if i in refs and refs[i].state in (applications.ApplicationState.REJECTED,
                                                          applications.ApplicationState.WITHDRAWN)]
            bundle_application.result_note = "；".join(reasons)
        fields += ["concluded_at", "result_note"]
        ledger_append(kind="onething.concluded", subject=f"bundle_application:{bundle_application.public_id}",
                      actor="system", payload={"reference": bundle_application.reference, "state": state,
                                               "bundle": bundle.code, "parts": [str(i) for i in ids]})
        bundle_application.save(update_fields=fields)
        publish(EVENT_CONCLUDED, _event_payload(bundle_application))
        _notify(bundle_application)
        return bundle_application
    bundle_application.save(update_fields=fields)
    return bundle_application


def _notify(bundle_application: BundleApplication) -> None:
    """The in-app notice of the one result (or of the refusal), through the applications' notices
    (with their email and SMS adapters)."""
    bundle = bundle_application.bundle
    if bundle_application.state == BundleState.COMPLETED:
        title = gettext("%(bundle)s %(reference)s: done") % {"bundle": bundle.name,
                                                               "reference": bundle_application.reference}
    else:
        title = gettext("%(bundle)s %(reference)s: not approved") % {"bundle": bundle.name,
                                                                       "reference": bundle_application.reference}
    applications.notice_create(user_id=bundle_application.applicant_user_id, title=title,
                               body=bundle_application.result_note,
                               url=reverse("onething:detail", args=[bundle_application.public_id]))


def bundle_application_refresh(*, application_id) -> BundleApplication | None:
    """Bring the bundle application that a part (an application, by public id) belongs to in line
    with its parts. Idempotent; None when the application is no part of a bundle. The platform's
    own act (the handler of the applications' events), so it takes no actor."""
    public_id = _uuid_or_none(application_id)
    if public_id is None:
        return None
    row = BundleApplicationPart.objects.filter(application__public_id=public_id).first()
    if row is None:
        return None
    with transaction.atomic():
        bundle_application = (BundleApplication.objects.select_for_update(of=("self",))
                              .select_related("bundle__division").get(pk=row.bundle_application_id))
        return _state_sync(bundle_application)
