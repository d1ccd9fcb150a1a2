"""Pages of the registries: home with search, a golden record, the review queue, the runs."""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zhengtong.kernel.identity.decorators import staff_required

from . import permissions, selectors, services
from .forms import DecisionForm, SearchForm
from .ids import registry_id_normalize
from .models import Kind, MasterRecord, PairStatus, ReviewPair

MOBILE = re.compile(r"^1\d{10}$")


def _require_registry_user(actor) -> None:
    if not selectors.may_use_registry(actor):
        raise PermissionDenied


def _criteria(kind: str, data: dict) -> selectors.Criteria:
    identifier = re.sub(r"[\s-]+", "", data.get("identifier") or "").upper()
    fields = {}
    if identifier:
        if MOBILE.match(identifier):
            fields["mobile"] = identifier
        else:
            fields["resident_id" if kind == Kind.PERSON else "uscc"] = identifier
    if data.get("name") and data.get("birth_date"):
        fields["name"], fields["birth_date"] = data["name"], data["birth_date"].isoformat()
    return selectors.Criteria(**fields)


@staff_required
def home(request):
    """基础库: counts, the search, and the hits (each hit a logged read)."""
    actor = request.actor
    _require_registry_user(actor)
    form = SearchForm(request.GET or None)
    results, searched = [], False
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data.get("registry_id"):
            return redirect("registry:record", registry_id=data["registry_id"].strip())
        criteria = _criteria(data["kind"], data)
        if not criteria.is_empty():
            searched = True
            try:
                results = selectors.registry_search(actor=actor, kind=data["kind"], criteria=criteria, via="page")
            except PermissionDenied:
                results = []
    return render(request, "registry/home.html", {
        "form": form, "results": results, "searched": searched,
        "counts": selectors.registry_counts(actor=actor),
        "may_run": permissions.may_run(actor),
    })


@staff_required
def record(request, registry_id: str):
    """A golden record: each attribute with its source, version, verification and history."""
    actor = request.actor
    _require_registry_user(actor)
    normalized = registry_id_normalize(registry_id)
    if normalized is None:
        raise Http404
    try:
        golden = selectors.golden_record_read(actor=actor, registry_id=normalized, via="page", with_history=True)
    except selectors.MasterMerged as merged:
        messages.info(request, _("%(old)s was merged into %(new)s: this is the record now.") % {
            "old": merged.registry_id, "new": merged.survivor_id})
        return redirect("registry:record", registry_id=merged.survivor_id)
    except MasterRecord.DoesNotExist:
        raise Http404 from None
    return render(request, "registry/record.html", {"record": golden})


@staff_required
def review_queue(request):
    """待核查: the pairs on the officer's desk, most likely matches first."""
    actor = request.actor
    _require_registry_user(actor)
    status = request.GET.get("status", PairStatus.OPEN)
    if status not in PairStatus.values:
        status = PairStatus.OPEN
    page = Paginator(selectors.review_queue(actor=actor, status=status), 50).get_page(request.GET.get("page"))
    return render(request, "registry/review_queue.html", {
        "page_obj": page, "status": status, "statuses": PairStatus.choices,
    })


@staff_required
@require_http_methods(["GET", "POST"])
def review_pair(request, public_id):
    """One pair: both records side by side (masked) and the decision, a plain form."""
    actor = request.actor
    _require_registry_user(actor)
    try:
        pair = selectors.review_pair_get(actor=actor, public_id=public_id)
    except ReviewPair.DoesNotExist:
        raise Http404 from None
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_decide(actor=actor, pair=pair, accepted=form.cleaned_data["decision"] == "accept",
                                   note=form.cleaned_data["note"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your decision is recorded; the next run of the registry follows it."))
            return redirect("registry:review-queue")
    return render(request, "registry/review_pair.html", {
        "pair": pair, "values": selectors.review_pair_values(pair=pair), "form": form,
    })


@staff_required
@require_http_methods(["GET", "POST"])
def runs(request):
    """比对运行: every run with its counts; the bureau may start one (queued for the worker)."""
    actor = request.actor
    _require_registry_user(actor)
    may_run = permissions.may_run(actor)
    if request.method == "POST":
        kind = request.POST.get("kind")
        if not may_run:
            raise PermissionDenied
        if kind not in Kind.values:
            messages.error(request, _("Choose a registry to run."))
        else:
            from .tasks import registry_run_task

            transaction.on_commit(lambda: registry_run_task.enqueue(kind))
            messages.success(request, _("The run is queued; it appears here when the worker starts it."))
        return redirect(reverse("registry:runs"))
    page = Paginator(selectors.run_list(actor=actor), 50).get_page(request.GET.get("page"))
    return render(request, "registry/runs.html", {"page_obj": page, "may_run": may_run, "kinds": Kind.choices})
