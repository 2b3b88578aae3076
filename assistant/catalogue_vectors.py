"""Writes the shipped intent catalogue's example vectors (``intents/catalogue/vectors/``).

A fresh state directory then embeds none of the catalogue's examples at start, only those
added since this last ran (each start checks text by text). Run after editing the catalogue
or changing the default embedder::

    .venv/bin/python -m assistant.catalogue_vectors
"""

from __future__ import annotations

from pathlib import Path

from assistant.components import build_embedder
from assistant.settings import Settings, get_settings
from intents.catalogue import load_catalogue
from intents.classifier import EmbeddingIntentClassifier
from intents.encoders import ShippedVectors


def write_catalogue_vectors(settings: Settings, shipped: ShippedVectors | None = None) -> Path:
    """Embed the configured catalogue's examples with the configured embedder; the file."""
    embedder = build_embedder(settings)
    try:
        catalogue = load_catalogue(settings.intents_catalogue)
        texts = EmbeddingIntentClassifier(embedder).example_texts(catalogue)
        unique = list(dict.fromkeys(texts))
        vectors = embedder.inner.encode_questions(unique)
        return (shipped or ShippedVectors()).write(embedder.model_id, unique, vectors)
    finally:
        embedder.close()


def main() -> None:
    path = write_catalogue_vectors(get_settings())
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
