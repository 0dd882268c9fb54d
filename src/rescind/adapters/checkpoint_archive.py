"""Checkpoint documents as files in a directory (``RESCIND_AUDIT_CHECKPOINT_DIR``).

Point it at storage the database's administrators cannot rewrite: another machine's mount,
a write-once bucket's sync folder. Each file is written whole (a temporary name, fsync, then
a rename), so a reader never sees half a checkpoint.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from rescind.domain.errors import NotFound

_NAME = re.compile(r"checkpoint-[0-9TZ.]+-[0-9a-f]{12}\.json")


class DirectoryArchive:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def keep(self, name: str, document: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self._path(name)
        partial = final.with_name(f".{name}.partial")
        with partial.open("w", encoding="utf-8") as file:
            file.write(document)
            file.flush()
            os.fsync(file.fileno())
        partial.replace(final)

    def read(self, name: str) -> str:
        path = self._path(name)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFound(
                f"the checkpoint {name} is not in {self.directory}; "
                "check RESCIND_AUDIT_CHECKPOINT_DIR"
            ) from None

    def _path(self, name: str) -> Path:
        # Names come from issue_checkpoint, and back out of the database: never a path.
        if not _NAME.fullmatch(name):
            raise NotFound(f"{name!r} is not a checkpoint's name")
        return self.directory / name
