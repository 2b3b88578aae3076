"""The sentence-transformers backend on CUDA: agreement with fp32 on CPU, and throughput.

Not run by tests or CI (no GPU there). How ``benchmarks/results/cuda_embed.json`` was made,
on a lent GPU machine that has torch and sentence-transformers but not this project:

1. here: ``.gpu/minilm/``, a float16 copy of the bundled all-MiniLM-L6-v2 (the fp32 file is
   over the 64 MiB the machine takes); ``.gpu/whl/``, wheels of langchain-core and its
   dependencies for Python 3.12 (``pip download --no-deps --python-version 3.12 ...``);
   the fp32 reference vectors of 256 English FAQ texts on this machine's CPU:
   ``python -m benchmarks.cuda_embed_check <bundled model dir> /dev/null --make-reference``
2. there: ``pip install --no-index --no-deps --target /tmp/site .gpu/whl/*.whl``, then
   ``PYTHONPATH=/tmp/site:. python3 -m benchmarks.cuda_embed_check .gpu/minilm OUT.json``

It encodes 20,000 FAQ questions and answers of the sample knowledge base (repeated) with
:class:`knowledge.embedders.SentenceTransformerEmbeddings` on ``cuda``, three times per
batch size, and compares its vectors with the fp32 CPU reference.
"""

import csv
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from knowledge.embedders import SentenceTransformerEmbeddings

TEXT_COLUMNS = ("question", "answer", "问题", "答案")


def main() -> None:
    model_dir, out = sys.argv[1], Path(sys.argv[2])
    texts: list[str] = []
    for sheet in sorted(Path("data/knowledge").rglob("*.csv")):
        with sheet.open(encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                texts += [
                    v for k, v in row.items() if k in ("question", "answer", "问题", "答案") and v
                ]
    english = [t for t in texts if t.isascii()]
    corpus = (texts * (20000 // len(texts) + 1))[:20000]
    report: dict[str, object] = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "cuda": torch.cuda.is_available(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "texts_distinct": len(texts),
        "corpus": len(corpus),
    }

    sample = english[:256]
    if len(sys.argv) > 3 and sys.argv[3] == "--make-reference":
        # fp32 all-MiniLM-L6-v2 on this machine's CPU: what the fp16 copy on CUDA must match.
        fp32 = SentenceTransformerEmbeddings(model_dir)
        np.save(".gpu/reference.npy", fp32.encode_passages(sample))
        return
    reference = np.load(".gpu/reference.npy")
    runs = {}
    for device, batch in (("cuda", 64), ("cuda", 256)):
        embedder = SentenceTransformerEmbeddings(model_dir, device=device, batch_size=batch)
        got = embedder.encode_passages(sample)
        agreement = float(np.min(np.sum(got * reference, axis=1)))
        report["model_id"] = embedder.model_id
        size = len(corpus)
        rates = []
        for _ in range(3):
            torch.cuda.synchronize()
            started = time.perf_counter()
            vectors = embedder.encode_passages(corpus[:size])
            torch.cuda.synchronize()
            rates.append(size / (time.perf_counter() - started))
        runs[f"{device}-batch{batch}"] = {
            "texts": size,
            "texts_per_s_median": statistics.median(rates),
            "texts_per_s_runs": rates,
            "min_cosine_vs_fp32_cpu_on_256_english": agreement,
            "shape": list(vectors.shape),
            "dtype": str(vectors.dtype),
        }
        print(device, batch, runs[f"{device}-batch{batch}"], flush=True)
    report["runs"] = runs
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
