"""Attachment files on disk: streamed in under a size limit, stored under generated names.

Files live in ``<data dir>/uploads/`` named by ``secrets.token_hex``; the
user's file name is kept only in the database, so nothing a client sends
ever becomes a path.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from synergy.errors import PayloadTooLarge

log = logging.getLogger("synergy.projects.storage")

CHUNK = 64 * 1024


def upload_dir(kernel: Any) -> Path:
    path = kernel.settings.data_path / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_upload_bytes(kernel: Any) -> int:
    return kernel.settings.max_upload_mb * 1024 * 1024


def stream_to_temp(kernel: Any, stream: BinaryIO) -> tuple[Path, int]:
    """Copy ``stream`` to a temporary file, chunk by chunk, refusing to exceed the limit."""
    limit = max_upload_bytes(kernel)
    fd, name = tempfile.mkstemp(prefix=".upload-", dir=upload_dir(kernel))
    path = Path(name)
    size = 0
    try:
        with os.fdopen(fd, "wb") as handle:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(
                        f"The file exceeds the upload limit of "
                        f"{kernel.settings.max_upload_mb} MB.",
                        fields={"file": [f"Larger than {kernel.settings.max_upload_mb} MB."]})
                handle.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, size


def store(kernel: Any, temporary: Path) -> str:
    """Move a checked temporary file to its permanent, server-generated name."""
    storage_name = secrets.token_hex(16)
    os.replace(temporary, upload_dir(kernel) / storage_name)
    return storage_name


def stored_path(kernel: Any, storage_name: str) -> Path:
    return upload_dir(kernel) / storage_name


def remove_stored_files(kernel: Any, storage_names: Iterable[str]) -> None:
    """Delete files whose rows are gone (called after the deleting transaction)."""
    for storage_name in storage_names:
        with contextlib.suppress(FileNotFoundError):
            stored_path(kernel, storage_name).unlink()
            log.info("removed stored file %s", storage_name)
