"""Configs from TOML, their errors (Chinese by default, English on request), and `zhengtong link`."""

from pathlib import Path

import duckdb
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zhengtong.data.registry.linkage import LinkageConfigError, config_load
from zhengtong.data.registry.linkage.synthetic import config_toml

from .conftest import write_csv

GOOD = """
kind = "person"
output = "out"
[[sources]]
name = "a"
path = "a.csv"
key = "id"
[sources.columns]
resident_id = "sfzh"
name = "xm"
"""


@pytest.fixture
def folder(tmp_path):
    write_csv(tmp_path / "a.csv", "id,sfzh,xm", "1,11010519491231002X,王芳", "2,110105491231002,王芳")
    return tmp_path


def config_file(folder: Path, text: str) -> Path:
    path = folder / "link.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_relative_paths_are_resolved_against_the_config_folder(folder):
    config = config_load(config_file(folder, GOOD))
    assert config.output == folder / "out"
    assert config.sources[0].path == folder / "a.csv"
    assert config.sources[0].columns == {"resident_id": "sfzh", "name": "xm"}


@pytest.mark.parametrize("text, code, zh, en", [
    (GOOD.replace('name = "xm"', 'nickname = "xm"'), "attribute_unknown", "未知属性 “nickname”", "unknown attribute “nickname”"),
    (GOOD.replace('name = "xm"', 'name = "xingming"'), "column_missing", "没有列 “xingming”", "has no column “xingming”"),
    (GOOD.replace('"a.csv"', '"missing.csv"'), "source_file_missing", "不存在", "does not exist"),
    (GOOD.replace('kind = "person"', 'kind = "person"\nkind = "company"'), "config_duplicate_key", "重复的键", "repeats a key"),
    (GOOD + GOOD[GOOD.index("[[sources]]"):], "source_duplicate", "重复", "used twice"),
    (GOOD.replace('kind = "person"', 'kind = "animal"'), "kind_invalid", "person 或 company", "use person or company"),
    (GOOD.replace('output = "out"', 'output = "out"\nthreshold = 3'), "setting_unknown", "不是可用的设置", "is not a setting"),
    (GOOD.replace('output = "out"', 'output = "out"\nmatch_threshold = 0.5\nreview_threshold = 0.9'), "thresholds_invalid",
     "阈值", "thresholds"),
    (GOOD.replace('key = "id"', 'key = "nummer"'), "column_missing", "没有列 “nummer”", "has no column “nummer”"),
    (GOOD.replace('output = "out"\n', ''), "setting_missing", "缺少必填项 “output”", "lacks the required setting “output”"),
])
def test_bad_configs_say_what_is_wrong_in_chinese_and_english(folder, text, code, zh, en, monkeypatch):
    monkeypatch.setenv("LANG", "C.UTF-8")
    with pytest.raises(LinkageConfigError) as caught:
        config_load(config_file(folder, text))
    assert caught.value.code == code
    assert zh in str(caught.value)
    assert en in caught.value.message("en")
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert en in str(caught.value)


def test_the_command_links_and_summarises(folder, capsys):
    call_command("link", str(config_file(folder, GOOD)), "--no-progress")
    out = capsys.readouterr().out
    assert "2 条记录 → 1 个实体" in out
    assert "15 位旧号转换 1" in out
    clusters = duckdb.execute(f"SELECT * FROM read_parquet('{folder / 'out' / 'clusters.parquet'}') ORDER BY 1").fetchall()
    assert clusters == [("a:1", "a:1"), ("a:2", "a:1")]


def test_the_command_reads_decisions(folder, capsys):
    decisions = write_csv(folder / "d.csv", "left_record_id,right_record_id,accepted", "a:2,a:1,false")
    call_command("link", str(config_file(folder, GOOD)), "--no-progress", "--decisions", str(decisions), "--lang", "en")
    assert "2 records -> 2 entities" in capsys.readouterr().out


def test_the_command_refuses_a_bad_config_in_the_language_asked(folder):
    with pytest.raises(CommandError, match="unknown attribute “nickname”"):
        call_command("link", str(config_file(folder, GOOD.replace('name = "xm"', 'nickname = "xm"'))), "--lang", "en")
    with pytest.raises(CommandError, match="配置文件 .* 不存在"):
        call_command("link", str(folder / "nope.toml"), "--lang", "zh")


def test_the_command_generates_sample_data_with_a_config_that_runs(tmp_path, capsys):
    call_command("link", "--generate", "300", str(tmp_path / "sample"), "--seed", "3")
    config = tmp_path / "sample" / "link-persons.toml"
    assert config.is_file() and (tmp_path / "sample" / "truth.parquet").is_file()
    call_command("link", str(config), "--no-progress", "--lang", "en")
    assert "entities" in capsys.readouterr().out
    assert (tmp_path / "sample" / "out" / "clusters.parquet").is_file()


def test_the_example_config_matches_what_the_generator_writes(tmp_path):
    example = Path(__file__).parents[4] / "docs" / "examples" / "link-persons.toml"
    from zhengtong.data.registry.linkage.synthetic import population_write

    population_write(tmp_path / "persons", persons=50, seed=1)
    (tmp_path / "link-persons.toml").write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    config = config_load(tmp_path / "link-persons.toml")
    assert [s.name for s in config.sources] == ["police", "hrss", "health", "civil"]
    assert config_toml  # the generator's own config writer is the other way to get one


def test_the_command_generates_companies_too(tmp_path, capsys):
    call_command("link", "--generate", "200", str(tmp_path / "co"), "--companies")
    config = config_load(tmp_path / "co" / "link-companies.toml")
    assert config.kind == "company" and [s.name for s in config.sources] == ["market", "tax", "hrss"]
    call_command("link", str(tmp_path / "co" / "link-companies.toml"), "--no-progress", "--lang", "en")
    assert "entities" in capsys.readouterr().out
