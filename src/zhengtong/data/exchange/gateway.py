"""The sharing gateway: authorize, desensitize, meter, log (owner: gateway work).

Every call, allowed or refused, leaves one ShareCall row and ledger entries (kind "share.call",
or "share.refused" with the error code) in one transaction of their own, committed before the
function returns or raises: a call the consumer saw answered is never missing from the log.
No SQL text comes from the caller: filters and groups are field names checked against the
service's own lists (and only those are quoted into SQL), values are bound parameters.

Who may read what:
- A system (an API client) reads a service under its active grant: the grant's fields (masked by
  each field's masking kind unless plain is asked for a field the grant gives in clear), rows
  within its row scope (a division code prefix), at most its calls per minute.
- A system with no active grant may read single records about a person or company who consented
  (exchange.consent): that subject's records only, the consent's fields, in plain (the person
  authorized them); a revoked or expired consent says so. A grant holder asking for fields beyond
  its grant gets them where the record's subject consented to them.
- Batches, queries and aggregates need a grant. A query filters on the service's filter fields
  that the grant covers (a filter on another field would tell its values). Aggregates answer only
  groups of at least k records (settings.SHARE_AGGREGATE_MIN_GROUP) and never rows; their group,
  measure and filter fields are the service's own lists (the owner decided what may be counted),
  whatever the grant's fields.
- Refusals tell a system without authorization nothing about the records: an unknown key is
  reported as such only to a system that may read the record (or whose consent the key names).

Performance: a keyed read is one query for the service, the caller's grants and the record (a
prepared statement on PostgreSQL), then one short transaction for the log (the ledger append and
the ShareCall row); no ORM query building on that path (see "the hot path's SQL").

Registry services (registry-person, registry-company) are read live from the registry
(registry.public.golden_values_shared): the key is the registry id; an id merged into another
answers with the survivor's record, whose key is the survivor's id (the caller sees the id
changed). They offer single records and batches, not queries or aggregates.

The ledger's entries are the access log mydata shows: one per person or company concerned (its
subject is their subject ref, and a registry record's id is in the payload), or one with the
subject "service:<code>" for a call that concerned no one in particular (aggregates, empty
results, refusals before a record was found).
"""

import base64
import binascii
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.data.ingest.public import duckdb_connect, version_relation_sql
from zhengtong.data.registry.public import golden_values_shared
from zhengtong.kernel.identity.public import Actor
from zhengtong.kernel.ledger.public import LedgerEntry, ledger_append_with_row
from zhengtong.kernel.masking.public import FieldKind, mask_value

from .consent import consent_find
from .errors import ShareError
from .models import CallOperation, Consent, ServiceKind, ShareCall, ShareRecord, SharingGrant, SharingService
from .publishing import ident
from .ratelimit import rate_limit_hit
from .subjects import subject_ref

logger = logging.getLogger(__name__)

MAX_BATCH = 100
MAX_PAGE = 100
KEY_MAX_LENGTH = 128
OFFICER_MAX_LENGTH = 64
CONSENT_SCOPE = "consent"
CORRELATION_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# The identifier a registry record's subject ref is made from, by registry.
REGISTRY_SUBJECT_FIELD = {"person": "resident_id", "company": "uscc"}
REGISTRY_DIVISION_FIELD = "division_code"
UNMASKED_KINDS = frozenset({FieldKind.PLAIN, FieldKind.CREDIT_CODE})


@dataclass(frozen=True)
class Caller:
    actor: Actor  # an api_client actor (department_id = its department)
    correlation_id: str
    officer: str = ""  # the consuming system's user on whose behalf it calls (X-Officer header)
    # The API client's public id and name as the ledger names them; looked up when not given.
    client_public_id: str = ""
    client_name: str = ""


@dataclass(frozen=True)
class SharedRecord:
    key: str
    values: Mapping[str, Any]  # masked unless plain was granted and asked for
    masked: tuple[str, ...]  # the fields whose values are masked


@dataclass(frozen=True)
class Withheld:
    """A batch's place for a record that exists but is not given (outside the grant's rows)."""

    key: str
    code: str  # "out_of_scope"


@dataclass(frozen=True)
class QueryPage:
    records: tuple[SharedRecord, ...]
    next_cursor: str | None
    estimated_total: int | None


@dataclass(frozen=True)
class AggregateGroup:
    group: Mapping[str, Any]
    count: int
    value: float | None


@dataclass(frozen=True)
class AggregateAnswer:
    groups: tuple[AggregateGroup, ...]
    suppressed_groups: int  # groups under k, left out
    k: int


def correlation_id_accept(value: str | None) -> str:
    """The caller's correlation id if it is 1-64 characters of [A-Za-z0-9._-], else a new one."""
    if value and CORRELATION_ID.fullmatch(value):
        return value
    import uuid

    return uuid.uuid4().hex


def aggregate_min_group() -> int:
    return int(getattr(settings, "SHARE_AGGREGATE_MIN_GROUP", 10))


# --- the call's log --------------------------------------------------------------------------


@dataclass
class _Row:
    """One record as the gateway holds it before masking: every value plain."""

    key: str
    values: dict[str, Any]
    subject_ref: str
    division: str
    registry_id: str | None = None


@dataclass
class _Call:
    """What one call did, for its ShareCall row and ledger entries."""

    caller: Caller
    operation: str
    service_code: str
    service: SharingService | None = None
    grant: SharingGrant | None = None
    consent: Consent | None = None
    purpose: str = ""
    fields: list[str] = field(default_factory=list)
    # (subject ref or registry id, registry id) of each person or company concerned, in order.
    subjects: dict[str, str | None] = field(default_factory=dict)
    record_count: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    # Records fetched with the service (a single-record call's one query): key → row or None.
    prefetched: dict[str, tuple | None] = field(default_factory=dict)

    def concerns(self, row: _Row) -> None:
        subject = row.subject_ref or row.registry_id
        if subject:
            self.subjects.setdefault(subject, row.registry_id)


def _actor_label(caller: Caller) -> str:
    actor = caller.actor
    if actor.kind == "api_client":
        return f"api_client:{_client_public_id(caller)}"
    if actor.user_id is not None:
        return f"user:{actor.user_id}"
    return actor.kind or "anonymous"


def _client(caller: Caller) -> tuple[str, str]:
    """(public id, name) of the calling API client: from the caller (the API passes them from the
    authenticated client), else looked up (direct calls from other modules and tests)."""
    if caller.client_public_id:
        return caller.client_public_id, caller.client_name
    client_id = caller.actor.api_client_id
    if client_id is None:
        return "", ""
    from zhengtong.kernel.identity.models import ApiClient

    row = ApiClient.objects.filter(pk=client_id).values_list("public_id", "name").first()
    return (str(row[0]), row[1]) if row else (str(client_id), "")


def _client_public_id(caller: Caller) -> str:
    return _client(caller)[0]


def _commit_log(call: _Call, outcome: str, status: int) -> None:
    """The ShareCall row and the ledger entries of the call, in one transaction of their own."""
    caller = call.caller
    service_code = call.service.code if call.service is not None else call.service_code[:64]
    payload = {
        "service": service_code,
        "operation": call.operation,
        "fields": list(call.fields),
        "purpose": call.purpose,
        "grant": str(call.grant.public_id) if call.grant is not None else None,
        "consent": str(call.consent.public_id) if call.consent is not None else None,
        "officer": caller.officer[:OFFICER_MAX_LENGTH],
        "correlation_id": caller.correlation_id,
        "department": caller.actor.department_id,
        "api_client": _client(caller)[1],
        "outcome": outcome,
        **call.details,
    }
    kind = "share.call" if outcome == "ok" else "share.refused"
    actor = _actor_label(caller)
    if call.subjects:
        entries = [
            LedgerEntry(kind=kind, subject=subject, actor=actor,
                        payload={**payload, "registry_id": registry_id} if registry_id else payload)
            for subject, registry_id in call.subjects.items()
        ]
    else:
        entries = [LedgerEntry(kind=kind, subject=f"service:{service_code or '-'}", actor=actor, payload=payload)]
    single = call.operation == CallOperation.RECORD and len(call.subjects) == 1
    row = _call_row({
        "at": timezone.now(), "correlation_id": caller.correlation_id,
        "service_id": call.service.pk if call.service is not None else None,
        "api_client_id": caller.actor.api_client_id, "department_id": caller.actor.department_id,
        "grant_id": call.grant.pk if call.grant is not None else None,
        "consent_id": call.consent.pk if call.consent is not None else None,
        "officer": caller.officer[:OFFICER_MAX_LENGTH], "purpose": call.purpose[:500], "operation": call.operation,
        "fields": list(call.fields), "outcome": outcome, "status_code": status,
        "subject_ref": next(iter(call.subjects))[:80] if single else "", "subject_count": len(call.subjects),
        "record_count": call.record_count, "ledger_leaf": None,
    })
    # The ledger entries and the ShareCall row together, committed before the answer leaves; on
    # PostgreSQL one self-committing statement (kernel.ledger ledger_append_with_row).
    ledger_append_with_row(entries=entries, table=ShareCall._meta.db_table,
                           columns=[f.column for f in _CALL_FIELDS], values=row, leaf_column="ledger_leaf")


class _Logged:
    """Runs a gateway operation and logs it however it ends: "ok", the ShareError's code, or
    "internal_error" for anything else (logged, then re-raised)."""

    def __init__(self, call: _Call):
        self.call = call

    def __enter__(self) -> _Call:
        return self.call

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            _commit_log(self.call, "ok", 200)
        elif isinstance(exc, ShareError):
            _commit_log(self.call, exc.code, exc.status)
        else:
            try:
                _commit_log(self.call, "internal_error", 500)
            except Exception:  # the original error is the one to report
                logger.exception("could not log a failed gateway call %s", self.call.caller.correlation_id)
        return False


# --- the hot path's SQL ---------------------------------------------------------------------------
#
# A keyed lookup is the gateway's busiest call, and the ORM's query building cost more than the
# queries themselves (about half a millisecond each). The few statements of the hot path are
# written once here, over every concrete column of their models, and their rows converted by the
# same converters Django applies (backend and field: dates on SQLite, JSON, encrypted text), so the
# instances are the ORM's own.


class _Columns:
    """Every concrete column of a model under a table alias, and how to turn a row slice back into
    an instance (Model.from_db, with the converters the ORM's compiler would apply)."""

    def __init__(self, model, alias: str):
        self.model, self.alias = model, alias
        self.fields = list(model._meta.concrete_fields)
        self.names = [f.attname for f in self.fields]
        self._converters: dict[str, list] = {}

    def sql(self, db) -> str:
        quote = db.ops.quote_name
        return ", ".join(f"{self.alias}.{quote(f.column)}" for f in self.fields)

    def converters(self, db) -> list:
        found = self._converters.get(db.vendor)
        if found is None:
            found = []
            for index, field_ in enumerate(self.fields):
                column = field_.get_col(self.alias)
                convs = db.ops.get_db_converters(column) + column.get_db_converters(db)
                if convs:
                    found.append((index, convs, column))
            self._converters[db.vendor] = found
        return found

    def instance(self, db, values: Sequence[Any]):
        values = list(values)
        for index, convs, column in self.converters(db):
            value = values[index]
            for convert in convs:
                value = convert(value, column, db)
            values[index] = value
        return self.model.from_db(db.alias, self.names, values)

    def __len__(self) -> int:
        return len(self.fields)


_SERVICE = _Columns(SharingService, "s")
_GRANT = _Columns(SharingGrant, "g")
_RECORD_PAYLOAD = ShareRecord._meta.get_field("payload")
_CALL_FIELDS = [f for f in ShareCall._meta.concrete_fields if not f.primary_key]
# The ShareCall values the ORM would prepare differently from how Python holds them (JSON, times,
# UUIDs); ids, numbers and texts go as they are.
_CALL_PREPARED = [i for i, f in enumerate(_CALL_FIELDS)
                  if not isinstance(f, (models.CharField, models.IntegerField, models.ForeignKey))]
_SQL: dict[tuple[str, str], str] = {}


def _db():
    return connections[DEFAULT_DB_ALIAS]


def _sql(db, name: str) -> str:
    """The hot path's statements, written once per database vendor."""
    key = (db.vendor, name)
    text = _SQL.get(key)
    if text is None:
        quote = db.ops.quote_name
        table = {m: quote(m._meta.db_table) for m in (SharingService, SharingGrant, ShareRecord, ShareCall)}
        if name == "service":
            record = ", ".join(f"r.{quote(c)}" for c in ("key", "subject_ref", "division", "payload"))
            text = (f"SELECT {_SERVICE.sql(db)}, {_GRANT.sql(db)}, {record} FROM {table[SharingService]} s "
                    f"LEFT JOIN {table[ShareRecord]} r ON r.{quote('service_id')} = s.{quote('id')} "
                    f"AND r.{quote('key')} = %s "
                    f"LEFT JOIN {table[SharingGrant]} g ON g.{quote('service_id')} = s.{quote('id')} "
                    f"AND g.{quote('api_client_id')} = %s WHERE s.{quote('code')} = %s "
                    f"ORDER BY g.{quote('created_at')} DESC, g.{quote('id')} DESC")
        elif name == "record":
            text = (f"SELECT {quote('key')}, {quote('subject_ref')}, {quote('division')}, {quote('payload')} "
                    f"FROM {table[ShareRecord]} WHERE {quote('service_id')} = %s AND {quote('key')} ")
        else:
            raise KeyError(name)
        _SQL[key] = text
    return text


def _execute(db, sql: str, params: Sequence[Any], *, fetch: bool = True) -> list[tuple]:
    """Run one of the hot path's statements. On PostgreSQL as a prepared statement (server-side
    binding on Django's own connection, so in its transaction): the server parses and plans each
    statement once per connection instead of once per call."""
    if db.vendor == "postgresql":
        import psycopg

        db.ensure_connection()
        with psycopg.Cursor(db.connection) as cursor:
            cursor.execute(sql, params, prepare=True)
            return cursor.fetchall() if fetch else []
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if fetch else []


def _service_and_grants(code: str, api_client_id: int, record_key: str | None = None
                        ) -> tuple[SharingService | None, list[SharingGrant], tuple | None]:
    """The service by code, the client's grants for it (newest first) and, when a key is given,
    the service's record under that key as _records_select gives it: one query."""
    db = _db()
    rows = _execute(db, _sql(db, "service"), [record_key or "", api_client_id, code])
    if not rows:
        return None, [], None
    width, grant_width = len(_SERVICE), len(_GRANT)
    service = _SERVICE.instance(db, rows[0][:width])
    grants = []
    for row in rows:
        if row[width] is None:  # no grant: the LEFT JOIN's empty side
            continue
        grant = _GRANT.instance(db, row[width:width + grant_width])
        grant.service = service
        grants.append(grant)
    record = rows[0][width + grant_width:]
    if record_key is None or record[0] is None:
        return service, grants, None
    key, ref, division, payload = record
    return service, grants, (key, ref, division, _RECORD_PAYLOAD.from_db_value(payload, None, db))


def _records_select(service_id: int, keys: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """(key, subject ref, division, payload JSON) of the service's records with these keys."""
    db = _db()
    condition = "= %s" if len(keys) == 1 else f"IN ({', '.join(['%s'] * len(keys))})"
    rows = _execute(db, _sql(db, "record") + condition, [service_id, *keys])
    return [(key, ref, division, _RECORD_PAYLOAD.from_db_value(payload, None, db))
            for key, ref, division, payload in rows]


def _call_row(values: dict[str, Any]) -> list[Any]:
    """A ShareCall row's values in column order, each prepared as the ORM would prepare it."""
    db = _db()
    row = [values.get(f.attname) for f in _CALL_FIELDS]
    for index in _CALL_PREPARED:
        if row[index] is not None or not _CALL_FIELDS[index].null:
            row[index] = _CALL_FIELDS[index].get_db_prep_save(row[index], db)
    return row


# --- who may read what -------------------------------------------------------------------------


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _check_caller(call: _Call) -> None:
    caller = call.caller
    if caller.actor.kind != "api_client" or caller.actor.api_client_id is None:
        raise ShareError("api_client_required")
    if len(caller.officer) > OFFICER_MAX_LENGTH or any(ord(c) < 32 for c in caller.officer):
        raise ShareError("bad_request", detail=_("The officer (X-Officer) is at most 64 printable characters."))


def _resolve(call: _Call, record_key: str | None = None) -> tuple[SharingService, SharingGrant | None,
                                                                    SharingGrant | None]:
    """The service, the caller's active grant for it (None if none) and its latest grant (to say
    why there is no active one). One query, which also fetches the record under `record_key` of
    a dataset service (kept in call.prefetched for _rows)."""
    _check_caller(call)
    code = call.service_code
    service, grants, record = (_service_and_grants(code, call.caller.actor.api_client_id, record_key)
                               if code else (None, [], None))
    if record_key is not None:
        call.prefetched = {record_key: record}
    if service is None or not service.is_active:
        raise ShareError("service_unknown", service=code[:64])
    call.service = service
    if service.kind == ServiceKind.DATASET and service.published_version is None:
        raise ShareError("service_unpublished", service=service.code)
    now = timezone.now()
    active = next((g for g in grants if g.revoked_at is None and g.expires_at > now), None)
    return service, active, (grants[0] if grants else None)


def _grant_refusal(service: SharingService, latest: SharingGrant | None, caller: Caller) -> ShareError:
    if latest is not None and latest.revoked_at is not None:
        return ShareError("grant_revoked", service=service.code, revoked_at=_when(latest.revoked_at),
                          reason=latest.revoked_reason or "-")
    if latest is not None:
        return ShareError("grant_expired", service=service.code, expired_at=_when(latest.expires_at))
    if CONSENT_SCOPE in caller.actor.roles:
        return ShareError("consent_required")
    return ShareError("grant_missing", service=service.code)


def _use_grant(call: _Call, grant: SharingGrant) -> None:
    call.grant = grant
    call.purpose = grant.purpose
    retry_after = rate_limit_hit(f"grant:{grant.pk}", grant.rate_limit_per_minute)
    if retry_after is not None:
        raise ShareError("rate_limited", limit=grant.rate_limit_per_minute, retry_after=retry_after)


def _consent_rate_limit(call: _Call, service: SharingService) -> None:
    limit = int(getattr(settings, "SHARE_CONSENT_RATE_LIMIT", 600))
    retry_after = rate_limit_hit(f"consent:{call.caller.actor.api_client_id}:{service.pk}", limit)
    if retry_after is not None:
        raise ShareError("rate_limited", limit=limit, retry_after=retry_after)


def _service_fields(service: SharingService) -> list[str]:
    return [f["name"] for f in service.fields]


def _names(service: SharingService, names: Iterable[str], what: str) -> list[str]:
    """Field names the caller gave, in the service's order; bad_request for unknown ones."""
    given = [str(n).strip() for n in names if str(n).strip()]
    known = _service_fields(service)
    unknown = [n for n in dict.fromkeys(given) if n not in known]
    if unknown:
        raise ShareError("bad_request", detail=_("The service has no field(s) %(fields)s (in “%(what)s”).")
                         % {"fields": "、".join(n[:64] for n in unknown[:10]), "what": what})
    chosen = set(given)
    return [n for n in known if n in chosen]


def _ordered(service: SharingService, names: Iterable[str]) -> list[str]:
    chosen = set(names)
    return [n for n in _service_fields(service) if n in chosen]


def _key_check(key: Any) -> str:
    if not isinstance(key, str) or not key.strip():
        raise ShareError("bad_request", detail=_("Each key must be a non-empty text."))
    if len(key) > KEY_MAX_LENGTH:
        raise ShareError("bad_request", detail=_("A key is at most %(max)s characters.") % {"max": KEY_MAX_LENGTH})
    return key.strip()


def _grant_fields(call: _Call, service: SharingService, grant: SharingGrant, fields: Sequence[str],
                  plain: Sequence[str]) -> tuple[list[str], list[str], set[str], set[str]]:
    """(fields asked, plain asked, fields beyond the grant, plain beyond its clear fields)."""
    plain_asked = _names(service, plain, "plain")
    asked = _names(service, [*fields, *plain_asked], "fields") if fields else _ordered(
        service, [*grant.fields, *plain_asked])
    call.fields = asked
    beyond = set(asked) - set(grant.fields)
    plain_beyond = set(plain_asked) - set(grant.clear_fields)
    return asked, plain_asked, beyond, plain_beyond


def _consent_state(consent: Consent | None) -> str:
    if consent is None:
        return "none"
    if consent.revoked_at is not None:
        return "revoked"
    if consent.expires_at <= timezone.now():
        return "expired"
    return "active"


def _consent_refusal(consent: Consent) -> ShareError:
    if consent.revoked_at is not None:
        return ShareError("consent_revoked", revoked_at=_when(consent.revoked_at))
    return ShareError("consent_expired", expired_at=_when(consent.expires_at))


def _in_scope(row: _Row, scope: str) -> bool:
    return not scope or row.division.startswith(scope)


# --- reading records ---------------------------------------------------------------------------


def _masking_kinds(service: SharingService) -> dict[str, str]:
    return {f["name"]: (f.get("masking_kind") or FieldKind.PLAIN) for f in service.fields}


def _present(service: SharingService, row: _Row, fields: Sequence[str], clear: set[str]) -> SharedRecord:
    kinds = _masking_kinds(service)
    values: dict[str, Any] = {}
    masked = []
    for name in fields:
        value = row.values.get(name)
        kind = kinds.get(name, FieldKind.FREE_TEXT)
        if value is None or name in clear or kind in UNMASKED_KINDS:
            values[name] = value
            continue
        try:
            values[name] = mask_value(kind, str(value))
        except (ValueError, KeyError):  # a masking kind the kernel does not know: show nothing
            values[name] = mask_value(FieldKind.FREE_TEXT, str(value))
        masked.append(name)
    return SharedRecord(key=row.key, values=values, masked=tuple(masked))


def _rows_dataset(service: SharingService, keys: Sequence[str]) -> dict[str, _Row]:
    return {key: _Row(key, orjson.loads(payload), ref, division)
            for key, ref, division, payload in _records_select(service.pk, list(keys))}


def _registry_kind(service: SharingService) -> str:
    return service.registry_kind or service.code.removeprefix("registry-")


def _rows_registry(service: SharingService, keys: Sequence[str]) -> dict[str, _Row]:
    """Golden records by registry id, every needed attribute in plain (masked afterwards here, by
    the service's masking kinds): a merged id gives the survivor's record."""
    kind = _registry_kind(service)
    subject_field = service.subject_field or REGISTRY_SUBJECT_FIELD.get(kind, "")
    division_field = service.division_field or REGISTRY_DIVISION_FIELD
    wanted = tuple(dict.fromkeys([*_service_fields(service), subject_field, division_field]))
    rows = {}
    for key, (registry_id, values) in golden_values_shared(kind=kind, registry_ids=list(keys), fields=wanted).items():
        identifier = values.get(subject_field) if subject_field else None
        ref = subject_ref(service.subject_kind or kind, identifier) if identifier else ""
        rows[key] = _Row(registry_id, values, ref, str(values.get(division_field) or ""), registry_id)
    return rows


def _rows(service: SharingService, keys: Sequence[str]) -> dict[str, _Row]:
    if not keys:
        return {}
    if service.kind == ServiceKind.REGISTRY:
        return _rows_registry(service, keys)
    return _rows_dataset(service, keys)


def _one_row(call: _Call, service: SharingService, key: str) -> _Row | None:
    """The record under the key: fetched with the service already (a dataset's), or now."""
    if service.kind == ServiceKind.DATASET and key in call.prefetched:
        found = call.prefetched[key]
        return None if found is None else _Row(found[0], orjson.loads(found[3]), found[1], found[2])
    return _rows(service, [key]).get(key)


def _has_subjects(service: SharingService) -> bool:
    """Whether the service's records name the person or company they concern (so a consent can
    cover them)."""
    return service.kind == ServiceKind.REGISTRY or bool(service.subject_field and service.subject_kind)


def _key_subject(service: SharingService, key: str) -> str:
    """The subject ref a key names by itself, when the key is the subject's identifier (a dataset
    keyed by resident ID): so a consent can be checked for a key that has no record."""
    if service.kind == ServiceKind.DATASET and service.subject_field and service.subject_field == service.key_field:
        return subject_ref(service.subject_kind, key) if service.subject_kind else ""
    return ""


def share_record(*, caller: Caller, service_code: str, key: str, fields: Sequence[str] = (),
                 plain: Sequence[str] = ()) -> SharedRecord:
    """One record by its key, as the caller's grant (or the subject's consent) allows; logged."""
    with _Logged(_Call(caller, CallOperation.RECORD, service_code)) as call:
        usable = key.strip() if isinstance(key, str) and 0 < len(key.strip()) <= KEY_MAX_LENGTH else None
        service, grant, latest = _resolve(call, record_key=usable)
        key = _key_check(key)
        if grant is None:
            return _record_by_consent(call, service, key, fields, plain, latest)
        _use_grant(call, grant)
        asked, plain_asked, beyond, plain_beyond = _grant_fields(call, service, grant, fields, plain)
        if (beyond or plain_beyond) and not _has_subjects(service):
            _fields_refusal(beyond, plain_beyond)
        row = _one_row(call, service, key)
        if row is None:
            raise ShareError("unknown_key", service=service.code)
        call.concerns(row)
        if not _in_scope(row, grant.row_scope):
            raise ShareError("out_of_scope", scope=grant.row_scope)
        consented: set[str] = set()
        if beyond or plain_beyond:
            consent = consent_find(api_client_id=caller.actor.api_client_id, subject_ref=row.subject_ref,
                                   service_id=service.pk) if row.subject_ref else None
            if _consent_state(consent) == "active":
                consented = set(consent.fields)
                if (beyond | plain_beyond) & consented:
                    call.consent = consent
            _fields_refusal(beyond - consented, plain_beyond - consented)
        clear = (set(plain_asked) & set(grant.clear_fields)) | (consented & set(asked))
        call.record_count = 1
        return _present(service, row, asked, clear)


def _fields_refusal(beyond: set[str], plain_beyond: set[str]) -> None:
    if beyond:
        raise ShareError("field_not_granted", fields=sorted(beyond))
    if plain_beyond:
        raise ShareError("plain_not_granted", fields=sorted(plain_beyond))


def _record_by_consent(call: _Call, service: SharingService, key: str, fields: Sequence[str], plain: Sequence[str],
                       latest: SharingGrant | None) -> SharedRecord:
    """No active grant: the record only if its subject consented to this system reading it."""
    caller = call.caller
    row = _one_row(call, service, key)
    ref = row.subject_ref if row is not None else _key_subject(service, key)
    consent = consent_find(api_client_id=caller.actor.api_client_id, subject_ref=ref,
                           service_id=service.pk) if ref else None
    if consent is None:
        raise _grant_refusal(service, latest, caller)
    if row is not None:
        call.concerns(row)
    call.consent = consent
    call.purpose = consent.purpose
    if _consent_state(consent) != "active":
        raise _consent_refusal(consent)
    _consent_rate_limit(call, service)
    plain_asked = _names(service, plain, "plain")
    asked = _names(service, [*fields, *plain_asked], "fields") if fields else _ordered(service, consent.fields)
    call.fields = asked
    _fields_refusal(set(asked) - set(consent.fields), set())
    if row is None:
        raise ShareError("unknown_key", service=service.code)
    call.record_count = 1
    return _present(service, row, asked, set(asked))


def share_batch(*, caller: Caller, service_code: str, keys: Sequence[str], fields: Sequence[str] = (),
                plain: Sequence[str] = ()) -> list[SharedRecord | Withheld | None]:
    """Up to 100 records by key under the caller's grant, aligned with `keys`: None for an unknown
    key, Withheld(key, "out_of_scope") for a record outside the grant's rows. Logged once, with
    one ledger entry per person or company whose record was given."""
    with _Logged(_Call(caller, CallOperation.BATCH, service_code)) as call:
        service, grant, latest = _resolve(call)
        if grant is None:
            raise _grant_refusal(service, latest, caller) if latest is not None else ShareError(
                "grant_missing", service=service.code)
        if not isinstance(keys, (list, tuple)) or not 1 <= len(keys) <= MAX_BATCH:
            raise ShareError("bad_request", detail=_("Give from 1 to %(max)s keys.") % {"max": MAX_BATCH})
        keys = [_key_check(k) for k in keys]
        _use_grant(call, grant)
        asked, plain_asked, beyond, plain_beyond = _grant_fields(call, service, grant, fields, plain)
        _fields_refusal(beyond, plain_beyond)
        rows = _rows(service, list(dict.fromkeys(keys)))
        clear = set(plain_asked)
        results: list[SharedRecord | Withheld | None] = []
        given = 0
        for key in keys:
            row = rows.get(key)
            if row is None:
                results.append(None)
            elif not _in_scope(row, grant.row_scope):
                results.append(Withheld(key, "out_of_scope"))
            else:
                call.concerns(row)
                results.append(_present(service, row, asked, clear))
                given += 1
        call.record_count = given
        call.details = {"keys": len(keys)}
        return results


# --- queries and aggregates over the published version (DuckDB) ----------------------------------


def _field_types(service: SharingService) -> dict[str, str]:
    return {f["name"]: f.get("type") or "string" for f in service.fields}


def _typed(service: SharingService, name: str, value: str) -> Any:
    """A filter value as its field's type, to bind as a parameter; bad_request when it is not one."""
    kind = _field_types(service).get(name, "string")
    text = str(value)
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            number = float(text)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError
            return number
        if kind == "boolean":
            return {"true": True, "1": True, "false": False, "0": False}[text.strip().lower()]
    except (ValueError, KeyError):
        raise ShareError("bad_request", detail=_("“%(value)s” is not a valid %(type)s for the filter %(field)s.")
                         % {"value": text[:64], "type": kind, "field": name}) from None
    return text


def _filters(service: SharingService, filters: Mapping[str, str] | None,
             granted: Sequence[str] | None = None) -> list[tuple[str, Any]]:
    """Checked filters with typed values. A query filters only on fields the grant covers too (a
    filter on another field would tell its values); an aggregate on any of the service's filters."""
    allowed = [f for f in service.filter_fields or [] if granted is None or f in granted]
    checked = []
    for name, value in (filters or {}).items():
        if name not in allowed:
            raise ShareError("filter_not_allowed", field=str(name)[:64], allowed=allowed or ["-"])
        checked.append((name, _typed(service, name, value)))
    return checked


def _where(service: SharingService, filters: list[tuple[str, Any]], scope: str) -> tuple[list[str], list[Any]]:
    """Conditions and their parameters: identifiers only from the service's fields (checked)."""
    key = ident(service.key_field)
    conditions = [f"{key} IS NOT NULL", f"CAST({key} AS VARCHAR) <> ''",
                  f"length(CAST({key} AS VARCHAR)) <= {KEY_MAX_LENGTH}"]
    parameters: list[Any] = []
    for name, value in filters:
        conditions.append(f"{ident(name)} = ?")
        parameters.append(value)
    if scope:
        if not service.division_field:  # rows without a division are in no division's scope
            conditions.append("false")
        else:
            conditions.append(f"starts_with(CAST({ident(service.division_field)} AS VARCHAR), ?)")
            parameters.append(scope)
    return conditions, parameters


def _relation(service: SharingService) -> str:
    return version_relation_sql(service.dataset_id, service.published_version)


def _dataset_only(service: SharingService, operation: str) -> None:
    if service.kind != ServiceKind.DATASET:
        raise ShareError("operation_not_supported", service=service.code, operation=operation)


def _cursor_encode(key: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"after": key})).decode("ascii").rstrip("=")


def _cursor_decode(cursor: str) -> str:
    try:
        text = str(cursor)
        data = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        key = data["after"]
        if not isinstance(key, str) or len(key) > KEY_MAX_LENGTH:
            raise ValueError
        return key
    except (ValueError, TypeError, KeyError, binascii.Error, orjson.JSONDecodeError):
        raise ShareError("bad_request", detail=_("The cursor is not one this service gave.")) from None


def share_query(*, caller: Caller, service_code: str, filters: Mapping[str, str], after: str | None = None,
                limit: int = 100, fields: Sequence[str] = (), plain: Sequence[str] = ()) -> QueryPage:
    """Records matching equality filters on the service's filter fields, within the grant's rows,
    in key order, `limit` (≤ 100) a page; `after` is the previous page's next_cursor. The first
    page carries the number of matching records."""
    with _Logged(_Call(caller, CallOperation.QUERY, service_code)) as call:
        service, grant, latest = _resolve(call)
        if grant is None:
            raise _grant_refusal(service, latest, caller) if latest is not None else ShareError(
                "grant_missing", service=service.code)
        _dataset_only(service, str(_("queries")))
        checked = _filters(service, filters, granted=grant.fields)
        call.details = {"filters": [name for name, _value in checked]}
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise ShareError("bad_request", detail=_("“limit” must be a whole number from 1 to %(max)s.")
                             % {"max": MAX_PAGE})
        after_key = _cursor_decode(after) if after else None
        _use_grant(call, grant)
        asked, plain_asked, beyond, plain_beyond = _grant_fields(call, service, grant, fields, plain)
        _fields_refusal(beyond, plain_beyond)
        conditions, parameters = _where(service, checked, grant.row_scope)
        key_text = f"CAST({ident(service.key_field)} AS VARCHAR)"
        con = duckdb_connect()
        try:
            relation = _relation(service)
            total = None
            if after_key is None:
                (total,) = con.execute(f"SELECT count(DISTINCT {key_text}) FROM {relation} WHERE "
                                       + " AND ".join(conditions), parameters).fetchall()[0]
            page_conditions, page_parameters = list(conditions), list(parameters)
            if after_key is not None:
                page_conditions.append(f"{key_text} > ?")
                page_parameters.append(after_key)
            keys = [k for (k,) in con.execute(
                f"SELECT DISTINCT {key_text} AS k FROM {relation} WHERE " + " AND ".join(page_conditions)
                + f" ORDER BY k LIMIT {limit + 1}", page_parameters).fetchall()]
        finally:
            con.close()
        page = keys[:limit]
        rows = _rows(service, page)
        records = []
        for key in page:
            row = rows.get(key)
            if row is None or not _in_scope(row, grant.row_scope):
                continue  # the index and the version disagree only while a publish is under way
            call.concerns(row)
            records.append(_present(service, row, asked, set(plain_asked)))
        call.record_count = len(records)
        next_cursor = _cursor_encode(page[-1]) if len(keys) > limit else None
        return QueryPage(records=tuple(records), next_cursor=next_cursor, estimated_total=total)


AGGREGATE_OPS = ("count", "sum", "avg")


def share_aggregate(*, caller: Caller, service_code: str, op: str, measure: str = "", group_by: Sequence[str] = (),
                    filters: Mapping[str, str] | None = None) -> AggregateAnswer:
    """Usable but not visible (可用不可见): count, sum or average of the grant's rows, grouped,
    answering only groups of at least k records, never rows; logged."""
    with _Logged(_Call(caller, CallOperation.AGGREGATE, service_code)) as call:
        service, grant, latest = _resolve(call)
        if grant is None:
            raise _grant_refusal(service, latest, caller) if latest is not None else ShareError(
                "grant_missing", service=service.code)
        _dataset_only(service, str(_("aggregates")))
        if op not in AGGREGATE_OPS:
            raise ShareError("bad_request", detail=_("The operation must be count, sum or avg, not “%(op)s”.")
                             % {"op": str(op)[:32]})
        group_by = [str(g) for g in group_by if str(g)]
        allowed_groups = list(service.group_fields or [])
        for name in group_by:
            if name not in allowed_groups:
                raise ShareError("aggregate_not_allowed", field=name[:64], allowed=allowed_groups or ["-"])
        if len(set(group_by)) != len(group_by):
            raise ShareError("bad_request", detail=_("A field is named twice in “group_by”."))
        allowed_measures = list(service.measure_fields or [])
        if op != "count" and measure not in allowed_measures:
            raise ShareError("aggregate_not_allowed", field=str(measure)[:64] or "-", allowed=allowed_measures or ["-"])
        if op == "count" and measure and measure not in allowed_measures:
            raise ShareError("aggregate_not_allowed", field=str(measure)[:64], allowed=allowed_measures or ["-"])
        checked = _filters(service, filters)
        call.fields = [*group_by, *([measure] if measure else [])]
        call.details = {"op": op, "measure": measure, "group_by": group_by,
                        "filters": [name for name, _value in checked]}
        _use_grant(call, grant)
        conditions, parameters = _where(service, checked, grant.row_scope)
        groups_sql = ", ".join(ident(g) for g in group_by)
        value_sql = {"count": "NULL", "sum": f"sum({ident(measure)})", "avg": f"avg({ident(measure)})"}[op]
        sql = (f"SELECT {groups_sql + ', ' if group_by else ''}count(*) AS n, {value_sql} AS v FROM {_relation(service)}"
               f" WHERE {' AND '.join(conditions)}")
        if group_by:
            sql += f" GROUP BY {groups_sql} ORDER BY {groups_sql}"
        con = duckdb_connect()
        try:
            rows = con.execute(sql, parameters).fetchall()
        finally:
            con.close()
        k = aggregate_min_group()
        shown, suppressed = [], 0
        for row in rows:
            count = int(row[len(group_by)])
            if count < k or count == 0:
                suppressed += 1
                continue
            value = row[len(group_by) + 1]
            shown.append(AggregateGroup(group=dict(zip(group_by, row[:len(group_by)], strict=True)), count=count,
                                        value=_number(value)))
        call.details.update({"groups": len(shown), "suppressed_groups": suppressed, "k": k})
        return AggregateAnswer(groups=tuple(shown), suppressed_groups=suppressed, k=k)


def _number(value: Any) -> float | int | None:
    if value is None:
        return None
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


# --- refusals that never reach an operation ------------------------------------------------------


def share_refuse(*, caller: Caller, service_code: str, operation: str, error: ShareError) -> ShareError:
    """Log a call the API refused before it could be handed to an operation (a malformed body…);
    returns the error to answer with."""
    call = _Call(caller, operation, service_code)
    service = SharingService.objects.filter(code=service_code).first() if service_code else None
    call.service = service
    if service is not None and caller.actor.api_client_id is not None:
        grant = (SharingGrant.objects.filter(api_client_id=caller.actor.api_client_id, service=service,
                                             revoked_at__isnull=True, expires_at__gt=timezone.now())
                 .order_by("-created_at", "-id").first())
        if grant is not None:
            call.grant, call.purpose = grant, grant.purpose
    _commit_log(call, error.code, error.status)
    return error
