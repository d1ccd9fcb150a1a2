"""The public pages of the guide under /services/: the portal (search, themes, for citizens and
for companies), each item's guide (办事指南) and the guided finder (智能导服).

No sign-in is needed. A signed-in citizen or company sees the implementation serving their own
division by default; anyone can choose another area. Every page works without JavaScript: the
search is a GET form, facets and finder answers are links.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from zhengtong.kernel.identity.public import actor_from_user

from . import selectors
from .models import ItemType, MaterialSource, ServingSubject

APPLY_URL = "/services/apply/{public_id}/"  # the applications module's start page
ALL_AREAS = "all"
MAX_FINDER_ANSWERS = 20


@dataclass(frozen=True)
class PageInfo:
    """What web/components/pagination.html reads of a Django Page."""

    number: int
    num_pages: int

    @property
    def paginator(self):
        return self

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


def _area(request) -> tuple[str | None, str]:
    """The division to serve: ?division=…, else the signed-in applicant's own; ("", "all") for all."""
    chosen = request.GET.get("division", "").strip()
    if chosen == ALL_AREAS:
        return None, ALL_AREAS
    if chosen:
        return (chosen, chosen) if selectors.division_known(chosen) else (None, ALL_AREAS)
    own = selectors.applicant_division_code(actor_from_user(request.user)) if request.user.is_authenticated else None
    return (own, own) if own else (None, ALL_AREAS)


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@require_safe
def portal(request):
    """一网通办: search the items, by theme, for citizens or for companies."""
    division_code, area = _area(request)
    query = request.GET.get("q", "").strip()[:200]
    serving = request.GET.get("serving", "")
    serving = serving if serving in (ServingSubject.CITIZEN, ServingSubject.COMPANY) else ""
    theme = request.GET.get("theme", "").strip()[:64]
    item_type = request.GET.get("type", "")
    item_type = item_type if item_type in ItemType.values else ""
    result = selectors.item_search(
        query=query, division_code=division_code, serving=serving or None, theme=theme or None,
        item_type=item_type or None, page=_page_number(request),
    )
    facets = {facet.name: facet for facet in result.facets}
    return render(request, "guide/portal.html", {
        "result": result,
        "query": query,
        "serving": serving,
        "theme": theme,
        "item_type": item_type,
        "area": area,
        "areas": selectors.division_options(),
        "themes": selectors.themes_published(),
        "type_facet": facets.get("item_type"),
        "theme_facet": facets.get("theme"),
        "tabs": [("", _("All services")), (ServingSubject.CITIZEN, _("For citizens")),
                 (ServingSubject.COMPANY, _("For companies"))],
        "page_obj": PageInfo(result.page, result.pages),
        "filtered": bool(query or serving or theme or item_type),
        "type_choices": ItemType.choices,
        "area_keep": [(name, value) for name, value in
                      (("q", query), ("serving", serving), ("theme", theme), ("type", item_type)) if value],
    })


@require_safe
def item_detail(request, code: str):
    """办事指南: every element of the item's implementation list, and the start button."""
    division_code, area = _area(request)
    guide = selectors.item_guide(code=code, division_code=division_code)
    if guide is None:
        raise Http404(_("No such service item is published"))
    implementation = guide.implementation
    return render(request, "guide/item_detail.html", {
        "guide": guide,
        "item": guide.item,
        "implementation": implementation,
        "materials": guide.materials,
        "area": area,
        "areas": selectors.division_options(),
        # The applicant's own division has no list of its own: the one above serves it.
        "served_from_above": guide.serves_area and bool(division_code) and implementation.division.code != division_code,
        # Offered elsewhere only: the guide is shown, but applying is for that area's people.
        "not_in_area": not guide.serves_area,
        "apply_url": APPLY_URL.format(public_id=implementation.public_id)
        if implementation.online and guide.serves_area else "",
        "fees": [{"name": fee.get("name", ""), "yuan": f"{fee.get('amount_fen', 0) / 100:.2f}",
                  "basis": fee.get("basis", "")} for fee in implementation.fees or ()],
        "type_label": dict(ItemType.choices).get(guide.item.item_type, guide.item.item_type),
        "serving_label": dict(ServingSubject.choices).get(guide.item.serving, guide.item.serving),
        "sources": MaterialSource,
        "fetched_count": sum(1 for m in guide.materials if m.source != MaterialSource.UPLOAD),
    })


@require_safe
def finder(request):
    """智能导服: one question a page; each answer a link; the end lists the matching items."""
    answers = [a for a in request.GET.getlist("a") if a][:MAX_FINDER_ANSWERS]
    division_code, area = _area(request)
    try:
        step = selectors.finder_step(answers=answers, division_code=division_code)
    except selectors.FinderPathError:
        if not answers:
            return render(request, "guide/finder_unavailable.html", status=404)
        # A stale or edited link: start again rather than fail.
        answers = []
        step = selectors.finder_step(answers=answers, division_code=division_code)
    links = []
    if step.question is not None:
        for answer in step.question.answers:
            links.append((answer, _finder_query(answers + [answer.code], area)))
    return render(request, "guide/finder.html", {
        "step": step,
        "answer_links": links,
        "back_query": _finder_query(answers[:-1], area) if answers else None,
        "restart_query": _finder_query([], area),
        "area": area,
        "areas": selectors.division_options(),
        "answers": answers,
        "answer_keep": [("a", answer) for answer in answers],
        "number": len(answers) + 1,
        "type_choices": ItemType.choices,
    })


def _finder_query(answers: list[str], area: str) -> str:
    pairs = [("a", a) for a in answers]
    if area:
        pairs.append(("division", area))
    return "?" + urlencode(pairs)
