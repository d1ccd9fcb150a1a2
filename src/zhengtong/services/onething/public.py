"""What other modules may use of one-thing bundles (一件事): the definition services (the demo and
the platform's own set-up build bundles with them), the applying services, frozen references, and
the events.

    from zhengtong.services.onething.public import PartSpec, bundle_create

    bundle_create(actor=actor, code="company-opening", name="开办企业一件事", serving="company",
                  division_code="330106", result_name="企业开办完成",
                  parts=[PartSpec("330106-SJ-101"), PartSpec("330106-GA-102", {"enterprise_name": "company_name"})],
                  publish=True)

`bundle_create(*, actor, code, name, serving, division_code, result_name, description="", parts=(),
publish=False) -> Bundle` keeps this signature (services.py documents each argument).

Events (published after commit, through kernel.events):
  onething.bundle_published {bundle, division}
  onething.submitted        {bundle_application, reference, bundle, state, applicant_user}
  onething.concluded        (the same keys; state completed / rejected): the one result issued, or not
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from .merging import MergedField, MergedForm, MergedMaterial
from .models import Bundle, BundleApplication, BundleState
from .services import (
    EVENT_CONCLUDED,
    EVENT_PUBLISHED,
    EVENT_SUBMITTED,
    PartSpec,
    bundle_application_start_submitted,
    bundle_application_submit,
    bundle_create,
    bundle_draft_answer,
    bundle_draft_start,
    bundle_form_of,
    bundle_material_accept,
    bundle_material_preview,
    bundle_material_upload,
    bundle_part_add,
    bundle_publish,
    bundle_state_derive,
    bundle_unpublish,
)

__all__ = [
    "EVENT_CONCLUDED", "EVENT_PUBLISHED", "EVENT_SUBMITTED", "BundleApplicationRef", "BundleRef", "BundleState",
    "MergedField", "MergedForm", "MergedMaterial", "PartSpec", "bundle_application_ref_get",
    "bundle_application_start_submitted", "bundle_application_submit", "bundle_create", "bundle_draft_answer",
    "bundle_draft_start", "bundle_form_of", "bundle_material_accept", "bundle_material_preview",
    "bundle_material_upload", "bundle_part_add", "bundle_publish", "bundle_ref_get", "bundle_state_derive",
    "bundle_unpublish",
]


@dataclass(frozen=True)
class BundleRef:
    code: str
    name: str
    serving: str
    division_code: str
    result_name: str
    is_published: bool
    item_codes: tuple[str, ...]  # the parts, in position order


@dataclass(frozen=True)
class BundleApplicationRef:
    public_id: UUID
    reference: str | None
    bundle_code: str
    state: str  # BundleState, as stored (the handlers keep it in line with the parts)
    applicant_user_id: int
    submitted_at: datetime | None
    concluded_at: datetime | None
    part_application_ids: tuple[UUID, ...]  # the applications of the parts, in position order


def bundle_ref_get(code: str) -> BundleRef | None:
    """A bundle by code, published or not (callers check `is_published`); None if unknown."""
    bundle = Bundle.objects.select_related("division").filter(code=str(code or "")).first()
    if bundle is None:
        return None
    return BundleRef(bundle.code, bundle.name, bundle.serving, bundle.division.code, bundle.result_name,
                     bundle.is_published,
                     tuple(bundle.parts.order_by("position", "id").values_list("item__code", flat=True)))


def bundle_application_ref_get(public_id) -> BundleApplicationRef | None:
    """A bundle application by public id, or None. No access check: for modules that hold the id
    because an event named it."""
    try:
        public_id = public_id if isinstance(public_id, UUID) else UUID(str(public_id))
    except (TypeError, ValueError):
        return None
    found = BundleApplication.objects.select_related("bundle").filter(public_id=public_id).first()
    if found is None:
        return None
    parts = tuple(found.parts.order_by("part__position").values_list("application__public_id", flat=True))
    return BundleApplicationRef(found.public_id, found.reference, found.bundle.code, found.state,
                                found.applicant_user_id, found.submitted_at, found.concluded_at, parts)
