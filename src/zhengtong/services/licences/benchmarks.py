"""Benchmarks of licences (`zhengtong bench licence`): issue and verify, each against bare SM2 in the
same run.

- licence_issue: licences issued per second through `licence_issue` end to end (checks, the seal's
  SM2 signature and its logged use, the deterministic PDF with the CJK font subset embedded, its
  SHA-256, the ledger entry, the row, the event, the PDF stored) vs `signing_key(unit).sign` of the
  same canonical bytes alone.
- licence_verify: `licence_verify` by number (the seal's signature, the ledger entry re-hashed with
  its inclusion proof under a signed tree head, state, validity; the verification logged in the
  ledger) vs `verify_signature` of the same bytes alone.

Both run in one child process on a scratch SQLite database in a temporary ZHENGTONG_HOME (its own
keys and media folder, no key from the environment), migrated and removed afterwards; one run of
the child gives both rows. The reduced CJK font is built (or found in its cache) before timing.

    python -m zhengtong.services.licences.benchmarks measure COUNT   # the child; prints JSON
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from functools import lru_cache

from zhengtong.bench import BenchmarkResult, benchmark

ISSUES = int(os.environ.get("ZHENGTONG_LICENCE_BENCH_ISSUES", "300"))
PDF_SAMPLES = 50
TIMEOUT = 1800


def _child_env(home: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("ZHENGTONG_SIGNING_KEY_")
           and key not in {"DATABASE_URL", "ZHENGTONG_KEYS_DIR", "ZHENGTONG_FIELD_KEYS", "ZHENGTONG_INDEX_KEY",
                           "SECRET_KEY_FILE"}}
    env.update(ZHENGTONG_HOME=home, DATABASE_URL=f"sqlite:///{home}/licence-bench.sqlite3",
               DJANGO_SETTINGS_MODULE="zhengtong.settings.base", SECRET_KEY="licence-benchmark-only")
    return env


@lru_cache(maxsize=1)
def _figures(count: int = ISSUES) -> dict:
    """One child run: both benchmarks' figures (so they come from the same run)."""
    home = tempfile.mkdtemp(prefix="zt-licence-bench-")
    try:
        result = subprocess.run([sys.executable, "-m", "zhengtong.services.licences.benchmarks", "measure", str(count)],
                                env=_child_env(home), capture_output=True, text=True, timeout=TIMEOUT)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if result.returncode != 0:
        raise RuntimeError(f"licence benchmark failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


@benchmark
def licence_issue() -> BenchmarkResult:
    f = _figures()
    n = f["count"]
    return BenchmarkResult(
        name="licence_issue",
        subject="licence_issue end to end: seal signature + PDF (CJK subset embedded) + ledger + row + stored file",
        baseline=f"bare {f['algorithm']} sign of the same canonical bytes (kernel.crypto signing_key().sign)",
        subject_seconds=f["issue_seconds"], baseline_seconds=f["sign_seconds"],
        work=f"{n:,} licences (营业执照, company holder, five fields), SQLite ({f['engine']})",
        target="informational (issue 9: issued/s and verified/s against SM2 sign/verify alone)",
        notes=(f"{n / f['issue_seconds']:,.1f} licences issued/s vs {n / f['sign_seconds']:,.0f} bare signatures/s "
               f"(rate ratio {f['sign_seconds'] / f['issue_seconds']:.3f}); "
               f"{f['issue_cpu_ms']:.1f} ms of CPU per issue. "
               f"Rendering the PDF alone: {f['pdf_ms']:.1f} ms per licence wall, {f['pdf_cpu_ms']:.1f} ms CPU (medians "
               f"of {f['pdf_samples']}), {f['pdf_kb']:.1f} KB each; load average {f['load']:.1f} at the end. The "
               f"one-off reduced-font build (GB2312 hanzi) is outside the timing (cached under var/fonts). "
               f"Scratch database and key folder, removed afterwards."),
    )


@benchmark
def licence_verify() -> BenchmarkResult:
    f = _figures()
    n = f["count"]
    return BenchmarkResult(
        name="licence_verify",
        subject="licence_verify by number: signature + ledger leaf re-hashed + inclusion proof + state; logged",
        baseline=f"bare {f['algorithm']} verify_signature of the same bytes (kernel.crypto)",
        subject_seconds=f["verify_seconds"], baseline_seconds=f["bare_verify_seconds"],
        work=f"{n:,} verifications of the licences just issued, SQLite ({f['engine']})",
        target="informational (issue 9: issued/s and verified/s against SM2 sign/verify alone)",
        notes=(f"{n / f['verify_seconds']:,.1f} verifications/s vs {n / f['bare_verify_seconds']:,.0f} bare "
               f"verifications/s (rate ratio {f['bare_verify_seconds'] / f['verify_seconds']:.3f}); the ledger was "
               f"sequenced and a tree head signed before, so each verification checks an inclusion proof. "
               f"Verifying an uploaded PDF (read back with pypdf, hashed, then the same checks): "
               f"{f['pdf_verify_ms']:.1f} ms each (median of {f['pdf_samples']})."),
    )


# --- In the child -------------------------------------------------------------------------------


def measure(count: int) -> dict:
    import hashlib
    import statistics

    from django.db import connection

    from zhengtong.kernel.crypto.public import Signature, signing_key, verify_signature
    from zhengtong.kernel.identity.public import Actor
    from zhengtong.kernel.ledger.public import ledger_publish_tree_head, ledger_sequence
    from zhengtong.kernel.org.models import Department, Division

    from . import pdf, services

    division, _created = Division.objects.get_or_create(code="330106", defaults={"name": "西湖区", "level": "county"})
    department, _created = Department.objects.get_or_create(
        code="330106-SJ", defaults={"name": "西湖区市场监督管理局", "kind": "market_regulation", "division": division})
    leader = Actor(kind="staff", user_id=None, department_id=department.pk, roles=frozenset({"leader"}))
    seal = services.seal_create(actor=leader, department_id=department.pk, name="西湖区市场监督管理局电子印章")
    licence_type = {t.code: t for t in services.licence_types_ensure()}["business_licence"]
    system = Actor(kind="system")

    def issue(number: int):
        name = f"杭州西湖第{number:04d}号数据有限公司"
        return services.licence_issue(
            actor=system, licence_type=licence_type, department_id=department.pk, holder_kind="company",
            holder_user_id=None, holder_name=name, holder_identifier="91330106MA2B0R9X1L",
            fields={"name": name, "uscc": "91330106MA2B0R9X1L", "legal_representative": "王芳",
                    "business_scope": "数据处理服务；软件开发；信息技术咨询服务", "address": "浙江省杭州市西湖区文一西路1号"},
            seal=seal)

    warm = issue(0)  # builds or loads the reduced font, the keys, the statements: outside the timing
    pdf.licence_pdf_render(warm)

    started, cpu = time.perf_counter(), time.process_time()
    issued = [issue(number) for number in range(1, count + 1)]
    issue_seconds, issue_cpu = time.perf_counter() - started, time.process_time() - cpu

    signed = [services.canonical_json(services.licence_payload(licence)) for licence in issued]
    key = signing_key(seal.unit)
    started = time.perf_counter()
    signatures = [signing_key(seal.unit).sign(data) for data in signed]
    sign_seconds = time.perf_counter() - started

    pdf_times, pdf_cpu, sizes = [], [], []
    for licence in issued[:PDF_SAMPLES]:
        started, cpu = time.perf_counter(), time.process_time()
        document = pdf.licence_pdf_render(licence)
        pdf_times.append(time.perf_counter() - started)
        pdf_cpu.append(time.process_time() - cpu)
        sizes.append(len(document))
        if hashlib.sha256(document).hexdigest() != licence.pdf_sha256:
            raise AssertionError("a licence PDF did not render the same bytes again")

    ledger_sequence()
    ledger_publish_tree_head()
    anyone = Actor(kind="anonymous")
    started = time.perf_counter()
    for licence in issued:
        if not services.licence_verify(actor=anyone, number=licence.number).valid:
            raise AssertionError("an issued licence did not verify")
    verify_seconds = time.perf_counter() - started

    stored = [Signature(key.algorithm, licence.signature_key_id, bytes(licence.signature)) for licence in issued]
    started = time.perf_counter()
    for data, signature in zip(signed, stored, strict=True):
        if not verify_signature(data, signature):
            raise AssertionError("a seal signature did not verify")
    bare_verify_seconds = time.perf_counter() - started
    del signatures

    pdf_verify = []
    for licence in issued[:PDF_SAMPLES]:
        document = pdf.licence_pdf_render(licence)
        started = time.perf_counter()
        if not services.licence_verify(actor=anyone, pdf=document).valid:
            raise AssertionError("an issued licence's PDF did not verify")
        pdf_verify.append(time.perf_counter() - started)

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
            engine = f"SQLite {cursor.fetchone()[0]}"
        else:
            cursor.execute("show server_version")
            engine = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    return {"count": count, "engine": engine, "algorithm": key.algorithm, "issue_seconds": issue_seconds,
            "sign_seconds": sign_seconds, "verify_seconds": verify_seconds,
            "bare_verify_seconds": bare_verify_seconds, "pdf_samples": len(pdf_times),
            "pdf_ms": statistics.median(pdf_times) * 1000, "pdf_cpu_ms": statistics.median(pdf_cpu) * 1000,
            "issue_cpu_ms": issue_cpu / count * 1000, "load": os.getloadavg()[0],
            "pdf_kb": statistics.mean(sizes) / 1024,
            "pdf_verify_ms": statistics.median(pdf_verify) * 1000}


if __name__ == "__main__":
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    print(json.dumps(measure(int(sys.argv[2]))))
