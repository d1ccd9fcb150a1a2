from django.urls import path

from . import views

app_name = "loops"
urlpatterns = [
    path("", views.case_list, name="case-list"),
    path("<uuid:public_id>/", views.case_detail, name="case-detail"),
    path("<uuid:public_id>/<slug:action>/", views.case_action, name="case-action"),
]
