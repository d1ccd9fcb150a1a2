"""Pages of 掌上执法 and 行政处罚: an inspector's inspections to do and the phone-first record
form; the department's penalty cases and one case with its actions; the public 双公示 list."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengtong.kernel.identity.decorators import staff_required

from . import inspections
from .models import Article, CheckVerdict, DrawnEntity, InspectionResult, PenaltyCase, PenaltyKind, ProvisionState
from .views import _act, _error_text


@require_GET
@staff_required
def inspection_list(request):
    return render(request, "supervision/inspection_list.html",
                  {"to_do": inspections.inspections_to_do(request.actor),
                   "inspector": inspections.my_inspector(request.actor),
                   "rechecks": inspections.rechecks_due(request.actor)})


@require_POST
@staff_required
def inspection_recheck(request, public_id):
    def call():
        inspections.inspection_recheck(actor=request.actor, inspection_id=public_id,
                                       passed=request.POST.get("passed") == "on", note=request.POST.get("note", ""))
    try:
        _act(request, call, _("The re-check is recorded."))
    except ObjectDoesNotExist:
        raise Http404 from None
    return redirect("supervision:inspection-list")


@require_http_methods(["GET", "POST"])
@staff_required
def inspection_record(request, public_id, uscc):
    drawn = DrawnEntity.objects.select_related("plan").filter(plan__public_id=public_id, uscc=uscc).first()
    if drawn is None:
        raise Http404
    item = drawn.plan.items.order_by("code").first()
    if request.method == "POST":
        data = request.POST
        answers = {check: (data.get(f"check_{n}", ""), data.get(f"note_{n}", ""))
                   for n, check in enumerate(item.checklist if item else [])}
        signatures = [inspections.Signature(number, data.get(f"sign_name_{number}", ""),
                                            data.get(f"sign_confirm_{number}") == "on") for number in drawn.inspectors]
        try:
            inspections.inspection_record(
                actor=request.actor, uscc=uscc, plan_id=drawn.plan.public_id, outcome=data.get("outcome", ""),
                answers=answers, signatures=signatures, findings=data.get("findings", ""),
                photos=request.FILES.getlist("photos"), latitude=data.get("latitude"),
                longitude=data.get("longitude"))
        except ValidationError as error:
            messages.error(request, _error_text(error))
        except PermissionDenied as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The inspection is recorded."))
            return redirect("supervision:inspection-list")
    checks = list(enumerate(item.checklist)) if item else []
    return render(request, "supervision/inspection_record.html", {
        "drawn": drawn, "item": item, "checks": checks, "verdicts": CheckVerdict.choices,
        "outcomes": InspectionResult.choices})


@require_GET
@staff_required
def case_list(request):
    try:
        cases = inspections.department_cases(request.actor)
    except PermissionDenied:
        cases = []
    return render(request, "supervision/case_list.html", {"cases": cases})


@require_GET
@staff_required
def case_detail(request, public_id):
    case = PenaltyCase.objects.select_related("basis__law").filter(
        public_id=public_id, department_id=request.actor.department_id).first()
    if case is None:
        raise Http404
    articles = Article.objects.select_related("law").filter(state=ProvisionState.IN_FORCE,
                                                            law__state=ProvisionState.IN_FORCE)
    return render(request, "supervision/case_detail.html",
                  {"case": case, "articles": articles, "kinds": PenaltyKind.choices})


CASE_ACTIONS = {"investigate": inspections.penalty_case_investigate, "enforce": inspections.penalty_case_enforce,
                "close": inspections.penalty_case_close}


@require_POST
@staff_required
def case_act(request, public_id, action):
    data = request.POST
    if action == "decide":
        def call():
            try:
                fine_fen = round(float(data.get("fine_yuan") or 0) * 100)
            except ValueError:
                fine_fen = 0
            inspections.penalty_case_decide(
                actor=request.actor, case_id=public_id, article_id=data.get("article") or None,
                penalty_kind=data.get("penalty_kind", ""), facts=data.get("facts", ""), fine_fen=fine_fen,
                penalty_other=data.get("penalty_other", ""), serious=data.get("serious") == "on")
    elif action in CASE_ACTIONS:
        def call():
            CASE_ACTIONS[action](actor=request.actor, case_id=public_id, note=data.get("note", ""))
    else:
        raise Http404
    try:
        _act(request, call, _("Done."))
    except ObjectDoesNotExist:
        raise Http404 from None
    return redirect("supervision:case-detail", public_id)


@require_GET
def public_penalties(request):
    return render(request, "supervision/public_penalties.html", {"cases": inspections.penalties_published()})
