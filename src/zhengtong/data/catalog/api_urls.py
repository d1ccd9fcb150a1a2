from django.urls import path

from . import api

urlpatterns = [
    path("catalog/datasets/", api.DatasetListApi.as_view(), name="catalog-dataset-list"),
    path("catalog/datasets/<uuid:public_id>/", api.DatasetDetailApi.as_view(), name="catalog-dataset-detail"),
    path("catalog/datasets/<uuid:public_id>/publish", api.DatasetPublishApi.as_view(), name="catalog-dataset-publish"),
    path("catalog/datasets/<uuid:public_id>/retire", api.DatasetRetireApi.as_view(), name="catalog-dataset-retire"),
    path("catalog/datasets/<uuid:public_id>/schema", api.SchemaApi.as_view(), name="catalog-dataset-schema"),
    path("catalog/datasets/<uuid:public_id>/rules", api.RuleListApi.as_view(), name="catalog-dataset-rules"),
    path("catalog/datasets/<uuid:public_id>/dcat", api.DatasetDcatApi.as_view(), name="catalog-dataset-dcat"),
    path("catalog/datasets/<uuid:public_id>/datapackage.json", api.DatasetDatapackageApi.as_view(),
         name="catalog-dataset-datapackage"),
    path("catalog/dcat", api.CatalogDcatApi.as_view(), name="catalog-dcat"),
]
