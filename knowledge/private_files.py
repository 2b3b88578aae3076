"""Files and folders that only this user may read: databases, the knowledge base, FAQ
drafts, the demo password. They hold investors' questions and staff secrets, so they are
created 0600 (folders 0700) whatever the process umask, not left to it.

Kept here, in the package every other one may import, so the knowledge base and the
assistant share one rule.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents 0700; folders that already exist (a shared
    ``/tmp``, the operator's own) are left as they are."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            continue  # another process made it meanwhile
        folder.chmod(PRIVATE_DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def private_file(path: Path) -> Path:
    """Make sure ``path`` exists and is readable and writable by this user only; a file
    the app created earlier with looser permissions is tightened."""
    private_dir(path.parent)
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE)
    try:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)
    finally:
        os.close(descriptor)
    return path


def write_private_text(path: Path, text: str) -> None:
    """Replace ``path``'s content with ``text`` (UTF-8), the file 0600."""
    private_file(path).write_text(text, "utf-8")
