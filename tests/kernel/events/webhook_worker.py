"""The subprocess side of the crash test, on the database named by DATABASE_URL.

    python webhook_worker.py publish URL COUNT   subscribe URL to "test.crash.", publish COUNT events;
                                                 prints {"secret": …, "event_ids": […]}
    python webhook_worker.py work                the real django-tasks database worker, until killed
    python webhook_worker.py finish              the scheduler's webhook sweep, then the worker until
                                                 no task is left; prints the sweep's count
    python webhook_worker.py report              prints every webhook delivery as JSON

WEBHOOK_LEASE_SECONDS sets the lease (the test wants a short one); plain http to 127.0.0.1 is
allowed, as in development.
"""

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings.test")

from django.conf import settings  # noqa: E402

settings.EVENTS_WEBHOOK_ALLOW_HTTP_LOCALHOST = True
settings.EVENTS_WEBHOOK_LEASE_SECONDS = float(os.environ.get("WEBHOOK_LEASE_SECONDS", "60"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from zhengtong.kernel.events.models import WebhookDelivery  # noqa: E402
from zhengtong.kernel.events.public import publish, webhook_redeliver_due, webhook_subscription_create  # noqa: E402
from zhengtong.kernel.identity.public import Actor  # noqa: E402

OFFICER = Actor(kind="staff", user_id=11, department_id=7, roles=frozenset({"data_officer"}))


def main(command: str, *args: str) -> None:
    if command == "publish":
        url, count = args[0], int(args[1])
        created = webhook_subscription_create(actor=OFFICER, department_id=7, events=["test.crash."], url=url)
        event_ids = []
        for n in range(count):
            with transaction.atomic():  # one change, one event, one commit each, as in the registry
                event_ids.append(str(publish("test.crash.person_changed", {"n": n})))
        print(json.dumps({"secret": created.secret, "event_ids": event_ids}))
    elif command == "work":
        call_command("db_worker", startup_delay=False, reload=False, interval=0.1, verbosity=0)
    elif command == "finish":
        swept = webhook_redeliver_due()
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
        print(json.dumps(swept))
    elif command == "report":
        rows = [
            {
                "event_id": str(delivery.event_id),
                "status": delivery.status,
                "attempts": delivery.attempts,
                "in_flight": delivery.lease_token is not None,
                "last_http_status": delivery.last_http_status,
                "last_error": delivery.last_error,
            }
            for delivery in WebhookDelivery.objects.order_by("id")
        ]
        print(json.dumps(rows))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(*sys.argv[1:])
