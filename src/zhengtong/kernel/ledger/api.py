"""The public API of the log, for auditors: tree heads, proofs, leaves, the public keys.

Every hash and signature is lower-case hex. Errors are {"code": "...", "detail": "..."} with the
detail in the request's language (Chinese unless Accept-Language asks for English). Anyone may call
these endpoints; a leaf's body, subject and actor (which may hold personal data) are only shown to
staff superusers, and each such read is itself logged.
"""

import re
from uuid import UUID

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django.utils.translation import gettext_lazy as _

from zhengtong.kernel.crypto.public import public_keys

from . import selectors, services
from .errors import LedgerError, LedgerNotFound, LedgerPermissionDenied, LedgerQueryError
from .records import TreeHead

WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
# A response about a fixed tree size never changes; one about "the latest" changes each publication.
IMMUTABLE = "public, max-age=31536000, immutable"
LATEST = "public, max-age=10"


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine code, e.g. ledger.tree_size_beyond_log.")
    detail = serializers.CharField(help_text="Explanation in the request's language (Accept-Language).")


class TreeHeadSerializer(serializers.Serializer):
    tree_size = serializers.IntegerField()
    root_hash = serializers.CharField(help_text="MTH of the first tree_size leaves, hex.")
    timestamp = serializers.IntegerField(help_text="Milliseconds since the Unix epoch, as signed.")
    hash_algorithm = serializers.ChoiceField(choices=["sm3", "sha256"])
    signature_algorithm = serializers.ChoiceField(choices=["sm2-sm3", "ed25519"])
    key_id = serializers.CharField(help_text="Id of the ledger key that signed; see /api/v1/ledger/public-keys.")
    signature = serializers.CharField(
        help_text=(
            "Hex signature over the UTF-8 canonical JSON "
            '{"hash_algorithm":…,"root_hash":…,"timestamp":…,"tree_size":…,"type":"zhengtong.ledger.tree_head.v1"}.'
        )
    )


class InclusionProofSerializer(serializers.Serializer):
    leaf_index = serializers.IntegerField()
    tree_size = serializers.IntegerField()
    leaf_hash = serializers.CharField(help_text="HASH(0x00 || leaf body), hex.")
    inclusion_path = serializers.ListField(child=serializers.CharField(), help_text="RFC 9162 §2.1.3.1 PATH, hex.")
    hash_algorithm = serializers.CharField()


class ConsistencyProofSerializer(serializers.Serializer):
    first = serializers.IntegerField()
    second = serializers.IntegerField()
    consistency_path = serializers.ListField(
        child=serializers.CharField(), help_text="RFC 9162 §2.1.4.1 PROOF, hex."
    )
    hash_algorithm = serializers.CharField()


class LeafSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    leaf_index = serializers.IntegerField(allow_null=True, help_text="Null until the entry is sequenced.")
    leaf_hash = serializers.CharField()
    kind = serializers.CharField()
    created_at = serializers.DateTimeField()
    subject = serializers.CharField(required=False, help_text="Staff superusers only.")
    actor = serializers.CharField(required=False, help_text="Staff superusers only.")
    body = serializers.CharField(required=False, help_text="Staff superusers only: the canonical JSON hashed.")
    payload = serializers.DictField(required=False, help_text="Staff superusers only.")


class PublicKeySerializer(serializers.Serializer):
    key_id = serializers.CharField()
    algorithm = serializers.CharField()
    public_key_pem = serializers.CharField()
    created_at = serializers.DateTimeField(allow_null=True)
    active = serializers.BooleanField()


def tree_head_data(head: TreeHead) -> dict:
    return {
        "tree_size": head.tree_size,
        "root_hash": head.root_hash.hex(),
        "timestamp": head.timestamp,
        "hash_algorithm": head.hash_algorithm,
        "signature_algorithm": head.signature_algorithm,
        "key_id": head.key_id,
        "signature": head.signature.hex(),
    }


def error_response(error: LedgerError) -> Response:
    status = 400
    if isinstance(error, LedgerNotFound):
        status = 404
    elif isinstance(error, LedgerPermissionDenied):
        status = 403
    return Response({"code": error.code, "detail": str(error.message)}, status=status)


def whole_number(request: Request, name: str, *, required: bool = False) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if required:
            raise LedgerQueryError(f"ledger.{name}_required", _("The parameter %(name)s is required"), name=name)
        return None
    if not WHOLE_NUMBER.fullmatch(raw):
        raise LedgerQueryError(
            f"ledger.{name}_not_a_number",
            _("%(name)s must be a whole number, not %(value)s"),
            name=name,
            value=raw[:40],
        )
    return int(raw)


def leaf_reference(raw: str | None) -> UUID | int:
    if not raw:
        raise LedgerQueryError("ledger.leaf_required", _("The parameter %(name)s is required"), name="leaf")
    if WHOLE_NUMBER.fullmatch(raw):
        return int(raw)
    try:
        return UUID(raw)
    except ValueError:
        raise LedgerQueryError(
            "ledger.leaf_invalid",
            _("leaf must be a ledger entry id (UUID) or a leaf index, not %(value)s"),
            value=raw[:40],
        ) from None


ERRORS = {400: ErrorSerializer, 404: ErrorSerializer}
TREE_SIZE = OpenApiParameter(
    "tree_size", int, required=False, description="A tree size; default: the latest signed tree head."
)


class LedgerTreeHeadApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []  # public: no session or key lookup needed

    @extend_schema(
        operation_id="ledger_tree_head",
        summary="Signed tree head",
        description="The latest signed tree head, or the one published at `tree_size`.",
        tags=["ledger"],
        parameters=[OpenApiParameter("tree_size", int, required=False, description="A published tree size.")],
        responses={200: TreeHeadSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        try:
            tree_size = whole_number(request, "tree_size")
            head = selectors.tree_head_get(tree_size=tree_size)
        except LedgerError as error:
            return error_response(error)
        response = Response(TreeHeadSerializer(tree_head_data(head)).data)
        response["Cache-Control"] = IMMUTABLE if tree_size is not None else LATEST
        return response


class LedgerInclusionProofApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        operation_id="ledger_inclusion_proof",
        summary="Inclusion proof",
        description="RFC 9162 §2.1.3 inclusion proof of a leaf in the tree of `tree_size` leaves.",
        tags=["ledger"],
        parameters=[
            OpenApiParameter("leaf", str, required=True, description="Ledger entry id (UUID) or leaf index."),
            TREE_SIZE,
        ],
        responses={200: InclusionProofSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Bad tree size",
                value={"code": "ledger.tree_size_beyond_log", "detail": "tree_size 9 超出账本范围（账本共有 8 个叶子）"},
                response_only=True,
                status_codes=["400"],
            )
        ],
    )
    def get(self, request: Request) -> Response:
        try:
            leaf = leaf_reference(request.query_params.get("leaf"))
            tree_size = whole_number(request, "tree_size")
            proof = selectors.inclusion_proof_get(leaf=leaf, tree_size=tree_size)
        except LedgerError as error:
            return error_response(error)
        data = {
            "leaf_index": proof.leaf_index,
            "tree_size": proof.tree_size,
            "leaf_hash": proof.leaf_hash.hex(),
            "inclusion_path": [h.hex() for h in proof.inclusion_path],
            "hash_algorithm": proof.hash_algorithm,
        }
        response = Response(InclusionProofSerializer(data).data)
        response["Cache-Control"] = IMMUTABLE if tree_size is not None else LATEST
        return response


class LedgerConsistencyProofApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        operation_id="ledger_consistency_proof",
        summary="Consistency proof",
        description="RFC 9162 §2.1.4 proof that the tree of `second` leaves extends the tree of `first` leaves.",
        tags=["ledger"],
        parameters=[
            OpenApiParameter("first", int, required=True, description="The smaller tree size (at least 1)."),
            OpenApiParameter("second", int, required=False, description="The larger; default: latest tree head."),
        ],
        responses={200: ConsistencyProofSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        try:
            first = whole_number(request, "first", required=True)
            second = whole_number(request, "second")
            proof = selectors.consistency_proof_get(first=first, second=second)
        except LedgerError as error:
            return error_response(error)
        data = {
            "first": proof.first,
            "second": proof.second,
            "consistency_path": [h.hex() for h in proof.consistency_path],
            "hash_algorithm": proof.hash_algorithm,
        }
        response = Response(ConsistencyProofSerializer(data).data)
        response["Cache-Control"] = IMMUTABLE if second is not None else LATEST
        return response


class LedgerLeafApi(APIView):
    permission_classes = [AllowAny]  # authentication still runs: a staff superuser sees the body

    @extend_schema(
        operation_id="ledger_leaf",
        summary="Ledger entry",
        description=(
            "An entry's index (once sequenced), leaf hash, kind and time. Staff superusers also get "
            "its subject, actor and body; that read is itself logged in the ledger."
        ),
        tags=["ledger"],
        responses={200: LeafSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, leaf_id: UUID) -> Response:
        user = request.user
        try:
            if user.is_authenticated and user.is_staff and user.is_superuser:
                leaf = services.leaf_body_read(user=user, leaf_id=leaf_id)
                data = {
                    "id": leaf.id,
                    "leaf_index": leaf.leaf_index,
                    "leaf_hash": leaf.leaf_hash.hex(),
                    "kind": leaf.kind,
                    "created_at": leaf.created_at,
                    "subject": leaf.subject,
                    "actor": leaf.actor,
                    "body": leaf.body,
                    "payload": leaf.payload,
                }
            else:
                leaf = selectors.leaf_get(leaf_id=leaf_id)
                data = {
                    "id": leaf.id,
                    "leaf_index": leaf.leaf_index,
                    "leaf_hash": leaf.leaf_hash.hex(),
                    "kind": leaf.kind,
                    "created_at": leaf.created_at,
                }
        except LedgerError as error:
            return error_response(error)
        response = Response(LeafSerializer(data).data)
        response["Cache-Control"] = "private, no-store"
        return response


class LedgerPublicKeysApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        operation_id="ledger_public_keys",
        summary="The ledger's public keys",
        description="Every key the ledger has signed tree heads with (PEM SubjectPublicKeyInfo); `active` signs now.",
        tags=["ledger"],
        responses={200: PublicKeySerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        keys = [
            {
                "key_id": key.key_id,
                "algorithm": key.algorithm,
                "public_key_pem": key.public_key_pem,
                "created_at": key.created_at,
                "active": key.active,
            }
            for key in public_keys(services.SIGNING_UNIT)
        ]
        return Response(PublicKeySerializer(keys, many=True).data)
