"""The data lake on disk: one immutable Parquet file per dataset version.

    <lake>/<dataset public_id>/v<number>/data.parquet     a published version, never rewritten
    <lake>/<dataset public_id>/.tmp-<load public_id>/     a load's work: staging, the new version
    <lake>/<dataset public_id>/.lock                      held by the one load running on the dataset

A version is written into the load's temporary folder, flushed to disk, then renamed to v<number>
in one step (rename is atomic on a POSIX file system), and only then is its database row committed.
A load that dies at any point leaves at most a temporary folder, or a v<number> folder no database
row points to; the next load of the dataset, holding the lock, removes both.

Only file:// lakes are written here; an object-store lake (fsspec) needs a commit protocol of its
own (conditional puts) and is not supported yet.
"""

import fcntl
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION_DIR = re.compile(r"^v(\d+)$")
TMP_PREFIX = ".tmp-"
DATA_FILE = "data.parquet"


def lake_root() -> Path:
    url = str(settings.LAKE_URL)
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path))
    elif parsed.scheme == "" and url:
        path = Path(url)
    else:
        raise ImproperlyConfigured(f"LAKE_URL {url!r}: only file:// lakes are supported so far")
    path.mkdir(parents=True, exist_ok=True)
    return path


def scratch_dir() -> Path:
    """Where checks that are not loads (validate_source) work and DuckDB spills: under the
    platform's home (var/), not the system's /tmp, which may be a small RAM disk."""
    path = Path(settings.HOME_DIR) / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def dataset_dir(dataset_public_id: UUID | str) -> Path:
    path = lake_root() / str(dataset_public_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def version_dir(dataset_public_id: UUID | str, number: int) -> Path:
    return lake_root() / str(dataset_public_id) / f"v{number}"


def version_file(dataset_public_id: UUID | str, number: int) -> Path:
    return version_dir(dataset_public_id, number) / DATA_FILE


def work_dir(dataset_public_id: UUID | str, load_public_id: UUID | str) -> Path:
    path = dataset_dir(dataset_public_id) / f"{TMP_PREFIX}{load_public_id}"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def dataset_lock(dataset_public_id: UUID | str, *, blocking: bool = True) -> Iterator[bool]:
    """Hold the dataset's lock: one load at a time per dataset. The kernel drops the lock when the
    holding process dies, however it dies, so a killed load never blocks the next one. Yields
    whether the lock is held (always True when blocking)."""
    path = dataset_dir(dataset_public_id) / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    held = False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            held = True
        except BlockingIOError:
            held = False
        yield held
    finally:
        if held:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def orphans_remove(dataset_public_id: UUID | str, *, committed_numbers: Iterable[int], keep: Path | None = None) -> list[str]:
    """Remove what dead loads left behind. Call only while holding the dataset's lock.

    Temporary folders of other loads, and version folders without a committed database row (a
    load that died between the rename and the commit). Returns the names removed.
    """
    committed = set(committed_numbers)
    removed = []
    root = dataset_dir(dataset_public_id)
    for child in sorted(root.iterdir()):
        if keep is not None and child == keep:
            continue
        match = VERSION_DIR.match(child.name)
        orphan_version = match is not None and int(match.group(1)) not in committed
        if child.is_dir() and (child.name.startswith(TMP_PREFIX) or orphan_version):
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child.name)
    return removed


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def version_publish(staged_file: Path, dataset_public_id: UUID | str, number: int) -> Path:
    """Move a fully written data file into place as version `number`, atomically and durably."""
    fsync_path(staged_file)
    folder = staged_file.parent
    fsync_path(folder)
    target = version_dir(dataset_public_id, number)
    if target.exists():
        # Only an orphan can be here (orphans_remove runs first under the same lock).
        shutil.rmtree(target)
    os.rename(folder, target)
    fsync_path(target.parent)
    return target / DATA_FILE


def sql_literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def parquet_relation(path: Path | str) -> str:
    """A DuckDB relation expression for one Parquet file."""
    return f"read_parquet({sql_literal(str(path))})"
