"""A brokerage's first knowledge base: 30 Chinese FAQ entries, for measuring how the assistant
starts out (English questions answered from Chinese entries, most questions not covered).

``python -m evals.small_kb OUT_DIR`` writes ``OUT_DIR/faq_small_zh.csv`` with the entries
named in ``evals/data/small_kb_ids.txt``, taken from the sample sheet as they are; ingest it
with ``assistant ingest OUT_DIR --kb var/kb-small`` and play the dialogues against it with
``assistant eval-dialogues --kb var/kb-small``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IDS = ROOT / "evals" / "data" / "small_kb_ids.txt"
SHEET = ROOT / "data" / "knowledge" / "faq_zh.csv"


def small_sheet(out_dir: Path, ids_file: Path = IDS, sheet: Path = SHEET) -> Path:
    """Write the chosen entries of ``sheet`` to ``out_dir``; the path of the new sheet."""
    wanted = [line.split("#")[0].strip() for line in ids_file.read_text("utf-8").splitlines()]
    wanted = [w for w in wanted if w]
    with sheet.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = {row["id"]: row for row in reader}
    missing = [w for w in wanted if w not in rows]
    if missing:
        raise SystemExit(f"{ids_file}: not in {sheet.name}: {', '.join(missing)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "faq_small_zh.csv"
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows[w] for w in wanted)
    return target


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m evals.small_kb OUT_DIR")
    print(small_sheet(Path(sys.argv[1])))
