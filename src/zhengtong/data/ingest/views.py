"""Pages: a dataset's versions and loads with the upload form, and one load with its report."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhengtong.data.catalog.public import dataset_get
from zhengtong.kernel.identity.decorators import staff_required

from . import reports, selectors, services
from .errors import IngestError
from .forms import UploadForm
from .models import Load

PAGE_SIZE = 25
POLL_SECONDS = 2


@staff_required
def dataset_loads(request, public_id):
    dataset = selectors.access_dataset_loads(actor=request.actor, public_id=public_id)
    form = UploadForm()
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                load = services.upload_from_file(actor=request.actor, resource_code=dataset.resource_code,
                                                 uploaded=form.cleaned_data["file"], mode=form.cleaned_data["mode"])
            except IngestError as error:
                form.add_error("file", error.message)
            else:
                messages.success(request, _("The file has been received. Its load is queued; this page shows how it goes."))
                return redirect("ingest:load-detail", public_id=load.public_id)
    loads = selectors.load_list(actor=request.actor, dataset_public_id=dataset.public_id)
    page_obj = Paginator(loads, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "ingest/dataset_loads.html", {
        "dataset": dataset,
        "versions": selectors.version_list(dataset_id=dataset.id).select_related("load")[:50],
        "page_obj": page_obj,
        "form": form,
        "api": {
            "create": reverse("ingest-upload-create"),
            "load_page": reverse("ingest:load-detail", kwargs={"public_id": "00000000-0000-0000-0000-000000000000"}),
            "chunk_size": int(getattr(settings, "INGEST_UPLOAD_CHUNK_BYTES", 8 * 1024 * 1024)),
        },
    }, status=400 if form.errors else 200)


@staff_required
def load_detail(request, public_id):
    try:
        load = selectors.access_load(actor=request.actor, public_id=public_id)
    except (Load.DoesNotExist, ValidationError):
        raise Http404 from None
    load = services.load_refresh_if_dead(load=load)
    context = {
        "load": load,
        "dataset": dataset_get(dataset_id=load.dataset_id),
        "rules": reports.report_lines(load),
        "poll_seconds": POLL_SECONDS,
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "ingest/_load_body.html", context)
    return render(request, "ingest/load_detail.html", context)
