"""The scheduler's housekeeping: finished task results are pruned after two weeks."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from zhengtong.web.management.commands.scheduler import JOBS, TASK_RESULTS_KEPT_DAYS, task_results_prune


def _result(status: str, finished_days_ago: int | None) -> DBTaskResult:
    now = timezone.now()
    return DBTaskResult.objects.create(
        status=status, args_kwargs={"args": [], "kwargs": {}}, task_path="zhengtong.example.task",
        backend_name="default", queue_name="default", run_after=now,
        finished_at=now - timedelta(days=finished_days_ago) if finished_days_ago is not None else None,
    )


@pytest.mark.django_db
def test_old_finished_results_are_pruned_and_the_rest_kept():
    old_done = _result("SUCCESSFUL", TASK_RESULTS_KEPT_DAYS + 1)
    old_failed = _result("FAILED", TASK_RESULTS_KEPT_DAYS + 5)
    recent = _result("SUCCESSFUL", 1)
    waiting = _result("READY", None)

    task_results_prune()

    assert set(DBTaskResult.objects.values_list("id", flat=True)) == {recent.id, waiting.id}
    assert not DBTaskResult.objects.filter(id__in=[old_done.id, old_failed.id]).exists()


def test_pruning_is_a_scheduled_job():
    assert task_results_prune in [job for job, _ in JOBS]
