"""The public REST API under /api/v1/ledger/: tree heads, proofs, leaves, keys; errors in Chinese or English."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from zhengtong.kernel.crypto.public import public_keys
from zhengtong.kernel.identity.models import AccountKind, User
from zhengtong.kernel.ledger import auditor
from zhengtong.kernel.ledger.models import LedgerLeaf
from zhengtong.kernel.ledger.public import ledger_publish_tree_head, leaf_get

from . import rfc9162_reference as ref
from .conftest import bodies_by_index


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def published(make_log):
    ids = make_log(10)
    head = ledger_publish_tree_head()
    return ids, head


def test_tree_head(client, published):
    ids, head = published
    response = client.get("/api/v1/ledger/tree-head")
    assert response.status_code == 200
    assert response.json() == {
        "tree_size": 10,
        "root_hash": head.root_hash.hex(),
        "timestamp": head.timestamp,
        "hash_algorithm": "sm3",
        "signature_algorithm": "sm2-sm3",
        "key_id": head.key_id,
        "signature": head.signature.hex(),
    }
    assert response["Cache-Control"] == "public, max-age=10"
    assert client.get("/api/v1/ledger/tree-head?tree_size=10").json() == response.json()
    assert client.get("/api/v1/ledger/tree-head?tree_size=10")["Cache-Control"].endswith("immutable")


def test_inclusion_and_consistency_proofs_verify_with_the_auditor(client, published, make_log):
    ids, old_head = published
    bodies = bodies_by_index()
    proof = client.get(f"/api/v1/ledger/proof/inclusion?leaf={ids[6]}").json()
    assert proof == {
        "leaf_index": 6,
        "tree_size": 10,
        "leaf_hash": ref.sm3(b"\x00" + bodies[6]).hex(),
        "inclusion_path": [h.hex() for h in ref.path(ref.sm3, 6, bodies)],
        "hash_algorithm": "sm3",
    }
    auditor.verify_inclusion(
        hash_algorithm="sm3",
        leaf_hash=bytes.fromhex(proof["leaf_hash"]),
        leaf_index=6,
        tree_size=10,
        inclusion_path=[bytes.fromhex(h) for h in proof["inclusion_path"]],
        root_hash=old_head.root_hash,
    )
    assert client.get("/api/v1/ledger/proof/inclusion?leaf=6&tree_size=10").json() == proof

    make_log(7)  # the log grows to 17 (make_log appends 7 more: ids restart at 0 but are new leaves)
    new_head = ledger_publish_tree_head()
    consistency = client.get("/api/v1/ledger/proof/consistency?first=10").json()
    assert consistency["first"] == 10 and consistency["second"] == 17
    auditor.verify_consistency(
        hash_algorithm="sm3",
        first=10,
        second=17,
        first_hash=old_head.root_hash,
        second_hash=new_head.root_hash,
        consistency_path=[bytes.fromhex(h) for h in consistency["consistency_path"]],
    )


def test_the_public_leaf_shows_no_body_subject_or_actor(client, published):
    ids, _ = published
    response = client.get(f"/api/v1/ledger/leaves/{ids[3]}")
    leaf = leaf_get(leaf_id=ids[3])
    assert response.status_code == 200
    assert response.json() == {
        "id": str(ids[3]),
        "leaf_index": 3,
        "leaf_hash": leaf.leaf_hash.hex(),
        "kind": "test.entry",
        "created_at": response.json()["created_at"],
    }
    assert datetime.fromisoformat(response.json()["created_at"]) == leaf.created_at
    assert client.get("/api/v1/ledger/leaves/00000000-0000-4000-8000-000000000000").status_code == 404


def test_a_staff_superuser_sees_the_body_and_the_read_is_logged(client, published):
    ids, _ = published
    admin = User.objects.create_superuser("ledger-admin", "a-long-password-1", kind=AccountKind.STAFF)
    client.force_authenticate(admin)
    before = LedgerLeaf.objects.count()
    body = client.get(f"/api/v1/ledger/leaves/{ids[3]}").json()
    row = LedgerLeaf.objects.get(public_id=ids[3])
    assert (body["subject"], body["actor"], body["body"]) == ("subject-3", "tester", row.body)
    assert body["payload"] == {"n": 3, "名称": "第3条"}
    read = LedgerLeaf.objects.exclude(pk__lte=row.pk).get(kind="ledger.body_read")
    assert (read.subject, read.actor) == (str(ids[3]), str(admin.public_id))
    assert LedgerLeaf.objects.count() == before + 1

    staff = User.objects.create_user("officer", "a-long-password-2", kind=AccountKind.STAFF, is_staff=True)
    client.force_authenticate(staff)
    assert "body" not in client.get(f"/api/v1/ledger/leaves/{ids[3]}").json()


def test_public_keys(client, published):
    _, head = published
    keys = client.get("/api/v1/ledger/public-keys").json()
    assert [key["key_id"] for key in keys] == [key.key_id for key in public_keys("ledger")]
    active = [key for key in keys if key["active"]]
    assert len(active) == 1 and active[0]["key_id"] == head.key_id and active[0]["algorithm"] == "sm2-sm3"
    assert active[0]["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")


@pytest.mark.parametrize(
    "url,status,code,chinese,english",
    [
        (
            "/api/v1/ledger/proof/inclusion?leaf=0&tree_size=11",
            400,
            "ledger.tree_size_beyond_log",
            "tree_size 11 超出账本范围（账本共有 10 个叶子）",
            "tree_size 11 is beyond the log, which has 10 leaves",
        ),
        (
            "/api/v1/ledger/proof/inclusion?leaf=abc",
            400,
            "ledger.leaf_invalid",
            "leaf 必须是存证条目编号（UUID）或叶子序号，而不是 abc",
            "leaf must be a ledger entry id (UUID) or a leaf index, not abc",
        ),
        (
            "/api/v1/ledger/proof/inclusion?tree_size=3",
            400,
            "ledger.leaf_required",
            "缺少参数 leaf",
            "The parameter leaf is required",
        ),
        (
            "/api/v1/ledger/proof/inclusion?leaf=9&tree_size=-1",
            400,
            "ledger.tree_size_not_a_number",
            "tree_size 必须是非负整数，而不是 -1",
            "tree_size must be a whole number, not -1",
        ),
        (
            "/api/v1/ledger/proof/consistency?first=5&second=3",
            400,
            "ledger.first_after_second",
            "first（5）不能大于 second（3）",
            "first (5) must not be greater than second (3)",
        ),
        (
            "/api/v1/ledger/proof/consistency?first=0&second=3",
            400,
            "ledger.first_too_small",
            "first 至少为 1，而不是 0",
            "first must be at least 1, not 0",
        ),
        (
            "/api/v1/ledger/proof/consistency?second=3",
            400,
            "ledger.first_required",
            "缺少参数 first",
            "The parameter first is required",
        ),
        (
            "/api/v1/ledger/tree-head?tree_size=7",
            404,
            "ledger.tree_head_not_found",
            "没有在树大小 7 处发布的签名树头",
            "No tree head was published at tree size 7",
        ),
    ],
)
def test_bad_parameters_get_a_clear_error_in_chinese_or_english(client, published, url, status, code, chinese, english):
    response = client.get(url)
    assert (response.status_code, response.json()) == (status, {"code": code, "detail": chinese})
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.json()) == (status, {"code": code, "detail": english})


def test_no_tree_head_yet(client, db):
    response = client.get("/api/v1/ledger/tree-head", HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.json()) == (
        404,
        {"code": "ledger.no_tree_head", "detail": "No tree head has been published yet"},
    )


@pytest.mark.parametrize("size", [10, 300, 1000])
def test_proof_endpoints_make_a_fixed_number_of_queries(client, make_log, size):
    """Queries do not grow with the log: the state, the latest head, the leaf by id, and one query
    for every stored hash the proof needs (nodes and single leaves together)."""
    ids = make_log(size)
    ledger_publish_tree_head()
    with CaptureQueriesContext(connection) as inclusion:
        assert client.get(f"/api/v1/ledger/proof/inclusion?leaf={ids[size // 2]}").status_code == 200
    with CaptureQueriesContext(connection) as consistency:
        assert client.get(f"/api/v1/ledger/proof/consistency?first={size // 3}").status_code == 200
    with CaptureQueriesContext(connection) as head:
        assert client.get("/api/v1/ledger/tree-head").status_code == 200
    assert (len(inclusion.captured_queries), len(consistency.captured_queries), len(head.captured_queries)) == (4, 3, 1)


def test_the_schema_documents_the_ledger_endpoints(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert {
        "/api/v1/ledger/tree-head",
        "/api/v1/ledger/proof/inclusion",
        "/api/v1/ledger/proof/consistency",
        "/api/v1/ledger/leaves/{leaf_id}",
        "/api/v1/ledger/public-keys",
    } <= set(schema["paths"])
