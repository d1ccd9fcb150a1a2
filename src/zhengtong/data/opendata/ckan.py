"""The CKAN-compatible Action API (/api/3/action/<name>): what the `ckanapi` client, CKAN harvesters
(ckanext-harvest's CKAN harvester, ckanext-dcat) and the many scripts written against data.gov and
data.gov.uk call, answered from the open-data portal.

Read-only and anonymous, as CKAN's read actions are. Every answer starts from OpenDataset (through
selectors.open_dataset_queryset), so a dataset the public may not see is absent from lists,
counts and facets, and asking for it by id or name gets the same "Not found" as a dataset that
never existed. Rows of on-application datasets (datastore_search) go only to the approved
applicant — calling with one of their developer keys, or signed in — and each read is metered and,
for those, logged (access.py).

The envelope and the statuses are CKAN's (ckan/views/api.py):
    200 {"help": …, "success": true, "result": …}
    404 {"help": …, "success": false, "error": {"__type": "Not Found Error", "message": "Not found: …"}}
    403 … {"__type": "Authorization Error", "message": "Access denied: …"}
    409 … {"__type": "Validation Error", "<field>": ["…"], "message": "…"}
    400 "Bad request - Action name not known: <name>"  (a JSON string, as CKAN answers)
ckanapi turns them back into NotFound, NotAuthorized and ValidationError.

Search is not Solr: `q` is matched through kernel.search (Chinese segmentation), and `fq` accepts
the filter terms harvesters and clients send — `field:value`, `field:"quoted value"`, several
values of one field joined by OR, terms joined by spaces or AND, and
`metadata_modified:[<from> TO <to>]` — on organization, groups, tags, res_format, license_id,
name, id, open_tier, update_cycle, region, plus CKAN's own `dataset_type:dataset`, `state:active`,
`capacity:public`. Anything else is refused with a Validation Error naming the term, rather than
silently ignored (a harvester filtering on a field we do not know would otherwise copy everything).
"""

import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from zhengtong.data.catalog.public import Theme, UpdateCycle

from . import access, records
from .errors import OpenDataError
from .models import OpenDataset, OpenDatasetTag, OpenTier, UsageChannel
from .selectors import FORMATS, MAX_PAGE, TAGS, TOTAL, CountSpec, TextMatch, count_many, open_dataset_queryset
from .visibility import DOWNLOAD_FORMATS

logger = logging.getLogger(__name__)

# The CKAN version whose API this one answers like (status_show; some clients check it).
CKAN_VERSION = "2.10.4"
# Deterministic ids for things CKAN names by UUID and we by code: organisations (departments),
# groups (data themes) and resources (a dataset's download formats).
ID_NAMESPACE = uuid.UUID("6f1d4c8e-3b52-5c1a-9d0e-7a2f4b8c9e10")
FACET_LIMIT_DEFAULT = 50
PACKAGE_LIST_MAX = 1000

# Licence codes of the catalog → (title, text URL), as CKAN's licence register gives them.
LICENCES = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC0-1.0": ("Creative Commons CCZero", "https://creativecommons.org/publicdomain/zero/1.0/"),
}
FORMAT_MIMETYPES = {
    "CSV": "text/csv",
    "JSON": "application/json",
    "Parquet": "application/vnd.apache.parquet",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# --- errors, in CKAN's three kinds -------------------------------------------------------------

class CkanError(Exception):
    """One of CKAN's error kinds; each subclass words its body as CKAN does."""

    status = 400
    type = "Bad Request"
    message = ""

    def body(self) -> dict[str, Any]:
        return {"__type": self.type, "message": self.message}


class NotFound(CkanError):
    status = 404
    type = "Not Found Error"

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        text = _("Not found")
        return {"__type": self.type, "message": f"{text}: {self.message}" if self.message else text}


class NotAuthorized(CkanError):
    status = 403
    type = "Authorization Error"

    def __init__(self, message: str = "", *, status: int = 403, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        text = _("Access denied")
        return {"__type": self.type, "message": f"{text}: {self.message}" if self.message else text}


class ValidationError(CkanError):
    """Field → [messages], as CKAN's ValidationError.error_dict; "message" joins them."""

    status = 409
    type = "Validation Error"

    def __init__(self, errors: dict[str, list[str]], message: str | None = None):
        super().__init__(errors)
        self.errors = errors
        self.message = message or "; ".join(f"{field}: {' '.join(texts)}" for field, texts in errors.items())

    def body(self) -> dict[str, Any]:
        return {"__type": self.type, **self.errors, "message": self.message}


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _search_invalid(detail: str) -> ValidationError:
    return ValidationError({"fq": [detail]}, message=_("Search Query is invalid: %(detail)s") % {"detail": detail})


# --- parameters --------------------------------------------------------------------------------

def _int(data: dict, name: str, default: int, *, minimum: int = 0) -> int:
    value = data.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        raise _invalid(name, _("Invalid integer")) from None
    if number < minimum:
        raise _invalid(name, _("Must be a natural number") if minimum == 0 else
                       _("Must be a positive integer"))
    return number


def _bool(data: dict, name: str, default: bool) -> bool:
    value = data.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise _invalid(name, _("Value must be one of: true, false"))


def _list(data: dict, name: str) -> list[str]:
    """A list parameter given as a JSON list, a JSON string of one, repeated GET params, or a
    comma-separated string (CKAN accepts each somewhere)."""
    value = data.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise _invalid(name, _("Not a JSON list")) from None
        else:
            value = [part.strip() for part in text.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise _invalid(name, _("Must be a list of strings"))
    return [str(v) for v in value]


def _required(data: dict, name: str) -> str:
    value = data.get(name)
    if value is None or str(value).strip() == "":
        raise _invalid(name, _("Missing value"))
    if not isinstance(value, (str, int)):
        raise _invalid(name, _("Must be a string"))
    return str(value).strip()


# --- identifiers and dictionaries in CKAN's shapes ---------------------------------------------

def organization_id(department_code: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"organization:{department_code}"))


def group_id(theme: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"group:{theme}"))


def _format_mask(fmt: str) -> int:
    return uuid.uuid5(ID_NAMESPACE, f"resource:{fmt}").int


def resource_id(public_id: uuid.UUID, fmt: str) -> str:
    """A resource's id: the dataset's public id with the uuid5 of its format XOR-ed in. As stable
    as a uuid5 of (dataset, format), and resolvable back with one indexed lookup (a plain uuid5
    would need a scan of every dataset to find whose it is)."""
    return str(uuid.UUID(int=public_id.int ^ _format_mask(fmt)))


def _resource_candidates(value: str) -> dict[uuid.UUID, str]:
    try:
        number = uuid.UUID(str(value)).int
    except ValueError:
        return {}
    return {uuid.UUID(int=number ^ _format_mask(fmt)): fmt for fmt in DOWNLOAD_FORMATS}


def ckan_time(value: datetime | None) -> str | None:
    """CKAN's timestamps: UTC, ISO 8601 without a zone ("2026-05-01T08:30:00.123456")."""
    if value is None:
        return None
    if timezone.is_aware(value):
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat()


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def _theme_title(code: str) -> str:
    return str(Theme(code).label) if code in Theme.values else code


def organization_dict(row: OpenDataset | dict, *, package_count: int | None = None) -> dict[str, Any]:
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    code, name = get("department_code"), get("department_name")
    result = {
        "id": organization_id(code), "name": code.lower(), "title": name, "display_name": name,
        "description": "", "image_url": "", "image_display_url": "", "type": "organization",
        "is_organization": True, "state": "active", "approval_status": "approved", "created": None,
    }
    if package_count is not None:
        result["package_count"] = package_count
    return result


def group_dict(theme: str, *, package_count: int | None = None) -> dict[str, Any]:
    title = _theme_title(theme)
    result = {
        "id": group_id(theme), "name": theme.lower(), "title": title, "display_name": title,
        "description": "", "image_url": "", "image_display_url": "", "type": "group",
        "is_organization": False, "state": "active", "approval_status": "approved", "created": None,
    }
    if package_count is not None:
        result["package_count"] = package_count
    return result


def resource_dict(request: HttpRequest, dataset: OpenDataset, fmt: str, position: int) -> dict[str, Any]:
    return {
        "id": resource_id(dataset.public_id, fmt),
        "package_id": str(dataset.public_id),
        "name": _("%(title)s (%(format)s)") % {"title": dataset.title, "format": fmt},
        "description": _("The whole dataset as %(format)s, masked where its schema says so.") % {"format": fmt},
        "format": fmt,
        "mimetype": FORMAT_MIMETYPES.get(fmt),
        "url": _absolute(request, f"/opendata/datasets/{dataset.resource_code}/download.{fmt.lower()}"),
        "url_type": None,
        "datastore_active": True,
        "position": position,
        "state": "active",
        "created": ckan_time(dataset.data_modified or dataset.metadata_modified),
        "last_modified": ckan_time(dataset.data_modified),
        "metadata_modified": ckan_time(dataset.metadata_modified),
        "size": None,
        "hash": "",
        "resource_type": None,
    }


def package_dict(request: HttpRequest, dataset: OpenDataset) -> dict[str, Any]:
    """One dataset in CKAN's package shape (`dataset.tags` should be prefetched)."""
    tags = sorted(tag.name for tag in dataset.tags.all())
    licence_title, licence_url = LICENCES.get(dataset.licence, (dataset.licence, ""))
    formats = dataset.format_list
    extras = {
        "resource_code": dataset.resource_code,
        "department": dataset.department_name,
        "department_code": dataset.department_code,
        "update_cycle": dataset.update_cycle,
        "open_tier": dataset.tier,
        "region": dataset.region_name,
        "region_code": dataset.region_code,
    }
    return {
        "id": str(dataset.public_id),
        "name": dataset.name,
        "title": dataset.title,
        "notes": dataset.description,
        "url": _absolute(request, f"/opendata/datasets/{dataset.resource_code}/"),
        "type": "dataset",
        "state": "active",
        "private": False,
        "isopen": dataset.tier == OpenTier.OPEN and dataset.licence in LICENCES,
        "license_id": dataset.licence,
        "license_title": licence_title,
        "license_url": licence_url,
        "owner_org": organization_id(dataset.department_code),
        "organization": organization_dict(dataset),
        "author": dataset.department_name,
        "author_email": None,
        "maintainer": dataset.contact_name or dataset.department_name,
        "maintainer_email": dataset.contact_email or None,
        "version": str(dataset.version) if dataset.version is not None else None,
        "metadata_created": ckan_time(dataset.published_at or dataset.metadata_modified),
        "metadata_modified": ckan_time(dataset.metadata_modified),
        "tags": [{"name": name, "display_name": name, "state": "active", "vocabulary_id": None} for name in tags],
        "num_tags": len(tags),
        "groups": [group_dict(dataset.theme)] if dataset.theme else [],
        "resources": [resource_dict(request, dataset, fmt, i) for i, fmt in enumerate(formats)],
        "num_resources": len(formats),
        "extras": [{"key": key, "value": value} for key, value in sorted(extras.items())],
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }


def _datasets() -> QuerySet:
    return open_dataset_queryset().prefetch_related("tags")


def _dataset_by_id_or_name(value: str) -> OpenDataset:
    """A public dataset by CKAN id (public id) or name; NotFound — the same words — for one that
    does not exist and one the public may not see."""
    lookup = Q(name=value.lower())
    try:
        lookup |= Q(public_id=uuid.UUID(value))
    except ValueError:
        pass
    dataset = _datasets().filter(lookup).first()
    if dataset is None:
        raise NotFound(OpenDataError("dataset_unknown", dataset=value).message)
    return dataset


# --- fq: the filter terms ----------------------------------------------------------------------

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<op>AND|OR|&&|\|\|)(?=[\s()]|$)
    | (?P<paren>[()])
    | (?P<sign>[+-]?)(?P<field>[A-Za-z_][A-Za-z0-9_.]*):
      (?: "(?P<quoted>(?:[^"\\]|\\.)*)"
        | (?P<open>[\[{])(?P<range>[^\]}]*)(?P<close>[\]}])
        | (?P<bare>[^\s()"]+) )
    )""", re.VERBOSE)


@dataclass(frozen=True)
class Term:
    field: str
    value: str | None = None
    low: datetime | None = None  # a range's ends (None: open)
    high: datetime | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True


def _date_end(text: str, field: str, now: datetime) -> datetime | None:
    text = text.strip()
    if text == "*":
        return None
    match = re.fullmatch(r"NOW(?:([+-])(\d+)(SECOND|MINUTE|HOUR|DAY)S?)?(?:/(DAY|HOUR))?", text)
    if match:
        value = now
        if match.group(1):
            step = timedelta(**{match.group(3).lower() + "s": int(match.group(2))})
            value = value + step if match.group(1) == "+" else value - step
        if match.group(4) == "DAY":
            value = value.replace(hour=0, minute=0, second=0, microsecond=0)
        elif match.group(4) == "HOUR":
            value = value.replace(minute=0, second=0, microsecond=0)
        return value
    try:
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise _search_invalid(_("“%(value)s” is not a date in %(field)s; use ISO 8601 (2026-01-31T00:00:00Z), "
                                "NOW or *.") % {"value": text, "field": field}) from None
    # Solr dates are UTC; a date without a zone is read as UTC, as CKAN's harvester means it.
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def parse_fq(text: str, *, now: datetime | None = None) -> list[list[Term]]:
    """The filter query as clauses that must all hold, each a list of alternative terms of one
    field. Raises ValidationError ("Search Query is invalid") on anything it cannot read."""
    now = now or timezone.now()
    clauses: list[list[Term]] = []
    pending_or = False
    depth = 0
    position = 0
    text = text or ""
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            rest = text[position:].strip()
            raise _search_invalid(_("cannot read “%(rest)s”: write terms as field:value, "
                                    "field:\"a value\" or field:[from TO to].") % {"rest": rest[:60]})
        position = match.end()
        if match.group("op"):
            if match.group("op") in ("OR", "||"):
                if not clauses or pending_or:
                    raise _search_invalid(_("OR needs a term on each side."))
                pending_or = True
            continue
        if match.group("paren"):
            depth += 1 if match.group("paren") == "(" else -1
            if depth < 0:
                raise _search_invalid(_("a closing parenthesis without an opening one."))
            continue
        field = match.group("field")
        if match.group("sign") == "-":
            raise _search_invalid(_("excluding terms (-%(field)s:…) is not supported.") % {"field": field})
        if match.group("range") is not None:
            parts = re.split(r"\s+TO\s+", match.group("range").strip())
            if len(parts) != 2:
                raise _search_invalid(_("a range is written [from TO to]."))
            term = Term(field, low=_date_end(parts[0], field, now), high=_date_end(parts[1], field, now),
                        low_inclusive=match.group("open") == "[", high_inclusive=match.group("close") == "]")
        else:
            value = match.group("quoted")
            value = re.sub(r"\\(.)", r"\1", value) if value is not None else match.group("bare")
            term = Term(field, value=value)
        if pending_or:
            if clauses[-1][0].field != field:
                raise _search_invalid(_("OR between different fields (%(a)s, %(b)s) is not supported.")
                                      % {"a": clauses[-1][0].field, "b": field})
            clauses[-1].append(term)
            pending_or = False
        else:
            clauses.append([term])
    if pending_or:
        raise _search_invalid(_("OR needs a term on each side."))
    if depth != 0:
        raise _search_invalid(_("unbalanced parentheses."))
    return clauses


def _none() -> Q:
    return Q(pk__in=[])


def _values_q(column: str, transform: Callable[[str], str] = lambda v: v) -> Callable[[list[str]], Q]:
    return lambda values: Q(**{f"{column}__in": [transform(v) for v in values]})


def _format_q(values: list[str]) -> Q:
    by_lower = {fmt.lower(): fmt for fmt in DOWNLOAD_FORMATS}
    query = _none()
    for value in values:
        fmt = by_lower.get(value.lower())
        if fmt:
            query |= Q(formats__contains=fmt)
    return query


def _tags_q(values: list[str]) -> Q:
    return Q(id__in=OpenDatasetTag.objects.filter(name__in=values).values("open_dataset_id"))


def _ids_q(values: list[str]) -> Q:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            pass
    return Q(public_id__in=ids)


def _constant_q(expected: str) -> Callable[[list[str]], Q]:
    # CKAN's own index fields, which every public package here has; other values match nothing.
    return lambda values: Q() if expected in [v.lower() for v in values] else _none()


FILTER_FIELDS: dict[str, Callable[[list[str]], Q]] = {
    "organization": _values_q("department_code", str.upper),
    "groups": _values_q("theme", str.upper),
    "tags": _tags_q,
    "res_format": _format_q,
    "license_id": _values_q("licence"),
    "name": _values_q("name", str.lower),
    "id": _ids_q,
    "open_tier": _values_q("tier"),
    "update_cycle": _values_q("update_cycle"),
    "region": _values_q("region_code"),
    "dataset_type": _constant_q("dataset"),
    "type": _constant_q("dataset"),
    "state": _constant_q("active"),
    "capacity": _constant_q("public"),
    "private": _constant_q("false"),
}
DATE_FIELDS = {"metadata_modified": "metadata_modified", "metadata_created": "published_at"}


def fq_filter(clauses: list[list[Term]]) -> Q:
    query = Q()
    for clause in clauses:
        field = clause[0].field
        if field in DATE_FIELDS:
            column = DATE_FIELDS[field]
            alternatives = _none()
            for term in clause:
                if term.value is not None:
                    raise _search_invalid(_("%(field)s takes a range: %(field)s:[from TO to].") % {"field": field})
                part = Q()
                if term.low is not None:
                    part &= Q(**{f"{column}__{'gte' if term.low_inclusive else 'gt'}": term.low})
                if term.high is not None:
                    part &= Q(**{f"{column}__{'lte' if term.high_inclusive else 'lt'}": term.high})
                alternatives |= part
            query &= alternatives
        elif field in FILTER_FIELDS:
            if any(term.value is None for term in clause):
                raise _search_invalid(_("%(field)s takes a value, not a range.") % {"field": field})
            query &= FILTER_FIELDS[field]([term.value for term in clause])
        else:
            raise _search_invalid(_("“%(field)s” is not a field this portal filters on; fields: %(fields)s.")
                                  % {"field": field, "fields": ", ".join([*FILTER_FIELDS, *DATE_FIELDS])})
    return query


# --- sort and facets ---------------------------------------------------------------------------

SORT_FIELDS = {
    "metadata_modified": "metadata_modified",
    "metadata_created": "published_at",
    "name": "name",
    "title_string": "title",
    "title": "title",
    "id": "public_id",
}
DEFAULT_SORT = "score desc, metadata_modified desc"


def parse_sort(text: str, *, has_query: bool) -> list[str]:
    order: list[str] = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        bits = part.split()
        field, direction = bits[0], (bits[1].lower() if len(bits) > 1 else "asc")
        if len(bits) > 2 or direction not in ("asc", "desc"):
            raise _invalid("sort", _("“%(sort)s” is not a sort: write field asc|desc, e.g. "
                                     "metadata_modified desc.") % {"sort": part})
        if field in ("score", "relevance", "rank"):
            if has_query:
                order.append("-search_score" if direction == "desc" else "search_score")
            continue
        if field not in SORT_FIELDS:
            raise _invalid("sort", _("“%(field)s” is not a field to sort by; fields: %(fields)s.")
                           % {"field": field, "fields": ", ".join(["score", *SORT_FIELDS])})
        order.append(("-" if direction == "desc" else "") + SORT_FIELDS[field])
    if not any(o.lstrip("-") in ("name", "public_id") for o in order):
        order.append("name")  # a stable order for paging
    return order


FACET_FIELDS = ("organization", "groups", "tags", "res_format", "license_id", "open_tier", "update_cycle", "region")


# CKAN facet → what count_many groups by: (column, label column, leave out empty values).
FACET_COUNTS = {
    "organization": ("department_code", "department_name", False),
    "groups": ("theme", "", True),
    "tags": (TAGS, "", False),
    "res_format": (FORMATS, "", False),
    "license_id": ("licence", "", False),
    "open_tier": ("tier", "", False),
    "update_cycle": ("update_cycle", "", False),
    "region": ("region_code", "region_name", False),
}


def _facet_items(field: str, rows: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """(name, display name, count) of each value of `field`, from count_many's rows."""
    if field == "organization":
        return [(code.lower(), name, n) for code, name, n in rows]
    if field == "groups":
        return [(theme.lower(), _theme_title(theme), n) for theme, _label, n in rows]
    if field == "tags":
        return [(name, name, n) for name, _label, n in rows]
    if field == "res_format":
        counts = {fmt: n for fmt, _label, n in rows}
        return [(fmt, fmt, counts.get(fmt, 0)) for fmt in DOWNLOAD_FORMATS]
    if field == "license_id":
        return [(licence, LICENCES.get(licence, (licence,))[0], n) for licence, _label, n in rows]
    if field == "open_tier":
        return [(tier, str(OpenTier(tier).label) if tier in OpenTier.values else tier, n) for tier, _label, n in rows]
    if field == "update_cycle":
        return [(cycle, str(UpdateCycle(cycle).label) if cycle in UpdateCycle.values else cycle, n)
                for cycle, _label, n in rows]
    return [(code, name, n) for code, name, n in rows]


# --- the actions -------------------------------------------------------------------------------

@dataclass
class Call:
    request: HttpRequest
    data: dict[str, Any]


def site_read(call: Call) -> bool:
    """Whether the site may be read: always, open data needs no account."""
    return True


def status_show(call: Call) -> dict[str, Any]:
    """The site's name, address, CKAN API version and extensions."""
    return {
        "site_title": str(settings.PLATFORM_NAME) + " · " + _("Open data"),
        "site_description": _("Open government data of the province: search, download and the data API."),
        "site_url": call.request.build_absolute_uri("/").rstrip("/"),
        "ckan_version": CKAN_VERSION,
        "error_emails_to": None,
        "locale_default": "zh_Hans_CN",
        "extensions": ["datastore"],
    }


def package_list(call: Call) -> list[str]:
    """The names of the public datasets, in name order; `limit` and `offset` page them."""
    limit = _int(call.data, "limit", PACKAGE_LIST_MAX, minimum=0)
    offset = _int(call.data, "offset", 0)
    names = open_dataset_queryset().order_by("name").values_list("name", flat=True)
    return list(names[offset:offset + min(limit, PACKAGE_LIST_MAX)])


def package_show(call: Call) -> dict[str, Any]:
    """One dataset by `id` (its public id) or name."""
    return package_dict(call.request, _dataset_by_id_or_name(_required(call.data, "id")))


def package_search(call: Call) -> dict[str, Any]:
    """Search the public datasets: q (text), fq (filter terms), rows (≤ 1000), start, sort,
    facet, facet.field (a JSON list), facet.limit, facet.mincount."""
    data = call.data
    query = str(data.get("q") or "").strip()
    if query in ("*:*", "*"):
        query = ""
    rows = min(_int(data, "rows", 10), MAX_PAGE)  # CKAN caps rows at its maximum, silently
    start = _int(data, "start", 0)
    sort = str(data.get("sort") or DEFAULT_SORT).strip()
    order = parse_sort(sort, has_query=bool(query))
    clauses = parse_fq(str(data.get("fq") or ""))
    # Fielded terms in q (q=tags:食品, as many scripts write) filter like fq; the rest is text.
    if query:
        text_parts = []
        for part in re.findall(r'\S+:"[^"]*"|\S+:\[[^\]]*\]|\S+', query):
            field = part.split(":", 1)[0].lstrip("+")
            if ":" in part and (field in FILTER_FIELDS or field in DATE_FIELDS):
                clauses += parse_fq(part)
            else:
                text_parts.append(part)
        query = " ".join(text_parts)
        order = parse_sort(sort, has_query=bool(query))

    filtered = open_dataset_queryset().filter(fq_filter(clauses))
    match = TextMatch(query) if query else None

    def matching() -> QuerySet:
        return match.filter(filtered) if match is not None else filtered

    fields: list[str] = []
    if _bool(data, "facet", True):
        fields = _list(data, "facet.field")
        limit = _int(data, "facet.limit", FACET_LIMIT_DEFAULT, minimum=-1)
        mincount = _int(data, "facet.mincount", 1)
        for field in fields:
            if field not in FACET_FIELDS:
                raise _invalid("facet.field", _("“%(field)s” is not a facet; facets: %(fields)s.")
                               % {"field": field, "fields": ", ".join(FACET_FIELDS)})
    # The count, every facet and the text match in one query over the matching rows.
    counts = count_many([CountSpec(TOTAL, matching(), TOTAL),
                         *(CountSpec(field, matching(), *FACET_COUNTS[field]) for field in dict.fromkeys(fields))],
                        match=match)
    count = sum(n for _v, _l, n in counts[TOTAL])
    ordered = matching()  # the match is resolved now
    if match is not None and any(o.lstrip("-") == "search_score" for o in order):
        ordered = ordered.annotate(search_score=match.score())
    results = list(ordered.prefetch_related("tags").order_by(*order)[start:start + rows]) if rows else []

    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, dict[str, Any]] = {}
    if fields:
        for field in fields:
            items = sorted((i for i in _facet_items(field, counts[field]) if i[2] >= mincount),
                           key=lambda i: (-i[2], i[0]))
            if limit >= 0:
                items = items[:limit]
            facets[field] = {name: n for name, _display, n in items}
            search_facets[field] = {"title": field, "items": [
                {"name": name, "display_name": display, "count": n} for name, display, n in items]}
    return {
        "count": count,
        "sort": sort,
        "facets": facets,
        "search_facets": search_facets,
        "results": [package_dict(call.request, d) for d in results],
    }


def _department_rows() -> list[dict[str, Any]]:
    return list(open_dataset_queryset().order_by().values("department_code", "department_name")
                .annotate(package_count=Count("id")))


def _organization_by_id_or_name(value: str) -> dict[str, Any]:
    for row in _department_rows():
        if value.lower() == row["department_code"].lower() or value == organization_id(row["department_code"]):
            return row
    raise NotFound(_("There is no organization “%(organization)s” with open datasets.") % {"organization": value})


def organization_list(call: Call) -> list:
    """The departments that provide public datasets: names, or with all_fields their
    dictionaries with package_count. sort "name asc" (default), "title asc", "package_count desc"."""
    data = call.data
    rows = _department_rows()
    wanted = {name.lower() for name in _list(data, "organizations")}
    if wanted:
        rows = [r for r in rows if r["department_code"].lower() in wanted]
    sort = str(data.get("sort") or "name asc").strip()
    keys = {"name": lambda r: r["department_code"].lower(), "title": lambda r: r["department_name"],
            "package_count": lambda r: r["package_count"]}
    bits = sort.split()
    if not bits or bits[0] not in keys or len(bits) > 2 or (len(bits) == 2 and bits[1].lower() not in ("asc", "desc")):
        raise _invalid("sort", _("“%(sort)s” is not a sort; offered: %(allowed)s.")
                       % {"sort": sort, "allowed": "name asc, title asc, package_count desc"})
    rows.sort(key=lambda r: r["department_code"].lower())
    rows.sort(key=keys[bits[0]], reverse=len(bits) == 2 and bits[1].lower() == "desc")
    offset = _int(data, "offset", 0)
    limit = _int(data, "limit", len(rows))
    rows = rows[offset:offset + limit]
    if _bool(data, "all_fields", False):
        return [organization_dict(r, package_count=r["package_count"]) for r in rows]
    return [r["department_code"].lower() for r in rows]


def organization_show(call: Call) -> dict[str, Any]:
    """One department by id or name, with package_count; include_datasets adds its public
    datasets (at most 1000, newest first)."""
    row = _organization_by_id_or_name(_required(call.data, "id"))
    result = organization_dict(row, package_count=row["package_count"])
    if _bool(call.data, "include_datasets", False):
        datasets = _datasets().filter(department_code=row["department_code"]).order_by("-metadata_modified", "name")
        result["packages"] = [package_dict(call.request, d) for d in datasets[:MAX_PAGE]]
    return result


def group_list(call: Call) -> list:
    """The data themes (the EU data-theme vocabulary) as groups: names, or with all_fields their
    dictionaries with package_count."""
    counts = dict(open_dataset_queryset().order_by().exclude(theme="").values_list("theme")
                  .annotate(n=Count("id")).values_list("theme", "n"))
    themes = sorted(Theme.values, key=str.lower)
    wanted = {name.lower() for name in _list(call.data, "groups")}
    if wanted:
        themes = [t for t in themes if t.lower() in wanted]
    sort = str(call.data.get("sort") or "name asc").strip()
    if sort.split()[0] == "package_count":
        themes.sort(key=lambda t: -counts.get(t, 0))
    elif sort not in ("name asc", "name", "name desc", "title asc", "title desc"):
        raise _invalid("sort", _("“%(sort)s” is not a sort; offered: %(allowed)s.")
                       % {"sort": sort, "allowed": "name asc, title asc, package_count desc"})
    elif sort.startswith("title"):
        themes.sort(key=_theme_title, reverse=sort.endswith("desc"))
    elif sort.endswith("desc"):
        themes.reverse()
    if _bool(call.data, "all_fields", False):
        return [group_dict(t, package_count=counts.get(t, 0)) for t in themes]
    return [t.lower() for t in themes]


def tag_list(call: Call) -> list:
    """The keywords of the public datasets; `query` keeps those containing it."""
    names = OpenDatasetTag.objects.filter(open_dataset__in=open_dataset_queryset().values("id"))
    query = str(call.data.get("query") or call.data.get("q") or "").strip()
    if query:
        names = names.filter(name__icontains=query)
    names = sorted(set(names.values_list("name", flat=True)))
    if _bool(call.data, "all_fields", False):
        return [{"id": str(uuid.uuid5(ID_NAMESPACE, f"tag:{n}")), "name": n, "display_name": n,
                 "vocabulary_id": None} for n in names]
    return names


def _resource(value: str) -> tuple[OpenDataset, str]:
    candidates = _resource_candidates(value)
    dataset = _datasets().select_related("served").filter(public_id__in=list(candidates)).first() if candidates else None
    fmt = candidates.get(dataset.public_id) if dataset else None
    if dataset is None or fmt not in dataset.format_list:
        raise NotFound(OpenDataError("resource_unknown", resource=value).message)
    return dataset, fmt


def resource_show(call: Call) -> dict[str, Any]:
    """One resource (a download format of a dataset) by id."""
    dataset, fmt = _resource(_required(call.data, "id"))
    result = resource_dict(call.request, dataset, fmt, dataset.format_list.index(fmt))
    result["package_id"] = str(dataset.public_id)
    return result


def _key(request: HttpRequest):
    """The caller's developer key, if it sent one (ckanapi sends the bare key in Authorization and
    X-CKAN-API-Key); NotAuthorized for a key that is not valid, expired, revoked or over its limits."""
    header = request.headers.get("Authorization") or request.headers.get("X-CKAN-API-Key") or ""
    if not header.strip():
        return None
    from . import keys

    try:
        key = keys.key_authenticate(header)
        keys.key_meter(key)
    except OpenDataError as error:
        raise _not_authorized(error) from None
    return key


def _not_authorized(error: OpenDataError) -> NotAuthorized:
    retry_after = error.params.get("retry_after")
    return NotAuthorized(error.message, status=429 if error.status == 429 else 403,
                         retry_after=int(retry_after) if retry_after is not None else None)


DATASTORE_ERROR_FIELDS = {
    "filter_value_invalid": "filters", "limit_too_large": "limit", "offset_invalid": "offset",
    "sort_invalid": "sort", "cursor_invalid": "offset", "query_invalid": "q", "bad_request": "resource_id",
}


def datastore_search(call: Call) -> dict[str, Any]:
    """Rows of a resource's dataset (its served, masked copy): resource_id, filters
    {column: value or [values]}, limit (default 100, at most records.MAX_LIMIT), offset, fields
    (a list or comma-separated), sort ("column" or "column desc"), include_total. Rows of an
    on-application dataset need the key of an approved applicant."""
    data = call.data
    rid = _required(data, "resource_id")
    limit = _int(data, "limit", records.DEFAULT_LIMIT)
    if not 0 < limit <= records.MAX_LIMIT:
        raise _invalid("limit", OpenDataError("limit_too_large", max=records.MAX_LIMIT).message)
    offset = _int(data, "offset", 0)
    fields = _list(data, "fields")
    sort = str(data.get("sort") or "").strip() or None
    if data.get("q"):
        raise _invalid("q", _("Full-text search of rows is not offered; filter on columns with “filters”."))
    filters = data.get("filters") or {}
    if isinstance(filters, str):
        try:
            filters = json.loads(filters)
        except ValueError:
            raise _invalid("filters", _("Not a JSON object")) from None
    if not isinstance(filters, dict):
        raise _invalid("filters", _("Must be a JSON object of column: value"))
    if not all(isinstance(column, str) for column in filters):
        raise _invalid("filters", _("Must be a JSON object of column: value"))

    dataset, _fmt = _resource(rid)
    key = _key(call.request)
    user = call.request.user if call.request.user.is_authenticated else None
    try:
        grant = access.data_access_check(open_dataset=dataset, user=user, key=key)
    except OpenDataError as error:
        raise _not_authorized(error) from None
    try:
        page = records.records_page(dataset, filters=filters, fields=fields, limit=limit, offset=offset,
                                    sort=sort, count=_bool(data, "include_total", True))
    except OpenDataError as error:
        if error.code in ("dataset_unknown", "no_data", "resource_unknown"):
            raise NotFound(OpenDataError("resource_unknown", resource=rid).message) from None
        if error.code == "field_unknown":
            name = str(error.params.get("field", ""))
            where = "filters" if name in filters else "fields" if name in fields else "sort"
            raise _invalid(where, error.message) from None
        raise _invalid(DATASTORE_ERROR_FIELDS.get(error.code, "resource_id"), error.message) from None
    access.data_read_record(access=grant, channel=UsageChannel.CKAN, rows=len(page.records),
                            detail={"resource_id": rid, "offset": offset, "limit": limit})
    if key is not None:
        from . import keys

        keys.key_meter_count(key)

    link = {k: v for k, v in (("resource_id", rid), ("limit", limit if "limit" in data else None),
                              ("filters", json.dumps(filters, ensure_ascii=False) if filters else None),
                              ("fields", ",".join(fields) if fields else None), ("sort", sort)) if v is not None}
    base = reverse("ckan-action", args=["datastore_search"])
    result: dict[str, Any] = {
        "resource_id": rid,
        "fields": page.fields,
        "records": page.records,
        "limit": limit,
        "offset": offset,
        "_links": {"start": f"{base}?{urlencode(link)}",
                   "next": f"{base}?{urlencode({**link, 'offset': offset + limit})}"},
        "include_total": _bool(data, "include_total", True),
        "records_format": "objects",
    }
    if filters:
        result["filters"] = filters
    if sort:
        result["sort"] = sort
    if page.total is not None:
        result["total"] = page.total
        result["total_was_estimated"] = page.total_was_estimated
    return result


def help_show(call: Call) -> str:
    """The help text of an action."""
    name = _required(call.data, "name")
    if name not in ACTIONS:
        raise NotFound(_("Action function not found"))
    return " ".join((ACTIONS[name].__doc__ or "").split())


ACTIONS: dict[str, Callable[[Call], Any]] = {
    action.__name__: action for action in (
        site_read, status_show, help_show, package_list, package_show, package_search, organization_list,
        organization_show, group_list, tag_list, resource_show, datastore_search,
    )
}
# datastore_search_sql is deliberately not here: raw SQL over the served tables would bypass the
# access check, the masking and the row limits. It answers as any action CKAN does not know.


# --- the view ----------------------------------------------------------------------------------

def _request_data(request: HttpRequest) -> dict[str, Any]:
    """GET: the query parameters (a repeated one as a list). POST: the JSON body (ckanapi), or a
    form. ValueError when the body is not a JSON object."""
    if request.method == "GET":
        return {k: (v[0] if len(v) == 1 else v) for k, v in request.GET.lists()}
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data") and request.POST:
        return {k: (v[0] if len(v) == 1 else v) for k, v in request.POST.lists()}
    if not request.body:
        return {k: (v[0] if len(v) == 1 else v) for k, v in request.GET.lists()}
    data = json.loads(request.body)
    if not isinstance(data, dict):
        raise ValueError(f"Request data JSON decoded to {data!r} but it needs to be a dictionary.")
    return data


def _bad_request(message: str) -> HttpResponse:
    return JsonResponse(f"{_('Bad request')} - {message}", status=400, safe=False,
                        json_dumps_params={"ensure_ascii": False})


@csrf_exempt  # read-only actions, called by programs without a session
@require_http_methods(["GET", "POST"])
def action_view(request: HttpRequest, name: str) -> HttpResponse:
    action = ACTIONS.get(name)
    if action is None:
        return _bad_request(_("Action name not known: %(name)s") % {"name": name})
    envelope: dict[str, Any] = {
        "help": request.build_absolute_uri(reverse("ckan-action", args=["help_show"])) + "?" + urlencode({"name": name}),
    }
    try:
        data = _request_data(request)
    except (ValueError, UnicodeDecodeError) as error:
        return _bad_request(_("JSON Error: %(error)s") % {"error": error})
    data.pop("callback", None)
    headers = {}
    try:
        envelope["result"] = action(Call(request, data))
        envelope["success"] = True
        status = 200
    except CkanError as error:
        envelope["success"] = False
        envelope["error"] = error.body()
        status = error.status
        if isinstance(error, NotAuthorized) and error.retry_after is not None:
            headers["Retry-After"] = str(error.retry_after)
    except Exception:
        logger.exception("CKAN action %s failed", name)
        envelope["success"] = False
        envelope["error"] = {"__type": "Internal Server Error", "message": "Internal Server Error"}
        status = 500
    response = JsonResponse(envelope, status=status, json_dumps_params={"ensure_ascii": False})
    for header, value in headers.items():
        response[header] = value
    response["Cache-Control"] = "no-store" if name == "datastore_search" else "public, max-age=60"
    return response
