"""The guide's open API, mounted under /api/v1/ by the root URLconf: /api/v1/guide/…"""

from django.urls import path

from . import api

urlpatterns = [
    path("guide/items", api.ItemListApi.as_view(), name="guide-api-items"),
    path("guide/items/<str:code>", api.ItemDetailApi.as_view(), name="guide-api-item"),
    path("guide/implementations/<uuid:public_id>", api.ImplementationDetailApi.as_view(),
         name="guide-api-implementation"),
]
