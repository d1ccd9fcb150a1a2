"""The draw benchmark, small: the subject draws the same sample as the bare DuckDB query, with no
recusal violated (the full size runs under `zhengtong bench supervision_draw`)."""

from zhengtong.supervision.supervision import benchmarks


def test_the_benchmark_draws_what_the_bare_query_selects(monkeypatch):
    monkeypatch.setattr(benchmarks, "ENTITIES", 20_000)
    monkeypatch.setattr(benchmarks, "ROUNDS", 1)
    result = benchmarks.supervision_draw()
    assert "same sample as the baseline: True" in result.notes
    assert "recusal violations: 0" in result.notes
    assert result.work.startswith("20,000 entities, 300 inspectors")
