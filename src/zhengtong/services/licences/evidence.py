"""Licences as application materials (免提交): the applicant's active licence of the type a
material names, as Evidence, its fields masked per the type's schema."""

from django.utils.translation import gettext as _

from zhengtong.services.applications.public import Evidence, EvidenceUnavailable

from .selectors import licence_active_of, licence_type_get
from .services import masked_fields


def licence_evidence(*, material, applicant, correlation_id: str) -> Evidence:
    licence_type = licence_type_get(material.source_ref)
    if licence_type is None:
        # No such type is issued as an e-licence here: the same answer applications gives when no
        # module fetches licences at all (and the same msgid, so its translation is shared).
        raise EvidenceUnavailable(_("E-licences cannot be fetched yet: upload “%(material)s”.")
                                  % {"material": material.name})
    licence = licence_active_of(holder_user_id=applicant.user_id, type_code=licence_type.code)
    if licence is None:
        raise EvidenceUnavailable(_("You hold no active “%(type)s”: upload “%(material)s” instead.")
                                  % {"type": licence_type.name, "material": material.name})
    fields = masked_fields(licence_type, licence.fields)
    labels = {spec["name"]: spec.get("title", spec["name"]) for spec in licence_type.schema}
    masked = tuple(name for name in fields
                   if next((s.get("masking_kind") for s in licence_type.schema if s["name"] == name), "plain") != "plain")
    return Evidence(service=licence_type.code, title=licence_type.name, key=licence.number,
                    fields={"number": licence.number, **fields},
                    labels={"number": _("Licence number"), **{n: labels[n] for n in fields}}, masked=masked)
