"""REST API of licences (电子证照), under /api/v1/licences/, in DigiLocker's three roles.

Holders (a citizen's or company's session): the wallet, one licence, a show code (亮证).
Requesters (an API client with the scope licences:request): ask a holder for a licence of a
type, read its state, and read the licence while the holder shares it (requests.py).
Verifiers (anyone, no sign-in): POST a number, id, presented payload, show code or the licence PDF
(base64 in JSON, or a multipart file part "pdf") and get each
check; the verification is logged in the ledger. Issuers (the issuing department's staff):
the licences they issued, suspend / reinstate / revoke with a reason.
Errors are {"code", "detail"} in the request's language.
"""

import base64
import binascii

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from zhengtong.kernel.identity.public import actor_from_user

from . import requests, selectors, services
from .errors import LicenceError, LicenceInvalid
from .pdf import MAX_PDF_BYTES

STATUS = {"invalid": 400, "forbidden": 403, "not_found": 404, "token_invalid": 400, "unavailable": 503}


@extend_schema_serializer(component_name="LicenceError")
class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("invalid, forbidden, not_found, token_invalid, unavailable, "
                                             "not_authenticated."))
    detail = serializers.CharField()


class LicenceSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    number = serializers.CharField()
    type = serializers.CharField(source="type.code")
    type_name = serializers.CharField(source="type.name")
    issuer = serializers.CharField(source="department.code")
    issuer_name = serializers.CharField(source="department.name")
    state = serializers.CharField()
    state_reason = serializers.CharField()
    issued_at = serializers.DateTimeField()
    valid_until = serializers.DateField(allow_null=True)
    holder = serializers.SerializerMethodField(help_text=_("Masked."))
    fields = serializers.SerializerMethodField(method_name="masked_fields", help_text=_("Masked per the type's schema."))

    def get_holder(self, licence) -> str:
        return services.masked_holder(licence)

    def masked_fields(self, licence) -> dict:
        return services.masked_fields(licence.type, licence.fields)


class CheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    passed = serializers.BooleanField()
    detail = serializers.CharField()


class VerificationSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    reason = serializers.CharField()
    checks = CheckSerializer(many=True)
    number = serializers.CharField()
    type = serializers.CharField(source="type_code")
    type_name = serializers.CharField()
    issuer = serializers.CharField()
    issuer_name = serializers.CharField()
    state = serializers.CharField()
    issued_at = serializers.DateTimeField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    holder = serializers.CharField(help_text=_("Masked."))
    fields = serializers.DictField()


class VerifyInput(serializers.Serializer):
    number = serializers.CharField(required=False, allow_blank=True, default="")
    id = serializers.UUIDField(required=False, allow_null=True, default=None)
    token = serializers.CharField(required=False, allow_blank=True, default="", help_text=_("A show code (亮证码)."))
    payload = serializers.JSONField(required=False, allow_null=True, default=None,
                                    help_text=_("The licence as presented (QR code or PDF), checked against its seal."))
    pdf = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_PDF_BYTES * 4 // 3 + 8,
                                help_text=_("The licence PDF, base64-encoded (or a file part named pdf in a "
                                            "multipart request): its embedded payload and its bytes are checked."))

    def validate(self, data):
        if not (data["number"] or data["id"] or data["token"] or isinstance(data["payload"], dict) or data["pdf"]):
            raise serializers.ValidationError(_("Give a number, an id, a payload or a show code."))
        return data


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ShowTokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class LicencesApi(APIView):
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]

    @property
    def actor(self):
        return actor_from_user(self.request.user)

    def handle_exception(self, exc):
        if isinstance(exc, LicenceError):
            return Response({"code": exc.code, "detail": str(exc.message)}, status=STATUS.get(exc.code, 400))
        response = super().handle_exception(exc)
        if response is not None and isinstance(response.data, dict) and "code" not in response.data:
            detail = getattr(exc, "detail", "")
            code = "not_authenticated" if response.status_code == 401 else "invalid"
            text = detail if isinstance(detail, str) else next(iter(_flat(detail)), str(exc))
            response.data = {"code": code, "detail": str(text)}
        return response

    def parsed(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def _flat(detail):
    if isinstance(detail, dict):
        for value in detail.values():
            yield from _flat(value)
    elif isinstance(detail, list):
        for value in detail:
            yield from _flat(value)
    else:
        yield detail


class WalletApi(LicencesApi):
    @extend_schema(operation_id="licences_mine", summary=_("My licences (the wallet)"),
                   responses={200: LicenceSerializer(many=True), **ERRORS})
    def get(self, request):
        return Response(LicenceSerializer(selectors.licence_list_mine(actor=self.actor)[:200], many=True).data)


class LicenceDetailApi(LicencesApi):
    @extend_schema(operation_id="licences_get", summary=_("One licence (its holder or its issuer)"),
                   responses={200: LicenceSerializer, **ERRORS})
    def get(self, request, public_id):
        return Response(LicenceSerializer(selectors.access_licence(actor=self.actor, licence_id=public_id)).data)


class ShowTokenApi(LicencesApi):
    @extend_schema(operation_id="licences_show", summary=_("A short-lived show code of my licence (亮证)"),
                   request=None, responses={201: ShowTokenSerializer, **ERRORS})
    def post(self, request, public_id):
        token, expires_at = services.show_token_create(actor=self.actor, licence_id=public_id)
        return Response({"token": token, "expires_at": expires_at.isoformat()}, status=status.HTTP_201_CREATED)


class VerifyThrottle(AnonRateThrottle):
    rate = "60/min"


class VerifyApi(LicencesApi):
    permission_classes = [AllowAny]
    throttle_classes = [VerifyThrottle]

    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(operation_id="licences_verify", summary=_("Verify a licence: each check, the holder masked"),
                   request=VerifyInput, responses={200: VerificationSerializer, **ERRORS})
    def post(self, request):
        upload = request.FILES.get("pdf")
        if upload is not None:
            result = services.licence_verify(actor=self.actor, pdf=upload.read(MAX_PDF_BYTES + 1))
            return Response(VerificationSerializer(result).data)
        data = self.parsed(VerifyInput)
        pdf = None
        if data["pdf"]:
            try:
                pdf = base64.b64decode(data["pdf"], validate=True)
            except (binascii.Error, ValueError):
                raise LicenceInvalid(_("The pdf is not valid base64.")) from None
        result = services.licence_verify(actor=self.actor, number=data["number"], public_id=data["id"],
                                         payload=data["payload"], token=data["token"], pdf=pdf)
        return Response(VerificationSerializer(result).data)


class LicencePdfApi(LicencesApi):
    @extend_schema(operation_id="licences_pdf", summary=_("My licence as a PDF (its holder)"),
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS})
    def get(self, request, public_id):
        licence, document = services.licence_pdf_get(actor=self.actor, licence_id=public_id)
        response = HttpResponse(document, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="licence-{licence.number}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


class IssuedListApi(LicencesApi):
    @extend_schema(operation_id="licences_issued", summary=_("Licences my department issued"),
                   responses={200: LicenceSerializer(many=True), **ERRORS})
    def get(self, request):
        return Response(LicenceSerializer(selectors.licence_list_issued(actor=self.actor)[:200], many=True).data)


def _state_api(action: str, summary):
    class StateApi(LicencesApi):
        @extend_schema(operation_id=f"licences_{action}", summary=summary, request=ReasonInput,
                       responses={200: LicenceSerializer, **ERRORS})
        def post(self, request, public_id):
            data = self.parsed(ReasonInput)
            licence = getattr(services, f"licence_{action}")(actor=self.actor, licence_id=public_id,
                                                             reason=data["reason"])
            return Response(LicenceSerializer(licence).data)

    StateApi.__name__ = StateApi.__qualname__ = f"Licence{action.title()}Api"
    return StateApi


LicenceSuspendApi = _state_api("suspend", _("Suspend a licence (its issuing department)"))
LicenceReinstateApi = _state_api("reinstate", _("Reinstate a suspended licence (its issuing department)"))
LicenceRevokeApi = _state_api("revoke", _("Revoke a licence (its issuing department)"))


# --- requesters (DigiLocker's third role) ---------------------------------------------------------


class RequestInput(serializers.Serializer):
    holder = serializers.CharField(max_length=64, help_text=_("The holder's resident ID number or unified social "
                                                              "credit code."))
    type = serializers.CharField(max_length=64, help_text=_("The licence type's code."))
    purpose = serializers.CharField(max_length=requests.PURPOSE_MAX_LENGTH, help_text=_("Why it is needed: the "
                                                                                         "holder decides on it."))


class RequestSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    type = serializers.CharField(source="licence_type.code")
    purpose = serializers.CharField()
    state = serializers.SerializerMethodField(help_text=_("pending, approved (shared), declined, withdrawn, expired "
                                                          "(not decided in time) or ended (the share ran out)."))
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    access_until = serializers.DateTimeField(allow_null=True)

    def get_state(self, request) -> str:
        return requests.request_state(request)


class SharedLicenceSerializer(serializers.Serializer):
    payload = serializers.DictField(help_text=_("The licence as issued: what the seal signed."))
    signature = serializers.CharField(help_text=_("The seal's signature over the canonical payload, base64."))
    signature_algorithm = serializers.CharField()
    verification = VerificationSerializer()


class RequestCreateApi(LicencesApi):
    @extend_schema(operation_id="licences_request_create", summary=_("Ask a holder for a licence (requester)"),
                   request=RequestInput, responses={201: RequestSerializer, **ERRORS})
    def post(self, request):
        data = self.parsed(RequestInput)
        made = requests.licence_request_create(actor=self.actor, holder_identifier=data["holder"],
                                               type_code=data["type"], purpose=data["purpose"])
        return Response(RequestSerializer(made).data, status=status.HTTP_201_CREATED)


class RequestDetailApi(LicencesApi):
    @extend_schema(operation_id="licences_request_get", summary=_("A request's state (requester)"),
                   responses={200: RequestSerializer, **ERRORS})
    def get(self, request, public_id):
        return Response(RequestSerializer(requests.licence_request_get(actor=self.actor, request_id=public_id)).data)


class RequestLicenceApi(LicencesApi):
    @extend_schema(operation_id="licences_request_licence", summary=_("The licence a holder shared (requester)"),
                   responses={200: SharedLicenceSerializer, **ERRORS})
    def get(self, request, public_id):
        licence = requests.licence_request_read(actor=self.actor, request_id=public_id)
        verification = services.licence_verify(actor=self.actor, public_id=licence.public_id)
        return Response({"payload": services.licence_payload(licence),
                         "signature": base64.b64encode(bytes(licence.signature)).decode(),
                         "signature_algorithm": licence.signature_algorithm,
                         "verification": VerificationSerializer(verification).data})
