"""mydata pages for citizens and companies (mounted at /mydata/)."""

from django.urls import path

from . import views

app_name = "mydata"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("access/", views.access, name="access"),
    path("corrections/", views.corrections, name="corrections"),
    path("corrections/new/", views.correction_new, name="correction-new"),
    path("corrections/<uuid:public_id>/", views.correction_detail, name="correction-detail"),
    path("corrections/<uuid:public_id>/department/", views.correction_department, name="correction-department"),
    path("authorizations/", views.authorizations, name="authorizations"),
    path("authorizations/new/", views.authorization_new, name="authorization-new"),
    path("authorizations/<uuid:public_id>/revoke/", views.authorization_revoke, name="authorization-revoke"),
    path("export.json", views.export, name="export"),
]
