"""Language detection as ``knowledge`` has always offered it; defined in :mod:`text.language`."""

from __future__ import annotations

from text.language import detect_language, has_cjk, reply_language

__all__ = ["detect_language", "has_cjk", "reply_language"]
