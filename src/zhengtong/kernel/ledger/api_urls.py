from django.urls import path

from .api import (
    LedgerConsistencyProofApi,
    LedgerInclusionProofApi,
    LedgerLeafApi,
    LedgerPublicKeysApi,
    LedgerTreeHeadApi,
)

urlpatterns = [
    path("ledger/tree-head", LedgerTreeHeadApi.as_view(), name="ledger-tree-head"),
    path("ledger/proof/inclusion", LedgerInclusionProofApi.as_view(), name="ledger-proof-inclusion"),
    path("ledger/proof/consistency", LedgerConsistencyProofApi.as_view(), name="ledger-proof-consistency"),
    path("ledger/leaves/<uuid:leaf_id>", LedgerLeafApi.as_view(), name="ledger-leaf"),
    path("ledger/public-keys", LedgerPublicKeysApi.as_view(), name="ledger-public-keys"),
]
