"""Turning retrieval evidence into a confidence in [0, 1].

The confidence is P(the unit answers the query), modelled by a logistic
regression on three features of a ranked unit: its dense cosine, its margin
over the best *other* unit (positive only for the top result), and its
squashed BM25 score. Cosines depend on the embedding model (E5 crowds them
into 0.7–0.95), so parameters are fitted per model on held-out paraphrases
(``assistant kb calibrate``) and stored in ``data/calibration.json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from pydantic import BaseModel

_BUNDLED = "calibration.json"


class Calibration(BaseModel):
    model_id: str
    weight_dense: float
    weight_margin: float
    weight_keyword: float
    bias: float
    dense_floor: float = 0.0
    fitted_on: str = "default guess: no calibration fitted for this model"

    def features(
        self, *, dense: float | None, rival_dense: float | None, keyword: float
    ) -> tuple[float, float, float]:
        d = self.dense_floor if dense is None else dense
        r = self.dense_floor if rival_dense is None else rival_dense
        return d, d - r, keyword

    def confidence(
        self, *, dense: float | None, rival_dense: float | None, keyword: float, is_top: bool = True
    ) -> float:
        d, margin, kw = self.features(dense=dense, rival_dense=rival_dense, keyword=keyword)
        if not is_top:
            margin = min(margin, 0.0)
        z = (
            self.weight_dense * d
            + self.weight_margin * margin
            + self.weight_keyword * kw
            + self.bias
        )
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def _default(model_id: str) -> Calibration:
    return Calibration(
        model_id=model_id,
        weight_dense=20.0,
        weight_margin=30.0,
        weight_keyword=2.0,
        bias=-16.0,
        dense_floor=0.5,
    )


def _read_table(path: Path | None = None) -> dict[str, dict[str, object]]:
    if path is not None:
        return dict(json.loads(path.read_text("utf-8"))) if path.exists() else {}
    text = resources.files("knowledge.data").joinpath(_BUNDLED).read_text("utf-8")
    return dict(json.loads(text))


def load_calibration(model_id: str, path: Path | None = None) -> Calibration:
    """The fitted calibration for ``model_id``, or a conservative default."""
    entry = _read_table(path).get(model_id)
    return Calibration.model_validate(entry) if entry else _default(model_id)


def fit_calibration(
    model_id: str,
    rows: Sequence[tuple[float, float, float]],
    labels: Sequence[bool],
    *,
    dense_floor: float,
    fitted_on: str,
) -> Calibration:
    """Logistic regression of correctness on (dense, margin, keyword) features."""
    from sklearn.linear_model import LogisticRegression

    if len(set(labels)) < 2:
        raise ValueError("calibration needs both correct and incorrect examples")
    model = LogisticRegression(C=10.0, max_iter=1000)
    model.fit([list(r) for r in rows], [int(x) for x in labels])
    wd, wm, wk = (float(w) for w in model.coef_[0])
    return Calibration(
        model_id=model_id,
        weight_dense=wd,
        weight_margin=wm,
        weight_keyword=wk,
        bias=float(model.intercept_[0]),
        dense_floor=dense_floor,
        fitted_on=fitted_on,
    )


def save_calibration(calibration: Calibration, path: Path) -> None:
    table = _read_table(path)
    table[calibration.model_id] = calibration.model_dump()
    path.write_text(json.dumps(table, ensure_ascii=False, indent=2) + "\n", "utf-8")
