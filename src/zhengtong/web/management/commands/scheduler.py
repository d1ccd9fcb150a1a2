"""`zhengtong scheduler`: periodic platform work (re-deliver due events, escalate overdue loops)."""

import logging
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from zhengtong.data.exchange.public import grant_subscriptions_expire
from zhengtong.data.quality.public import quality_check_timeliness
from zhengtong.kernel.events.public import redeliver_due, webhook_redeliver_due
from zhengtong.kernel.ledger.public import ledger_publish_tree_head_job, ledger_sequence
from zhengtong.kernel.loops.public import escalate_overdue
from zhengtong.services.applications.tasks import applications_escalate_job, applications_timers_job

logger = logging.getLogger("zhengtong.scheduler")

TASK_RESULTS_KEPT_DAYS = 14


def task_results_prune() -> int:
    """Delete finished task results older than two weeks (the database backend keeps them all)."""
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return 0
    call_command("prune_db_task_results", queue_name="*", min_age_days=TASK_RESULTS_KEPT_DAYS, verbosity=0)
    return 0


# (job, seconds between runs). Every job is idempotent, so a restart or a second scheduler is harmless.
# Ledger entries are sequenced after each commit by a task; the sweep here bounds the merge delay.
JOBS = (
    (ledger_sequence, 10),
    (ledger_publish_tree_head_job, 60),
    (redeliver_due, 60),
    (webhook_redeliver_due, 30),
    (escalate_overdue, 600),
    (applications_escalate_job, 600),  # overdue process steps go one level up (DIGIT's auto-escalation)
    (applications_timers_job, 300),  # BPMN timers: a correction not made in time
    (quality_check_timeliness, 3600),
    (grant_subscriptions_expire, 3600),
    (task_results_prune, 6 * 3600),
)


class Command(BaseCommand):
    help = "Run periodic jobs forever (or once with --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and exit")

    def handle(self, *args, once, **options):
        last_run = {job: 0.0 for job, _ in JOBS}
        while True:
            now = time.monotonic()
            for job, interval in JOBS:
                if once or now - last_run[job] >= interval:
                    close_old_connections()
                    try:
                        count = job()
                        if count:
                            logger.info("%s: %s", job.__name__, count)
                    except Exception:  # one failing job must not stop the others
                        logger.exception("scheduled job %s failed", job.__name__)
                    last_run[job] = now
            if once:
                return
            time.sleep(5)
