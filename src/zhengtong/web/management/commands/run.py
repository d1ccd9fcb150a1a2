"""`zhengtong run`: serve the platform with its task worker and scheduler, as one command.

Three processes, each the platform's own: the web server (Django's development server when DEBUG,
gunicorn otherwise), the django-tasks database worker, and the scheduler for periodic work.
Ctrl-C stops all three.
"""

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

ZHENGTONG = [sys.executable, "-m", "zhengtong.cli"]


class Command(BaseCommand):
    help = "Serve the platform (web + task worker + scheduler)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port to listen on")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (without DEBUG)")
        parser.add_argument("--no-worker", action="store_true", help="do not start the task worker and scheduler")

    def handle(self, *args, addr, workers, no_worker, **options):
        if settings.DEBUG:
            web = ZHENGTONG + ["runserver", addr]
        else:
            # Children inherit DJANGO_SETTINGS_MODULE from this process's environment.
            web = [sys.executable, "-m", "gunicorn", "zhengtong.wsgi:application", "--bind", addr,
                   "--workers", str(workers)]
        commands = [web]
        if not no_worker:
            commands.append(ZHENGTONG + ["db_worker", "--no-startup-delay"])
            commands.append(ZHENGTONG + ["scheduler"])
        processes = [subprocess.Popen(command) for command in commands]
        self.stdout.write(f"政通 Zhengtong serving on http://{addr}/ (Ctrl-C stops)")

        def stop(*_):
            for process in processes:
                if process.poll() is None:
                    process.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            # If any part dies, stop the rest: a platform without its worker silently queues forever.
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        failed = [p.args for p in processes if p.returncode not in (0, -signal.SIGTERM, -signal.SIGINT, None)]
        if failed:
            self.stderr.write(f"stopped because a part failed: {failed}")
            sys.exit(1)
