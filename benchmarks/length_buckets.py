"""What length-sorted sub-batches buy ``nlp.pipe`` of a joint model: the same loaded pipeline with
``PREDICT_SUB_BATCH`` = 64 (the default) and with one sub-batch per ``nlp.pipe`` batch (the
behaviour before), interleaved round by round in one process, one torch thread.

    python benchmarks/length_buckets.py MODEL [--rounds 3] [--texts 6000] [--data-dir ../shared/data]

MODEL: a pipeline with ``rnn_joint`` (e.g. a SNIPS model from benchmarks/joint.py). Texts: the
first ``--texts`` lines of SNIPS train. Writes benchmarks/results/length_buckets.{json,md}.
"""

import argparse
import platform
import statistics
import time
from pathlib import Path

from common import data_dir, rel, write_results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--texts", type=int, default=6000)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    from nlp_rnn.threads import prepare_threads

    prepare_threads(1)
    import spacy

    import nlp_rnn.pipeline.joint as joint

    texts = (data_dir(args.data_dir) / "snips" / "train" / "seq.in").read_text(encoding="utf8").splitlines()[: args.texts]
    nlp = spacy.load(args.model)
    list(nlp.pipe(texts[:300], batch_size=256))
    settings = {"sub_batches_of_64": 64, "one_batch_of_256": 10**9}
    speeds = {name: [] for name in settings}
    for _ in range(args.rounds):
        for name, size in settings.items():
            joint.PREDICT_SUB_BATCH = size
            start = time.perf_counter()
            words = sum(len(doc) for doc in nlp.pipe(texts, batch_size=256))
            speeds[name].append(words / (time.perf_counter() - start))
    median = {name: statistics.median(values) for name, values in speeds.items()}
    results = {"model": rel(args.model), "texts": len(texts), "rounds": args.rounds, "words_per_second": speeds,
               "median_words_per_second": median, "ratio": median["sub_batches_of_64"] / median["one_batch_of_256"]}
    table = "\n".join([
        "# Length-sorted sub-batches in rnn_joint's predict (nlp.pipe, batch 256, 1 torch thread)", "",
        f"Model `{results['model']}`, the first {len(texts):,} SNIPS train texts, {args.rounds} interleaved rounds in one process (median).", "",
        "| predict | words/s |", "|---|---|",
        f"| length-sorted sub-batches of 64 (default) | {median['sub_batches_of_64']:,.0f} |",
        f"| the whole nlp.pipe batch at once (before) | {median['one_batch_of_256']:,.0f} |", "",
        f"Ratio: {results['ratio']:.2f}×", "", f"Machine: {platform.machine()}", ""])
    write_results("length_buckets", results, table)


if __name__ == "__main__":
    main()
