"""The submission benchmark's bare view: the application row an instant submission stores, inserted
with none of the submission's work.

`zhengtong bench apply` (benchmarks.py) drives the real API (an instant item submitted with an
Idempotency-Key: pre-fill through the sharing gateway, the materials fetched, the process started,
the DMN decision, the Decision row, the ledger entry and the event) and this view side by side, on
one server (gunicorn with deploy/gunicorn.conf.py, settings.bench_apply) against one database.

The view does what no submission can do without: take the signed-in citizen's POST (session and
CSRF checked by the same middleware), read the Idempotency-Key, and insert the same Application
row — the same columns, the answers the form would hold (from the citizen's own record, one read),
a reference and a due date made the same way — as a submitted, approved instant application, once
per (applicant, key): a retried key answers the row already stored (200), as the API does. It does
nothing else: no pre-fill, no sharing call, no material, no process, no decision, no ledger entry,
no event, no notice. What the API spends beyond this view is the price of those.

A plain Django view rather than DRF: the question is how much of a bare insert the whole
submission keeps, and what DRF costs the API (request wrapper, authentication classes, content
negotiation, renderer) is part of the API's price.

Mounted only by settings.bench_apply (ROOT_URLCONF = this module): never in production's URLs.
"""

import json
from uuid import UUID

from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhengtong.kernel.identity.models import Citizen
from zhengtong.services.guide.models import ItemImplementation

from .models import Application, ApplicationState, Channel
from .routing import application_due_on, reference_new

BARE_PATH = "/bench/bare/applications/submissions/"
MAX_KEY_LENGTH = 128


def _answers(citizen: Citizen) -> tuple[dict, dict]:
    """The answers an instant person item's form holds, and their provenance, as pre-fill leaves them."""
    now = timezone.now().isoformat()
    answers = {
        "name": citizen.name, "resident_id": citizen.resident_id, "birth_date": citizen.birth_date.isoformat(),
        "division_code": citizen.division.code, "mobile": citizen.mobile, "address": citizen.address,
    }
    provenance = {name: {"source": "registry-person", "label": "人口库（自然人基础信息）", "at": now, "changed": False}
                  for name in answers}
    return answers, provenance


@require_POST
def bare_submit(request) -> HttpResponse:
    user = request.user
    if not user.is_authenticated or user.kind != "citizen":
        return JsonResponse({"code": "not_authenticated"}, status=403)
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        return JsonResponse({"code": "idempotency_key_required"}, status=400)
    try:
        implementation = UUID(str(json.loads(request.body)["implementation"]))
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"code": "invalid"}, status=400)
    found = (ItemImplementation.objects.select_related("division").filter(public_id=implementation)
             .values_list("id", "item_id", "division_id", "division__code", "department_id", "promised_days").first())
    if found is None:
        raise Http404
    implementation_id, item_id, division_id, division_code, department_id, promised_days = found
    citizen = Citizen.objects.select_related("division").get(user=user)
    answers, provenance = _answers(citizen)
    now = timezone.now()
    today = timezone.localdate()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                application = Application.objects.create(
                    reference=reference_new(division_code, today), implementation_id=implementation_id,
                    item_id=item_id, applicant_user=user, citizen=citizen, division_id=division_id,
                    department_id=department_id, state=ApplicationState.APPROVED, channel=Channel.WEB,
                    answers=answers, provenance=provenance, idempotency_key=key, submitted_at=now, concluded_at=now,
                    due_on=application_due_on(today, promised_days), instant=True,
                )
            status = 201
            break
        except IntegrityError:
            # The key again (a retry: answer the row stored), or, rarely, a reference drawn twice.
            application = Application.objects.filter(applicant_user=user, idempotency_key=key).first()
            if application is not None:
                status = 200
                break
    else:
        return JsonResponse({"code": "reference_collision"}, status=503)
    return HttpResponse(json.dumps({"public_id": str(application.public_id), "reference": application.reference,
                                    "state": application.state}), status=status, content_type="application/json")


urlpatterns = [
    path("bench/bare/applications/submissions/", bare_submit, name="bench-bare-submit"),
    # The sharing benchmark's bare view and everything production serves; strings, so this module
    # imports nothing above it.
    path("", include("zhengtong.data.exchange.bench_views")),
]
