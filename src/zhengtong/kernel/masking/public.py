"""What other modules may use of kernel.masking (脱敏): mask values by their declared kind."""

from .masks import FieldKind, mask_record, mask_value

__all__ = ["FieldKind", "mask_record", "mask_value"]
