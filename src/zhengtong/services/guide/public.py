"""What other modules may use of the guide (政务服务事项): frozen references, not ORM rows.

    from zhengtong.services.guide.public import implementation_for, form_field_validate

    implementation = implementation_for(item_code="330106-RS-0001", division_code="330106001")
    for field in implementation.form_fields:
        value = form_field_validate(field, raw_answers.get(field.name, ""))

`implementation_get` returns an implementation whatever its status (callers check `status`);
`implementation_for` returns only a PUBLISHED one, at the division or its nearest ancestor.
The catalogue is kept through the services re-exported here (item_create, implementation_create
with its materials, implementation_publish…, see services.py); the demo loads its items with them.
Publishing an implementation announces `guide.implementation_published` with
{"implementation": public id, "item": item code, "division": division code}.
"""

from .forms import FORM_FIELD_KINDS, PREFILL_ATTRIBUTES, FormField, form_field_validate
from .models import HandlingKind, ImplementationStatus, ItemType, MaterialSource, ServingSubject
from .refs import ImplementationRef, ItemRef, MaterialRef
from .selectors import implementation_for, implementation_get, item_get
from .services import (
    finder_question_save,
    implementation_create,
    implementation_publish,
    implementation_suspend,
    implementation_update,
    item_create,
    item_update,
    materials_set,
)

__all__ = [
    "FORM_FIELD_KINDS",
    "PREFILL_ATTRIBUTES",
    "FormField",
    "HandlingKind",
    "ImplementationRef",
    "ImplementationStatus",
    "ItemRef",
    "ItemType",
    "MaterialRef",
    "MaterialSource",
    "ServingSubject",
    "finder_question_save",
    "form_field_validate",
    "implementation_create",
    "implementation_for",
    "implementation_get",
    "implementation_publish",
    "implementation_suspend",
    "implementation_update",
    "item_create",
    "item_get",
    "item_update",
    "materials_set",
]
