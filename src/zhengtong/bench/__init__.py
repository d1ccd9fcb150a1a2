"""Benchmarks: each compares Zhengtong against a peer or a bare baseline in the same run.

A benchmark is a function returning a BenchmarkResult, registered with @benchmark. `zhengtong bench`
runs them all and writes docs/benchmarks.md. Ratios, not absolute seconds, are what the issues set
targets for, because the machine changes between runs and the ratio does not (much).
"""

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BenchmarkResult:
    name: str
    subject: str  # what of ours was measured
    baseline: str  # the peer or bare baseline it ran against in the same run
    subject_seconds: float
    baseline_seconds: float
    work: str  # e.g. "1,000,000 resident IDs"
    target: str = ""  # the target, e.g. "within 2x of the baseline"
    notes: str = ""

    @property
    def ratio(self) -> float:
        """Subject time over baseline time: below 1 means faster than the baseline."""
        return self.subject_seconds / self.baseline_seconds if self.baseline_seconds else float("inf")


REGISTRY: dict[str, Callable[[], BenchmarkResult]] = {}


def benchmark(func: Callable[[], BenchmarkResult]) -> Callable[[], BenchmarkResult]:
    REGISTRY[func.__name__] = func
    return func


def postgres_server_url() -> str | None:
    """A PostgreSQL server to benchmark on: DATABASE_URL's, or a local one if it answers; None if
    there is none (the PostgreSQL benchmarks are then not registered)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return "postgres://postgres@127.0.0.1:5432/postgres"
    except OSError:
        return None
