"""The embedding classifier, trained on a small catalogue with the real E5 model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from intents.adapter import AdapterSettings
from intents.catalogue import Intent, IntentCatalogue
from intents.classifier import OUT_OF_SCOPE, EmbeddingIntentClassifier, IntentClassifier
from intents.encoders import QuestionEncoder
from intents.errors import ClassifierNotFittedError, ClassifierTrainingError

PARAPHRASES = [
    ("请问在网上怎么办理开户", "account_opening"),
    ("can I sign up for a stock account on my phone", "account_opening"),
    ("交易密码想不起来了", "password_reset"),
    ("how can I change a password I no longer remember", "password_reset"),
    ("你们收多少佣金", "fees"),
    ("what do you charge per trade", "fees"),
    ("怎么把银行卡里的钱转进证券账户", "bank_transfer"),
    ("move funds from my bank into the trading account", "bank_transfer"),
]

UNRELATED = [
    "明天上海会下雨吗",
    "推荐一部好看的电影",
    "what's a good pasta recipe",
    "who won the football match last night",
]


def test_the_knowledge_embedder_is_a_question_encoder(e5: Any) -> None:
    assert isinstance(e5, QuestionEncoder)


def test_classifier_satisfies_the_protocol(fitted_classifier: EmbeddingIntentClassifier) -> None:
    assert isinstance(fitted_classifier, IntentClassifier)


@pytest.mark.parametrize(("text", "intent"), PARAPHRASES)
def test_predicts_unseen_paraphrases_in_chinese_and_english(
    fitted_classifier: EmbeddingIntentClassifier, text: str, intent: str
) -> None:
    prediction = fitted_classifier.predict(text)

    assert prediction.name == intent, prediction
    assert prediction.source == "model"
    assert not prediction.out_of_scope
    assert prediction.rule is None


def test_unrelated_questions_are_out_of_scope(fitted_classifier: EmbeddingIntentClassifier) -> None:
    predictions = fitted_classifier.predict_many(UNRELATED)

    assert [p.out_of_scope for p in predictions] == [True] * len(UNRELATED), predictions
    assert {p.name for p in predictions} == {"out_of_scope"}


def test_confidence_below_the_threshold_is_out_of_scope(
    e5: Any, in_scope_catalogue: IntentCatalogue
) -> None:
    classifier = EmbeddingIntentClassifier(e5, threshold=0.0, use_rules=False).fit(
        in_scope_catalogue
    )
    text = "明天上海会下雨吗"
    accepted = classifier.predict(text)
    assert not accepted.out_of_scope
    assert accepted.name == accepted.ranking[0][0]

    classifier.threshold = accepted.confidence + 0.01
    rejected = classifier.predict(text)

    assert rejected.out_of_scope
    assert rejected.name == OUT_OF_SCOPE
    assert rejected.confidence == accepted.confidence
    assert rejected.ranking == accepted.ranking


def test_rules_win_over_the_model(fitted_classifier: EmbeddingIntentClassifier) -> None:
    prediction = fitted_classifier.predict("我的密码被骗子骗走了")

    assert prediction.name == "fraud_report"
    assert prediction.source == "rule"
    assert prediction.rule == "fraud.victim_zh"
    assert prediction.confidence == 1.0
    assert prediction.ranking == [("fraud_report", 1.0)]


def test_rules_for_intents_the_catalogue_lacks_do_not_fire(
    fitted_classifier: EmbeddingIntentClassifier,
) -> None:
    # The small catalogue has no complaint intent, so the complaint rule must not route there.
    prediction = fitted_classifier.predict("我要投诉")

    assert prediction.source == "model"
    assert prediction.name != "complaint"


def test_rules_can_be_turned_off(e5: Any, small_catalogue: IntentCatalogue) -> None:
    classifier = EmbeddingIntentClassifier(e5, use_rules=False).fit(small_catalogue)

    assert classifier.predict("转人工").source == "model"


def test_confidences_are_calibrated_probabilities(
    fitted_classifier: EmbeddingIntentClassifier,
) -> None:
    texts = [t for t, _ in PARAPHRASES] + UNRELATED
    probabilities = fitted_classifier.probabilities(texts)

    assert probabilities.shape == (len(texts), len(fitted_classifier.classes))
    assert np.all((probabilities >= 0.0) & (probabilities <= 1.0))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    for prediction in fitted_classifier.predict_many(texts):
        assert 0.0 <= prediction.confidence <= 1.0
        assert len(prediction.ranking) == 5
        scores = [score for _, score in prediction.ranking]
        assert scores == sorted(scores, reverse=True)
        assert prediction.confidence == scores[0]


def test_view_weights_are_fitted_not_defaults(fitted_classifier: EmbeddingIntentClassifier) -> None:
    weights = fitted_classifier.view_weights

    assert len(weights) == 3
    assert all(w >= 0.0 for w in weights)
    assert weights != (1.0, 1.0, 1.0)


def test_the_metric_adapter_can_be_forced_on_and_off(
    e5: Any, in_scope_catalogue: IntentCatalogue
) -> None:
    texts = [t for t, _ in PARAPHRASES]
    adapted = EmbeddingIntentClassifier(e5, metric_adapter="always", use_rules=False)
    plain = EmbeddingIntentClassifier(e5, metric_adapter="never", use_rules=False)

    adapted.fit(in_scope_catalogue)
    plain.fit(in_scope_catalogue)

    assert adapted.uses_adapter and not plain.uses_adapter
    assert not np.allclose(adapted.probabilities(texts), plain.probabilities(texts))
    assert [p.name for p in adapted.predict_many(texts)] == [i for _, i in PARAPHRASES]


def test_an_adapter_that_changes_nothing_is_not_chosen(
    e5: Any, in_scope_catalogue: IntentCatalogue
) -> None:
    # With no training steps the adapted views equal the plain ones: no win, so no adapter.
    classifier = EmbeddingIntentClassifier(
        e5, metric_adapter="auto", adapter=AdapterSettings(steps=0), use_rules=False
    )

    assert not classifier.fit(in_scope_catalogue).uses_adapter


def test_second_fit_reads_example_embeddings_from_the_cache(
    counting_encoder: Any, small_catalogue: IntentCatalogue, tmp_path: Path
) -> None:
    first = EmbeddingIntentClassifier(counting_encoder, cache_dir=tmp_path).fit(small_catalogue)
    assert counting_encoder.calls == 1
    assert list(tmp_path.glob("*.npy"))

    before = counting_encoder.calls
    second = EmbeddingIntentClassifier(counting_encoder, cache_dir=tmp_path).fit(small_catalogue)

    assert counting_encoder.calls == before
    text = PARAPHRASES[0][0]
    np.testing.assert_allclose(first.probabilities([text]), second.probabilities([text]), atol=1e-6)


def test_a_changed_catalogue_misses_the_cache(
    counting_encoder: Any, small_catalogue: IntentCatalogue, tmp_path: Path
) -> None:
    EmbeddingIntentClassifier(counting_encoder, cache_dir=tmp_path).fit(small_catalogue)
    extra = Intent(name="greeting", handler="smalltalk", examples={"zh": ["你好"], "en": ["hello"]})
    changed = IntentCatalogue(intents=[*small_catalogue.intents, extra])

    EmbeddingIntentClassifier(counting_encoder, cache_dir=tmp_path).fit(changed)

    assert counting_encoder.calls == 2
    assert len(list(tmp_path.glob("*.npy"))) == 2


def test_empty_text_is_out_of_scope_without_encoding(
    fitted_classifier: EmbeddingIntentClassifier,
) -> None:
    prediction = fitted_classifier.predict("   ")

    assert prediction.out_of_scope
    assert prediction.confidence == 0.0


def test_predict_before_fit_is_an_error(e5: Any) -> None:
    with pytest.raises(ClassifierNotFittedError):
        EmbeddingIntentClassifier(e5).predict("我想开户")


def test_one_intent_cannot_train_a_classifier(e5: Any, small_catalogue: IntentCatalogue) -> None:
    lonely = IntentCatalogue(intents=[small_catalogue.intents[0]])

    with pytest.raises(ClassifierTrainingError):
        EmbeddingIntentClassifier(e5).fit(lonely)


def test_threshold_is_checked(e5: Any) -> None:
    with pytest.raises(ValueError, match="threshold"):
        EmbeddingIntentClassifier(e5, threshold=1.5)


def test_tune_threshold_on_held_out_utterances_sets_the_threshold(
    e5: Any, in_scope_catalogue: IntentCatalogue
) -> None:
    classifier = EmbeddingIntentClassifier(e5, threshold=0.0, use_rules=False).fit(
        in_scope_catalogue
    )
    texts = [t for t, _ in PARAPHRASES] + UNRELATED
    labels = [label for _, label in PARAPHRASES] + [OUT_OF_SCOPE] * len(UNRELATED)

    choice = classifier.tune_threshold(texts, labels)

    assert classifier.threshold == choice.threshold > 0.0
    assert choice.out_of_scope_recall >= 0.75
    assert choice.in_scope_accuracy >= 0.75
    assert sum(p.out_of_scope for p in classifier.predict_many(UNRELATED)) >= 3
