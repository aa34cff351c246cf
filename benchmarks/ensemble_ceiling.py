"""How far a seed ensemble of a joint model (or tagger) gets on dev: the ceiling of distilling it into one
model of the shipped size (issue 26's "accuracy mode that stays fast").

    python benchmarks/ensemble_ceiling.py --dataset snips [--lever baseline] [--root WORKTREE]
    python benchmarks/ensemble_ceiling.py --dataset snips --test      # the same models on test, once

Reads ``levers_DATASET.json`` (``benchmarks/levers.py``, in ``--root``'s benchmarks/results; default
this checkout) and loads the lever's model-best of every seed. Each model and then the ensemble
score the dev split the way ``nlp-rnn evaluate`` does (its intent decisions, span P/R/F, exact match):
the ensemble's intent probabilities are the mean of the members' (each after its own prior
correction and calibration), its slots the best well-formed BILUO path through the mean of the
members' CRF tag marginals. Speed: words per second of ``nlp.pipe`` of one member (the shipped model)
and of the ensemble pipeline that ``nlp-rnn ensemble`` writes of them (the accuracy mode, span
confidences on as in both), dev texts, best of three alternating passes, in the same process.
``--test`` scores the same models on the test split instead, once (it refuses a second reading).
Writes benchmarks/results/ensemble_DATASET.json and .md.
"""

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Callable, Dict, List

import torch

from common import RESULTS, convert_splits, data_dir, write_results
from levers import DATASETS, LABELS, dataset_metrics

from nlp_rnn.api import build_ensemble, load_pipeline, predict_ensemble, read_gold_docs, score_docs


def score(members: List, component: str, gold_docs, metrics) -> Dict:
    """:func:`predict_ensemble` of ``members`` (one member: that model alone) over the gold docs'
    texts, scored as ``nlp-rnn evaluate`` scores."""
    predicted = predict_ensemble(members, component, [doc.text for doc in gold_docs])
    results = score_docs(members[0], gold_docs, predicted)
    return {key: results.get(key) for key in metrics}


def words_per_second(runs: Dict[str, Callable[[], object]], words: int, repeats: int = 3) -> Dict[str, float]:
    """Words per second of each callable (one pass over the texts), best of ``repeats`` passes taken in turn."""
    best = {name: float("inf") for name in runs}
    for _ in range(repeats):
        for name, run_once in runs.items():
            start = time.perf_counter()
            run_once()
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: words / seconds for name, seconds in best.items()}


def split_rows(figures: Dict, k: int, metrics) -> List[str]:
    def row(name: str, values: Dict) -> str:
        return f"| {name} | " + " | ".join("—" if values.get(m) is None else f"{100 * values[m]:.2f}" for m in metrics) + " |"

    lines = ["| model | " + " | ".join(LABELS[m] for m in metrics) + " |", "|---|" + "---|" * len(metrics)]
    lines += [row(f"seed {seed}", values) for seed, values in figures["members"].items()]
    return lines + [row("mean of the seeds", figures["member_mean"]), row(f"ensemble of {k}", figures["ensemble"])]


def markdown(results: Dict) -> str:
    lines = [
        f"# Seed ensemble of `{results['lever']}`, {results['dataset']} (dev split)", "",
        "`python benchmarks/ensemble_ceiling.py`: each seed's model-best from `benchmarks/levers.py`, then their",
        "ensemble (mean intent probabilities; best well-formed path through the mean CRF tag marginals), scored",
        "on **dev** as `nlp-rnn evaluate` scores. The ensemble row bounds what distilling it into one model",
        "of the shipped size can give.", "",
        "Seed rows: the members alone through the same path (no CRF transition scores at decoding); the",
        "figures `nlp-rnn evaluate` gives them (Viterbi with the transitions) are in `levers_DATASET.md`.", "",
    ]
    k = len(results["members"])
    metrics = dataset_metrics(results["dataset"])[0]
    lines += split_rows(results, k, metrics)
    if results.get("speed"):
        speed = results["speed"]
        lines += ["", f"Speed (dev texts, {speed['words']} words, words per second, best of 3 passes in turn, one process): "
                  f"one member's `nlp.pipe` {speed['member']:,.0f}, the `nlp-rnn ensemble` pipeline of the {k} {speed['ensemble']:,.0f} "
                  f"({speed['ensemble'] / speed['member']:.2f}×)."]
    if results.get("test"):
        lines += ["", f"## Test split, read once ({results['test']['read_at']})", "", "The same models on test.", ""]
        lines += split_rows(results["test"], k, metrics)
    lines += ["", f"Machine: {platform.machine()}, torch threads {results.get('torch_threads', '?')}", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="snips", choices=list(DATASETS))
    parser.add_argument("--lever", default="baseline")
    parser.add_argument("--root", type=Path, default=None, help="the worktree whose levers results and models to read")
    parser.add_argument("--test", action="store_true", help="score the same models on the test split, once")
    parser.add_argument("--render", action="store_true", help="train and score nothing: rewrite the markdown from the JSON")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    if args.render:
        results = json.loads((RESULTS / f"ensemble_{args.dataset}.json").read_text(encoding="utf8"))
        write_results(f"ensemble_{args.dataset}", results, markdown(results))
        return
    root = (args.root or RESULTS.parents[1]).resolve()
    lang, fmt, _, component, *splits = DATASETS[args.dataset]
    paths = convert_splits(args.dataset, lang, fmt, splits, data_dir(args.data_dir))
    levers = json.loads((root / "benchmarks" / "results" / f"levers_{args.dataset}.json").read_text(encoding="utf8"))
    runs = levers["levers"][args.lever]["runs"]
    members = [load_pipeline(root / run["model"]) for run in runs]
    gold_docs = read_gold_docs(members[0], paths["test" if args.test else "dev"])
    metrics = dataset_metrics(args.dataset)[0]
    figures = {"members": {str(run["seed"]): score([m], component, gold_docs, metrics) for run, m in zip(runs, members)}}
    figures["member_mean"] = {k: sum(f[k] for f in figures["members"].values()) / len(runs)
                              for k in metrics if all(f.get(k) is not None for f in figures["members"].values())}
    figures["ensemble"] = score(members, component, gold_docs, metrics)
    path = RESULTS / f"ensemble_{args.dataset}.json"
    earlier = json.loads(path.read_text(encoding="utf8")) if path.exists() else {}
    same_models = (earlier.get("lever"), earlier.get("root")) == (args.lever, str(root))
    if args.test:
        results = earlier
        if results.get("test"):
            raise SystemExit(f"test was already read for this ensemble ({results['test']['read_at']}): the rule is once")
        if not same_models:
            raise SystemExit("the dev results are of other models: run without --test first")
        results["test"] = dict(figures, read_at=time.strftime("%Y-%m-%d %H:%M"))
    else:
        results = dict({"dataset": args.dataset, "lever": args.lever, "root": str(root)}, **figures)
        if same_models and earlier.get("test"):  # the test reading of these models stays
            results["test"] = earlier["test"]
        texts = [doc.text for doc in gold_docs]
        ensemble = build_ensemble([root / run["model"] for run in runs], component)
        speed = words_per_second({"member": lambda: list(members[0].pipe(texts)), "ensemble": lambda: list(ensemble.pipe(texts))},
                                 sum(len(doc) for doc in gold_docs))
        results["speed"] = dict(speed, words=sum(len(doc) for doc in gold_docs))
        results["torch_threads"] = torch.get_num_threads()
    write_results(f"ensemble_{args.dataset}", results, markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
