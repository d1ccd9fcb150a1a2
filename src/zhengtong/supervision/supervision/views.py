"""Pages of 互联网+监管: for staff the law library, the supervision catalogue, the inspector
register and plans (publish, draw, reveal); for everyone the published plans with their
commitment, seed, drawn companies and results, the method, and the check of a draw."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengtong.kernel.identity.decorators import staff_required

from . import selectors, services
from .models import InspectionPlan, Law, PlanState, SupervisionItem

PAGE_SIZE = 100


def _error_text(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(str(m) for errors in error.error_dict.values() for e in errors for m in e.messages)
    return " ".join(str(m) for m in error.messages)


@require_GET
@staff_required
def law_list(request):
    return render(request, "supervision/law_list.html", {"laws": selectors.law_list(actor=request.actor)})


@require_GET
@staff_required
def law_detail(request, public_id):
    try:
        law = selectors.access_law(actor=request.actor, public_id=public_id)
    except Law.DoesNotExist:
        raise Http404 from None
    return render(request, "supervision/law_detail.html", {"law": law, "articles": selectors.law_articles(law)})


@require_GET
@staff_required
def item_list(request):
    flagged = {"1": True, "0": False}.get(request.GET.get("flagged", ""))
    return render(request, "supervision/item_list.html",
                  {"items": selectors.item_list(actor=request.actor, flagged=flagged), "flagged": flagged})


@require_GET
@staff_required
def item_detail(request, public_id):
    try:
        item = selectors.access_item(actor=request.actor, public_id=public_id)
    except SupervisionItem.DoesNotExist:
        raise Http404 from None
    return render(request, "supervision/item_detail.html",
                  {"item": item, "own": item.department_id == request.actor.department_id})


@require_GET
@staff_required
def inspector_list(request):
    return render(request, "supervision/inspector_list.html",
                  {"inspectors": selectors.inspector_list(actor=request.actor)})


@require_http_methods(["GET", "POST"])
@staff_required
def plan_list(request):
    if request.method == "POST":
        data = request.POST
        ratios = {k: data.get(f"ratio_{k}", "0") or "0" for k in "ABCD"}
        try:
            plan = services.plan_create(actor=request.actor, title=data.get("title", ""),
                                        item_ids=data.getlist("items"), division_code=data.get("division", ""),
                                        ratios=ratios, inspectors_per_inspection=data.get("per", ""))
        except ValidationError as error:
            messages.error(request, _error_text(error))
        except PermissionDenied as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The plan is saved as a draft."))
            return redirect("supervision:plan-detail", plan.public_id)
    return render(request, "supervision/plan_list.html", {
        "plans": selectors.plan_list(actor=request.actor),
        "items": selectors.item_list(actor=request.actor, flagged=False),
        "division": request.actor.division_code,
    })


@require_GET
@staff_required
def plan_detail(request, public_id):
    try:
        plan = selectors.access_plan(actor=request.actor, public_id=public_id)
    except InspectionPlan.DoesNotExist:
        raise Http404 from None
    page = Paginator(selectors.drawn_list(plan), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "supervision/plan_detail.html", {
        "plan": plan, "page": page, "names": selectors.inspector_names(c for d in page for c in d.inspectors),
        "own": plan.department_id == request.actor.department_id, "seed": selectors.plan_seed_public(plan),
    })


PLAN_ACTIONS = {
    # Lazy: translated when shown, in the request's language, not once at import.
    "commit": (services.plan_commit, gettext_lazy("The plan is published and the seed committed.")),
    "draw": (services.plan_draw, gettext_lazy("The draw has run.")),
    "reveal": (services.plan_reveal, gettext_lazy("The seed is revealed.")),
}


@require_POST
@staff_required
def plan_act(request, public_id, action):
    if action not in PLAN_ACTIONS:
        raise Http404
    service, done = PLAN_ACTIONS[action]
    try:
        service(actor=request.actor, plan_id=public_id)
    except InspectionPlan.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, str(done))
    return redirect("supervision:plan-detail", public_id)


# --- public ----------------------------------------------------------------------------------------


@require_GET
def public_plan_list(request):
    return render(request, "supervision/public_list.html", {"plans": selectors.public_plan_list()})


def _public_plan(public_id) -> InspectionPlan:
    try:
        return selectors.public_plan_get(public_id)
    except InspectionPlan.DoesNotExist:
        raise Http404 from None


@require_GET
def public_plan_detail(request, public_id):
    plan = _public_plan(public_id)
    drawn = selectors.drawn_list(plan) if plan.state in (PlanState.DRAWN, PlanState.REVEALED) else \
        selectors.drawn_list(plan).none()
    page = Paginator(drawn, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "supervision/public_detail.html", {
        "plan": plan, "page": page, "seed": selectors.plan_seed_public(plan), "items": plan.items.all(),
        "names": selectors.inspector_names(c for d in page for c in d.inspectors),
    })


@require_GET
def public_candidates(request, public_id):
    plan = _public_plan(public_id)
    response = HttpResponse(selectors.plan_candidates_text(plan), content_type="text/tab-separated-values; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="candidates-{plan.public_id}.tsv"'
    return response


@require_GET
def public_verify(request, public_id):
    plan = _public_plan(public_id)
    seed = request.GET.get("seed")
    report = selectors.plan_verify(plan=plan, seed_hex=seed) if (seed or plan.state == PlanState.REVEALED) else None
    return render(request, "supervision/public_verify.html", {"plan": plan, "report": report, "seed": seed or ""})


@require_GET
def method(request):
    return render(request, "supervision/method.html")


def _act(request, call, done) -> None:
    try:
        call()
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied as error:
        messages.error(request, str(error) or _("You may not do this."))
    else:
        messages.success(request, done)


@require_POST
@staff_required
def plan_entity_act(request, public_id, uscc, action):
    """Record an inspection's result, or assign inspectors by hand where the draw could not."""
    from datetime import date

    data = request.POST
    if action == "result":
        try:
            on = date.fromisoformat(data.get("on", ""))
        except ValueError:
            on = None

        def call():
            services.drawn_entity_result(actor=request.actor, plan_id=public_id, uscc=uscc,
                                         result=data.get("result", ""), on=on, note=data.get("note", ""))
        done = _("The result is recorded.")
    elif action == "assign":
        def call():
            services.drawn_entity_assign(actor=request.actor, plan_id=public_id, uscc=uscc,
                                         certificate_nos=data.get("inspectors", "").replace("，", ",").replace(
                                             " ", ",").split(","))
        done = _("The inspectors are assigned.")
    else:
        raise Http404
    try:
        _act(request, call, done)
    except ObjectDoesNotExist:
        raise Http404 from None
    return redirect("supervision:plan-detail", public_id)


@require_POST
@staff_required
def item_review(request, public_id):
    """The owning department answers its item's review loop."""
    try:
        _act(request, lambda: services.item_review_respond(actor=request.actor, item_id=public_id,
                                                           response=request.POST.get("response", "")),
             _("Your answer is recorded; the department that changed the law checks it."))
    except ObjectDoesNotExist:
        raise Http404 from None
    return redirect("supervision:item-detail", public_id)


@require_POST
@staff_required
def inspector_register(request):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=request.POST.get("username", "").strip()).first()
    if user is None:
        messages.error(request, _("There is no staff member with this user name."))
    else:
        _act(request, lambda: services.inspector_register(
            actor=request.actor, user_id=user.pk, certificate_no=request.POST.get("certificate_no", "")),
            _("The inspector is registered."))
    return redirect("supervision:inspector-list")


@require_POST
@staff_required
def inspector_conflicts(request, public_id):
    values = request.POST.get("conflicts", "").replace("，", ",").replace("\n", ",").split(",")
    try:
        _act(request, lambda: services.inspector_declare_conflicts(actor=request.actor, inspector_id=public_id,
                                                                    conflicts=values),
             _("The conflicts are recorded."))
    except ObjectDoesNotExist:
        raise Http404 from None
    return redirect("supervision:inspector-list")
