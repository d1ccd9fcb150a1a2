"""The linkage benchmark is registered and its peer runs (on a small population, not timed)."""

from zhengtong.bench import REGISTRY
from zhengtong.data.registry import benchmarks
from zhengtong.data.registry.linkage.evaluate import evaluate


def test_link_persons_is_registered():
    assert REGISTRY["link_persons"] is benchmarks.link_persons


def test_the_peer_and_zhengtong_score_against_the_same_truth(population, linked, tmp_path):
    peer_clusters = benchmarks.plain_splink(population.folder, tmp_path / "peer")
    ours, peer = evaluate(linked.clusters_path, population.truth), evaluate(peer_clusters, population.truth)
    assert ours["records"] == peer["records"] == population.records
    assert 0.5 < peer["pairs"]["f1"] <= ours["pairs"]["f1"]
