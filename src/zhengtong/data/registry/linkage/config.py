"""Reading a linkage run's configuration from TOML, and saying clearly what is wrong with it.

    kind = "person"                 # or "company"
    output = "out/persons"          # relative paths are resolved against the config's folder
    backend = "duckdb"              # or "spark"
    match_threshold = 0.95
    review_threshold = 0.60
    blocking_rules = ["l.mobile = r.mobile"]   # optional: replaces the engine's defaults
    seed = 1
    memory_limit = "2GB"            # optional

    [[sources]]
    name = "police"
    path = "police.parquet"         # CSV, Parquet or JSON lines
    key = "record_no"
    carry = ["updated_at"]
    [sources.columns]               # canonical attribute = source column
    resident_id = "sfzh"
    name = "xm"

The engine has no Django: its messages are kept here in Chinese and English, Chinese by default
(the platform's language), English when asked (`--lang en`, or LANGUAGE/LC_ALL/LANG naming English).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import fields
from pathlib import Path

from .spec import COMPANY_ATTRIBUTES, PERSON_ATTRIBUTES, LinkageConfig, SourceSpec

MESSAGES: dict[str, tuple[str, str]] = {
    "config_missing": ("配置文件 %(file)s 不存在。", "The config file %(file)s does not exist."),
    "config_unreadable": ("配置文件 %(file)s 不是有效的 TOML：%(detail)s", "The config file %(file)s is not valid TOML: %(detail)s"),
    "config_duplicate_key": (
        "配置文件 %(file)s 中有重复的键：%(detail)s",
        "The config file %(file)s repeats a key: %(detail)s",
    ),
    "setting_unknown": (
        "配置文件 %(file)s 中的 “%(name)s” 不是可用的设置；可用的设置为 %(expected)s。",
        "“%(name)s” in %(file)s is not a setting; the settings are %(expected)s.",
    ),
    "setting_missing": ("配置文件 %(file)s 缺少必填项 “%(name)s”。", "The config file %(file)s lacks the required setting “%(name)s”."),
    "setting_type": (
        "配置项 “%(name)s” 应为%(expected_zh)s，而不是 %(value)s。",
        "The setting “%(name)s” should be %(expected)s, not %(value)s.",
    ),
    "kind_invalid": ("“%(value)s” 不是可链接的主体类型：请用 person 或 company。", "“%(value)s” is not a kind of entity: use person or company."),
    "backend_invalid": ("“%(value)s” 不是可用的后端：请用 duckdb 或 spark。", "“%(value)s” is not a backend: use duckdb or spark."),
    "thresholds_invalid": (
        "阈值应满足 0 ≤ review_threshold ≤ match_threshold ≤ 1，现为 %(review)s 和 %(match)s。",
        "The thresholds must satisfy 0 <= review_threshold <= match_threshold <= 1; they are %(review)s and %(match)s.",
    ),
    "no_sources": ("配置中没有任何数据源（[[sources]]）。", "The config names no sources ([[sources]])."),
    "source_duplicate": ("数据源名称 “%(source)s” 重复：每个数据源的名称必须唯一。", "The source name “%(source)s” is used twice: each source needs its own name."),
    "source_name_invalid": (
        "数据源名称 “%(source)s” 不可用：只能包含字母、数字、下划线和连字符，且不能含冒号。",
        "The source name “%(source)s” cannot be used: letters, digits, underscores and hyphens only (no colon).",
    ),
    "source_path_or_sql": (
        "数据源 %(source)s 必须且只能给出 path 或 relation_sql 之一。",
        "The source %(source)s needs exactly one of path and relation_sql.",
    ),
    "source_file_missing": ("数据源 %(source)s 的文件 %(file)s 不存在。", "The file %(file)s of the source %(source)s does not exist."),
    "source_unreadable": ("数据源 %(source)s 无法读取：%(detail)s", "The source %(source)s cannot be read: %(detail)s"),
    "attribute_unknown": (
        "数据源 %(source)s 的映射中有未知属性 “%(attribute)s”；%(kind)s 的属性为 %(expected)s。",
        "The mapping of the source %(source)s names an unknown attribute “%(attribute)s”; the attributes of a %(kind)s are %(expected)s.",
    ),
    "column_missing": (
        "数据源 %(source)s 没有列 “%(column)s”（映射为 %(attribute)s）；它的列为 %(columns)s。",
        "The source %(source)s has no column “%(column)s” (mapped to %(attribute)s); its columns are %(columns)s.",
    ),
    "no_attributes": (
        "数据源 %(source)s 没有映射任何属性。",
        "The source %(source)s maps no attributes.",
    ),
}

TYPES_ZH = {"a string": "字符串", "a number": "数字", "a list of strings": "字符串列表", "a table": "表"}


def language(lang: str | None = None) -> str:
    """'zh' or 'en': `lang` if given, else English only when the environment's language says so."""
    if lang:
        return "en" if lang.lower().startswith("en") else "zh"
    for variable in ("LANGUAGE", "LC_ALL", "LANG"):
        value = os.environ.get(variable, "")
        if value and value not in ("C", "C.UTF-8", "POSIX"):
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


class LinkageConfigError(ValueError):
    """A configuration the engine cannot run; `code` is stable, the message is rendered on demand."""

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(self.message())

    def message(self, lang: str | None = None) -> str:
        zh, en = MESSAGES[self.code]
        template = en if language(lang) == "en" else zh
        return template % {key: _shown(value) for key, value in self.params.items()}

    def __str__(self) -> str:
        return self.message()


def _shown(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


SETTINGS = tuple(f.name for f in fields(LinkageConfig))
SOURCE_SETTINGS = tuple(f.name for f in fields(SourceSpec))


def _typed(name: str, value, expected: str):
    ok = {
        "a string": isinstance(value, str),
        "a number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "a list of strings": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "a table": isinstance(value, dict),
    }[expected]
    if not ok:
        raise LinkageConfigError("setting_type", name=name, expected=expected, expected_zh=TYPES_ZH[expected], value=repr(value))
    return value


def config_from_dict(data: dict, *, base: Path, file: str = "-") -> LinkageConfig:
    for name in data:
        if name not in SETTINGS:
            raise LinkageConfigError("setting_unknown", file=file, name=name, expected=SETTINGS)
    for name in ("kind", "output", "sources"):
        if name not in data:
            raise LinkageConfigError("setting_missing", file=file, name=name)
    kind = _typed("kind", data["kind"], "a string")
    if kind not in ("person", "company"):
        raise LinkageConfigError("kind_invalid", value=kind)
    backend = _typed("backend", data.get("backend", "duckdb"), "a string")
    if backend not in ("duckdb", "spark"):
        raise LinkageConfigError("backend_invalid", value=backend)
    if not isinstance(data["sources"], list) or not data["sources"]:
        raise LinkageConfigError("no_sources")
    sources = []
    for index, raw in enumerate(data["sources"]):
        if not isinstance(raw, dict):
            raise LinkageConfigError("setting_type", name=f"sources[{index}]", expected="a table",
                                     expected_zh=TYPES_ZH["a table"], value=repr(raw))
        for name in raw:
            if name not in SOURCE_SETTINGS:
                raise LinkageConfigError("setting_unknown", file=file, name=f"sources.{name}", expected=SOURCE_SETTINGS)
        for name in ("name", "key", "columns"):
            if name not in raw:
                raise LinkageConfigError("setting_missing", file=file, name=f"sources[{index}].{name}")
        path = raw.get("path")
        sources.append(SourceSpec(
            name=_typed("sources.name", raw["name"], "a string"),
            key=_typed("sources.key", raw["key"], "a string"),
            columns={k: _typed(f"sources.columns.{k}", v, "a string")
                     for k, v in _typed("sources.columns", raw["columns"], "a table").items()},
            path=(base / _typed("sources.path", path, "a string")).resolve() if path is not None else None,
            relation_sql=_typed("sources.relation_sql", raw["relation_sql"], "a string") if "relation_sql" in raw else None,
            carry=tuple(_typed("sources.carry", raw.get("carry", []), "a list of strings")),
        ))
    config = LinkageConfig(
        kind=kind,
        sources=tuple(sources),
        output=(base / _typed("output", data["output"], "a string")).resolve(),
        backend=backend,
        match_threshold=float(_typed("match_threshold", data.get("match_threshold", 0.95), "a number")),
        review_threshold=float(_typed("review_threshold", data.get("review_threshold", 0.60), "a number")),
        blocking_rules=tuple(_typed("blocking_rules", data.get("blocking_rules", []), "a list of strings")),
        seed=int(_typed("seed", data.get("seed", 1), "a number")),
        memory_limit=_typed("memory_limit", data["memory_limit"], "a string") if "memory_limit" in data else None,
    )
    return config


def config_load(path: str | Path, *, check_sources: bool = True) -> LinkageConfig:
    """The LinkageConfig in a TOML file, relative paths resolved against the file's folder.
    Raises LinkageConfigError naming what is wrong; with `check_sources`, also that every source
    file exists and has the mapped columns."""
    path = Path(path)
    if not path.is_file():
        raise LinkageConfigError("config_missing", file=str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        detail = str(error)
        if "overwrite" in detail.lower() or "duplicate" in detail.lower() or "already" in detail.lower():
            raise LinkageConfigError("config_duplicate_key", file=str(path), detail=detail) from None
        raise LinkageConfigError("config_unreadable", file=str(path), detail=detail) from None
    except UnicodeDecodeError as error:
        raise LinkageConfigError("config_unreadable", file=str(path), detail=str(error)) from None
    config = config_from_dict(data, base=path.parent.resolve(), file=str(path))
    config_check(config, check_sources=check_sources)
    return config


def config_check(config: LinkageConfig, *, check_sources: bool = True, con=None) -> None:
    """Raise LinkageConfigError for what would make the run fail or mean something else than meant."""
    import re

    if config.kind not in ("person", "company"):
        raise LinkageConfigError("kind_invalid", value=config.kind)
    if config.backend not in ("duckdb", "spark"):
        raise LinkageConfigError("backend_invalid", value=config.backend)
    if not 0 <= config.review_threshold <= config.match_threshold <= 1:
        raise LinkageConfigError("thresholds_invalid", review=config.review_threshold, match=config.match_threshold)
    if not config.sources:
        raise LinkageConfigError("no_sources")
    attributes = PERSON_ATTRIBUTES if config.kind == "person" else COMPANY_ATTRIBUTES
    seen = set()
    for source in config.sources:
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", source.name or ""):
            raise LinkageConfigError("source_name_invalid", source=source.name)
        if source.name in seen:
            raise LinkageConfigError("source_duplicate", source=source.name)
        seen.add(source.name)
        if (source.path is None) == (source.relation_sql is None):
            raise LinkageConfigError("source_path_or_sql", source=source.name)
        for attribute in source.columns:
            if attribute not in attributes:
                raise LinkageConfigError("attribute_unknown", source=source.name, attribute=attribute,
                                         kind=config.kind, expected=attributes)
        if not source.columns:
            raise LinkageConfigError("no_attributes", source=source.name)
        if source.path is not None and not Path(source.path).is_file():
            raise LinkageConfigError("source_file_missing", source=source.name, file=str(source.path))
    if not check_sources:
        return
    import duckdb

    from .normalise import source_columns

    own = con is None
    con = con or duckdb.connect()
    try:
        for source in config.sources:
            try:
                columns = source_columns(con, source)
            except duckdb.Error as error:
                raise LinkageConfigError("source_unreadable", source=source.name, detail=str(error).splitlines()[0]) from None
            wanted = [("key", source.key)] + list(source.columns.items()) + [("carry", c) for c in source.carry]
            for attribute, column in wanted:
                if column not in columns:
                    raise LinkageConfigError("column_missing", source=source.name, column=column,
                                             attribute=attribute, columns=columns)
    finally:
        if own:
            con.close()
