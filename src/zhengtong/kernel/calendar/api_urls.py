from django.urls import path

from .api import WorkingDeadlineApi

urlpatterns = [
    path("calendar/working-deadline", WorkingDeadlineApi.as_view(), name="calendar-working-deadline"),
]
