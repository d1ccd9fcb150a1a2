from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.home, name="home"),
    path("records/<str:registry_id>/", views.record, name="record"),
    path("review/", views.review_queue, name="review-queue"),
    path("review/<uuid:public_id>/", views.review_pair, name="review-pair"),
    path("runs/", views.runs, name="runs"),
]
