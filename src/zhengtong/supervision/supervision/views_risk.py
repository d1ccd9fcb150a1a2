"""Pages of 风险预警: the department's risk clues by deadline with its feedback figures, and one
clue with its reasons and the 核查反馈 form."""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhengtong.kernel.identity.decorators import staff_required

from . import risk
from .models import ClueFeedback
from .views import _act


@require_GET
@staff_required
def risk_list(request):
    return render(request, "supervision/risk_list.html",
                  {"clues": risk.department_clues(request.actor),
                   "figures": risk.risk_clue_figures(department_id=request.actor.department_id)})


@require_GET
@staff_required
def risk_detail(request, public_id):
    try:
        clue = risk.clue_get(actor=request.actor, public_id=public_id)
    except ObjectDoesNotExist:
        raise Http404 from None
    return render(request, "supervision/risk_detail.html", {"clue": clue, "choices": ClueFeedback.choices})


@require_POST
@staff_required
def risk_feedback(request, public_id):
    def call():
        risk.risk_clue_feedback(actor=request.actor, clue_id=public_id,
                                verified=request.POST.get("feedback") == ClueFeedback.VERIFIED,
                                note=request.POST.get("note", ""))
    try:
        _act(request, call, _("The feedback is recorded and the clue is closed."))
    except ObjectDoesNotExist:
        raise Http404 from None
    return redirect("supervision:risk-detail", public_id=public_id)
