"""What other modules may use of the exchange (共享交换).

Directory and governance (services.py, consent.py), the gateway (gateway.py, publishing.py) and
what the exchange holds about one person (personal.py, for mydata). Subject refs: subjects.py.
"""

from .consent import consent_find, consent_give, consent_options, consent_revoke, consents_of
from .errors import ShareError
from .gateway import Caller, share_aggregate, share_batch, share_query, share_record
from .models import SubjectKind
from .personal import access_log_for, records_about
from .publishing import service_publish
from .ratelimit import rate_limit_hit
from .services import ItemSpec, directory_sync, grant_revoke, grant_subscriptions_expire, item_decide, request_submit, service_get, services_get
from .subjects import subject_ref

__all__ = [
    "Caller", "ItemSpec", "ShareError", "SubjectKind", "access_log_for", "consent_find", "consent_give", "consent_options",
    "consent_revoke", "consents_of", "directory_sync", "grant_revoke", "grant_subscriptions_expire", "item_decide", "records_about",
    "rate_limit_hit", "request_submit", "service_get", "service_publish", "services_get", "share_aggregate", "share_batch", "share_query",
    "share_record", "subject_ref",
]
