"""Intent classification: safety rules first, then a calibrated model over frozen embeddings.

:class:`EmbeddingIntentClassifier` trains in seconds from a catalogue. It has
three views of an utterance, chosen by measurement on BANKING77 and CLINC150
(see ``evals/intent_benchmarks.py``):

* multinomial logistic regression on the sentence embedding, centred on the
  catalogue's mean (small embedding models put every sentence in a narrow
  cone; centring spreads them out for the linear model);
* a linear SVM on word and character TF-IDF, which keeps exact terms;
* the cosine similarity to the closest example of each intent, which keeps
  rare phrasings that a linear model averages away.

The two embedding views may first pass the embedding through a metric
adapter trained contrastively on the catalogue's examples
(:mod:`intents.adapter`): it helps when intents have few examples (BANKING77
with 10 an intent: +1.6 points on train-only draws) and hurts slightly when
they have many, so each fit decides by cross-validation on its own examples
(out-of-fold accuracy, one-standard-error rule) whether to use it.

Their scores are combined with weights fitted on out-of-fold scores by
maximum likelihood (:mod:`intents.calibration`), so the combined softmax is
a calibrated probability. An utterance is out of scope when the catalogue's
out-of-scope intent wins, the confidence is below ``threshold``
(see :func:`intents.thresholds.tune_threshold`), or, when the catalogue has
out-of-scope examples to learn from, the detector of :mod:`intents.out_of_scope`
says so.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import numpy as np

from intents.adapter import AdapterSettings, MetricAdapter, fit_metric_adapter, prefer_adapted
from intents.calibration import combine, fit_view_weights
from intents.catalogue import IntentCatalogue
from intents.encoders import (
    SHIPPED_VECTORS_DIR,
    EmbeddingCache,
    Matrix,
    QuestionEncoder,
    ShippedVectors,
    normalise_rows,
)
from intents.errors import ClassifierNotFittedError, ClassifierTrainingError
from intents.features import NgramFeatures
from intents.frozen_models import LinearScores
from intents.model_store import FittedModelStore
from intents.out_of_scope import DEFAULT_MAX_REJECTION, OutOfScopeDetector, fit_detector
from intents.prediction import IntentPrediction
from intents.rules import SafetyRules
from intents.thresholds import ThresholdChoice, score_threshold, tune_threshold

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

__all__ = [
    "OUT_OF_SCOPE",
    "EmbeddingIntentClassifier",
    "IntentClassifier",
    "IntentPrediction",
    "ThresholdChoice",
    "score_threshold",
    "tune_threshold",
]

OUT_OF_SCOPE = "out_of_scope"
"""The name predicted for out-of-scope utterances when the catalogue has no out-of-scope intent."""

RANKING_SIZE = 5

Array = np.ndarray[Any, Any]

AdapterMode = Literal["auto", "always", "never"]
"""Whether the embedding views use the metric adapter: chosen by cross-validation, or forced."""


@runtime_checkable
class IntentClassifier(Protocol):
    """Maps an investor's utterance to an intent of the catalogue."""

    def predict(self, text: str) -> IntentPrediction: ...

    def predict_many(self, texts: Sequence[str]) -> list[IntentPrediction]: ...


@dataclass(frozen=True)
class _ViewSettings:
    embedding_c: float
    ngram_c: float
    use_ngrams: bool
    use_neighbours: bool
    adapter: AdapterSettings
    seed: int

    @property
    def count(self) -> int:
        return 1 + int(self.use_ngrams) + int(self.use_neighbours)


class _EmbeddingViews:
    """Logistic regression and nearest example on the embedding, adapted or not."""

    def __init__(self, settings: _ViewSettings, adapted: bool) -> None:
        # scikit-learn takes seconds to import; only a fit needs it.
        from sklearn.linear_model import LogisticRegression

        self.settings = settings
        self.adapted = adapted
        self.adapter: MetricAdapter | None = None
        self.model: LogisticRegression | LinearScores = LogisticRegression(
            C=settings.embedding_c, max_iter=2000
        )
        self._neighbours: Matrix | None = None
        self._starts: Array | None = None

    def fit(self, embeddings: Matrix, labels: Array) -> _EmbeddingViews:
        from sklearn.exceptions import ConvergenceWarning

        if self.adapted:
            self.adapter = fit_metric_adapter(
                embeddings, labels, self.settings.adapter, seed=self.settings.seed
            )
            embeddings = self.adapter.transform(embeddings)
        with warnings.catch_warnings():
            # lbfgs can stop a hair short of its tolerance; more iterations change no prediction.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(embeddings, labels)  # type: ignore[union-attr]
        if self.settings.use_neighbours:
            # Examples sorted by class, so a class's best match is one reduceat away.
            order = np.argsort(labels, kind="stable")
            self._neighbours = embeddings[order]
            self._starts = np.searchsorted(labels[order], np.arange(int(labels.max()) + 1))
        return self

    def scores(self, embeddings: Matrix) -> tuple[Array, Array | None]:
        """Log-probabilities of the linear model, and the nearest-example cosines (if used)."""
        if self.adapter is not None:
            embeddings = self.adapter.transform(embeddings)
        nearest = None
        if self._neighbours is not None and self._starts is not None:
            # Cosine similarity to the closest example of each intent.
            similarity = embeddings @ self._neighbours.T
            nearest = np.maximum.reduceat(similarity, self._starts, axis=1)
        return self.model.predict_log_proba(embeddings), nearest

    def freeze(self) -> None:
        """Score with the fitted coefficients alone, without scikit-learn."""
        self.model = LinearScores.of(self.model)


class _NgramView:
    """A linear SVM on word and character TF-IDF."""

    def __init__(self, settings: _ViewSettings) -> None:
        from sklearn.svm import LinearSVC

        self.model: LinearSVC | LinearScores = LinearSVC(
            C=settings.ngram_c, random_state=settings.seed
        )
        self.ngrams = NgramFeatures()

    def fit(self, texts: Sequence[str], labels: Array) -> _NgramView:
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(self.ngrams.fit_transform(texts), labels)  # type: ignore[union-attr]
        return self

    def scores(self, texts: Sequence[str]) -> Array:
        margins = np.asarray(self.model.decision_function(self.ngrams.transform(texts)))
        if margins.ndim == 1:
            # Two classes: the SVM reports one margin, positive for class 1.
            margins = np.stack([-margins, margins], axis=1)
        return margins

    def freeze(self) -> None:
        """Score with the fitted vocabularies and coefficients alone, without scikit-learn."""
        self.model = LinearScores.of(self.model)
        self.ngrams.freeze()


class _Views:
    """The fitted scorers; columns of every score matrix follow class indices 0..K-1."""

    def __init__(self, embedding: _EmbeddingViews, ngram: _NgramView | None) -> None:
        self.embedding = embedding
        self.ngram = ngram

    def scores(self, embeddings: Matrix, texts: Sequence[str]) -> list[Array]:
        linear, nearest = self.embedding.scores(embeddings)
        views = [linear]
        if self.ngram is not None:
            views.append(self.ngram.scores(texts))
        if nearest is not None:
            views.append(nearest)
        return views

    def freeze(self) -> _Views:
        """The fitted views, scoring without scikit-learn (:mod:`intents.frozen_models`):
        the same scores, and a kept model that loads without importing it."""
        self.embedding.freeze()
        if self.ngram is not None:
            self.ngram.freeze()
        return self


@dataclass
class _Calibration:
    """What the out-of-fold run decided, and the out-of-fold scores it decided on."""

    weights: Array
    adapted: bool
    held_out: Array
    probabilities: Array | None = None
    nearest: Array | None = None


class EmbeddingIntentClassifier:
    """Safety rules, then a calibrated three-view model on frozen sentence embeddings.

    ``encoder`` embeds questions (any :class:`~intents.encoders.QuestionEncoder`);
    ``cache_dir`` keeps example embeddings between runs; ``shipped_vectors`` is
    the folder of vectors that come with the code (:class:`~intents.encoders.ShippedVectors`,
    ``None``: embed every example); ``threshold`` is the
    confidence below which an utterance is out of scope; ``rules`` are checked
    first (the default :class:`~intents.rules.SafetyRules` unless given;
    ``use_rules=False`` turns them off). ``use_ngrams`` and ``use_neighbours``
    switch the n-gram and nearest-example views (for ablations);
    ``label_examples`` adds each intent's description (or its name, made
    readable) as one more example. ``metric_adapter`` says whether the
    embedding views use the contrastive adapter of :mod:`intents.adapter`:
    ``"auto"`` (cross-validated per fit), ``"always"`` or ``"never"``;
    ``adapter`` sets how it is trained.
    """

    def __init__(
        self,
        encoder: QuestionEncoder,
        *,
        cache_dir: str | Path | None = None,
        shipped_vectors: str | Path | None = SHIPPED_VECTORS_DIR,
        threshold: float = 0.5,
        rules: SafetyRules | None = None,
        use_rules: bool = True,
        use_ngrams: bool = True,
        use_neighbours: bool = True,
        label_examples: bool = True,
        metric_adapter: AdapterMode = "auto",
        adapter: AdapterSettings | None = None,
        embedding_c: float = 10.0,
        ngram_c: float = 0.5,
        calibration_folds: int = 3,
        seed: int = 0,
        out_of_scope_detector: bool = True,
        max_rejection: float = DEFAULT_MAX_REJECTION,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1], not {threshold}")
        self.encoder = encoder
        self.cache = EmbeddingCache(
            encoder,
            cache_dir,
            ShippedVectors(shipped_vectors) if shipped_vectors is not None else None,
        )
        self._models = FittedModelStore(cache_dir) if cache_dir is not None else None
        # Whether the last fit loaded a model kept on disk instead of training.
        self.loaded_from_disk = False
        self.threshold = threshold
        self.rules = (rules or SafetyRules()) if use_rules else None
        self.label_examples = label_examples
        self.settings = _ViewSettings(
            embedding_c, ngram_c, use_ngrams, use_neighbours, adapter or AdapterSettings(), seed
        )
        self.metric_adapter: AdapterMode = metric_adapter
        self.calibration_folds = calibration_folds
        self.seed = seed
        self.out_of_scope_detector = out_of_scope_detector
        self.max_rejection = max_rejection
        self._detector: OutOfScopeDetector | None = None
        self._catalogue: IntentCatalogue | None = None
        self._classes: list[str] = []
        self._views: _Views | None = None
        self._centre: Matrix | None = None
        self._weights: Array = np.ones(self.settings.count)
        self._adapted = False
        self._rule_intents: frozenset[str] = frozenset()
        self._out_of_scope_names: frozenset[str] = frozenset()
        self._out_of_scope_name = OUT_OF_SCOPE

    @property
    def catalogue(self) -> IntentCatalogue:
        """The catalogue the classifier was fitted on."""
        if self._catalogue is None:
            raise ClassifierNotFittedError("the intent classifier has not been fitted")
        return self._catalogue

    @property
    def classes(self) -> list[str]:
        """Intents the model can predict (those with examples), in score-column order."""
        return list(self._classes)

    @property
    def uses_adapter(self) -> bool:
        """Whether the fitted embedding views see the adapted embedding (see ``metric_adapter``)."""
        return self._adapted

    @property
    def view_weights(self) -> tuple[float, ...]:
        """Fitted weights of the embedding, n-gram and nearest-example views, those in use."""
        return tuple(float(w) for w in self._weights)

    def fit(self, catalogue: IntentCatalogue) -> EmbeddingIntentClassifier:
        """Train on the catalogue's examples; returns ``self``.

        With a ``cache_dir`` the fitted model is kept there and the next fit on the same
        examples, encoder, settings and code loads it instead of training
        (:mod:`intents.model_store`).
        """
        texts, labels = self._training_set(catalogue)
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise ClassifierTrainingError(
                "an intent classifier needs at least two intents with examples"
            )
        key = self._fit_key(catalogue, texts, labels) if self._models is not None else None
        if self._models is not None and key is not None:
            fitted = self._models.load(key)
            if fitted is not None:
                self._restore(fitted)
                self._adopt(catalogue)
                self.loaded_from_disk = True
                return self
        self._train(catalogue, texts, labels, classes)
        self._adopt(catalogue)
        self.loaded_from_disk = False
        if self._models is not None and key is not None:
            self._models.save(key, self._fitted_state())
        return self

    def _fit_key(self, catalogue: IntentCatalogue, texts: list[str], labels: list[str]) -> str:
        """Everything the fitted model depends on (the threshold applies at prediction)."""
        return FittedModelStore.key(
            {
                "encoder": self.encoder.model_id,
                "texts": texts,
                "labels": labels,
                "out_of_scope": list(catalogue.out_of_scope_names),
                "views": repr(self.settings),
                "metric_adapter": self.metric_adapter,
                "folds": self.calibration_folds,
                "seed": self.seed,
                "detector": [self.out_of_scope_detector, self.max_rejection],
            }
        )

    def _fitted_state(self) -> dict[str, Any]:
        return {
            "classes": self._classes,
            "views": self._views,
            "centre": self._centre,
            "weights": self._weights,
            "adapted": self._adapted,
            "detector": self._detector,
        }

    def _restore(self, state: dict[str, Any]) -> None:
        self._classes = list(state["classes"])
        self._views = state["views"]
        self._centre = state["centre"]
        self._weights = state["weights"]
        self._adapted = bool(state["adapted"])
        self._detector = state["detector"]

    def _adopt(self, catalogue: IntentCatalogue) -> None:
        """What prediction reads of the catalogue itself."""
        self._catalogue = catalogue
        self._out_of_scope_names = frozenset(catalogue.out_of_scope_names)
        self._out_of_scope_name = (
            catalogue.out_of_scope_names[0] if catalogue.out_of_scope_names else OUT_OF_SCOPE
        )
        self._rule_intents = (
            frozenset(catalogue.names) & self.rules.intents if self.rules else frozenset()
        )

    def _train(
        self, catalogue: IntentCatalogue, texts: list[str], labels: list[str], classes: list[str]
    ) -> None:
        index = {name: i for i, name in enumerate(classes)}
        y = np.asarray([index[label] for label in labels])
        embeddings = self.cache.encode(texts)
        centre = embeddings.mean(axis=0, keepdims=True)
        centred = normalise_rows(embeddings - centre)

        with _single_threaded_blas(fitting=True):
            calibration = self._calibrate(centred, texts, y)
            self._weights, self._adapted = calibration.weights, calibration.adapted
            self._views = _Views(
                _EmbeddingViews(self.settings, self._adapted).fit(centred, y),
                _NgramView(self.settings).fit(texts, y) if self.settings.use_ngrams else None,
            ).freeze()
        self._centre = centre
        self._classes = classes
        columns = [index[name] for name in catalogue.out_of_scope_names if name in index]
        self._detector = None
        if self.out_of_scope_detector and columns and calibration.probabilities is not None:
            held = calibration.held_out
            self._detector = fit_detector(
                calibration.probabilities[held],
                None if calibration.nearest is None else calibration.nearest[held],
                y[held],
                columns,
                max_rejection=self.max_rejection,
            )

    @property
    def detector(self) -> OutOfScopeDetector | None:
        """The fitted out-of-scope detector, when the catalogue had examples to fit one."""
        return self._detector

    def probabilities(self, texts: Sequence[str]) -> Array:
        """Calibrated probabilities (texts × :attr:`classes`) from the model alone, no rules."""
        return self._scores(texts)[0]

    def _scores(self, texts: Sequence[str]) -> tuple[Array, Array | None]:
        """The probabilities, and each text's cosine to the closest example of each intent."""
        if self._views is None or self._centre is None:
            raise ClassifierNotFittedError("the intent classifier has not been fitted")
        if not texts:
            return np.zeros((0, len(self._classes))), None
        embeddings = normalise_rows(
            normalise_rows(self.encoder.encode_questions(list(texts))) - self._centre
        )
        with _single_threaded_blas():
            views = self._views.scores(embeddings, texts)
            nearest = views[-1] if self.settings.use_neighbours else None
            return combine(views, self._weights), nearest

    def predict(self, text: str) -> IntentPrediction:
        """The intent of one utterance."""
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[IntentPrediction]:
        """Intents of many utterances, encoded in one batch."""
        if self._catalogue is None:
            raise ClassifierNotFittedError("the intent classifier has not been fitted")
        results: list[IntentPrediction | None] = [None] * len(texts)
        pending: list[int] = []
        for position, text in enumerate(texts):
            results[position] = self._rule_prediction(text)
            if results[position] is None:
                if text.strip():
                    pending.append(position)
                else:
                    results[position] = self._empty_prediction()
        if pending:
            probabilities, nearest = self._scores([texts[p] for p in pending])
            rejected = (
                self._detector.rejects(probabilities, nearest)
                if self._detector is not None
                else np.zeros(len(pending), dtype=bool)
            )
            for row, reject, position in zip(probabilities, rejected, pending, strict=True):
                results[position] = self._model_prediction(row, bool(reject))
        return [result for result in results if result is not None]

    def tune_threshold(
        self, texts: Sequence[str], labels: Sequence[str], **options: Any
    ) -> ThresholdChoice:
        """Set :attr:`threshold` from held-out ``texts`` and their true ``labels``."""
        out_of_scope = {*self._out_of_scope_names, OUT_OF_SCOPE, "oos"}
        choice = tune_threshold(
            self.predict_many(texts), labels, out_of_scope=out_of_scope, **options
        )
        self.threshold = choice.threshold
        return choice

    def example_texts(self, catalogue: IntentCatalogue) -> list[str]:
        """The texts a fit on ``catalogue`` embeds (examples, and descriptions if used)."""
        return self._training_set(catalogue)[0]

    def _training_set(self, catalogue: IntentCatalogue) -> tuple[list[str], list[str]]:
        pairs = catalogue.examples()
        if self.label_examples:
            for intent in catalogue.intents:
                if intent.handler == "out_of_scope" or not intent.texts():
                    continue
                pairs.append((intent.description.strip() or _readable(intent.name), intent.name))
        return [text for text, _ in pairs], [label for _, label in pairs]

    def _calibrate(self, embeddings: Matrix, texts: Sequence[str], labels: Array) -> _Calibration:
        """View weights from out-of-fold scores, and whether to adapt the embedding.

        Every class stays in every training fold. With ``metric_adapter="auto"``
        the folds are scored with and without the adapter (the n-gram view is
        shared), each with its own fitted weights, and the adapter is kept only
        if it wins by more than one standard error (:func:`prefer_adapted`).
        """
        candidates = {"auto": (False, True), "always": (True,), "never": (False,)}[
            self.metric_adapter
        ]
        folds = _fold_ids(labels, self.calibration_folds, self.seed)
        held_out = folds >= 0
        if not held_out.any():
            # Nothing to validate on: the simpler model, unweighted, unless told otherwise.
            return _Calibration(np.ones(self.settings.count), candidates[0], held_out)
        classes = int(labels.max()) + 1
        oof = {
            c: [np.zeros((len(labels), classes)) for _ in range(self.settings.count)]
            for c in candidates
        }
        for fold in np.unique(folds[held_out]):
            train, test = folds != fold, folds == fold
            train_texts = [texts[int(i)] for i in np.flatnonzero(train)]
            test_texts = [texts[int(i)] for i in np.flatnonzero(test)]
            ngram = (
                _NgramView(self.settings).fit(train_texts, labels[train])
                if self.settings.use_ngrams
                else None
            )
            for adapted in candidates:
                embedding = _EmbeddingViews(self.settings, adapted).fit(
                    embeddings[train], labels[train]
                )
                scores = _Views(embedding, ngram).scores(embeddings[test], test_texts)
                for matrix, score in zip(oof[adapted], scores, strict=True):
                    matrix[test] = score
        truth = labels[held_out]
        weights: dict[bool, Array] = {}
        correct: dict[bool, Array] = {}
        for adapted in candidates:
            views = [m[held_out] for m in oof[adapted]]
            weights[adapted] = fit_view_weights(views, truth)
            correct[adapted] = combine(views, weights[adapted]).argmax(axis=1) == truth
        chosen = (
            candidates[0] if len(candidates) == 1 else prefer_adapted(correct[False], correct[True])
        )
        views = oof[chosen]
        return _Calibration(
            weights[chosen],
            chosen,
            held_out,
            probabilities=combine(views, weights[chosen]),
            nearest=views[-1] if self.settings.use_neighbours else None,
        )

    def _rule_prediction(self, text: str) -> IntentPrediction | None:
        if self.rules is None or not self._rule_intents:
            return None
        match = self.rules.match(text, allowed=self._rule_intents)
        if match is None:
            return None
        return IntentPrediction(
            name=match.intent,
            confidence=1.0,
            out_of_scope=False,
            ranking=[(match.intent, 1.0)],
            source="rule",
            rule=match.rule,
        )

    def _empty_prediction(self) -> IntentPrediction:
        return IntentPrediction(
            name=self._out_of_scope_name,
            confidence=0.0,
            out_of_scope=True,
            ranking=[],
            source="model",
        )

    def _model_prediction(self, row: Array, rejected: bool = False) -> IntentPrediction:
        order = np.argsort(-row)[:RANKING_SIZE]
        ranking = [(self._classes[i], float(np.clip(row[i], 0.0, 1.0))) for i in order]
        top, confidence = ranking[0]
        # The detector only ever adds rejections: the threshold and the catalogue's own
        # out-of-scope intent still apply (on CLINC150 they add none; on the brokerage
        # catalogue the detector adds none).
        out_of_scope = rejected or top in self._out_of_scope_names or confidence < self.threshold
        return IntentPrediction(
            name=self._out_of_scope_name if out_of_scope else top,
            confidence=confidence,
            out_of_scope=out_of_scope,
            ranking=ranking,
            source="model",
        )


def _single_threaded_blas(*, fitting: bool = False) -> AbstractContextManager[object]:
    """BLAS on one thread for our small dense problems.

    Threads cost more in hand-offs than they save on a few hundred rows, and on
    a busy two-core host they thrash: a 770-example fit took 9.5 s with two
    BLAS threads and 0.6 s with one. A fit imports scikit-learn first, so that the
    BLAS it brings (through SciPy) is among those limited; a prediction uses NumPy's alone.
    """
    if fitting:
        import sklearn.linear_model  # noqa: F401
    pools = _threadpools(frozenset(name for name in _BLAS_BRINGERS if name in sys.modules))
    limits: AbstractContextManager[object] = pools.limit(limits=1, user_api="blas")
    return limits


_BLAS_BRINGERS = ("numpy", "scipy.linalg", "sklearn")
"""Packages whose import loads a BLAS library: the thread pools are found again after one."""


@cache
def _threadpools(loaded: frozenset[str]) -> Any:
    """The process's thread-pool libraries, found once for each set of ``loaded`` BLAS
    bringers: finding them walks every loaded library, which cost milliseconds on each
    prediction."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _readable(name: str) -> str:
    """``card_arrival`` → ``card arrival``: an intent name as a phrase the encoder understands."""
    return re.sub(r"[_\-.:]+", " ", name).strip().lower()


def _fold_ids(labels: Array, folds: int, seed: int) -> Array:
    """A fold per example, dealt round-robin within each class; ``-1`` for classes with one example.

    Dealing within classes means a fold's held-out part never holds all of a
    class, so every fold's model knows every intent.
    """
    rng = np.random.default_rng(seed)
    ids = np.full(len(labels), -1)
    if folds < 2:
        return ids
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < 2:
            continue
        rng.shuffle(members)
        ids[members] = np.arange(len(members)) % min(folds, len(members))
    return ids
