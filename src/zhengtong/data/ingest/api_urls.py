from django.urls import path

from . import api

urlpatterns = [
    path("ingest/uploads", api.UploadCreateApi.as_view(), name="ingest-upload-create"),
    path("ingest/uploads/<uuid:public_id>", api.UploadDetailApi.as_view(), name="ingest-upload-detail"),
    path("ingest/uploads/<uuid:public_id>/complete", api.UploadCompleteApi.as_view(), name="ingest-upload-complete"),
    path("ingest/loads/<uuid:public_id>", api.LoadDetailApi.as_view(), name="ingest-load-detail"),
    path("ingest/loads/<uuid:public_id>/report.csv", api.LoadReportCsvApi.as_view(), name="ingest-load-report-csv"),
]
