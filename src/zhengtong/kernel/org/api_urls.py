from django.urls import path

from .api import DepartmentListApi, DivisionListApi

urlpatterns = [
    path("divisions/", DivisionListApi.as_view(), name="org-division-list"),
    path("departments/", DepartmentListApi.as_view(), name="org-department-list"),
]
