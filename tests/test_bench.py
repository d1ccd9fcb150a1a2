"""The benchmark report: partial runs update their rows and keep the others."""

import json

import pytest
from django.core.management import CommandError, call_command

from zhengtong.bench import BenchmarkResult


@pytest.fixture
def two_benchmarks(monkeypatch):
    def make(name, seconds):
        def run():
            return BenchmarkResult(
                name=name, subject="ours", baseline="bare", subject_seconds=seconds, baseline_seconds=2.0, work="w"
            )

        return run

    registry = {"demo_alpha": make("demo_alpha", 1.0), "demo_beta": make("demo_beta", 3.0)}
    monkeypatch.setattr("zhengtong.bench.management.commands.bench.discover", lambda: None)
    monkeypatch.setattr("zhengtong.bench.management.commands.bench.REGISTRY", registry)
    return registry


def test_partial_run_keeps_the_rows_it_did_not_rerun(tmp_path, two_benchmarks):
    report = tmp_path / "benchmarks.md"
    call_command("bench", output=str(report))
    stored = json.loads(report.with_suffix(".json").read_text())
    assert [e["name"] for e in stored["results"]] == ["demo_alpha", "demo_beta"]

    two_benchmarks["demo_alpha"] = lambda: BenchmarkResult(
        name="demo_alpha", subject="ours", baseline="bare", subject_seconds=0.5, baseline_seconds=2.0, work="w"
    )
    call_command("bench", "demo_alpha", output=str(report))
    text = report.read_text()
    assert "| demo_alpha | w | ours | bare | 0.500 | 2.000 | 0.25 |" in text
    assert "| demo_beta | w | ours | bare | 3.000 | 2.000 | 1.50 |" in text


def test_a_name_prefix_selects_a_family_and_an_unknown_name_is_refused(tmp_path, two_benchmarks):
    report = tmp_path / "benchmarks.md"
    call_command("bench", "demo", output=str(report))
    assert "demo_alpha" in report.read_text() and "demo_beta" in report.read_text()
    with pytest.raises(CommandError, match="no benchmark called 'nothing'"):
        call_command("bench", "nothing", output=str(tmp_path / "other.md"))
    assert not (tmp_path / "other.md").exists()

