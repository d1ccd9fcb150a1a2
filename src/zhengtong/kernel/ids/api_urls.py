from django.urls import path

from .api import IdValidateApi

urlpatterns = [
    path("ids/validate", IdValidateApi.as_view(), name="ids-validate"),
]
