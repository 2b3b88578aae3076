"""A tiny split file in CLINC150's format, for the catalogue, case-loader and eval tests.

CLINC150 ships one JSON object of named lists of ``[text, intent]`` pairs; the
out-of-scope lists label every row ``oos``. This one has three intents with four
training examples each and two validation examples each.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SPLITS: dict[str, list[list[str]]] = {
    "train": [
        ["how do you say thank you in german", "translate"],
        ["translate good morning into french", "translate"],
        ["what is the spanish word for cheese", "translate"],
        ["say see you later in italian", "translate"],
        ["how much money is in my checking account", "balance"],
        ["what is my savings balance", "balance"],
        ["tell me the balance of my bank account", "balance"],
        ["how much cash do i have in the bank", "balance"],
        ["wake me up at seven tomorrow", "alarm"],
        ["set an alarm for 6 am", "alarm"],
        ["please put an alarm on for noon", "alarm"],
        ["i need an alarm at half past five", "alarm"],
    ],
    "val": [
        ["how would a japanese person say hello", "translate"],
        ["what is goodbye in portuguese", "translate"],
        ["what is the current balance on my account", "balance"],
        ["how much do i have saved", "balance"],
        ["set my alarm for eight thirty", "alarm"],
        ["can you wake me at 5 am", "alarm"],
    ],
    "oos_train": [
        ["who won the football game last night", "oos"],
        ["what is the tallest mountain on earth", "oos"],
        ["recommend a good pizza place", "oos"],
        ["how many legs does a spider have", "oos"],
    ],
    "oos_val": [
        ["which planet is closest to the sun", "oos"],
        ["who painted the mona lisa", "oos"],
    ],
}


def write_split_file(path: Path, splits: dict[str, Any] | None = None) -> Path:
    """Write ``splits`` (default :data:`SPLITS`) as CLINC150 does: one line of JSON."""
    path.write_text(json.dumps(SPLITS if splits is None else splits), encoding="utf-8")
    return path
