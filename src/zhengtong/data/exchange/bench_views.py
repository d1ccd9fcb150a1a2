"""The sharing benchmark's bare view: the gateway's keyed lookup with none of the gateway.

`zhengtong bench share` (benchmarks.py) drives GET /api/v1/share/{service}/records/{key} and this
view side by side on one server (gunicorn with deploy/gunicorn.conf.py, settings.bench) against one
database. The view does what no sharing call can do without: find the record by (service, key) in
the serving index with one indexed read, decrypt it (the model field does, as for the gateway) and
answer it as JSON. It does nothing else: no API key, no grant, no consent, no masking, no metering,
no ShareCall row, no ledger entry. What the gateway spends beyond this view is the price of those.

A plain Django view rather than a DRF one: the question is how much of a bare key lookup the
gateway keeps, and what DRF costs the gateway (its request wrapper, authentication, content
negotiation, renderer) is part of the gateway's price, not of the lookup. Same server, same
settings, same middleware, same framework underneath (Django), same query shape.

Mounted only by settings.bench (ROOT_URLCONF = this module): never in production's URLs, since it
serves graded data to anyone who asks.
"""

import json

from django.http import Http404, JsonResponse
from django.urls import include, path

from .models import ShareRecord

BARE_PATH = "bench/bare/{service}/records/"


def bare_record(request, service: str, key: str) -> JsonResponse:
    payload = (
        ShareRecord.objects.filter(service__code=service, key=key).values_list("payload", flat=True).first()
    )
    if payload is None:
        raise Http404
    return JsonResponse({"service": service, "key": key, "values": json.loads(payload)},
                        json_dumps_params={"ensure_ascii": False})


urlpatterns = [
    path("bench/bare/<slug:service>/records/<str:key>", bare_record, name="bench-bare-record"),
    # Everything else as production serves it; a string, so this module imports nothing above it.
    path("", include("zhengtong.urls")),
]
