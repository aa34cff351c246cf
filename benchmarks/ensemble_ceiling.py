"""How far a seed ensemble of a joint model (or tagger) gets on dev: the ceiling of distilling it into one
model of the shipped size (issue 26's "accuracy mode that stays fast").

    python benchmarks/ensemble_ceiling.py --dataset snips [--lever baseline] [--root WORKTREE]
    python benchmarks/ensemble_ceiling.py --dataset snips --test      # the same models on test, once
    python benchmarks/ensemble_ceiling.py --dataset cais --lever lexicon --size 3   # seeds 0-2, 3-5, 6-8: 3 ensembles

Reads ``levers_DATASET.json`` (``benchmarks/levers.py``, in ``--root``'s benchmarks/results; default
this checkout) and loads the lever's model-best of every seed. Each model and then the ensemble
score the dev split the way ``nlp-rnn evaluate`` does (its intent decisions, span P/R/F, exact match):
the ensemble's intent probabilities are the mean of the members' (each after its own prior
correction and calibration), its slots the best well-formed BILUO path through the mean of the
members' CRF tag marginals. Speed: words per second of ``nlp.pipe`` of one member (the shipped model)
and of the ensemble pipeline that ``nlp-rnn ensemble`` writes of them (the accuracy mode, span
confidences on as in both), dev texts, best of three alternating passes, in the same process.
``--test`` scores the same models on the test split instead, once (it refuses a second reading).
``--size K`` makes ensembles of K seeds each (the lever's runs in seed order, cut into groups of K;
default: one ensemble of all), reported one by one and as their mean: the "3-seed mean" of an
accuracy mode is the mean of 3 ensembles. Writes benchmarks/results/ensemble_DATASET.json and .md.
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


def mean_of(rows: List[Dict], metrics) -> Dict[str, float]:
    return {k: sum(r[k] for r in rows) / len(rows) for k in metrics if all(r.get(k) is not None for r in rows)}


def split_rows(figures: Dict, metrics) -> List[str]:
    def row(name: str, values: Dict) -> str:
        return f"| {name} | " + " | ".join("—" if values.get(m) is None else f"{100 * values[m]:.2f}" for m in metrics) + " |"

    lines = ["| model | " + " | ".join(LABELS[m] for m in metrics) + " |", "|---|" + "---|" * len(metrics)]
    lines += [row(f"seed {seed}", values) for seed, values in figures["members"].items()]
    lines.append(row("mean of the seeds", figures["member_mean"]))
    groups = figures.get("ensembles") or [{"seeds": list(figures["members"]), "figures": figures["ensemble"]}]
    lines += [row(f"ensemble of seeds {', '.join(map(str, g['seeds']))}", g["figures"]) for g in groups]
    if len(groups) > 1:
        lines.append(row(f"mean of the {len(groups)} ensembles", figures["ensemble"]))
    return lines


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
    metrics = dataset_metrics(results["dataset"])[0]
    lines += split_rows(results, metrics)
    if results.get("speed"):
        speed = results["speed"]
        lines += ["", f"Speed (dev texts, {speed['words']} words, words per second, best of 3 passes in turn, one process): "
                  f"one member's `nlp.pipe` {speed['member']:,.0f}, the `nlp-rnn ensemble` pipeline of {results.get('size') or len(results['members'])} "
                  f"{speed['ensemble']:,.0f} "
                  f"({speed['ensemble'] / speed['member']:.2f}×)."]
    if results.get("test"):
        lines += ["", f"## Test split, read once ({results['test']['read_at']})", "", "The same models on test.", ""]
        lines += split_rows(results["test"], metrics)
    lines += ["", f"Machine: {platform.machine()}, torch threads {results.get('torch_threads', '?')}", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="snips", choices=list(DATASETS))
    parser.add_argument("--lever", default="baseline")
    parser.add_argument("--root", type=Path, default=None, help="the worktree whose levers results and models to read")
    parser.add_argument("--size", type=int, default=0, help="seeds per ensemble (default: one ensemble of all the runs)")
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
    runs = sorted(levers["levers"][args.lever]["runs"], key=lambda r: r["seed"])
    size = args.size or len(runs)
    if size < 2 or len(runs) < size:
        raise SystemExit(f"{len(runs)} runs of {args.lever!r}: not enough for ensembles of {size}")
    runs = runs[: len(runs) // size * size]
    path = RESULTS / f"ensemble_{args.dataset}.json"
    earlier = json.loads(path.read_text(encoding="utf8")) if path.exists() else {}
    same_models = ((earlier.get("lever"), earlier.get("root"), earlier.get("size"), list(earlier.get("members", {})))
                   == (args.lever, str(root), size, [str(run["seed"]) for run in runs]))
    if args.test and earlier.get("test"):  # checked before anything is scored on test
        raise SystemExit(f"test was already read for this ensemble ({earlier['test']['read_at']}): the rule is once")
    if args.test and not same_models:
        raise SystemExit("the dev results are of other models: run without --test first")
    members = [load_pipeline(root / run["model"]) for run in runs]
    gold_docs = read_gold_docs(members[0], paths["test" if args.test else "dev"])
    metrics = dataset_metrics(args.dataset)[0]
    figures = {"members": {str(run["seed"]): score([m], component, gold_docs, metrics) for run, m in zip(runs, members)}}
    figures["member_mean"] = mean_of(list(figures["members"].values()), metrics)
    figures["ensembles"] = [{"seeds": [run["seed"] for run in runs[i:i + size]],
                             "figures": score(members[i:i + size], component, gold_docs, metrics)} for i in range(0, len(runs), size)]
    figures["ensemble"] = mean_of([group["figures"] for group in figures["ensembles"]], metrics)
    if args.test:
        results = earlier
        results["test"] = dict(figures, read_at=time.strftime("%Y-%m-%d %H:%M"))
    else:
        results = dict({"dataset": args.dataset, "lever": args.lever, "root": str(root), "size": size}, **figures)
        if same_models and earlier.get("test"):  # the test reading of these models stays
            results["test"] = earlier["test"]
        texts = [doc.text for doc in gold_docs]
        ensemble = build_ensemble([root / run["model"] for run in runs[:size]], component)
        speed = words_per_second({"member": lambda: list(members[0].pipe(texts)), "ensemble": lambda: list(ensemble.pipe(texts))},
                                 sum(len(doc) for doc in gold_docs))
        results["speed"] = dict(speed, words=sum(len(doc) for doc in gold_docs))
        results["torch_threads"] = torch.get_num_threads()
    write_results(f"ensemble_{args.dataset}", results, markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
