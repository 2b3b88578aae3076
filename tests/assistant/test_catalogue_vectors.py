"""The shipped catalogue vectors: written from the configured catalogue, read at start."""

from pathlib import Path

import numpy as np

from assistant.catalogue_vectors import write_catalogue_vectors
from assistant.settings import Settings
from intents.encoders import ShippedVectors, normalise_rows

CATALOGUE = """
version: 1
intents:
  - name: account_opening
    description: 开户咨询 / account opening
    handler: flow
    flow: account_opening
    examples:
      zh: [我想开户, 怎么开股票账户]
      en: [open an account]
  - name: fees
    handler: knowledge
    examples:
      zh: [佣金多少]
      en: [what are the fees, what are the fees]
"""


def test_the_catalogue_vectors_are_the_embedders_vectors_of_each_example_once(
    tmp_path: Path, e5
) -> None:
    catalogue = tmp_path / "catalogue.yaml"
    catalogue.write_text(CATALOGUE, "utf-8")
    settings = Settings(intents_catalogue=catalogue, state_dir=tmp_path / "state")
    shipped = ShippedVectors(tmp_path / "vectors")

    written = write_catalogue_vectors(settings, shipped)

    table = shipped.table(e5.model_id)
    assert written == shipped.path(e5.model_id)
    texts = ["我想开户", "怎么开股票账户", "open an account", "佣金多少", "what are the fees"]
    assert sorted(table) == sorted([*texts, "开户咨询 / account opening", "fees"])
    expected = normalise_rows(e5.encode_questions(texts))
    np.testing.assert_allclose(np.stack([table[t] for t in texts]), expected, atol=1e-6)
