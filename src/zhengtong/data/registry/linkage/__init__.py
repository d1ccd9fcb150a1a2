"""The registry's linkage engine (no Django): normalise, link deterministically, then with Splink.

    from zhengtong.data.registry.linkage import linkage_run, config_load
"""

from .config import LinkageConfigError, config_load
from .engine import linkage_run
from .spec import (
    COMPANY_ATTRIBUTES,
    PERSON_ATTRIBUTES,
    ClericalDecision,
    LinkageConfig,
    LinkageResult,
    SourceSpec,
)

__all__ = [
    "COMPANY_ATTRIBUTES",
    "PERSON_ATTRIBUTES",
    "ClericalDecision",
    "LinkageConfig",
    "LinkageConfigError",
    "LinkageResult",
    "SourceSpec",
    "config_load",
    "linkage_run",
]
