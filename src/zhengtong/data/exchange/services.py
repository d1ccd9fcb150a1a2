"""The service directory and its governance: baskets, decisions, grants.

Writes only; reads are in selectors.py, who may do what in permissions.py. Every decision, grant,
change and revocation is written to the ledger in the transaction that makes it, and a refused
call (PermissionDenied, ValidationError) changes nothing.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from zhengtong.data.registry.public import ATTRIBUTES as REGISTRY_ATTRIBUTES
from zhengtong.data.registry.public import LABELS as REGISTRY_LABELS
from zhengtong.data.registry.public import MASKING as REGISTRY_MASKING
from zhengtong.data.catalog.public import DatasetRef, FieldSpec, dataset_get, schema_current, sharing_service_code
from zhengtong.kernel.events.public import (
    WebhookSubscriptionCreated,
    webhook_subscription_create,
    webhook_subscription_deactivate,
    webhook_subscription_list,
)
from zhengtong.kernel.identity.models import ApiClient
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ledger.public import ledger_append
from zhengtong.kernel.masking.public import FieldKind
from zhengtong.kernel.org.models import Department, DepartmentKind, DivisionLevel
from zhengtong.kernel.org.public import department_get, division_prefix

from . import permissions
from .publishing import service_event_name
from .models import (
    ItemStatus,
    RequestItem,
    RequestStatus,
    ServiceKind,
    SharingGrant,
    SharingRequest,
    SharingService,
    SubjectKind,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_ITEMS = 20
MAX_YEARS = 3
MAX_TEXT = 500
EVERY_ROW = "*"  # an ItemSpec row scope asking for every row of the service
DEFAULT_RATE_LIMIT = 600
MAX_RATE_LIMIT = 100_000

# Catalog share types (catalog.models.ShareType values).
UNCONDITIONAL = "unconditional"
CONDITIONAL = "conditional"
NOT_SHARED = "not_shared"
PUBLISHED = "published"

REGISTRY_SERVICES = {
    # kind: (code, name, share type, grade, sensitivity, subject field)
    "person": ("registry-person", "人口库（自然人基础信息）", CONDITIONAL, "important", "L3", "resident_id"),
    "company": ("registry-company", "法人库（法人和其他组织基础信息）", UNCONDITIONAL, "general", "L2", "uscc"),
}
REGISTRY_DESCRIPTIONS = {
    "person": "自然人的基础信息（身份证号码、姓名、出生日期、性别、联系电话、住址、行政区划），由各部门数据比对融合而成，"
              "每项取自其权威来源（一数一源）。键为基础库编号。",
    "company": "企业、个体工商户和其他组织的基础信息（统一社会信用代码、名称、法定代表人、成立日期、住所），由各部门数据"
               "比对融合而成。键为基础库编号。",
}
REGISTRY_DATE_ATTRIBUTES = frozenset({"birth_date", "established_on"})

# How a field with no declared masking kind is masked, by its domain type.
DOMAIN_MASKING = {"resident_id": FieldKind.RESIDENT_ID, "mobile": FieldKind.MOBILE, "uscc": FieldKind.CREDIT_CODE}
SUBJECT_DOMAINS = {"resident_id": SubjectKind.PERSON, "uscc": SubjectKind.COMPANY}
DATE_TYPES = frozenset({"date", "datetime"})
NUMERIC_TYPES = frozenset({"integer", "number"})


@dataclass(frozen=True)
class ItemSpec:
    """One service asked for in a basket."""

    service_code: str
    fields: tuple[str, ...]
    clear_fields: tuple[str, ...] = ()
    # A division code or prefix ("330100" or "3301" = Hangzhou); "" = the requester's own division;
    # "*" = every row.
    row_scope: str = ""


def actor_label(actor: Actor) -> str:
    """Who acted, as the ledger names them (the registry's scheme)."""
    if actor.kind == "api_client":
        return f"api_client:{actor.api_client_id}"
    if actor.user_id is not None:
        return f"{actor.kind}:{actor.user_id}"
    return actor.kind


# --- the directory ----------------------------------------------------------------------------


@dataclass
class SyncReport:
    active: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (resource code or code, why)


def field_masking_kind(spec: FieldSpec) -> str:
    """The field's declared masking kind, else one derived from its domain type, else plain."""
    if spec.masking_kind:
        try:
            return FieldKind(spec.masking_kind).value
        except ValueError:
            return FieldKind.FREE_TEXT.value  # an unknown declaration is never shown
    return DOMAIN_MASKING.get(spec.domain_type or "", FieldKind.PLAIN).value


def service_shape(fields: Iterable[FieldSpec], primary_key: str) -> dict[str, Any]:
    """The directory entry's fields, key, subject, division, filter, group and measure fields, from
    a table schema's fields (in schema order)."""
    fields = list(fields)
    shaped = [{"name": f.name, "title": f.title or f.name, "type": f.type, "masking_kind": field_masking_kind(f)}
              for f in fields]
    kinds = {f["name"]: f["masking_kind"] for f in shaped}
    by_name = {f.name: f for f in fields}
    subject_field = ""
    if by_name[primary_key].domain_type in SUBJECT_DOMAINS:
        subject_field = primary_key
    else:
        subject_field = next((f.name for f in fields if f.domain_type in SUBJECT_DOMAINS), "")
    division_field = next((f.name for f in fields if f.domain_type == "division_code"), "")

    def shown(f: FieldSpec) -> bool:
        return kinds[f.name] == FieldKind.PLAIN.value

    def is_date(f: FieldSpec) -> bool:
        return f.type in DATE_TYPES or f.domain_type == "cn_date"

    filters = [f.name for f in fields if shown(f) and (
        f.name == division_field or f.enum is not None or is_date(f) or f.type == "boolean")]
    groups = [f.name for f in fields if shown(f) and (f.name == division_field or f.enum is not None)]
    measures = [f.name for f in fields if shown(f) and f.type in NUMERIC_TYPES and f.name != primary_key]
    return {
        "fields": shaped,
        "key_field": primary_key,
        "subject_field": subject_field,
        "subject_kind": SUBJECT_DOMAINS[by_name[subject_field].domain_type].value if subject_field else "",
        "division_field": division_field,
        "filter_fields": filters,
        "group_fields": groups,
        "measure_fields": measures,
    }


def _catalog_dataset_ids() -> list[int]:
    # catalog/public.py can fetch one dataset but not list them, so the ids are read through the
    # directory's own foreign key to the catalog's table (as quality's selectors read titles);
    # everything else about a dataset comes from catalog.public.
    dataset_model = SharingService._meta.get_field("dataset").related_model
    return list(dataset_model.objects.order_by("resource_code").values_list("id", flat=True))


def _dataset_description(dataset_id: int) -> str:
    dataset_model = SharingService._meta.get_field("dataset").related_model
    return dataset_model.objects.filter(id=dataset_id).values_list("description", flat=True).first() or ""


def _apply(service: SharingService | None, values: dict[str, Any], report: SyncReport) -> SharingService:
    if service is None:
        service = SharingService.objects.create(**values)
        report.created.append(service.code)
        return service
    changed = [name for name, value in values.items() if getattr(service, name) != value]
    if changed:
        for name in changed:
            setattr(service, name, values[name])
        service.save(update_fields=[*changed, "updated_at"])
        report.updated.append(service.code)
    return service


def _deactivate(service: SharingService | None, report: SyncReport) -> None:
    if service is not None and service.is_active:
        service.is_active = False
        service.save(update_fields=["is_active", "updated_at"])
        report.deactivated.append(service.code)


def _sync_dataset(dataset: DatasetRef, existing: SharingService | None, report: SyncReport) -> None:
    if dataset.share_type == NOT_SHARED:
        _deactivate(existing, report)
        return
    if dataset.status != PUBLISHED:
        _deactivate(existing, report)
        report.skipped.append((dataset.resource_code, str(_("not published in the catalog"))))
        return
    schema = schema_current(dataset.id)
    if schema is None or len(schema.primary_key) != 1 or schema.primary_key[0] not in schema.field_names:
        _deactivate(existing, report)
        report.skipped.append((dataset.resource_code, str(_("its table schema has no single-field primary key"))))
        return
    values = {
        "code": sharing_service_code(dataset.resource_code),
        "kind": ServiceKind.DATASET,
        "name": dataset.title,
        "description": _dataset_description(dataset.id),
        "owner_department_id": dataset.owner_department_id,
        "dataset_id": dataset.id,
        "registry_kind": "",
        "share_type": dataset.share_type,
        "grade": dataset.grade,
        "sensitivity": dataset.sensitivity,
        "is_active": True,
        **service_shape(schema.fields, schema.primary_key[0]),
    }
    _apply(existing, values, report)


def _province_bureau() -> Department | None:
    return (Department.objects.filter(kind=DepartmentKind.BIG_DATA, division__level=DivisionLevel.PROVINCE)
            .order_by("division__code").first())


def _registry_fields(kind: str) -> list[dict[str, str]]:
    with translation.override("zh-hans"):  # stored, like the datasets' titles, in Chinese
        return [{"name": name, "title": str(REGISTRY_LABELS.get(name, name)),
                 "type": "date" if name in REGISTRY_DATE_ATTRIBUTES else "string",
                 "masking_kind": FieldKind(REGISTRY_MASKING[kind].get(name, FieldKind.FREE_TEXT)).value}
                for name in REGISTRY_ATTRIBUTES[kind]]


def _sync_registries(report: SyncReport) -> None:
    bureau = _province_bureau()
    for kind, (code, name, share_type, grade, sensitivity, subject) in REGISTRY_SERVICES.items():
        existing = SharingService.objects.filter(code=code).first()
        if bureau is None:
            report.skipped.append((code, str(_("there is no provincial big-data bureau to own it"))))
            continue
        _apply(existing, {
            "code": code, "kind": ServiceKind.REGISTRY, "name": name, "description": REGISTRY_DESCRIPTIONS[kind],
            "owner_department_id": bureau.id, "dataset_id": None, "registry_kind": kind, "share_type": share_type,
            "grade": grade, "sensitivity": sensitivity, "key_field": "registry_id", "subject_field": subject,
            "subject_kind": kind, "division_field": "division_code", "fields": _registry_fields(kind),
            # Registry records are read by key only (no serving index to filter or aggregate).
            "filter_fields": [], "group_fields": [], "measure_fields": [], "is_active": True,
        }, report)


def directory_sync_report() -> SyncReport:
    """directory_sync(), saying what it created, changed, deactivated and skipped (and why)."""
    report = SyncReport()
    with transaction.atomic():
        by_dataset = {s.dataset_id: s for s in SharingService.objects.select_for_update().filter(
            kind=ServiceKind.DATASET)}
        seen = set()
        for dataset_id in _catalog_dataset_ids():
            dataset = dataset_get(dataset_id=dataset_id)
            if dataset is None:
                continue
            seen.add(dataset_id)
            existing = by_dataset.get(dataset_id) or SharingService.objects.filter(
                code=sharing_service_code(dataset.resource_code)).first()
            _sync_dataset(dataset, existing, report)
        for dataset_id, service in by_dataset.items():
            if dataset_id not in seen:
                _deactivate(service, report)
        _sync_registries(report)
        report.active = SharingService.objects.filter(is_active=True).count()
    return report


def directory_sync() -> int:
    """Make the directory match the catalog and the registries: one SharingService per published
    dataset whose share type is not 不予共享 and whose schema has a single-field primary key
    (deactivating those that no longer qualify), and registry-person / registry-company owned by
    the provincial big-data bureau. Returns the number of active services. Idempotent."""
    return directory_sync_report().active


def service_get(code: str) -> SharingService | None:
    return SharingService.objects.filter(code=code).first()


def services_get(codes: list[str]) -> dict[str, SharingService]:
    """The services under these codes, in one query (unknown codes left out)."""
    return {service.code: service for service in SharingService.objects.filter(code__in=set(codes))}


# --- baskets -----------------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate(timezone=SHANGHAI)


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def end_of_day(day: date) -> datetime:
    """The last moment of `day` in Asia/Shanghai: a grant "until 2027-06-30" runs through that day."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def row_scope_normalize(value: str, *, default_division: str | None) -> str:
    """A division code or prefix → the prefix stored on an item ("3301"); "" → the default
    division's; "*" → "" (every row). ValueError when it names no division."""
    value = (value or "").strip()
    if value == EVERY_ROW:
        return ""
    if not value:
        prefix = division_prefix(default_division)
        if prefix is None:
            raise ValueError(value)
        return prefix
    if not value.isdigit():
        raise ValueError(value)
    code = value.ljust(6, "0") if len(value) in (2, 4) else value
    prefix = division_prefix(code)
    if prefix is None or (len(value) in (2, 4) and prefix != value):
        raise ValueError(value)
    return prefix


def _clean_text(errors: dict, name: str, value: str, label) -> str:
    value = (value or "").strip()
    if not value:
        errors.setdefault(name, []).append(_("State the %(what)s.") % {"what": label})
    elif len(value) > MAX_TEXT:
        errors.setdefault(name, []).append(
            _("The %(what)s is too long: at most %(max)s characters.") % {"what": label, "max": MAX_TEXT})
    return value


def _check_items(errors: dict, division_code: str | None, items: list[ItemSpec]) -> list[tuple[SharingService, ItemSpec, str]]:
    if not items:
        errors.setdefault("items", []).append(_("Choose at least one service."))
        return []
    if len(items) > MAX_ITEMS:
        errors.setdefault("items", []).append(
            _("A basket holds at most %(max)s services; you chose %(count)s.") % {"max": MAX_ITEMS, "count": len(items)})
        return []
    codes = [item.service_code for item in items]
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        errors.setdefault("items", []).append(
            _("Each service goes in a basket once: %(codes)s is there more than once.") % {"codes": "、".join(repeated)})
    services = {s.code: s for s in SharingService.objects.filter(code__in=codes)}
    checked = []
    for item in items:
        key = f"items.{item.service_code}"
        service = services.get(item.service_code)
        if service is None or not service.is_active:
            errors.setdefault(key, []).append(
                _("There is no sharing service “%(service)s” in the directory.") % {"service": item.service_code})
            continue
        names = [f["name"] for f in service.fields]
        fields = list(dict.fromkeys(item.fields))
        clear = list(dict.fromkeys(item.clear_fields))
        if not fields:
            errors.setdefault(f"{key}.fields", []).append(
                _("Choose at least one field of “%(service)s”.") % {"service": service.name})
        unknown = [f for f in fields if f not in names]
        if unknown:
            errors.setdefault(f"{key}.fields", []).append(
                _("“%(service)s” has no field(s) %(fields)s.") % {"service": service.name, "fields": "、".join(unknown)})
        outside = [f for f in clear if f not in fields]
        if outside:
            errors.setdefault(f"{key}.clear_fields", []).append(
                _("Unmasked values can only be asked for fields you ask for: %(fields)s is not among them.")
                % {"fields": "、".join(outside)})
        scope = ""
        if service.division_field:
            try:
                scope = row_scope_normalize(item.row_scope, default_division=division_code)
            except ValueError:
                errors.setdefault(f"{key}.row_scope", []).append(
                    _("“%(scope)s” is not a division code: give one such as 330100 (Hangzhou) or 330106.")
                    % {"scope": item.row_scope})
        elif item.row_scope.strip() not in ("", EVERY_ROW):
            errors.setdefault(f"{key}.row_scope", []).append(
                _("The records of “%(service)s” carry no division, so they cannot be limited to one.")
                % {"service": service.name})
        # In the service's field order, so grants read the same whatever order they were asked in.
        ordered = [n for n in names if n in fields]
        checked.append((service, ItemSpec(service.code, tuple(ordered), tuple(n for n in ordered if n in clear), scope),
                        scope))
    return checked


def request_submit(*, actor: Actor, api_client_id: int, purpose: str, legal_basis: str, expires_on: date,
                   items: list[ItemSpec], consumer_department_id: int | None = None) -> SharingRequest:
    """A department's basket, submitted at once: validation errors raise django ValidationError
    with a message per bad input (keys: api_client_id, purpose, legal_basis, expires_on, items and
    "items.<code>[.fields|.clear_fields|.row_scope]"); nothing is saved unless all are good.
    PermissionDenied unless the actor is a data officer or big-data administrator of a department
    (the consumer), or the platform itself (a system actor: the demo) naming the consumer.
    Ledger: share.request.submitted."""
    if actor.kind == "system" and consumer_department_id is not None:
        consumer = department_get(consumer_department_id)
        if consumer is None:
            raise PermissionDenied("no such consuming department")
        division_code = consumer.division_code
    elif permissions.may_request(actor) and consumer_department_id in (None, actor.department_id):
        consumer_department_id, division_code = actor.department_id, actor.division_code
    else:
        raise PermissionDenied("only a department's data officers and big-data administrators request services")
    errors: dict[str, list] = {}
    client = ApiClient.objects.filter(pk=api_client_id).first() if isinstance(api_client_id, int) else None
    if client is None or client.department_id != consumer_department_id:
        errors.setdefault("api_client_id", []).append(_("Choose one of your department's systems."))
    elif not client.is_active or (client.expires_at is not None and client.expires_at <= timezone.now()):
        errors.setdefault("api_client_id", []).append(
            _("The system “%(name)s” is switched off: its key no longer works.") % {"name": client.name})
    purpose = _clean_text(errors, "purpose", purpose, _("purpose"))
    legal_basis = _clean_text(errors, "legal_basis", legal_basis, _("legal basis"))
    today = _today()
    if not isinstance(expires_on, date) or isinstance(expires_on, datetime):
        errors.setdefault("expires_on", []).append(_("Give the date the grants expire, such as 2027-06-30."))
    elif expires_on <= today:
        errors.setdefault("expires_on", []).append(_("The expiry date must be after today."))
    elif expires_on > _years_later(today, MAX_YEARS):
        errors.setdefault("expires_on", []).append(
            _("Grants last at most %(years)s years: choose %(latest)s or earlier.")
            % {"years": MAX_YEARS, "latest": _years_later(today, MAX_YEARS).isoformat()})
    checked = _check_items(errors, division_code, list(items))
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        request = SharingRequest.objects.create(
            consumer_department_id=consumer_department_id, api_client=client, requested_by_id=actor.user_id,
            purpose=purpose, legal_basis=legal_basis, expires_on=expires_on, status=RequestStatus.SUBMITTED,
            submitted_at=now,
        )
        created = RequestItem.objects.bulk_create([
            RequestItem(request=request, service=service, fields=list(spec.fields), clear_fields=list(spec.clear_fields),
                        row_scope=scope, status=ItemStatus.PENDING_OWNER, needs_bureau=service.share_type == CONDITIONAL)
            for service, spec, scope in checked
        ])
        ledger_append(kind="share.request.submitted", subject=str(request.public_id), actor=actor_label(actor), payload={
            "consumer_department": consumer_department_id, "api_client": str(client.public_id),
            "purpose": purpose, "legal_basis": legal_basis, "expires_on": expires_on.isoformat(),
            "items": [{"item": str(item.public_id), "service": service.code, "fields": list(spec.fields),
                       "clear_fields": list(spec.clear_fields), "row_scope": scope}
                      for item, (service, spec, scope) in zip(created, checked, strict=True)],
        })
    return request


# --- decisions ---------------------------------------------------------------------------------


def _by_id(queryset, identifier):
    """A row by its public id (UUID or text) or, for module-internal callers, its primary key."""
    if isinstance(identifier, int) and not isinstance(identifier, bool):
        return queryset.filter(pk=identifier).first()
    try:
        public_id = identifier if isinstance(identifier, UUID) else UUID(str(identifier))
    except ValueError:
        return None
    return queryset.filter(public_id=public_id).first()


def decision_step(actor: Actor, item: RequestItem) -> str | None:
    """"owner" or "bureau" when the actor may decide the item now; None otherwise."""
    owner = item.service.owner_department
    if item.status == ItemStatus.PENDING_OWNER and permissions.is_officer_of(actor, owner.id):
        return "owner"
    if (item.status == ItemStatus.PENDING_BUREAU and permissions.is_bureau_over(actor, owner.division.code)
            and item.owner_decided_by_id != actor.user_id):
        return "bureau"
    return None


def may_have_decided(actor: Actor, item: RequestItem) -> bool:
    """The owning department's officers and the bureau over it: who may learn how an item went."""
    owner = item.service.owner_department
    return permissions.is_officer_of(actor, owner.id) or permissions.is_bureau_over(actor, owner.division.code)


def _grant_create(item: RequestItem, actor: Actor) -> SharingGrant:
    request = item.request
    grant = SharingGrant.objects.create(
        item=item, service=item.service, api_client_id=request.api_client_id,
        consumer_department_id=request.consumer_department_id, purpose=request.purpose,
        legal_basis=request.legal_basis, fields=list(item.fields), clear_fields=list(item.clear_fields),
        row_scope=item.row_scope, rate_limit_per_minute=DEFAULT_RATE_LIMIT, expires_at=end_of_day(request.expires_on),
    )
    grant.ledger_leaf = ledger_append(kind="share.grant.created", subject=str(grant.public_id), actor=actor_label(actor),
                                      payload=_grant_payload(grant))
    grant.save(update_fields=["ledger_leaf"])
    return grant


def _grant_payload(grant: SharingGrant) -> dict[str, Any]:
    return {
        "service": grant.service.code, "item": str(grant.item.public_id), "request": str(grant.item.request.public_id),
        "api_client": str(grant.api_client.public_id), "consumer_department": grant.consumer_department_id,
        "owner_department": grant.service.owner_department_id, "purpose": grant.purpose,
        "legal_basis": grant.legal_basis, "fields": list(grant.fields), "clear_fields": list(grant.clear_fields),
        "row_scope": grant.row_scope, "rate_limit_per_minute": grant.rate_limit_per_minute,
        "expires_at": grant.expires_at.isoformat(),
    }


def item_decide(*, actor: Actor, item_id, approve: bool, note: str = "") -> RequestItem:
    """The owning department's decision (and then the big-data bureau's, for 有条件共享). The final
    approval creates the SharingGrant (ledger: share.item.decided, share.grant.created, in the
    same transaction); a rejection needs a note. PermissionDenied for anyone else, and
    RequestItem.DoesNotExist for an unknown item; ValidationError when it cannot be decided now."""
    note = (note or "").strip()
    with transaction.atomic():
        item = _by_id(RequestItem.objects.select_for_update(of=("self",)).select_related(
            "request", "request__api_client", "service__owner_department__division"), item_id)
        if item is None:
            raise RequestItem.DoesNotExist
        if not may_have_decided(actor, item):
            raise PermissionDenied("may not decide this item")
        if item.status not in (ItemStatus.PENDING_OWNER, ItemStatus.PENDING_BUREAU):
            raise ValidationError(_("This request is already decided: %(status)s.") % {"status": item.get_status_display()},
                                  code="decided")
        step = decision_step(actor, item)
        if step is None:
            raise PermissionDenied("may not decide this item now")
        if not approve and not note:
            raise ValidationError({"note": [_("Say why the request is rejected: the requesting department sees it.")]},
                                  code="note_required")
        if len(note) > MAX_TEXT:
            raise ValidationError({"note": [_("The note is too long: at most %(max)s characters.") % {"max": MAX_TEXT}]})
        final = approve and (step == "bureau" or not item.needs_bureau)
        if final:
            if item.request.expires_on < _today():
                raise ValidationError(_("The request's expiry date (%(date)s) has passed; the department must ask "
                                        "again.") % {"date": item.request.expires_on.isoformat()}, code="expired")
            if not item.request.api_client.is_active:
                raise ValidationError(_("The requesting system is switched off; the department must ask again with "
                                        "a working system."), code="client_inactive")
            if not item.service.is_active:
                raise ValidationError(_("The service is no longer in the directory."), code="service_inactive")
        now = timezone.now()
        if step == "owner":
            item.owner_decided_by_id, item.owner_decided_at, item.owner_note = actor.user_id, now, note
        else:
            item.bureau_decided_by_id, item.bureau_decided_at, item.bureau_note = actor.user_id, now, note
        if not approve:
            item.status = ItemStatus.REJECTED
        elif final:
            item.status = ItemStatus.APPROVED
        else:
            item.status = ItemStatus.PENDING_BUREAU
        item.save()
        ledger_append(kind="share.item.decided", subject=str(item.public_id), actor=actor_label(actor), payload={
            "request": str(item.request.public_id), "service": item.service.code, "step": step, "approved": approve,
            "note": note, "status": item.status, "department": actor.department_id,
        })
        if final:
            _grant_create(item, actor)
        request = item.request
        if not request.items.filter(status__in=[ItemStatus.PENDING_OWNER, ItemStatus.PENDING_BUREAU]).exists():
            request.status, request.decided_at = RequestStatus.DECIDED, now
            request.save(update_fields=["status", "decided_at"])
    return item


# --- grants ------------------------------------------------------------------------------------


def _grant_for_update(grant_id) -> SharingGrant:
    grant = _by_id(SharingGrant.objects.select_for_update(of=("self",)).select_related(
        "service__owner_department__division", "consumer_department__division", "item__request", "api_client"),
        grant_id)
    if grant is None:
        raise SharingGrant.DoesNotExist
    return grant


def may_change_grant(actor: Actor, grant: SharingGrant) -> bool:
    return permissions.is_officer_of(actor, grant.service.owner_department_id)


def may_revoke_grant(actor: Actor, grant: SharingGrant) -> bool:
    return (permissions.is_officer_of(actor, grant.service.owner_department_id)
            or permissions.is_officer_of(actor, grant.consumer_department_id)
            or permissions.is_bureau_over(actor, grant.service.owner_department.division.code))


def may_subscribe_grant(actor: Actor, grant: SharingGrant) -> bool:
    return permissions.is_officer_of(actor, grant.consumer_department_id)


def grant_is_active(grant: SharingGrant) -> bool:
    return grant.revoked_at is None and grant.expires_at > timezone.now()


def grant_change(*, actor: Actor, grant_id, fields: list[str] | None = None, clear_fields: list[str] | None = None,
                 expires_at: datetime | None = None, rate_limit_per_minute: int | None = None) -> SharingGrant:
    """The owner narrows a grant (fewer fields, fewer unmasked fields; never more) or changes its
    expiry (within three years) or rate limit (ledger: share.grant.changed)."""
    with transaction.atomic():
        grant = _grant_for_update(grant_id)
        if not may_change_grant(actor, grant):
            raise PermissionDenied("only the owning department changes a grant")
        if grant.revoked_at is not None:
            raise ValidationError(_("The grant was revoked; a revoked grant does not change."), code="revoked")
        errors: dict[str, list] = {}
        new_fields = list(grant.fields)
        if fields is not None:
            wanted = set(fields)
            added = sorted(wanted - set(grant.fields))
            if added:
                errors.setdefault("fields", []).append(
                    _("A grant can only be narrowed: %(fields)s was not granted. The department must ask for it in "
                      "a new request.") % {"fields": "、".join(added)})
            new_fields = [f for f in grant.fields if f in wanted]
            if not new_fields:
                errors.setdefault("fields", []).append(
                    _("Keep at least one field; to take every field away, revoke the grant."))
        new_clear = [f for f in grant.clear_fields if f in new_fields]
        if clear_fields is not None:
            added = sorted(set(clear_fields) - set(grant.clear_fields))
            if added:
                errors.setdefault("clear_fields", []).append(
                    _("A grant can only be narrowed: %(fields)s was not given unmasked.") % {"fields": "、".join(added)})
            new_clear = [f for f in new_clear if f in set(clear_fields)]
        new_expiry = grant.expires_at
        if expires_at is not None:
            now = timezone.now()
            if expires_at <= now:
                errors.setdefault("expires_at", []).append(
                    _("The new expiry must be in the future; to end the grant now, revoke it."))
            elif expires_at > now + timedelta(days=365 * MAX_YEARS + 1):
                errors.setdefault("expires_at", []).append(
                    _("Grants last at most %(years)s years.") % {"years": MAX_YEARS})
            new_expiry = expires_at
        new_limit = grant.rate_limit_per_minute
        if rate_limit_per_minute is not None:
            if (isinstance(rate_limit_per_minute, bool) or not isinstance(rate_limit_per_minute, int)
                    or not 1 <= rate_limit_per_minute <= MAX_RATE_LIMIT):
                errors.setdefault("rate_limit_per_minute", []).append(
                    _("The rate limit is a whole number of calls a minute from 1 to %(max)s.") % {"max": MAX_RATE_LIMIT})
            else:
                new_limit = rate_limit_per_minute
        if errors:
            raise ValidationError(errors)
        changes = {}
        for name, before, after in (("fields", grant.fields, new_fields), ("clear_fields", grant.clear_fields, new_clear),
                                    ("rate_limit_per_minute", grant.rate_limit_per_minute, new_limit)):
            if before != after:
                changes[name] = [before, after]
        if new_expiry != grant.expires_at:
            changes["expires_at"] = [grant.expires_at.isoformat(), new_expiry.isoformat()]
        if not changes:
            raise ValidationError(_("Nothing would change: the grant already reads so."), code="unchanged")
        grant.fields, grant.clear_fields, grant.expires_at = new_fields, new_clear, new_expiry
        grant.rate_limit_per_minute = new_limit
        grant.save(update_fields=["fields", "clear_fields", "expires_at", "rate_limit_per_minute", "updated_at"])
        ledger_append(kind="share.grant.changed", subject=str(grant.public_id), actor=actor_label(actor), payload={
            "service": grant.service.code, "api_client": str(grant.api_client.public_id),
            "consumer_department": grant.consumer_department_id, "changes": changes,
        })
    return grant


def _platform(actor: Actor) -> Actor:
    # Taking a grant's webhook away is the platform's act on the consumer's subscription, whoever
    # revoked the grant (the owner may not otherwise manage another department's subscriptions).
    return Actor(kind="system", user_id=actor.user_id)


def grant_revoke(*, actor: Actor, grant_id, reason: str) -> SharingGrant:
    """Revoked at once (ledger: share.grant.revoked); its webhook subscription is deactivated.
    By the owning department, the big-data bureau over it, or the consumer giving it up."""
    reason = (reason or "").strip()
    with transaction.atomic():
        grant = _grant_for_update(grant_id)
        if not may_revoke_grant(actor, grant):
            raise PermissionDenied("may not revoke this grant")
        if grant.revoked_at is not None:
            raise ValidationError(_("The grant was already revoked on %(when)s.")
                                  % {"when": timezone.localtime(grant.revoked_at).strftime("%Y-%m-%d %H:%M")},
                                  code="revoked")
        if not reason:
            raise ValidationError({"reason": [_("Give the reason: the other department sees it.")]}, code="required")
        if len(reason) > MAX_TEXT:
            raise ValidationError({"reason": [_("The reason is too long: at most %(max)s characters.") % {"max": MAX_TEXT}]})
        grant.revoked_at, grant.revoked_by_id, grant.revoked_reason = timezone.now(), actor.user_id, reason
        grant.save(update_fields=["revoked_at", "revoked_by", "revoked_reason", "updated_at"])
        if grant.webhook_subscription_id is not None:
            webhook_subscription_deactivate(actor=_platform(actor), subscription_id=grant.webhook_subscription_id)
        if permissions.is_officer_of(actor, grant.service.owner_department_id):
            by = "owner"
        elif permissions.is_officer_of(actor, grant.consumer_department_id):
            by = "consumer"
        else:
            by = "bureau"
        ledger_append(kind="share.grant.revoked", subject=str(grant.public_id), actor=actor_label(actor), payload={
            "service": grant.service.code, "api_client": str(grant.api_client.public_id),
            "consumer_department": grant.consumer_department_id, "reason": reason, "by": by,
            "department": actor.department_id,
        })
    return grant


def grant_subscribe(*, actor: Actor, grant_id, url: str) -> WebhookSubscriptionCreated:
    """Subscribe the grant holder's endpoint to changes of the granted service (the event
    service_event_name(code)) through kernel.events webhooks; a subscription made before for
    the grant is switched off. Returns WebhookSubscriptionCreated (its secret is shown once).
    Ledger: share.grant.subscribed."""
    with transaction.atomic():
        grant = _grant_for_update(grant_id)
        if not may_subscribe_grant(actor, grant):
            raise PermissionDenied("only the consuming department's officers subscribe its systems")
        if not grant_is_active(grant):
            raise ValidationError(_("The grant is no longer in force, so there is nothing to subscribe to."),
                                  code="inactive")
        created = webhook_subscription_create(
            actor=actor, department_id=grant.consumer_department_id, events=[service_event_name(grant.service.code)],
            url=url, description=f"{grant.service.name}（{grant.api_client.name}）",
        )
        previous = grant.webhook_subscription_id
        if previous is not None:
            webhook_subscription_deactivate(actor=actor, subscription_id=previous)
        grant.webhook_subscription_id = created.subscription.id
        grant.save(update_fields=["webhook_subscription_id", "updated_at"])
        ledger_append(kind="share.grant.subscribed", subject=str(grant.public_id), actor=actor_label(actor), payload={
            "service": grant.service.code, "subscription": str(created.subscription.id), "url": url,
            "events": list(created.subscription.events), "replaced": str(previous) if previous else None,
        })
    return created


def grant_subscriptions_expire() -> int:
    """The scheduler's job: switch off the webhook subscriptions of grants that expired (revoked
    ones were switched off when revoked). Returns how many it switched off. Idempotent."""
    now = timezone.now()
    ended = (SharingGrant.objects.filter(webhook_subscription_id__isnull=False)
             .filter(Q(expires_at__lte=now) | Q(revoked_at__isnull=False))
             .values_list("consumer_department_id", "webhook_subscription_id"))
    by_department: dict[int, set[UUID]] = {}
    for department_id, subscription_id in ended:
        by_department.setdefault(department_id, set()).add(subscription_id)
    system = Actor(kind="system")
    count = 0
    for department_id, ids in by_department.items():
        for subscription in webhook_subscription_list(actor=system, department_id=department_id):
            if subscription.active and subscription.id in ids:
                webhook_subscription_deactivate(actor=system, subscription_id=subscription.id)
                count += 1
    return count
