"""/api/v1/licences/…: the holder's wallet, verification, the issuer's actions (api.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("licences/", api.WalletApi.as_view(), name="licences-api-mine"),
    path("licences/verify/", api.VerifyApi.as_view(), name="licences-api-verify"),
    path("licences/requests/", api.RequestCreateApi.as_view(), name="licences-api-request-create"),
    path("licences/requests/<uuid:public_id>/", api.RequestDetailApi.as_view(), name="licences-api-request"),
    path("licences/requests/<uuid:public_id>/licence/", api.RequestLicenceApi.as_view(),
         name="licences-api-request-licence"),
    path("licences/issued/", api.IssuedListApi.as_view(), name="licences-api-issued"),
    path("licences/<uuid:public_id>/", api.LicenceDetailApi.as_view(), name="licences-api-detail"),
    path("licences/<uuid:public_id>/show/", api.ShowTokenApi.as_view(), name="licences-api-show"),
    path("licences/<uuid:public_id>/pdf/", api.LicencePdfApi.as_view(), name="licences-api-pdf"),
    path("licences/<uuid:public_id>/suspend/", api.LicenceSuspendApi.as_view(), name="licences-api-suspend"),
    path("licences/<uuid:public_id>/reinstate/", api.LicenceReinstateApi.as_view(), name="licences-api-reinstate"),
    path("licences/<uuid:public_id>/revoke/", api.LicenceRevokeApi.as_view(), name="licences-api-revoke"),
]
