"""A load killed midway (SIGKILL: no cleanup code runs) leaves the previous version exactly as it
was, and the next load succeeds, clearing what the dead one left behind."""

import os
import signal
import time

import pyarrow.parquet as pq
import pytest
from django.db import connection

from zhengtong.data.ingest.models import DatasetVersion, Load
from zhengtong.data.ingest.public import load_run

from .conftest import PERSON_HEADER, SYSTEM, lake_snapshot, rid, write

ROWS = 60_000


def big_csv(path):
    lines = [PERSON_HEADER]
    for n in range(ROWS):
        lines.append(f"{rid('330106', '19900101', f'{n % 1000:03d}')},人{n},1990年1月1日,男,13800138000,{n % 1000}")
    return write(path, "\n".join(lines) + "\n")


def run_in_child_and_kill(*, resource_code, source, stop_at) -> None:
    """Fork; the child runs the load until `stop_at(phase, done, total)` says so, tells the parent,
    and waits; the parent kills it there with SIGKILL."""
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.close(readable)
            if connection.vendor == "postgresql":
                # The parent's socket must not be touched (not even closed): keep it, use a new one.
                connection.inherited = connection.connection
                connection.connection = None

            def progress(phase, done, total):
                if stop_at(phase, done, total):
                    os.write(writable, b"!")
                    time.sleep(600)

            load_run(actor=SYSTEM, resource_code=resource_code, source=source, progress=progress)
        finally:
            os._exit(3)  # never reached when killed; never runs the parent's cleanup either
    os.close(writable)
    try:
        assert os.read(readable, 1) == b"!", "the child ended before reaching the point"
    finally:
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(readable)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "stop_at",
    [
        # While the source is being read and checked: the load's work folder exists, no version yet.
        lambda phase, done, total: phase == "read" and done > 0,
        # The new version is complete in the work folder and about to be renamed into place.
        lambda phase, done, total: phase == "write" and total is not None and done >= total,
    ],
    ids=["while-reading", "version-written-not-published"],
)
def test_a_killed_load_leaves_the_previous_version_and_a_retry_succeeds(persons, tmp_path, lake, stop_at):
    first = load_run(actor=SYSTEM, resource_code=persons.resource_code,
                     source=write(tmp_path / "first.csv", f"{PERSON_HEADER}\n{rid('330106', '19900101', '001')},甲,,,,1\n"))
    v1_file = first.version.path
    v1_table = pq.read_table(v1_file)
    before = lake_snapshot(lake)
    source = big_csv(tmp_path / "big.csv")

    run_in_child_and_kill(resource_code=persons.resource_code, source=source, stop_at=stop_at)

    after_kill = lake_snapshot(lake)
    assert {k: v for k, v in after_kill.items() if k in before} == before  # v1 byte for byte
    work_dirs = [p for p in (lake / str(persons.public_id)).iterdir() if p.name.startswith(".tmp-")]
    assert len(work_dirs) == 1  # the dead load's work folder is still there
    assert list(DatasetVersion.objects.values_list("number", flat=True)) == [1]
    assert pq.read_table(v1_file).equals(v1_table)

    retry = load_run(actor=SYSTEM, resource_code=persons.resource_code, source=source)
    assert (retry.status, retry.version.number, retry.version.row_count) == ("succeeded", 2, ROWS)
    assert retry.report["unique:resident_id"]["failed"] == ROWS  # 1,000 sequence numbers, each 60 times
    assert sorted(lake_snapshot(lake)) == sorted([*before, f"{persons.public_id}/v2/data.parquet"])
    assert not work_dirs[0].exists()  # the retry removed what the dead load left
    assert pq.read_table(v1_file).equals(v1_table)
    killed = Load.objects.filter(source_name="big.csv").exclude(public_id=retry.load_id)
    if connection.vendor == "postgresql":
        # The child's load row was committed on the shared server: the retry marked it interrupted.
        assert [(k.status, k.error_code) for k in killed] == [("failed", "interrupted")]
    else:
        # On SQLite the tests' database is in memory: the child wrote to its own copy of it.
        assert list(killed) == []
