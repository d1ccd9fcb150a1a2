"""Model fields for sensitive values: encrypted at rest, found by a keyed blind index.

    from zhengtong.kernel.crypto.fields import BlindIndexField, EncryptedTextField, blind_index_filter, normalize_upper

    class Resident(models.Model):
        id_number = EncryptedTextField()
        id_number_index = BlindIndexField(source="id_number", normalize=normalize_upper)
        phone = EncryptedTextField(blank=True)

    Resident.objects.filter(blind_index_filter(Resident, "id_number", "11010519491231002x"))

The column holds base64 text of a token from public.encrypt() (SM4-GCM or AES-256-GCM, versioned,
naming its key), which is the same on SQLite and PostgreSQL and survives dumps unchanged. The
context bound into each token is "<app_label>.<model>.<field>", so a value copied to another
column does not decrypt; pass `context=` to keep the old one when renaming a model or a field.

An encrypted field supports no lookup but `isnull`: equal plaintexts give different tokens. Look
values up through a BlindIndexField, which pre_save() fills from its source. Like every pre_save
field it is not refreshed by QuerySet.update() or bulk_update(), nor by save(update_fields=…)
unless it is listed there: recompute it with `field.index_of(value)` in those paths.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import public

__all__ = [
    "BlindIndexField",
    "EncryptedTextField",
    "blind_index_filter",
    "normalize_digits",
    "normalize_strip",
    "normalize_upper",
]


# --- Normalisers (module-level functions, so migrations can refer to them) ----------------------


def normalize_strip(value: str) -> str:
    """Surrounding whitespace removed: for free text where case matters."""
    return value.strip()


def normalize_upper(value: str) -> str:
    """All whitespace removed and upper-cased: for ID numbers and codes (a final "x" is "X")."""
    return re.sub(r"\s+", "", value).upper()


def normalize_digits(value: str) -> str:
    """Digits only: for phone numbers written with spaces, dashes or brackets."""
    return re.sub(r"\D", "", value)


# --- The encrypted field ------------------------------------------------------------------------


class EncryptedTextField(models.TextField):
    description = _("Text encrypted at rest")

    def __init__(self, *args, context: str | None = None, **kwargs):
        self.explicit_context = context
        super().__init__(*args, **kwargs)

    @property
    def context(self) -> str:
        if self.explicit_context:
            return self.explicit_context
        return f"{self.model._meta.app_label}.{self.model._meta.model_name}.{self.name}"

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.explicit_context:
            kwargs["context"] = self.explicit_context
        return name, path, args, kwargs

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None
        token = public.encrypt(str(value).encode("utf-8"), context=self.context)
        return base64.b64encode(token).decode("ascii")

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        try:
            token = base64.b64decode(value, validate=True)
        except binascii.Error as error:
            raise public.DecryptionError(f"{self.context}: the stored value is not base64") from error
        return public.decrypt(token, context=self.context).decode("utf-8")

    def get_lookup(self, lookup_name):
        # Equal plaintexts give different tokens, so only null checks mean anything in SQL.
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def get_transform(self, lookup_name):
        return None


# --- The blind index ----------------------------------------------------------------------------


class BlindIndexField(models.CharField):
    """Keyed hash of another field's normalised value, for equality lookups without plaintext."""

    description = _("Blind index of another field")

    def __init__(
        self,
        *args,
        source: str,
        purpose: str | None = None,
        normalize: Callable[[str], str] | None = None,
        **kwargs,
    ):
        self.source = source
        self.purpose = purpose
        self.normalize = normalize
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if self.purpose:
            kwargs["purpose"] = self.purpose
        if self.normalize is not None:
            kwargs["normalize"] = self.normalize
        for key, default in (
            ("max_length", 64),
            ("db_index", True),
            ("editable", False),
            ("null", True),
            ("blank", True),
        ):
            if kwargs.get(key) == default:
                del kwargs[key]
        return name, path, args, kwargs

    @property
    def index_purpose(self) -> str:
        return self.purpose or f"{self.model._meta.app_label}.{self.model._meta.model_name}.{self.source}"

    def index_of(self, value) -> str | None:
        """The index of a source value as stored; None for None or a value that normalises to ""."""
        if value is None:
            return None
        text = str(value)
        if self.normalize is not None:
            text = self.normalize(text)
        if text == "":
            return None
        return public.blind_index(text, purpose=self.index_purpose)

    def pre_save(self, model_instance, add):
        value = self.index_of(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        try:
            self.model._meta.get_field(self.source)
        except FieldDoesNotExist:
            errors.append(
                checks.Error(
                    f"BlindIndexField source {self.source!r} is not a field of {self.model.__name__}",
                    obj=self,
                    id="crypto.E001",
                )
            )
        return errors


def blind_index_filter(model: type[models.Model], source: str, value) -> Q:
    """A Q matching rows whose `source` field equals `value` (after the index's normalisation)."""
    for field in model._meta.concrete_fields:
        if isinstance(field, BlindIndexField) and field.source == source:
            index = field.index_of(value)
            if index is None:
                return Q(**{f"{field.name}__isnull": True})
            return Q(**{field.name: index})
    raise FieldDoesNotExist(f"{model.__name__} has no BlindIndexField with source {source!r}")
