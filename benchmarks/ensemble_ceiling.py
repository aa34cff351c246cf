"""How far a seed ensemble of a joint model (or tagger) gets on dev: the ceiling of distilling it into one
model of the shipped size (issue 26's "accuracy mode that stays fast").

    python benchmarks/ensemble_ceiling.py --dataset snips [--lever baseline] [--root WORKTREE]

Reads ``levers_DATASET.json`` (``benchmarks/levers.py``, in ``--root``'s benchmarks/results; default
this checkout) and loads the lever's model-best of every seed. Each model and then the ensemble
score the dev split the way ``nlp-rnn evaluate`` does (its intent decisions, span P/R/F, exact match):
the ensemble's intent probabilities are the mean of the members' (each after its own prior
correction and calibration), its slots the best well-formed BILUO path through the mean of the
members' CRF tag marginals. Writes benchmarks/results/ensemble_DATASET.json and .md.
"""

import argparse
import json
import platform
from pathlib import Path
from typing import Dict, List

import torch

from common import RESULTS, convert_splits, data_dir, write_results
from levers import DATASETS, METRICS

from nlp_rnn.api import load_pipeline, predict_ensemble, read_gold_docs, score_docs


def score(members: List, component: str, gold_docs) -> Dict:
    """:func:`predict_ensemble` of ``members`` (one member: that model alone) over the gold docs'
    texts, scored as ``nlp-rnn evaluate`` scores."""
    predicted = predict_ensemble(members, component, [doc.text for doc in gold_docs])
    results = score_docs(members[0], gold_docs, predicted)
    return {key: results.get(key) for key in METRICS}


def markdown(results: Dict) -> str:
    lines = [
        f"# Seed ensemble of `{results['lever']}`, {results['dataset']} (dev split)", "",
        "`python benchmarks/ensemble_ceiling.py`: each seed's model-best from `benchmarks/levers.py`, then their",
        "ensemble (mean intent probabilities; best well-formed path through the mean CRF tag marginals), scored",
        "on **dev** as `nlp-rnn evaluate` scores. The ensemble row bounds what distilling it into one model",
        "of the shipped size can give.", "",
        "Seed rows: the members alone through the same path (no CRF transition scores at decoding); the",
        "figures `nlp-rnn evaluate` gives them (Viterbi with the transitions) are in `levers_DATASET.md`.", "",
        "| model | intent acc | slot F1 | exact match |", "|---|---|---|---|",
    ]

    def row(name: str, figures: Dict) -> str:
        return f"| {name} | " + " | ".join("—" if figures.get(k) is None else f"{100 * figures[k]:.2f}" for k in METRICS) + " |"

    for seed, figures in results["members"].items():
        lines.append(row(f"seed {seed}", figures))
    lines.append(row("mean of the seeds", results["member_mean"]))
    lines.append(row(f"ensemble of {len(results['members'])}", results["ensemble"]))
    lines += ["", f"Machine: {platform.machine()}, torch threads {torch.get_num_threads()}", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="snips", choices=list(DATASETS))
    parser.add_argument("--lever", default="baseline")
    parser.add_argument("--root", type=Path, default=None, help="the worktree whose levers results and models to read")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    root = (args.root or RESULTS.parents[1]).resolve()
    lang, fmt, _, component, *splits = DATASETS[args.dataset]
    dev = convert_splits(args.dataset, lang, fmt, splits, data_dir(args.data_dir))["dev"]
    levers = json.loads((root / "benchmarks" / "results" / f"levers_{args.dataset}.json").read_text(encoding="utf8"))
    runs = levers["levers"][args.lever]["runs"]
    members = [load_pipeline(root / run["model"]) for run in runs]
    gold_docs = read_gold_docs(members[0], dev)
    results = {"dataset": args.dataset, "lever": args.lever, "root": str(root),
               "members": {str(run["seed"]): score([m], component, gold_docs) for run, m in zip(runs, members)}}
    results["member_mean"] = {k: sum(f[k] for f in results["members"].values()) / len(runs)
                              for k in METRICS if all(f.get(k) is not None for f in results["members"].values())}
    results["ensemble"] = score(members, component, gold_docs)
    write_results(f"ensemble_{args.dataset}", results, markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
