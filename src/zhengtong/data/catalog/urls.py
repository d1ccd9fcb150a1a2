from django.urls import path

from . import views

app_name = "catalog"
urlpatterns = [
    path("", views.dataset_list, name="dataset-list"),
    path("new/", views.dataset_create, name="dataset-create"),
    path("<uuid:public_id>/", views.dataset_detail, name="dataset-detail"),
    path("<uuid:public_id>/edit/", views.dataset_edit, name="dataset-edit"),
    path("<uuid:public_id>/publish/", views.dataset_publish, name="dataset-publish"),
    path("<uuid:public_id>/retire/", views.dataset_retire, name="dataset-retire"),
    path("<uuid:public_id>/schema/", views.schema_edit, name="schema-edit"),
    path("<uuid:public_id>/rules/", views.rule_create, name="rule-create"),
    path("<uuid:public_id>/rules/<str:code>/deactivate/", views.rule_deactivate, name="rule-deactivate"),
]
