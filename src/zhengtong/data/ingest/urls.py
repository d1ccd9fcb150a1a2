from django.urls import path

from . import views

app_name = "ingest"
urlpatterns = [
    path("datasets/<uuid:public_id>/", views.dataset_loads, name="dataset-loads"),
    path("loads/<uuid:public_id>/", views.load_detail, name="load-detail"),
]
