from django.urls import path

from . import views

app_name = "quality"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("departments/<int:department_id>/", views.department, name="department"),
    path("datasets/<uuid:public_id>/", views.dataset, name="dataset"),
]
