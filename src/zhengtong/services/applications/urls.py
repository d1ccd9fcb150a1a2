"""The applicant's pages of 办件 (mounted at /services/, next to the guide's pages)."""

from django.urls import path

from . import views

app_name = "applications"
urlpatterns = [
    path("apply/<uuid:public_id>/", views.start, name="start"),
    path("my/", views.mine, name="mine"),
    path("my/<uuid:public_id>/", views.detail, name="detail"),
    path("my/<uuid:public_id>/q/<slug:name>/", views.question, name="question"),
    path("my/<uuid:public_id>/materials/", views.materials, name="materials"),
    path("my/<uuid:public_id>/materials/<slug:code>/file/", views.material_file, name="material-file"),
    path("my/<uuid:public_id>/check/", views.check, name="check"),
    path("my/<uuid:public_id>/confirmation/", views.confirmation, name="confirmation"),
    path("my/<uuid:public_id>/correct/", views.correct, name="correct"),
    path("my/<uuid:public_id>/withdraw/", views.withdraw, name="withdraw"),
    path("notices/", views.notices, name="notices"),
    path("notices/<uuid:public_id>/read/", views.notice_read, name="notice-read"),
]
