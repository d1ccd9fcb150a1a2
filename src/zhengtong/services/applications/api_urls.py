"""/api/v1/applications/…: the applicant's applications and the officers' tasks (api.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("applications/", api.ApplicationListApi.as_view(), name="applications-api-mine"),
    path("applications/drafts/", api.DraftStartApi.as_view(), name="applications-api-draft-start"),
    path("applications/submissions/", api.SubmissionApi.as_view(), name="applications-api-submission"),
    path("applications/tasks/", api.TaskQueueApi.as_view(), name="applications-api-tasks"),
    path("applications/tasks/<uuid:public_id>/act/", api.TaskActApi.as_view(), name="applications-api-task-act"),
    path("applications/<uuid:public_id>/", api.ApplicationDetailApi.as_view(), name="applications-api-detail"),
    path("applications/<uuid:public_id>/answers/", api.AnswersApi.as_view(), name="applications-api-answers"),
    path("applications/<uuid:public_id>/materials/<slug:code>/preview/", api.MaterialPreviewApi.as_view(),
         name="applications-api-material-preview"),
    path("applications/<uuid:public_id>/materials/<slug:code>/accept/", api.MaterialAcceptApi.as_view(),
         name="applications-api-material-accept"),
    path("applications/<uuid:public_id>/materials/<slug:code>/upload/", api.MaterialUploadApi.as_view(),
         name="applications-api-material-upload"),
    path("applications/<uuid:public_id>/submit/", api.SubmitApi.as_view(), name="applications-api-submit"),
    path("applications/<uuid:public_id>/correct/", api.CorrectApi.as_view(), name="applications-api-correct"),
    path("applications/<uuid:public_id>/withdraw/", api.WithdrawApi.as_view(), name="applications-api-withdraw"),
]
