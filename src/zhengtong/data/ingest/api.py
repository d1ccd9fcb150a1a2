"""REST API: resumable chunked uploads into a dataset, and the loads they start.

    POST /api/v1/ingest/uploads                      {dataset, filename, size} → the upload
    PUT  /api/v1/ingest/uploads/<id>                 one chunk; Content-Range: bytes 0-1048575/5000000
    GET  /api/v1/ingest/uploads/<id>  (or HEAD)      the received offset (header Upload-Offset), to resume
    POST /api/v1/ingest/uploads/<id>/complete        {mode} → the queued load
    GET  /api/v1/ingest/loads/<id>                   status, progress, report (failing rows masked)
    GET  /api/v1/ingest/loads/<id>/report.csv        the report as CSV
"""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengtong.data.catalog.public import dataset_get
from zhengtong.kernel.identity.public import actor_from_user

from . import reports, selectors, services
from .errors import IngestError
from .models import Load, LoadMode, LoadStatus, Upload

CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
UPLOAD_ID = OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description=_("The upload's identifier."))
LOAD_ID = OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description=_("The load's identifier."))
ERROR = inline_serializer("IngestError", {
    "code": serializers.CharField(help_text=_("A stable code, e.g. empty_file, gap, ragged_row.")),
    "detail": serializers.CharField(help_text=_("What is wrong, in the request's language.")),
    "received": serializers.IntegerField(required=False, help_text=_("Bytes received so far: resume from here.")),
})


def _actor(request):
    return actor_from_user(request.user)


def _error(code: str, detail: str, http_status: int, received: int | None = None) -> Response:
    body = {"code": code, "detail": str(detail)}
    if received is not None:
        body["received"] = received
    return Response(body, status=http_status)


@extend_schema_serializer(component_name="IngestUpload")
class UploadOutputSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(help_text=_("The upload's identifier."))
    dataset = serializers.SerializerMethodField(help_text=_("The dataset's resource code."))
    filename = serializers.CharField()
    size = serializers.IntegerField(help_text=_("The file's size in bytes."))
    received = serializers.IntegerField(help_text=_("Bytes received, from the start: the next chunk starts here."))
    status = serializers.CharField(help_text=_("receiving or complete."))

    def get_dataset(self, upload: Upload) -> str:
        return dataset_get(dataset_id=upload.dataset_id).resource_code


@extend_schema_serializer(component_name="IngestLoadProgress")
class ProgressSerializer(serializers.Serializer):
    phase = serializers.CharField(source="progress_phase", help_text=_("read, validate, write or done; empty while queued."))
    done = serializers.IntegerField(source="progress_done", help_text=_("Bytes (reading a file) or rows done."))
    total = serializers.IntegerField(source="progress_total", allow_null=True)
    percent = serializers.IntegerField(source="progress_percent", allow_null=True)


@extend_schema_serializer(component_name="IngestLoadSample")
class SampleSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("Where the row is in the source (a header is row 1)."))
    values = serializers.DictField(child=serializers.CharField(allow_blank=True),
                                   help_text=_("The rule's fields, masked by each field's masking kind."))


@extend_schema_serializer(component_name="IngestLoadRule")
class RuleSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    field = serializers.CharField(allow_blank=True)
    failed = serializers.IntegerField(help_text=_("Rows that break the rule (they are loaded all the same)."))
    samples = serializers.SerializerMethodField(help_text=_("The first failing rows (at most 20)."))

    @extend_schema_field(SampleSerializer(many=True))
    def get_samples(self, line: reports.RuleLine) -> list[dict]:
        return [{"row": s.row, "values": dict(s.values)} for s in line.samples]


@extend_schema_serializer(component_name="IngestLoad")
class LoadOutputSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(help_text=_("The load's identifier."))
    dataset = serializers.SerializerMethodField(help_text=_("The dataset's resource code."))
    status = serializers.ChoiceField(choices=LoadStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    mode = serializers.ChoiceField(choices=LoadMode.choices)
    source_name = serializers.CharField()
    source_format = serializers.CharField()
    encoding = serializers.CharField()
    rows_read = serializers.IntegerField()
    problem_rows = serializers.IntegerField(help_text=_("Rows that break at least one rule."))
    progress = ProgressSerializer(source="*")
    error_code = serializers.CharField(help_text=_("Why the load failed; empty otherwise."))
    error_message = serializers.CharField(help_text=_("The same, in the request's language, naming file, row and column."))
    version = serializers.SerializerMethodField(help_text=_("The version the load made, once it has succeeded."))
    rules = serializers.SerializerMethodField()
    report_csv = serializers.SerializerMethodField(help_text=_("Where to download the report as CSV."))
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_dataset(self, load: Load) -> str:
        return dataset_get(dataset_id=load.dataset_id).resource_code

    @extend_schema_field(OpenApiTypes.INT)
    def get_version(self, load: Load) -> int | None:
        version = getattr(load, "version", None) if load.status == LoadStatus.SUCCEEDED else None
        return version.number if version else None

    @extend_schema_field(RuleSerializer(many=True))
    def get_rules(self, load: Load) -> list[dict]:
        return RuleSerializer(reports.report_lines(load), many=True).data

    def get_report_csv(self, load: Load) -> str:
        return reverse("ingest-load-report-csv", kwargs={"public_id": load.public_id})


class UploadCreateApi(APIView):
    """Start a resumable upload of a file into a dataset."""

    class InputSerializer(serializers.Serializer):
        dataset = serializers.CharField(help_text=_("The dataset's resource code."))
        filename = serializers.CharField(max_length=255)
        size = serializers.IntegerField(min_value=0, help_text=_("The whole file's size in bytes."))

    @extend_schema(
        operation_id="ingest_upload_create",
        summary=_("Start an upload"),
        tags=["ingest"],
        request=inline_serializer("IngestUploadCreate", {
            "dataset": serializers.CharField(), "filename": serializers.CharField(), "size": serializers.IntegerField(),
        }),
        responses={
            201: UploadOutputSerializer,
            400: OpenApiResponse(ERROR, description=_("A 0-byte file, or a file too large.")),
            401: OpenApiResponse(description=_("Not signed in.")),
            403: OpenApiResponse(description=_("Not a data officer of the dataset's department.")),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            upload = services.upload_create(actor=_actor(request), resource_code=data.validated_data["dataset"],
                                            filename=data.validated_data["filename"], size=data.validated_data["size"])
        except IngestError as error:
            return _error(error.code, error.message, status.HTTP_400_BAD_REQUEST)
        except services.UploadError as error:
            return _error(error.code, error.message, error.status)
        return Response(UploadOutputSerializer(upload).data, status=status.HTTP_201_CREATED)


class UploadDetailApi(APIView):
    """An upload: how much has arrived (to resume), and the chunks themselves."""

    def _upload(self, request, public_id) -> Upload:
        try:
            return services.access_upload(actor=_actor(request), public_id=public_id)
        except (Upload.DoesNotExist, DjangoValidationError):
            raise NotFound from None

    @extend_schema(
        operation_id="ingest_upload_detail",
        summary=_("Upload status"),
        tags=["ingest"],
        parameters=[UPLOAD_ID],
        responses={200: UploadOutputSerializer, 401: OpenApiResponse(description=_("Not signed in.")),
                   404: OpenApiResponse(description=_("No such upload of yours."))},
    )
    def get(self, request, public_id):
        upload = self._upload(request, public_id)
        response = Response(UploadOutputSerializer(upload).data)
        response["Upload-Offset"] = str(upload.received)
        if upload.received:
            response["Range"] = f"bytes=0-{upload.received - 1}"
        return response

    @extend_schema(
        operation_id="ingest_upload_chunk",
        summary=_("Send a chunk"),
        description=_(
            "The body is the bytes of one chunk; Content-Range says where they go. A chunk must start "
            "at or before the received offset; sending one again is harmless."
        ),
        tags=["ingest"],
        parameters=[UPLOAD_ID, OpenApiParameter("Content-Range", OpenApiTypes.STR, OpenApiParameter.HEADER,
                                                required=True, description=_("bytes FIRST-LAST/SIZE, e.g. bytes 0-1048575/5000000."))],
        request={"application/octet-stream": OpenApiTypes.BINARY},
        responses={
            200: UploadOutputSerializer,
            400: OpenApiResponse(ERROR, description=_("The body is shorter than the range.")),
            404: OpenApiResponse(description=_("No such upload of yours.")),
            409: OpenApiResponse(ERROR, description=_("The chunk starts after the received offset, or the upload is complete.")),
            416: OpenApiResponse(ERROR, description=_("The range does not fit the file.")),
        },
    )
    def put(self, request, public_id):
        upload = self._upload(request, public_id)
        match = CONTENT_RANGE.match(request.headers.get("Content-Range", "").strip())
        if not match:
            return _error("range_missing", _("Send the chunk's place as Content-Range: bytes FIRST-LAST/SIZE."),
                          status.HTTP_400_BAD_REQUEST, upload.received)
        start, end, total = (int(g) for g in match.groups())
        try:
            upload = services.upload_chunk_write(actor=_actor(request), public_id=upload.public_id, start=start,
                                                 end=end, total=total, stream=request._request)
        except services.UploadError as error:
            return _error(error.code, error.message, error.status, error.received)
        response = Response(UploadOutputSerializer(upload).data)
        response["Upload-Offset"] = str(upload.received)
        return response


class UploadCompleteApi(APIView):
    """Every byte is in: queue the load."""

    @extend_schema(
        operation_id="ingest_upload_complete",
        summary=_("Finish an upload and load it"),
        tags=["ingest"],
        parameters=[UPLOAD_ID],
        request=inline_serializer("IngestUploadComplete", {
            "mode": serializers.ChoiceField(choices=LoadMode.choices, default=LoadMode.FULL),
            "format": serializers.ChoiceField(choices=["csv", "xlsx", "parquet", "jsonl"], required=False),
            "encoding": serializers.CharField(required=False),
        }),
        responses={
            202: LoadOutputSerializer,
            400: OpenApiResponse(ERROR, description=_("Bytes are missing, or the mode is not one of full, append, upsert.")),
            404: OpenApiResponse(description=_("No such upload of yours.")),
        },
    )
    def post(self, request, public_id):
        try:
            load = services.upload_complete(
                actor=_actor(request), public_id=public_id, mode=request.data.get("mode", LoadMode.FULL),
                source_format=request.data.get("format") or None, encoding=request.data.get("encoding") or None,
            )
        except (Upload.DoesNotExist, DjangoValidationError):
            raise NotFound from None
        except IngestError as error:
            return _error(error.code, error.message, status.HTTP_400_BAD_REQUEST)
        return Response(LoadOutputSerializer(load).data, status=status.HTTP_202_ACCEPTED)


def _load(request, public_id) -> Load:
    try:
        load = selectors.access_load(actor=_actor(request), public_id=public_id)
    except (Load.DoesNotExist, DjangoValidationError):
        raise NotFound from None
    return services.load_refresh_if_dead(load=load)


class LoadDetailApi(APIView):
    """A load: status, progress and report. Poll it while it runs."""

    @extend_schema(
        operation_id="ingest_load_detail",
        summary=_("Load"),
        tags=["ingest"],
        parameters=[LOAD_ID],
        responses={200: LoadOutputSerializer, 401: OpenApiResponse(description=_("Not signed in.")),
                   403: OpenApiResponse(description=_("Another department's load.")),
                   404: OpenApiResponse(description=_("No such load."))},
    )
    def get(self, request, public_id):
        return Response(LoadOutputSerializer(_load(request, public_id)).data)


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict):  # an error response
            return str(data.get("detail", "")).encode("utf-8")
        return data


class LoadReportCsvApi(APIView):
    """The load's report as CSV: the failing rows shown, masked, one per line."""

    renderer_classes = [CsvRenderer, JSONRenderer]

    @extend_schema(
        operation_id="ingest_load_report_csv",
        summary=_("Load report as CSV"),
        tags=["ingest"],
        parameters=[LOAD_ID],
        responses={(200, "text/csv"): OpenApiTypes.BINARY, 401: OpenApiResponse(description=_("Not signed in.")),
                   403: OpenApiResponse(description=_("Another department's load.")),
                   404: OpenApiResponse(description=_("No such load."))},
    )
    def get(self, request, public_id):
        load = _load(request, public_id)
        response = StreamingHttpResponse(reports.report_csv_rows(load), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="load-{load.public_id}.csv"'
        return response
