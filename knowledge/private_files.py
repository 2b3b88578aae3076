"""Files and folders that only this user may read: databases, the knowledge base, FAQ
drafts, the demo password. They hold investors' questions and staff secrets, so they are
created 0600 (folders 0700) whatever the process umask, not left to it.

Kept here, in the package every other one may import, so the knowledge base and the
assistant share one rule.
"""

from __future__ import annotations

import errno
import os
import stat
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
    the app created earlier with looser permissions is tightened.

    A file that exists already is changed by its path, never opened: it may be a SQLite
    database this process has open (a second engine or manifest on the same file), and
    closing any descriptor of a file drops every POSIX lock the process holds on it.
    SQLite's locks gone, another process closing its last connection would take the
    database for unused and delete the -wal and -shm files under this one's feet."""
    private_dir(path.parent)
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE_MODE)
    except FileExistsError:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            code = errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL
            raise OSError(code, "not a regular file", str(path)) from None
        os.chmod(path, PRIVATE_FILE_MODE)
        return path
    try:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)
    finally:
        os.close(descriptor)
    return path


def write_private_text(path: Path, text: str) -> None:
    """Replace ``path``'s content with ``text`` (UTF-8), the file 0600."""
    private_file(path).write_text(text, "utf-8")
