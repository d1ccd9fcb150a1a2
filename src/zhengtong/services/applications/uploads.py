"""Checks of an uploaded material: its size, its name's extension and — what matters — its
content, recognized from its first bytes by `filetype` (magic numbers), never from the name or the
browser's Content-Type, so an executable renamed ".pdf" is refused.
"""

import hashlib
import os
import uuid
from dataclasses import dataclass

import filetype
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

# Extensions that name the same kind of content.
ALIASES = {"jpeg": "jpg", "jpe": "jpg", "tiff": "tif"}
HEAD_BYTES = 8192
NAME_MAX_LENGTH = 255


def _normal(extension: str) -> str:
    extension = extension.lower().lstrip(".")
    return ALIASES.get(extension, extension)


@dataclass(frozen=True)
class CheckedUpload:
    content: ContentFile  # saved under a new random name, never the applicant's
    file_name: str  # the applicant's name of the file, for display
    extension: str
    content_type: str
    size: int
    sha256: str


def upload_check(*, upload, code: str, material_name: str, accepted_types, max_bytes: int) -> CheckedUpload:
    """The upload if it is a file of an accepted type within the size limit; ValidationError keyed
    by `code` otherwise."""
    def refuse(message, error_code: str, **params) -> ValidationError:
        return ValidationError({code: ValidationError(message, code=error_code,
                                                      params={"material": material_name, **params})})

    if upload is None or not getattr(upload, "name", ""):
        raise refuse(_("“%(material)s”: choose a file to upload."), "required")
    accepted = [_normal(t) for t in (accepted_types or ())]
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:  # before reading it: a huge upload is refused cheaply
        raise refuse(_("“%(material)s”: the file is %(size)s; the largest accepted is %(limit)s."), "too_large",
                     size=filesizeformat(size), limit=filesizeformat(max_bytes))
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise refuse(_("“%(material)s”: the file is larger than %(limit)s."), "too_large",
                     limit=filesizeformat(max_bytes))
    if not data:
        raise refuse(_("“%(material)s”: the file is empty."), "empty")
    name = os.path.basename(str(upload.name))[:NAME_MAX_LENGTH]
    extension = _normal(os.path.splitext(name)[1])
    allowed = "、".join(accepted) if accepted else "-"
    if accepted and extension not in accepted:
        raise refuse(_("“%(material)s”: a %(extension)s file is not accepted; upload one of: %(allowed)s."),
                     "extension", extension=extension or _("nameless"), allowed=allowed)
    kind = filetype.guess(data[:HEAD_BYTES])
    actual = _normal(kind.extension) if kind is not None else ""
    if accepted and actual not in accepted:
        raise refuse(_("“%(material)s”: the file's content is not %(extension)s (it looks like %(actual)s); "
                       "upload one of: %(allowed)s."), "content_type", extension=extension,
                     actual=actual or _("an unknown kind of file"), allowed=allowed)
    if actual != extension:
        raise refuse(_("“%(material)s”: the file is named .%(extension)s but its content is %(actual)s."),
                     "content_mismatch", extension=extension, actual=actual or _("an unknown kind of file"))
    return CheckedUpload(
        content=ContentFile(data, name=f"{uuid.uuid4().hex}.{actual}"), file_name=name, extension=actual,
        content_type=kind.mime if kind is not None else "application/octet-stream", size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
