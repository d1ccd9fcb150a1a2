"""Identity API: who is calling (a person's session or an API client's key)."""

from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from zhengtong.kernel.org.public import department_get

from .authentication import ApiClientPrincipal
from .public import actor_from_user


@dataclass(frozen=True)
class Me:
    kind: str
    display_name: str
    department: str | None = None
    division_code: str | None = None
    roles: list[str] = field(default_factory=list)
    client_name: str | None = None
    scopes: list[str] = field(default_factory=list)


def me_describe(user) -> Me:
    """What the caller may know about itself: its kind, name, department and powers."""
    actor = actor_from_user(user)
    department = department_get(actor.department_id) if actor.department_id else None
    department_name = department.name if department else None
    if isinstance(user, ApiClientPrincipal):
        return Me(
            kind=actor.kind,
            display_name=user.name,
            department=department_name,
            division_code=department.division_code if department else None,
            client_name=user.name,
            scopes=sorted(user.scopes),
        )
    return Me(
        kind=actor.kind,
        display_name=user.display_name or user.username,
        department=department_name,
        division_code=actor.division_code,
        roles=sorted(actor.roles),
    )


class MeApi(APIView):
    """GET /api/v1/me"""

    # Named explicitly: every nested "OutputSerializer" would otherwise be the schema component "Output".
    @extend_schema_serializer(component_name="Me")
    class OutputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(
            choices=["citizen", "company", "staff", "api_client"], help_text=_("Who is calling.")
        )
        display_name = serializers.CharField(help_text=_("The account's name, or the API client's name."))
        department = serializers.CharField(allow_null=True, help_text=_("Department name (staff and API clients)."))
        division_code = serializers.CharField(
            allow_null=True, help_text=_("GB/T 2260 code of the department's division.")
        )
        roles = serializers.ListField(child=serializers.CharField(), help_text=_("Staff roles."))
        client_name = serializers.CharField(allow_null=True, help_text=_("API clients only: the client's name."))
        scopes = serializers.ListField(child=serializers.CharField(), help_text=_("API clients only: granted scopes."))

    @extend_schema(
        operation_id="identity_me",
        summary="Who am I",
        description=(
            "The calling account (session) or API client (API key): kind, name, department and roles or scopes."
        ),
        tags=["identity"],
        responses={200: OutputSerializer},
        examples=[
            OpenApiExample(
                "Staff",
                value={
                    "kind": "staff",
                    "display_name": "王芳",
                    "department": "西湖区市场监督管理局",
                    "division_code": "330106",
                    "roles": ["case_officer"],
                    "client_name": None,
                    "scopes": [],
                },
            )
        ],
    )
    def get(self, request):
        return Response(self.OutputSerializer(asdict(me_describe(request.user))).data)
