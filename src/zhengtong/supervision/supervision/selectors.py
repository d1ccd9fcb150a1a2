"""Reads of 互联网+监管, each scoped to what the actor may see.

- the law library and the supervision catalogue: any staff member (they are the basis of everyone's
  enforcement) — and the public pages show laws through the plans only;
- the inspector register: staff of the inspector's department (leaders see it whole within their
  division); inspectors' personal data is never shown beyond name and certificate number;
- plans: staff of the departments taking part; once published, anyone sees the commitment, and
  after the reveal the seed, the drawn companies and the results (public pages).
"""

import zlib
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from zhengtong.kernel.identity.public import Actor

from . import draw
from .models import (
    Article,
    DrawnEntity,
    InspectableEntity,
    InspectionPlan,
    Inspector,
    Law,
    PlanState,
    SupervisionItem,
)

PUBLIC_STATES = (PlanState.COMMITTED, PlanState.DRAWN, PlanState.REVEALED)


def _staff(actor: Actor) -> None:
    if not (actor.is_staff_member or (actor.kind == "staff" and actor.is_superuser)):
        raise PermissionDenied(_("Only staff may see this."))


def law_list(*, actor: Actor):
    _staff(actor)
    return Law.objects.annotate(article_count=Count("articles")).order_by("title")


def access_law(*, actor: Actor, public_id) -> Law:
    _staff(actor)
    law = Law.objects.filter(public_id=public_id).first()
    if law is None:
        raise Law.DoesNotExist
    return law


def law_articles(law: Law) -> list[Article]:
    return list(law.articles.prefetch_related("versions", "items").order_by("position", "id"))


def item_list(*, actor: Actor, flagged: bool | None = None):
    _staff(actor)
    items = SupervisionItem.objects.select_related("department").prefetch_related("articles__law")
    if flagged is not None:
        items = items.filter(needs_review=flagged)
    return items.order_by("code")


def access_item(*, actor: Actor, public_id) -> SupervisionItem:
    _staff(actor)
    item = (SupervisionItem.objects.select_related("department").prefetch_related("articles__law", "implementations")
            .filter(public_id=public_id).first())
    if item is None:
        raise SupervisionItem.DoesNotExist
    return item


def inspector_list(*, actor: Actor):
    """The register as the actor may see it: their department's inspectors (a superuser: all)."""
    _staff(actor)
    inspectors = Inspector.objects.select_related("department", "division")
    if not actor.is_superuser:
        inspectors = inspectors.filter(department_id=actor.department_id)
    return inspectors.order_by("certificate_no")


@dataclass(frozen=True)
class EntityCounts:
    total: int
    by_class: dict[str, int] = field(default_factory=dict)


def entity_counts(*, actor: Actor, division_prefix: str = "") -> EntityCounts:
    _staff(actor)
    rows = InspectableEntity.objects.filter(division_code__startswith=division_prefix).values(
        "credit_class").annotate(n=Count("id"))
    by_class = {r["credit_class"]: r["n"] for r in rows}
    return EntityCounts(sum(by_class.values()), dict(sorted(by_class.items())))


def plan_list(*, actor: Actor):
    """Plans of the actor's department, and joint plans naming one of its items."""
    _staff(actor)
    plans = InspectionPlan.objects.select_related("department", "division")
    if not actor.is_superuser:
        plans = plans.filter(Q(department_id=actor.department_id) | Q(items__department_id=actor.department_id))
    return plans.distinct().order_by("-created_at", "-id")


def access_plan(*, actor: Actor, public_id) -> InspectionPlan:
    plan = plan_list(actor=actor).filter(public_id=public_id).first()
    if plan is None:
        raise InspectionPlan.DoesNotExist
    return plan


def public_plan_list():
    return (InspectionPlan.objects.filter(state__in=PUBLIC_STATES).select_related("department", "division")
            .annotate(drawn_count=Count("drawn")).order_by("-committed_at", "-id"))


def public_plan_get(public_id) -> InspectionPlan:
    plan = public_plan_list().filter(public_id=public_id).first()
    if plan is None:
        raise InspectionPlan.DoesNotExist
    return plan


def drawn_list(plan: InspectionPlan):
    """Drawn entities; for the public before the reveal, none (the draw is checkable only then)."""
    return DrawnEntity.objects.filter(plan=plan).order_by("uscc")


def inspector_names(certificate_nos) -> dict[str, str]:
    """Certificate number → name: what pages show of an inspector (never a resident ID)."""
    return dict(Inspector.objects.filter(certificate_no__in=set(certificate_nos)).values_list("certificate_no", "name"))


def plan_seed_public(plan: InspectionPlan) -> str:
    """The seed, once revealed; empty before."""
    return plan.seed if plan.state == PlanState.REVEALED else ""


def plan_candidates_text(plan: InspectionPlan) -> bytes:
    """The frozen candidate list as committed (one "USCC<TAB>class" a line), for anyone to rerun."""
    return zlib.decompress(bytes(plan.candidates)) if plan.candidates else b""


@dataclass(frozen=True)
class Check:
    code: str
    label: str
    ok: bool


@dataclass(frozen=True)
class VerifyReport:
    checks: tuple[Check, ...]
    drawn_recomputed: int
    drawn_recorded: int

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def plan_verify(*, plan: InspectionPlan, seed_hex: str | None = None) -> VerifyReport:
    """Recompute the draw from the revealed seed (or one given) and the frozen lists, and say
    whether it matches what was recorded: the commitment, the candidate digest, the inspector
    digest and every drawn entity with its inspectors."""
    seed_hex = (seed_hex if seed_hex is not None else plan_seed_public(plan)).strip().lower()
    checks = []
    try:
        commitment_ok = bool(seed_hex) and draw.seed_commitment(seed_hex) == plan.commitment
    except ValueError:
        commitment_ok = False
    checks.append(Check("commitment", _("SHA-256 of the seed equals the commitment published before the draw"),
                        commitment_ok))
    canonical = plan_candidates_text(plan)
    candidates_ok = draw.digest(canonical) == plan.candidates_digest
    checks.append(Check("candidates", _("The candidate list matches the digest published before the draw"),
                        candidates_ok))
    entries = draw.inspectors_from_snapshot(plan.inspectors_snapshot)
    inspectors_ok = draw.digest(draw.inspectors_canonical(entries)) == plan.inspectors_digest
    checks.append(Check("inspectors", _("The inspector list matches the digest published before the draw"),
                        inspectors_ok))
    # Inspectors assigned by hand to an entity the draw left unassigned are the record's, not the draw's.
    recorded = [draw.DrawnRow(u, k, () if by_hand else tuple(i), r) for u, k, i, r, by_hand in
                DrawnEntity.objects.filter(plan=plan).order_by("uscc").values_list(
                    "uscc", "credit_class", "inspectors", "unassigned_reason", "assigned_by_hand")]
    recomputed: list = []
    if commitment_ok and plan.state in (PlanState.DRAWN, PlanState.REVEALED):
        departments = sorted(set(plan.items.values_list("department__code", flat=True)))
        recomputed = draw.run(seed_hex, canonical, plan.ratios, entries, departments,
                              plan.inspectors_per_inspection)
    checks.append(Check("draw", _("Rerunning the method gives the recorded entities and inspectors"),
                        bool(recomputed) and recomputed == recorded
                        and draw.result_digest(recomputed) == plan.result_digest))
    return VerifyReport(tuple(checks), len(recomputed), len(recorded))


def drawn_for_inspector(*, actor: Actor) -> list[DrawnEntity]:
    """The inspections the actor was drawn for."""
    inspector = Inspector.objects.filter(user_id=actor.user_id).first() if actor.user_id else None
    if inspector is None:
        return []
    return [d for d in DrawnEntity.objects.filter(plan__state__in=(PlanState.DRAWN, PlanState.REVEALED))
            .select_related("plan") if inspector.certificate_no in d.inspectors]
