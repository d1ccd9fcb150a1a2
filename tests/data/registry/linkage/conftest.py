from pathlib import Path

import pytest

from zhengtong.data.registry.linkage import linkage_run
from zhengtong.data.registry.linkage.synthetic import config_for, population_write


@pytest.fixture(scope="session")
def population(tmp_path_factory):
    """2,000 persons in four departments' copies (about 6,000 records), seed 7."""
    return population_write(tmp_path_factory.mktemp("population"), persons=2000, seed=7)


@pytest.fixture(scope="session")
def linked(population, tmp_path_factory):
    return linkage_run(config_for(population, tmp_path_factory.mktemp("linked")))


def write_csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join((header,) + rows) + "\n", encoding="utf-8")
    return path
