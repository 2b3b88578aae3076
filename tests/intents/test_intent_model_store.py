"""A fitted intent classifier is kept on disk and loaded on the next start instead of trained."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from intents import model_store
from intents.catalogue import Intent, IntentCatalogue
from intents.classifier import EmbeddingIntentClassifier

QUESTIONS = ["忘了交易密码怎么办", "how do I open an account", "今天天气怎么样"]


def fit(encoder: Any, catalogue: IntentCatalogue, directory: Path, **options: Any):
    return EmbeddingIntentClassifier(encoder, cache_dir=directory, **options).fit(catalogue)


def models(directory: Path) -> list[Path]:
    return sorted(directory.glob("classifier-*.pickle"))


def test_a_second_start_loads_the_trained_model(
    e5: Any, small_catalogue: IntentCatalogue, tmp_path: Path
) -> None:
    trained = fit(e5, small_catalogue, tmp_path)
    loaded = fit(e5, small_catalogue, tmp_path)

    assert not trained.loaded_from_disk
    assert loaded.loaded_from_disk
    assert len(models(tmp_path)) == 1
    np.testing.assert_allclose(
        trained.probabilities(QUESTIONS), loaded.probabilities(QUESTIONS), atol=1e-6
    )
    assert trained.predict_many(QUESTIONS) == loaded.predict_many(QUESTIONS)
    assert loaded.classes == trained.classes
    assert loaded.catalogue is small_catalogue


def test_the_model_file_is_readable_by_its_owner_only(
    e5: Any, small_catalogue: IntentCatalogue, tmp_path: Path
) -> None:
    fit(e5, small_catalogue, tmp_path)

    (path,) = models(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_changed_catalogue_trains_again(
    e5: Any, small_catalogue: IntentCatalogue, tmp_path: Path
) -> None:
    fit(e5, small_catalogue, tmp_path)
    extra = Intent(name="greeting", handler="smalltalk", examples={"zh": ["你好"], "en": ["hello"]})
    changed = IntentCatalogue(intents=[*small_catalogue.intents, extra])

    refitted = fit(e5, changed, tmp_path)

    assert not refitted.loaded_from_disk
    assert "greeting" in refitted.classes
    assert len(models(tmp_path)) == 2


@pytest.mark.parametrize(
    "options", [{"seed": 1}, {"metric_adapter": "always"}, {"out_of_scope_detector": False}]
)
def test_changed_settings_train_again(
    e5: Any, small_catalogue: IntentCatalogue, tmp_path: Path, options: dict[str, Any]
) -> None:
    fit(e5, small_catalogue, tmp_path)

    assert not fit(e5, small_catalogue, tmp_path, **options).loaded_from_disk


def test_the_threshold_is_not_part_of_the_model(
    e5: Any, small_catalogue: IntentCatalogue, tmp_path: Path
) -> None:
    fit(e5, small_catalogue, tmp_path, threshold=0.2)

    loaded = fit(e5, small_catalogue, tmp_path, threshold=0.9)

    assert loaded.loaded_from_disk
    assert loaded.threshold == 0.9


def test_another_encoder_trains_again(
    make_counting_encoder: Any, small_catalogue: IntentCatalogue, tmp_path: Path
) -> None:
    fit(make_counting_encoder("model-a"), small_catalogue, tmp_path)

    assert not fit(make_counting_encoder("model-b"), small_catalogue, tmp_path).loaded_from_disk


def test_changed_code_trains_again(
    e5: Any, small_catalogue: IntentCatalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fit(e5, small_catalogue, tmp_path)
    monkeypatch.setattr(model_store, "code_version", lambda: "another-version")

    assert not fit(e5, small_catalogue, tmp_path).loaded_from_disk


def test_the_code_version_follows_the_text_package_the_features_build_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "text"
    shared.mkdir()
    (shared / "language.py").write_text('CJK_CHARACTERS = "一-龥"\n', "utf-8")
    monkeypatch.setattr(model_store, "_TEXT_DIR", shared)
    model_store.code_version.cache_clear()
    try:
        before = model_store.code_version()
        (shared / "language.py").write_text('CJK_CHARACTERS = "一-鿿"\n', "utf-8")
        model_store.code_version.cache_clear()

        assert model_store.code_version() != before
    finally:
        model_store.code_version.cache_clear()


def test_a_damaged_model_file_is_trained_again_and_replaced(
    e5: Any, small_catalogue: IntentCatalogue, tmp_path: Path
) -> None:
    fit(e5, small_catalogue, tmp_path)
    (path,) = models(tmp_path)
    path.write_bytes(path.read_bytes()[:100])

    retrained = fit(e5, small_catalogue, tmp_path)
    reloaded = fit(e5, small_catalogue, tmp_path)

    assert not retrained.loaded_from_disk
    assert reloaded.loaded_from_disk
