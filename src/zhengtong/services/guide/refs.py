"""Frozen references to the guide's rows, handed to other modules (see public.py)."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from .forms import FormField


@dataclass(frozen=True)
class ItemRef:
    id: int
    public_id: UUID
    code: str
    name: str
    item_type: str
    serving: str
    basis: str
    theme: str


@dataclass(frozen=True)
class MaterialRef:
    id: int
    code: str
    name: str
    copies: int
    required: bool
    source: str  # MaterialSource: upload / shared / licence / produced
    source_ref: str  # sharing service code, licence type code or producing item code; "" for uploads
    accepted_types: tuple[str, ...]
    max_bytes: int
    form: str

    @property
    def fetched(self) -> bool:
        """Whether the applicant is spared submitting it (免提交)."""
        return self.source != "upload"


@dataclass(frozen=True)
class ImplementationRef:
    id: int
    public_id: UUID
    item_id: int
    item_code: str
    item_name: str
    item_type: str
    serving: str
    handling_kind: str
    division_code: str
    department_id: int
    status: str
    conditions: str
    legal_days: int
    promised_days: int
    fees: tuple[dict[str, Any], ...]
    result_name: str
    result_licence_type: str
    visits: int
    online: bool
    mobile: bool
    instant: bool
    process: str
    decision: str
    form_fields: tuple[FormField, ...]
    materials: tuple[MaterialRef, ...]
    division_id: int = 0  # the implementing division's row (division_code names it)

    def form_field(self, name: str) -> FormField | None:
        return next((field for field in self.form_fields if field.name == name), None)

    def material(self, code: str) -> MaterialRef | None:
        return next((material for material in self.materials if material.code == code), None)
