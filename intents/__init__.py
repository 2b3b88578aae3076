"""Intents: what the investor wants, recognised from one utterance.

* :mod:`intents.catalogue` — the intent catalogue (YAML, JSONL or CSV) and its models;
* :mod:`intents.rules` — safety rules (human, fraud, complaint) that win over any model;
* :mod:`intents.classifier` — :class:`~intents.classifier.EmbeddingIntentClassifier`,
  the calibrated classifier with out-of-scope detection;
* :mod:`intents.thresholds` — choosing the out-of-scope threshold on held-out data;
* :mod:`intents.encoders` — the ``QuestionEncoder`` protocol and the example-embedding cache.

The package imports no sibling: an encoder is passed in by whoever composes the app.
"""
