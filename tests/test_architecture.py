"""The layering contract of DESIGN.md is enforced by import-linter, and it really bites."""

import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def run_lint_imports(source_root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(PROJECT / "pyproject.toml"), "--no-cache"],
        cwd=source_root,
        env={"PYTHONPATH": str(source_root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_source(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    shutil.copytree(PROJECT / "src" / "zhengtong", root / "zhengtong",
                    ignore=shutil.ignore_patterns("__pycache__", "*.mo", "locale", "static", "templates"))
    return root


def test_the_source_tree_keeps_the_contracts(tmp_path):
    result = run_lint_imports(copy_source(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_kernel_module_importing_a_domain_module_breaks_the_build(tmp_path):
    root = copy_source(tmp_path)
    catalog = root / "zhengtong" / "data" / "catalog"
    catalog.mkdir(exist_ok=True)
    (catalog / "__init__.py").write_text('"""A domain module (right of the kernel)."""\n')
    org_models = root / "zhengtong" / "kernel" / "org" / "models.py"
    org_models.write_text(org_models.read_text() + "\nimport zhengtong.data.catalog  # wrong way\n")

    result = run_lint_imports(root)

    assert result.returncode == 1
    assert "BROKEN" in result.stdout
    assert "zhengtong.kernel.org.models -> zhengtong.data.catalog" in result.stdout


def test_a_data_module_importing_a_services_module_breaks_the_build(tmp_path):
    root = copy_source(tmp_path)
    for package, body in (("data/catalog", "import zhengtong.services.guide\n"), ("services/guide", "")):
        folder = root / "zhengtong" / package
        folder.mkdir(exist_ok=True)
        (folder / "__init__.py").write_text(body)

    result = run_lint_imports(root)

    assert result.returncode == 1
    assert "zhengtong.data.catalog -> zhengtong.services.guide" in result.stdout
