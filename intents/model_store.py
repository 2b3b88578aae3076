"""Fitted intent classifiers kept on disk, so a restart skips training.

A fitted model is stored under a key made of everything that decides the fit: the
training examples and their intents, the encoder's model id, the classifier's
settings, this package's source code and the numerical libraries' versions. Any
change is a miss and the model is trained again; a stale model is never served.

Files are pickles written by this process into the state directory (readable by
this user only) and read back only from there: they are as trusted as the
database beside them. An unreadable or foreign file is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

FORMAT = 1
_PACKAGE_DIR = Path(__file__).resolve().parent
_TEXT_DIR = _PACKAGE_DIR.parent / "text"
"""The shared text package: the n-gram features' idea of a Chinese character comes from it."""


@cache
def code_version() -> str:
    """A hash of this package's Python source, the text package's it builds on, and the
    numerical libraries' versions."""
    import numpy

    # The installed version, read without importing scikit-learn (which a loaded model no
    # longer needs: intents.frozen_models).
    digest = hashlib.sha256(
        f"numpy {numpy.__version__} sklearn {metadata.version('scikit-learn')}".encode()
    )
    for path in [*sorted(_PACKAGE_DIR.glob("*.py")), *sorted(_TEXT_DIR.glob("*.py"))]:
        digest.update(f"{path.parent.name}/{path.name}".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class FittedModelStore:
    """Fitted models in ``directory``, one file a key."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    @staticmethod
    def key(inputs: Any) -> str:
        """The key of a fit from its JSON-serialisable ``inputs`` (plus the code version)."""
        payload = json.dumps([FORMAT, code_version(), inputs], ensure_ascii=False, default=str)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]

    def path(self, key: str) -> Path:
        return self.directory / f"classifier-{key}.pickle"

    def load(self, key: str) -> dict[str, Any] | None:
        """The state stored under ``key``, or None (absent, truncated, or from other code)."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            with path.open("rb") as stream:
                state = pickle.load(stream)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            return None
        if not isinstance(state, dict) or state.get("key") != key:
            return None
        return state

    def save(self, key: str, state: dict[str, Any]) -> None:
        """Store ``state`` under ``key``: written whole then renamed, readable by this user."""
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".pickle.tmp")
        try:
            os.chmod(temporary, 0o600)
            with os.fdopen(handle, "wb") as stream:
                pickle.dump({**state, "key": key}, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.path(key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
