"""What other modules may use of licences (电子证照): verification results and the demo types.

    from zhengtong.services.licences.public import licence_verify, licence_types_ensure

Events (published after commit, through kernel.events):
  licences.issued         {licence, type, department, holder_user, application}
  licences.state_changed  {licence, state, holder_user}
"""

from .errors import LicenceError, LicenceInvalid, LicenceNotFound, LicencePermissionDenied, ShowTokenInvalid
from .services import (
    EVENT_ISSUED,
    EVENT_STATE_CHANGED,
    Check,
    VerificationResult,
    licence_types_ensure,
    licence_verify,
)

__all__ = [
    "EVENT_ISSUED", "EVENT_STATE_CHANGED", "Check", "LicenceError", "LicenceInvalid", "LicenceNotFound",
    "LicencePermissionDenied", "ShowTokenInvalid", "VerificationResult", "licence_types_ensure", "licence_verify",
]
