"""The acceptance, end to end with the real ingest: a problem found on load becomes a loop for the
owning department; fixing the data and reloading closes it. Real files, the real lake, the real
rules engine and the real event queue."""

from pathlib import Path

import pytest

from zhengtong.data.catalog.public import schema_version_create
from zhengtong.data.ingest.public import load_run
from zhengtong.data.quality.models import ProblemLoop, QualitySnapshot
from zhengtong.data.quality.public import dataset_quality
from zhengtong.kernel.loops.models import Case, CaseTransition

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("clock")]

SCHEMA = {
    "fields": [
        {"name": "resident_id", "title": "公民身份号码", "type": "string", "domainType": "resident_id",
         "maskingKind": "resident_id", "constraints": {"required": True}},
        {"name": "name", "title": "姓名", "type": "string", "maskingKind": "name", "constraints": {"required": True}},
        {"name": "mobile", "title": "手机号码", "type": "string", "domainType": "mobile", "maskingKind": "mobile"},
    ],
    "primaryKey": "resident_id",
}
# Two resident IDs with a wrong check digit (…0014, …0027) and a missing name.
DIRTY = """resident_id,name,mobile
330106198001010014,张三,13800138000
330106198512310027,李四,13900139000
330106199006150036,,13700137000
330106199507200046,赵六,13600136000
"""
# The same people, corrected at the source.
CLEAN = """resident_id,name,mobile
330106198001010013,张三,13800138000
330106198512310026,李四,13900139000
330106199006150036,王五,13700137000
330106199507200046,赵六,13600136000
"""


@pytest.fixture(autouse=True)
def lake(tmp_path, settings) -> Path:
    settings.LAKE_URL = (tmp_path / "lake").as_uri()
    settings.INGEST_UPLOAD_DIR = str(tmp_path / "uploads")
    return tmp_path / "lake"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def open_problems(dataset) -> dict[str, int]:
    return dict(
        ProblemLoop.objects.filter(dataset_id=dataset.id, closed_at__isnull=True).values_list("rule_code", "count")
    )


def test_a_problem_found_on_load_is_a_loop_for_the_owner_until_a_clean_reload_closes_it(
    tmp_path, people, population, run_worker
):
    officer = people.actor("ga_officer")
    schema_version_create(actor=officer, resource_code=population.resource_code, descriptor=SCHEMA)

    dirty = load_run(actor=officer, resource_code=population.resource_code, source=write(tmp_path / "dirty.csv", DIRTY))
    run_worker()

    assert (dirty.status, dirty.rows_read, dirty.problem_rows) == ("succeeded", 4, 3)
    assert open_problems(population) == {"resident_id:resident_id": 2, "required:name": 1}
    cases = Case.objects.filter(kind="problem_data")
    assert sorted((case.assignee_department.code, case.state) for case in cases) == [
        ("330106-GA", "assigned"), ("330106-GA", "assigned"),
    ]
    snapshot = QualitySnapshot.objects.get()
    assert (snapshot.load_id, snapshot.version, snapshot.rows, snapshot.problem_rows) == (
        str(dirty.load_id), 1, 4, 3
    )

    clean = load_run(actor=officer, resource_code=population.resource_code, source=write(tmp_path / "clean.csv", CLEAN))
    run_worker()

    assert (clean.status, clean.problem_rows) == ("succeeded", 0)
    assert open_problems(population) == {}
    assert sorted(Case.objects.filter(kind="problem_data").values_list("state", "outcome")) == [
        ("closed", "resolved"), ("closed", "resolved"),
    ]
    assert CaseTransition.objects.filter(action="close", actor_user__isnull=True).count() == 2
    quality = dataset_quality(actor=officer, dataset_id=population.id)
    assert [(s.version, s.problem_rows, s.problem_ratio) for s in quality.trend] == [(1, 3, 0.75), (2, 0, 0.0)]
    assert quality.open_problems == ()


def test_an_incremental_load_closes_only_what_the_whole_new_version_no_longer_has(
    tmp_path, people, population, run_worker
):
    officer = people.actor("ga_officer")
    schema_version_create(actor=officer, resource_code=population.resource_code, descriptor=SCHEMA)
    load_run(actor=officer, resource_code=population.resource_code, source=write(tmp_path / "dirty.csv", DIRTY))
    run_worker()

    # Appending a clean row proves nothing about the rows already there: both loops stay open.
    appended = load_run(actor=officer, resource_code=population.resource_code, mode="append",
                        source=write(tmp_path / "new.csv", "resident_id,name,mobile\n"
                                                           "330106198001010013,张三,13800138000\n"))
    run_worker()
    assert (appended.status, appended.problem_rows) == ("succeeded", 0)
    assert open_problems(population) == {"resident_id:resident_id": 2, "required:name": 1}
    snapshot = QualitySnapshot.objects.get(load_id=str(appended.load_id))
    assert (snapshot.rows, snapshot.problem_rows) == (5, 3)

    # An upsert that fills in the missing name (same key) fixes that problem in the version.
    upserted = load_run(actor=officer, resource_code=population.resource_code, mode="upsert",
                        source=write(tmp_path / "fix.csv", "resident_id,name,mobile\n"
                                                           "330106199006150036,王五,13700137000\n"))
    run_worker()
    assert upserted.status == "succeeded"
    assert open_problems(population) == {"resident_id:resident_id": 2}

    # The wrong IDs are keys: only a full reload of the corrected file replaces them.
    load_run(actor=officer, resource_code=population.resource_code, source=write(tmp_path / "clean.csv", CLEAN))
    run_worker()
    assert open_problems(population) == {}
    assert list(ProblemLoop.objects.order_by("rule_code").values_list("rule_code", "resolution")) == [
        ("required:name", "data"), ("resident_id:resident_id", "data"),
    ]
