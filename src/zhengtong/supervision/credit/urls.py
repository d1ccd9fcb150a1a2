"""Pages of credit."""

from django.urls import path

from . import views

app_name = "credit"
urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("mine/records/<uuid:public_id>/repair/", views.repair_apply, name="repair-apply"),
    path("subjects/", views.subject, name="subject"),
    path("measures/", views.measures, name="measures"),
    path("repairs/", views.repairs, name="repairs"),
    path("repairs/<uuid:public_id>/decide/", views.repair_decide, name="repair-decide"),
]
