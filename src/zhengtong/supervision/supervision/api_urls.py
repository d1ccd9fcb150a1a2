"""/api/v1/supervision/…"""

from django.urls import path

from . import api

urlpatterns = [
    path("supervision/laws/", api.LawListApi.as_view(), name="supervision-api-laws"),
    path("supervision/laws/<uuid:public_id>/", api.LawDetailApi.as_view(), name="supervision-api-law"),
    path("supervision/items/", api.ItemListCreateApi.as_view(), name="supervision-api-items"),
    path("supervision/plans/", api.PlanListApi.as_view(), name="supervision-api-plans"),
    path("supervision/plans/<uuid:public_id>/<slug:action>/", api.PlanActApi.as_view(), name="supervision-api-plan-act"),
    path("supervision/public/plans/", api.PublicPlanListApi.as_view(), name="supervision-api-public-plans"),
    path("supervision/public/plans/<uuid:public_id>/", api.PublicPlanDetailApi.as_view(),
         name="supervision-api-public-plan"),
    path("supervision/public/plans/<uuid:public_id>/verify/", api.PublicVerifyApi.as_view(),
         name="supervision-api-public-verify"),
]
