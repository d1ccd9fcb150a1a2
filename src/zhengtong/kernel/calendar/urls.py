from django.urls import path

from . import views

app_name = "calendar"
urlpatterns = [
    path("", views.schedule_coverage_page, name="coverage"),
]
