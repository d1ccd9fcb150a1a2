"""POST /api/v1/ids/validate: check an identifier and say exactly what is wrong with it."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .validation import IdKind, id_validate


class IdValidateInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[k.value for k in IdKind])
    # Generous for spaces and +86, small enough that nobody posts an essay.
    value = serializers.CharField(max_length=64, allow_blank=True, trim_whitespace=False)


class IdValidateErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine code, e.g. resident_id.check_char.")
    position = serializers.IntegerField(
        allow_null=True, help_text="1-based position of the offending character, when one."
    )
    message = serializers.CharField(help_text="Explanation in the request's language (Accept-Language).")


class IdValidateOutputSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    normalised = serializers.CharField(required=False, help_text="The normal form, when valid.")
    details = serializers.DictField(required=False, help_text="The parts of the identifier, when valid.")
    error = IdValidateErrorSerializer(required=False, help_text="What is wrong, when not valid.")


class IdValidateApi(APIView):
    # Anyone may ask: the answer only restates what is in the value the caller already holds.
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="ids_validate",
        summary="Validate an identifier",
        description=(
            "Checks a resident ID number (GB 11643), unified social credit code (GB 32100), "
            "administrative division code (GB/T 2260) or mainland mobile number. An invalid value "
            "is a normal answer (200, valid=false) naming the character and the rule it breaks."
        ),
        tags=["ids"],
        request=IdValidateInputSerializer,
        responses={
            200: IdValidateOutputSerializer,
            400: OpenApiResponse(description="The request itself is malformed (unknown kind, missing value)."),
        },
        examples=[
            OpenApiExample(
                "Resident ID", value={"kind": "resident_id", "value": "110102199101010078"}, request_only=True
            ),
            OpenApiExample(
                "Valid",
                value={
                    "valid": True,
                    "normalised": "110102199101010078",
                    "details": {
                        "division_code": "110102",
                        "birth_date": "1991-01-01",
                        "sequence": "007",
                        "gender": "M",
                    },
                },
                response_only=True,
            ),
            OpenApiExample(
                "Invalid",
                value={
                    "valid": False,
                    "error": {
                        "code": "resident_id.check_char",
                        "position": 18,
                        "message": "第18位校验码应为3，实际为X（GB 11643 ISO 7064 MOD 11-2）",
                    },
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        payload = IdValidateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = id_validate(kind=payload.validated_data["kind"], value=payload.validated_data["value"])
        if result.valid:
            body = {"valid": True, "normalised": result.normalised, "details": result.details}
        else:
            error = result.error
            body = {
                "valid": False,
                "error": {"code": error.code, "position": error.position, "message": str(error.message)},
            }
        return Response(IdValidateOutputSerializer(body).data)
