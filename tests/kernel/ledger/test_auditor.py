"""The standalone auditor: no Django, and it checks proofs fetched over HTTP from a running server."""

import subprocess
import sys

import pytest
from django.db.models import F

from zhengtong.kernel.crypto.public import public_keys
from zhengtong.kernel.ledger import auditor
from zhengtong.kernel.ledger.models import SignedTreeHead
from zhengtong.kernel.ledger.public import ledger_publish_tree_head

from .conftest import entries


def run_auditor(*args: str) -> subprocess.CompletedProcess:
    # -I: isolated from the environment (no PYTHON* variables, no user site, no current directory),
    # so nothing of the test process's Django set-up can leak into the auditor.
    return subprocess.run(
        [sys.executable, "-I", "-m", "zhengtong.kernel.ledger.auditor", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_auditor_imports_no_django():
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import sys, zhengtong.kernel.ledger.auditor; "
            "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"


@pytest.fixture
def served_log(live_server, transactional_db):
    from zhengtong.kernel.ledger.public import ledger_append_many, ledger_sequence

    first = ledger_append_many(entries=entries(6))
    ledger_sequence()
    old_head = ledger_publish_tree_head()
    ledger_append_many(entries=entries(5, start=6))
    ledger_sequence()
    head = ledger_publish_tree_head()
    return live_server.url, first, old_head, head


def test_the_auditor_checks_a_proof_fetched_over_http(served_log, tmp_path):
    url, ids, old_head, head = served_log
    pem = tmp_path / "ledger.pem"
    pem.write_text(next(k.public_key_pem for k in public_keys("ledger") if k.key_id == head.key_id))
    result = run_auditor("--server", url, "--leaf", str(ids[4]), "--public-key", str(pem), "--since-tree-size", "6")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"OK tree head: size 11, root {head.root_hash.hex()}, sm3, sm2-sm3 signature by key")
    assert lines[0].endswith("(pinned)")
    assert lines[1].startswith(f"OK inclusion: leaf {ids[4]} (hash ")
    assert "is leaf 4 of the tree of size 11" in lines[1]
    assert lines[2] == "OK consistency: the tree of size 11 extends the signed tree of size 6"


def test_the_auditor_in_process_with_the_servers_key_list(served_log):
    url, ids, _, head = served_log
    report = []
    auditor.audit_leaf(server=url, leaf=str(ids[0]), report=report.append)
    assert report[0].endswith("(listed by the server (pin it with --public-key))")
    assert len(report) == 2


def test_the_auditor_fails_on_a_tampered_tree_head(served_log):
    url, ids, _, head = served_log
    SignedTreeHead.objects.filter(tree_size=11).update(timestamp_ms=F("timestamp_ms") + 1)
    result = run_auditor("--server", url, "--leaf", str(ids[2]))
    assert result.returncode == 1
    assert result.stderr.startswith("FAILED: the sm2-sm3 signature of the tree head of size 11 does not verify")


def test_the_auditor_fails_when_the_server_proves_another_leaf_hash(served_log):
    url, ids, _, _ = served_log
    result = run_auditor("--server", url, "--leaf", str(ids[2]), "--leaf-hash", "ab" * 32)
    assert result.returncode == 1
    assert "not the expected " + "ab" * 32 in result.stderr


def test_the_auditor_reports_an_unreachable_server():
    result = run_auditor("--server", "http://127.0.0.1:9", "--leaf", "0")
    assert result.returncode == 2
    assert result.stderr.startswith("ERROR: GET http://127.0.0.1:9/api/v1/ledger/tree-head")
