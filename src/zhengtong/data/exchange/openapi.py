"""The OpenAPI 3.0 description of one sharing service: the gateway's endpoints for it, with a record
schema built from the service's own fields, so a consuming department's developers (or their code
generators) see exactly what they may ask for and what comes back.

The shapes follow the gateway (gateway.py): a record is {"key", "values", "masked"}; errors are
{"code", "detail", "correlation_id"} with the codes of errors.py.
"""

from typing import Any

from django.utils import translation

from .errors import ERRORS
from .models import ServiceKind, SharingService

OPENAPI_VERSION = "3.0.3"
MAX_BATCH_KEYS = 100
MAX_PAGE = 100
AGGREGATE_OPS = ("count", "sum", "avg")
# Query parameters of the gateway's own; a field so named cannot be a filter parameter too.
RESERVED = frozenset({"after", "limit", "fields", "plain", "op", "measure", "group_by"})

# Frictionless field types → JSON Schema (OpenAPI 3.0 dialect).
TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "time": {"type": "string"},
    "year": {"type": "integer"},
}

MASKING_WORDS = {
    "plain": "原样提供",
    "credit_code": "原样提供（统一社会信用代码属公开登记信息）",
    "name": "脱敏：保留姓氏",
    "resident_id": "脱敏：保留首 1 位和末 2 位",
    "mobile": "脱敏：保留前 3 位和后 4 位",
    "address": "脱敏：隐去末 8 个字符",
    "email": "脱敏：保留用户名首字符和域名",
    "bank_account": "脱敏：保留末 4 位",
    "free_text": "不提供（以 *** 代替）",
}


def _field_schema(field: dict[str, Any]) -> dict[str, Any]:
    masked = field.get("masking_kind", "plain") not in ("plain", "credit_code")
    # A masked value is text whatever the field's type (a masked date is no longer a date).
    schema = {"type": "string"} if masked else dict(TYPES.get(field.get("type", "string"), {"type": "string"}))
    schema["nullable"] = True
    schema["title"] = field.get("title") or field["name"]
    schema["description"] = MASKING_WORDS.get(field.get("masking_kind", "plain"), "")
    schema["x-masking-kind"] = field.get("masking_kind", "plain")
    return schema


def _error_responses(*codes_by_status: int) -> dict[str, Any]:
    responses = {}
    for status in codes_by_status:
        codes = sorted(code for code, (code_status, _message) in ERRORS.items() if code_status == status)
        responses[str(status)] = {
            "description": "、".join(codes),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return responses


def _names(names: list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": names} if names else {"type": "string"}


def _list_parameter(name: str, description: str, enum: list[str]) -> dict[str, Any]:
    items: dict[str, Any] = {"type": "string"}
    if enum:
        items["enum"] = enum
    return {"name": name, "in": "query", "required": False, "description": description, "style": "form",
            "explode": False, "schema": {"type": "array", "items": items}}


def service_openapi(service: SharingService, *, server_url: str = "") -> dict[str, Any]:
    """The OpenAPI 3.0 document of the service (a dict ready for JSON)."""
    with translation.override("zh-hans"):
        return _document(service, server_url)


def _document(service: SharingService, server_url: str) -> dict[str, Any]:
    code = service.code
    base = f"/api/v1/share/{code}"
    names = [f["name"] for f in service.fields]
    maskable = [f["name"] for f in service.fields if f.get("masking_kind", "plain") not in ("plain", "credit_code")]
    by_name = {f["name"]: f for f in service.fields}
    common = [
        {"$ref": "#/components/parameters/CorrelationId"},
        {"$ref": "#/components/parameters/Officer"},
    ]
    fields_parameter = _list_parameter(
        "fields", "要取的字段，逗号分隔；缺省为授权的全部字段。", names)
    plain_parameter = _list_parameter(
        "plain", "要求原样（不脱敏）提供的字段，逗号分隔；仅限授权中允许原样提供的字段。", maskable)
    key_description = ("基础库编号（如 ZJP7K3M9Q2X4T8RB）" if service.kind == ServiceKind.REGISTRY
                       else f"记录的键：字段 {service.key_field}")
    filter_parameters = []
    for name in service.filter_fields:
        if name in RESERVED:
            continue
        field = by_name.get(name, {"name": name})
        filter_parameters.append({
            "name": name, "in": "query", "required": False,
            "description": f"按“{field.get('title') or name}”筛选（等于）"
                           + ("；行政区划代码前缀亦可" if name == service.division_field else ""),
            "schema": {"type": "string"},
        })
    key_errors = _error_responses(400, 403, 404, 409, 429)
    ok_headers = {"X-Correlation-Id": {"$ref": "#/components/headers/CorrelationId"}}
    paths: dict[str, Any] = {
        f"{base}/records/{{key}}": {
            "get": {
                "operationId": f"{code}_record".replace("-", "_"),
                "summary": f"按键取一条记录：{service.name}",
                "tags": [code],
                "parameters": [
                    {"name": "key", "in": "path", "required": True, "description": key_description,
                     "schema": {"type": "string", "maxLength": 128}},
                    fields_parameter, plain_parameter, *common,
                ],
                "responses": {
                    "200": {"description": "记录（未获原样授权的字段已脱敏）", "headers": ok_headers,
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SharedRecord"}}}},
                    **key_errors,
                },
            },
        },
        f"{base}/records:batch": {
            "post": {
                "operationId": f"{code}_batch".replace("-", "_"),
                "summary": f"按多个键取记录（至多 {MAX_BATCH_KEYS} 个）：{service.name}",
                "tags": [code],
                "parameters": common,
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/BatchRequest"}}}},
                "responses": {
                    "200": {"description": "与键一一对应的记录；不存在或不在授权范围的键为 null", "headers": ok_headers,
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchAnswer"}}}},
                    **_error_responses(400, 403, 404, 409, 429),
                },
            },
        },
    }
    if service.kind == ServiceKind.DATASET:
        paths[f"{base}/records"] = {
            "get": {
                "operationId": f"{code}_query".replace("-", "_"),
                "summary": f"按允许的条件查询记录（键集分页）：{service.name}",
                "tags": [code],
                "parameters": [
                    *filter_parameters,
                    {"name": "after", "in": "query", "required": False,
                     "description": "上一页应答中的 next_cursor，取下一页", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "required": False, "description": "每页条数",
                     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": MAX_PAGE}},
                    fields_parameter, plain_parameter, *common,
                ],
                "responses": {
                    "200": {"description": "一页记录", "headers": ok_headers,
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QueryPage"}}}},
                    **_error_responses(400, 403, 404, 409, 429),
                },
            },
        }
        paths[f"{base}/aggregate"] = {
            "get": {
                "operationId": f"{code}_aggregate".replace("-", "_"),
                "summary": f"统计（可用不可见：只返回记录数不少于 k 的分组，从不返回记录）：{service.name}",
                "tags": [code],
                "parameters": [
                    {"name": "op", "in": "query", "required": True, "description": "count 计数、sum 求和、avg 平均",
                     "schema": {"type": "string", "enum": list(AGGREGATE_OPS)}},
                    {"name": "measure", "in": "query", "required": False, "description": "sum、avg 的数值字段",
                     "schema": {"type": "string", **({"enum": list(service.measure_fields)}
                                                     if service.measure_fields else {})}},
                    _list_parameter("group_by", "分组字段，逗号分隔", list(service.group_fields)),
                    *filter_parameters, *common,
                ],
                "responses": {
                    "200": {"description": "各分组的统计值；不足 k 条记录的分组不返回，只计数", "headers": ok_headers,
                            "content": {"application/json": {"schema": {
                                "$ref": "#/components/schemas/AggregateAnswer"}}}},
                    **_error_responses(400, 403, 404, 409, 429),
                },
            },
        }
    record_properties = {name: _field_schema(by_name[name]) for name in names}
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{service.name}（{code}）",
            "version": str(service.published_version or 0),
            "description": (
                f"{service.description}\n\n"
                f"提供部门：{service.owner_department.name}。共享类型：{service.share_type}；分级：{service.grade or '—'}；"
                f"敏感级别：{service.sensitivity or '—'}。调用须持有本服务的共享授权（或数据主体的授权同意），"
                "每次调用均记入可信存证，数据主体可在“我的数据”中查看。"
            ).strip(),
        },
        "servers": [{"url": server_url or "/"}],
        "security": [{"ApiKey": []}],
        "tags": [{"name": code, "description": service.name}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "Authorization",
                           "description": "Authorization: ApiKey zt_<前缀>_<密钥>（消费系统的 API 密钥）"},
            },
            "parameters": {
                "CorrelationId": {"name": "X-Correlation-Id", "in": "header", "required": False,
                                  "description": "调用方的关联编号（至多 64 个字符：字母、数字、._-）；缺省由网关生成并在应答中回显",
                                  "schema": {"type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9._-]+$"}},
                "Officer": {"name": "X-Officer", "in": "header", "required": False,
                            "description": "代表哪位经办人调用（记入调用日志）",
                            "schema": {"type": "string", "maxLength": 64}},
            },
            "headers": {
                "CorrelationId": {"description": "本次调用的关联编号", "schema": {"type": "string"}},
            },
            "schemas": {
                "Record": {"type": "object", "description": "记录的字段值（只含所取字段）",
                           "properties": record_properties, "additionalProperties": False},
                "SharedRecord": {
                    "type": "object", "required": ["key", "values", "masked"],
                    "properties": {
                        "key": {"type": "string", "description": key_description},
                        "values": {"$ref": "#/components/schemas/Record"},
                        "masked": {"type": "array", "description": "值已脱敏的字段",
                                   "items": _names(names)},
                    },
                },
                "BatchRequest": {
                    "type": "object", "required": ["keys"],
                    "properties": {
                        "keys": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH_KEYS,
                                 "items": {"type": "string", "maxLength": 128}},
                        "fields": {"type": "array", "items": _names(names)},
                        "plain": {"type": "array", "items": _names(maskable)},
                    },
                },
                "BatchAnswer": {
                    "type": "object", "required": ["records"],
                    "properties": {"records": {"type": "array", "items": {
                        "allOf": [{"$ref": "#/components/schemas/SharedRecord"}], "nullable": True}}},
                },
                "QueryPage": {
                    "type": "object", "required": ["records", "next_cursor"],
                    "properties": {
                        "records": {"type": "array", "items": {"$ref": "#/components/schemas/SharedRecord"}},
                        "next_cursor": {"type": "string", "nullable": True, "description": "null：没有下一页"},
                        "estimated_total": {"type": "integer", "nullable": True, "description": "首页给出的估计总数"},
                    },
                },
                "AggregateAnswer": {
                    "type": "object", "required": ["groups", "suppressed_groups", "k"],
                    "properties": {
                        "groups": {"type": "array", "items": {
                            "type": "object", "required": ["group", "count"],
                            "properties": {
                                "group": {"type": "object", "additionalProperties": {"type": "string", "nullable": True}},
                                "count": {"type": "integer"},
                                "value": {"type": "number", "nullable": True},
                            },
                        }},
                        "suppressed_groups": {"type": "integer", "description": "因不足 k 条记录而未返回的分组数"},
                        "k": {"type": "integer", "description": "一个分组至少要有的记录数"},
                    },
                },
                "Error": {
                    "type": "object", "required": ["code", "detail", "correlation_id"],
                    "properties": {
                        "code": {"type": "string", "enum": sorted(ERRORS)},
                        "detail": {"type": "string", "description": "说明（默认中文；Accept-Language: en 时为英文）"},
                        "correlation_id": {"type": "string"},
                    },
                },
            },
        },
    }
    return document
