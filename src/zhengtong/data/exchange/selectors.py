"""Reads of the sharing directory and its governance, each scoped to what the actor may see.

- The directory (services and their descriptions, never data): every staff member, and API clients.
- A request: the consuming department's staff, the staff of a department owning one of its
  services, and the big-data administrators over one of those owners.
- Grants: held by the actor's department, given by it, or (big-data administrators) given by a
  department in their division.
- The meter: calls to the department's services (owner), its own systems' calls (consumer), or
  both within the division (big-data administrators).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from zhengtong.kernel.identity.models import ApiClient
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.org.public import division_get, division_prefix

from . import permissions
from .models import ItemStatus, RequestItem, ShareCall, SharingGrant, SharingRequest, SharingService

SHANGHAI = ZoneInfo("Asia/Shanghai")
PENDING = (ItemStatus.PENDING_OWNER, ItemStatus.PENDING_BUREAU)


def _require_staff(actor: Actor) -> None:
    if not permissions.is_staff(actor):
        raise PermissionDenied("staff only")


# --- the directory -----------------------------------------------------------------------------


def service_list(*, actor: Actor, q: str = "", department: int | None = None, share_type: str = "",
                 kind: str = "") -> QuerySet:
    """Active services matching the words (code, name, description or a field's title), of one
    owner department, share type or kind."""
    if not permissions.may_browse(actor):
        raise PermissionDenied("may not browse the directory")
    services = SharingService.objects.filter(is_active=True).select_related("owner_department")
    words = (q or "").split()[:8]
    if words:
        # Field names and titles are searched here rather than in SQL: a JSON column's text is
        # escaped differently by SQLite (as \u escapes) and PostgreSQL (the characters themselves).
        described = [(pk, " ".join(f"{f.get('name', '')} {f.get('title', '')}" for f in fields).lower())
                     for pk, fields in SharingService.objects.filter(is_active=True).values_list("pk", "fields")]
    for word in words:
        in_fields = [pk for pk, text in described if word.lower() in text]
        services = services.filter(Q(code__icontains=word) | Q(name__icontains=word)
                                   | Q(description__icontains=word) | Q(pk__in=in_fields))
    if department:
        services = services.filter(owner_department_id=department)
    if share_type:
        services = services.filter(share_type=share_type)
    if kind:
        services = services.filter(kind=kind)
    return services.order_by("kind", "code")


def service_owner_departments(*, actor: Actor) -> list[tuple[int, str]]:
    """The departments owning an active service, for the directory's filter."""
    if not permissions.may_browse(actor):
        raise PermissionDenied("may not browse the directory")
    return list(SharingService.objects.filter(is_active=True).order_by("owner_department__division__code",
                                                                        "owner_department__name")
                .values_list("owner_department_id", "owner_department__name").distinct())


def access_service(*, actor: Actor, code: str) -> SharingService:
    """An active service of the directory; SharingService.DoesNotExist otherwise."""
    if not permissions.may_browse(actor):
        raise PermissionDenied("may not browse the directory")
    return SharingService.objects.select_related("owner_department__division").get(code=code, is_active=True)


def services_for_basket(*, actor: Actor, codes: list[str]) -> list[SharingService]:
    """The active services with these codes (all active ones when none is given), in code order."""
    if not permissions.may_request(actor):
        raise PermissionDenied("may not request services")
    services = SharingService.objects.filter(is_active=True).select_related("owner_department")
    if codes:
        services = services.filter(code__in=codes)
    return list(services.order_by("kind", "code"))


def api_clients_of_department(*, actor: Actor) -> list[ApiClient]:
    """The requesting department's working systems (API clients)."""
    if not permissions.may_request(actor):
        raise PermissionDenied("may not request services")
    now = timezone.now()
    return list(ApiClient.objects.filter(department_id=actor.department_id, is_active=True)
                .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).order_by("name", "id"))


def row_scope_choices(*, actor: Actor) -> list[tuple[str, str]]:
    """Row scopes a requester is offered: their division and each one above it, as (prefix, name)."""
    choices = []
    code = actor.division_code
    while code:
        division = division_get(code)
        if division is None:
            break
        choices.append((division_prefix(division.code), division.name))
        code = division.parent_code
    return choices


# --- requests ---------------------------------------------------------------------------------


def _owner_or_bureau_q(actor: Actor, prefix_path: str, department_path: str) -> Q | None:
    """Rows whose owning department is the actor's, or (big-data administrators) in their division."""
    q = None
    if actor.is_staff_member:
        q = Q(**{department_path: actor.department_id})
    prefix = permissions.bureau_prefix(actor)
    if prefix:
        bureau = Q(**{f"{prefix_path}__startswith": prefix})
        q = bureau if q is None else q | bureau
    return q


def requests_mine(*, actor: Actor) -> QuerySet:
    """The baskets of the actor's department, newest first."""
    _require_staff(actor)
    if not actor.is_staff_member:
        return SharingRequest.objects.none()
    return (SharingRequest.objects.filter(consumer_department_id=actor.department_id)
            .select_related("api_client", "requested_by")
            .annotate(item_count=Count("items"),
                      pending_count=Count("items", filter=Q(items__status__in=PENDING)),
                      approved_count=Count("items", filter=Q(items__status=ItemStatus.APPROVED)))
            .order_by("-created_at", "-id"))


def items_awaiting(*, actor: Actor) -> QuerySet:
    """The items the actor may decide now: their department's services' pending owner decisions
    (data officers, big-data administrators), and for big-data administrators the bureau's step of
    items whose owner is in their division and whose owner decision another person made."""
    _require_staff(actor)
    q = Q(pk__in=[])
    if permissions.is_officer_of(actor, actor.department_id):
        q |= Q(status=ItemStatus.PENDING_OWNER, service__owner_department_id=actor.department_id)
    prefix = permissions.bureau_prefix(actor)
    if prefix:
        q |= (Q(status=ItemStatus.PENDING_BUREAU, service__owner_department__division__code__startswith=prefix)
              & ~Q(owner_decided_by_id=actor.user_id))
    return (RequestItem.objects.filter(q)
            .select_related("request__consumer_department", "request__api_client", "service__owner_department")
            .order_by("request__submitted_at", "id"))


def access_request(*, actor: Actor, public_id) -> SharingRequest:
    """A basket the actor may see: their department's, or one asking for a service their
    department owns, or (big-data administrators) one whose owner is in their division.
    SharingRequest.DoesNotExist otherwise."""
    _require_staff(actor)
    request = (SharingRequest.objects.select_related("consumer_department", "api_client", "requested_by")
               .filter(public_id=public_id).first())
    if request is None:
        raise SharingRequest.DoesNotExist
    if actor.is_superuser or (actor.is_staff_member and request.consumer_department_id == actor.department_id):
        return request
    q = _owner_or_bureau_q(actor, "service__owner_department__division__code", "service__owner_department_id")
    if q is not None and request.items.filter(q).exists():
        return request
    raise SharingRequest.DoesNotExist


def request_items(*, request: SharingRequest) -> list[RequestItem]:
    return list(request.items.select_related("service__owner_department__division", "owner_decided_by",
                                             "bureau_decided_by").order_by("id"))


# --- grants -----------------------------------------------------------------------------------


def _grants() -> QuerySet:
    return SharingGrant.objects.select_related("service__owner_department", "consumer_department", "api_client",
                                               "item__request")


def grants_held(*, actor: Actor) -> QuerySet:
    """Grants the actor's department holds (for its systems), newest first."""
    _require_staff(actor)
    if not actor.is_staff_member:
        return SharingGrant.objects.none()
    return _grants().filter(consumer_department_id=actor.department_id)


def grants_given(*, actor: Actor) -> QuerySet:
    """Grants of the actor's department's services, or (big-data administrators) of services owned
    in their division, newest first."""
    _require_staff(actor)
    q = _owner_or_bureau_q(actor, "service__owner_department__division__code", "service__owner_department_id")
    if q is None:
        return SharingGrant.objects.none()
    return _grants().filter(q)


def access_grant(*, actor: Actor, public_id) -> SharingGrant:
    """A grant the actor's department holds or gave, or one a big-data administrator governs."""
    _require_staff(actor)
    grant = _grants().filter(public_id=public_id).first()
    if grant is None:
        raise SharingGrant.DoesNotExist
    if actor.is_staff_member and actor.department_id in (grant.consumer_department_id,
                                                         grant.service.owner_department_id):
        return grant
    prefix = permissions.bureau_prefix(actor)
    if prefix and grants_given(actor=actor).filter(pk=grant.pk).exists():
        return grant
    raise SharingGrant.DoesNotExist


# --- the meter --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeterRow:
    day: date
    service_code: str
    service_name: str
    api_client_id: int | None
    api_client_name: str
    department_name: str
    ok: int
    refused: int

    @property
    def total(self) -> int:
        return self.ok + self.refused


def meter_scope_q(actor: Actor) -> Q | None:
    """Which calls the actor may count; None for none."""
    if actor.kind == "staff" and actor.is_superuser and not actor.is_staff_member:
        return Q()
    if not actor.is_staff_member:
        return None
    q = Q(service__owner_department_id=actor.department_id) | Q(department_id=actor.department_id)
    prefix = permissions.bureau_prefix(actor)
    if prefix:
        q |= Q(service__owner_department__division__code__startswith=prefix)
        q |= Exists(ApiClient.objects.filter(pk=OuterRef("api_client_id"),
                                             department__division__code__startswith=prefix))
    return q


def meter(*, actor: Actor, days: int = 30, service_code: str = "", api_client_id: int | None = None) -> list[MeterRow]:
    """Calls per day, consumer system and service over the last `days` days (Asia/Shanghai days),
    with how many were answered and how many refused, newest day first."""
    _require_staff(actor)
    q = meter_scope_q(actor)
    if q is None:
        return []
    since = timezone.now() - timedelta(days=max(1, min(days, 366)))
    calls = ShareCall.objects.filter(q, at__gte=since)
    if service_code:
        calls = calls.filter(service__code=service_code)
    if api_client_id is not None:
        calls = calls.filter(api_client_id=api_client_id)
    rows = (calls.annotate(day=TruncDate("at", tzinfo=SHANGHAI))
            .values("day", "service__code", "service__name", "api_client_id")
            .annotate(ok=Count("id", filter=Q(outcome="ok")), refused=Count("id", filter=~Q(outcome="ok")))
            .order_by("-day", "service__code", "api_client_id"))
    rows = list(rows)
    clients = {c.pk: c for c in ApiClient.objects.filter(pk__in={r["api_client_id"] for r in rows if r["api_client_id"]})
               .select_related("department")}
    result = []
    for row in rows:
        client = clients.get(row["api_client_id"])
        result.append(MeterRow(
            row["day"], row["service__code"] or "", row["service__name"] or "", row["api_client_id"],
            client.name if client else "", client.department.name if client and client.department_id else "",
            row["ok"], row["refused"],
        ))
    return result
