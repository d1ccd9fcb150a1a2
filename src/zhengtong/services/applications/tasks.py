"""Periodic work of applications, for `zhengtong scheduler` (web/management/commands/scheduler.py
lists its jobs): escalate overdue tasks (督办) and fire the processes' timers (a correction not
made within its period rejects the application). Both are idempotent: a second run, or a second
scheduler, changes nothing more."""

from .services import applications_timers_fire, tasks_escalate_overdue


def applications_escalate_job() -> int:
    return tasks_escalate_overdue()


def applications_timers_job() -> int:
    return applications_timers_fire()


# (job, seconds between runs), for the scheduler's JOBS.
JOBS = ((applications_escalate_job, 600), (applications_timers_job, 300))
