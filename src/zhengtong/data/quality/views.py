"""Pages: my department's data quality (with the ranking for supervisors), another department's,
and one dataset's."""

from django.http import Http404
from django.shortcuts import render

from zhengtong.kernel.identity.decorators import staff_required

from . import selectors
from .charts import trend_chart


@staff_required
def overview(request):
    """数据质量: the signed-in officer's department, and for supervisors the department ranking."""
    actor = request.actor
    quality = (
        selectors.department_quality(actor=actor, department_id=actor.department_id) if actor.department_id else None
    )
    ranking = None
    if actor.division_code and selectors.may_see_ranking(actor, actor.division_code):
        ranking = selectors.quality_ranking(actor=actor, division_code=actor.division_code)
    return render(request, "quality/overview.html", {"quality": quality, "ranking": ranking, "own": True})


@staff_required
def department(request, department_id: int):
    try:
        quality = selectors.department_quality(actor=request.actor, department_id=department_id)
    except LookupError:
        raise Http404 from None
    return render(request, "quality/overview.html", {"quality": quality, "ranking": None, "own": False})


@staff_required
def dataset(request, public_id):
    try:
        quality = selectors.dataset_quality(actor=request.actor, public_id=public_id)
    except LookupError:
        raise Http404 from None
    return render(request, "quality/dataset.html", {"quality": quality, "chart": trend_chart(quality.trend)})
