"""Joint intent + slots and Chinese NER: nlp_rnn against spaCy's textcat + ner, in one run.

    python benchmarks/joint.py [--data-dir ../shared/data] [--datasets snips atis cais resume]
                               [--skip-peer | --skip-ours] [--reuse ours peer] [--peer-minutes M]
    python benchmarks/joint.py --combine joint_seeds_b joint_peer ... [--name joint]

Each data set is converted with `nlp-rnn convert`, trained with `nlp-rnn train` on
pipelines/joint_en.cfg, joint_zh.cfg or ner_zh.cfg and scored with `nlp-rnn evaluate` (intent
accuracy, span P/R/F1 with exact span + label match, sentence exact match); spaCy's built-in
textcat + ner (resume: ner) is trained from the config `spacy init config` generates for the
language on the same splits and scored by the same code. Then nlp.pipe throughput (batch 256,
SNIPS train texts) of the joint pipeline against spaCy's textcat + ner. Writes
benchmarks/results/joint.json and joint.md.

Seeds of one system can run in the background in several jobs (``--skip-peer`` / ``--skip-ours``,
each with its own ``--name``); ``--combine`` then renders one table from their result files.
"""

import argparse
import json
import platform
from typing import List

import spacy
import torch

from common import RESULTS, add_run_options, cli, convert_splits, data_dir, mean_and_spread, spacy_cli, spacy_default_config, train_and_evaluate_seeds, write_results
from throughput import pipe_words_per_second

DATASETS = {
    # name: (lang, convert format, our config, spaCy components, train, dev, test)
    "snips": ("en", "snips", "pipelines/joint_en.cfg", "textcat,ner", "snips/train", "snips/valid", "snips/test"),
    "atis": ("en", "snips", "pipelines/joint_en.cfg", "textcat,ner", "atis/train", "atis/valid", "atis/test"),
    "cais": ("zh", "cais", "pipelines/joint_zh.cfg", "textcat,ner", "cais/train", "cais/valid", "cais/test"),
    "resume": ("zh", "bmes", "pipelines/ner_zh.cfg", "ner", "resume_ner/train.char.bmes", "resume_ner/dev.char.bmes", "resume_ner/test.char.bmes"),
}
TARGETS = {
    "snips": {"intent_accuracy": 0.985, "span_f1": 0.95, "exact_match": 0.88},
    "atis": {"intent_accuracy": 0.975, "span_f1": 0.958, "exact_match": 0.87},
    "cais": {"intent_accuracy": 0.95, "span_f1": 0.87},
    "resume": {"span_f1": 0.945},
}
SYSTEMS = ("nlp_rnn", "spacy")  # ours first
KEEP = ("intent_accuracy", "intent_macro_f1", "span_precision", "span_recall", "span_f1", "exact_match",
        "unreachable_spans", "unreachable_fraction", "words_per_second", "train_seconds", "seconds_to_best_dev",
        "stopped_at_deadline", "model", "prior_weights", "seeds", "per_seed", "spread")


def summary(metrics: dict) -> dict:
    return {k: metrics[k] for k in KEEP if k in metrics}


def fmt(result: dict, metric: str) -> str:
    return mean_and_spread(result, metric) if result.get(metric) is not None else "—"


def best_dev_seconds(metrics: dict) -> str:
    """Seconds to the best dev score; training stopped at a deadline is marked."""
    if not metrics:
        return "—"
    stopped = f" (stopped after {metrics['train_seconds']:.0f} s)" if metrics.get("stopped_at_deadline") else ""
    return f"{metrics['seconds_to_best_dev']:.0f}{stopped}"


def combine(names: List[str]) -> dict:
    """One result from the result files ``benchmarks/results/NAME.json`` of several runs: for each
    data set and system, the entry of the last file that has it. The table's seeds are the longest
    list among the entries; a data set with an entry over other seeds gets a row naming them.
    Throughput is left out (one run measures both systems' models side by side)."""
    results = {"seeds": [], "combined_from": list(names), "datasets": {}}
    for name in names:
        path = RESULTS / f"{name}.json"
        if not path.exists():
            raise SystemExit(f"{path}: no such result file to combine")
        for dataset, entry in json.loads(path.read_text(encoding="utf8"))["datasets"].items():
            merged = results["datasets"].setdefault(dataset, {"target": TARGETS[dataset]})
            merged.update({system: entry[system] for system in SYSTEMS if system in entry})
    results["datasets"] = {name: results["datasets"][name] for name in DATASETS if name in results["datasets"]}
    results["seeds"] = max((run_seeds(r) for d in results["datasets"].values() for r in runs(d)), key=len, default=[0])
    return results


def runs(entry: dict) -> List[dict]:
    """A data set's result entries, ours first, for the systems it has."""
    return [entry[system] for system in SYSTEMS if system in entry]


def run_seeds(result: dict) -> List[int]:
    """The seeds a system's entry was averaged over (a result without them is one seed-0 run)."""
    return result.get("seeds", [0])


def markdown(results: dict) -> str:
    seeds = results.get("seeds", [0])
    lines = [
        "# Joint intent + slots / NER benchmark (test split, CPU)",
        "",
        f"Seeds {seeds}: figures are the mean ± half the max − min spread over them. nlp_rnn defaults",
        "were chosen on dev (the grid driver benchmarks/tune.py of ccbadb1); the spaCy peer is the config `spacy init config` generates.",
        "",
    ]
    if results.get("combined_from"):
        lines += [f"Combined by `joint.py --combine` from the runs {', '.join(results['combined_from'])} (the README gives each run's command).", ""]
    lines += [
        "| data set | metric | nlp_rnn | spaCy | target |",
        "|---|---|---|---|---|",
    ]
    for name, r in results["datasets"].items():
        ours, peer = r.get("nlp_rnn", {}), r.get("spacy", {})
        for metric, target in TARGETS[name].items():
            lines.append(f"| {name} | {metric} | {fmt(ours, metric)} | {fmt(peer, metric)} | ≥ {100 * target:.1f} |")
        lines.append(
            f"| {name} | gold spans the tokenizer cannot express | {ours.get('unreachable_spans', '—')} | {peer.get('unreachable_spans', '—')} | |"
        )
        lines.append(f"| {name} | seconds to best dev | {best_dev_seconds(ours)} | {best_dev_seconds(peer)} | |")
        if any(run_seeds(result) != seeds for result in runs(r)):
            lines.append(f"| {name} | seeds | {run_seeds(ours) if ours else '—'} | {run_seeds(peer) if peer else '—'} | |")
        if ours.get("prior_weights"):
            chosen = ", ".join(f"{w:g}" for w in ours["prior_weights"].values())
            lines.append(f"| {name} | intent prior_weight chosen on dev | {chosen} | – | |")
    if "throughput" in results:
        t = results["throughput"]
        lines += [
            "",
            f"nlp.pipe throughput, batch 256, {t['rnn_joint']['words']:,} words of SNIPS train texts: nlp_rnn joint "
            f"{t['rnn_joint']['words_per_second']:,.0f} words/s, spaCy textcat + ner {t['spacy']['words_per_second']:,.0f} words/s, "
            f"ratio {t['ratio']:.2f} (target ≥ 2.0)",
        ]
    threads = "each run's own" if results.get("combined_from") else torch.get_num_threads()
    lines += ["", f"Machine: {platform.machine()}, torch threads {threads}", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="train each system once per seed (--system.seed)")
    parser.add_argument("--name", default=None, help="result file name (default: joint, joint_ours with --skip-peer, joint_peer with --skip-ours)")
    parser.add_argument("--skip-ours", action="store_true", help="train only the spaCy peer (e.g. its seeds to its own early stop, hours)")
    parser.add_argument("--combine", nargs="+", metavar="NAME", default=None,
                        help="train nothing: one table from these result files (benchmarks/results/NAME.json, later files win)")
    add_run_options(parser)
    args = parser.parse_args()
    if args.combine:
        results = combine(args.combine)
        write_results(args.name or "joint", results, markdown(results))
        return
    if args.skip_ours and args.skip_peer:
        parser.error("--skip-ours and --skip-peer together leave nothing to train")
    root = data_dir(args.data_dir)
    results = {"seeds": args.seeds, "datasets": {}}
    for name in args.datasets:
        lang, fmt_name, config, components, *splits = DATASETS[name]
        paths = convert_splits(name, lang, fmt_name, splits, root)
        entry = {"target": TARGETS[name]}
        if not args.skip_ours:
            entry["nlp_rnn"] = summary(train_and_evaluate_seeds(name, "rnn_joint", cli("train", config), paths, args.seeds,
                                                                reuse="ours" in args.reuse))
        if not args.skip_peer:
            peer_config = spacy_default_config(lang, components)
            entry["spacy"] = summary(train_and_evaluate_seeds(name, "spacy", spacy_cli("train", peer_config), paths, args.seeds,
                                                              reuse="peer" in args.reuse, minutes=args.peer_minutes))
        results["datasets"][name] = entry
        print(name, json.dumps(entry, indent=1), flush=True)
        if args.skip_peer or args.skip_ours:  # one system alone: its own result files (written after every data set), the full table stays
            write_results(args.name or ("joint_ours" if args.skip_peer else "joint_peer"), results, markdown(results))
    if args.skip_peer or args.skip_ours:
        return
    if "snips" in results["datasets"]:
        texts = (root / "snips" / "train" / "seq.in").read_text(encoding="utf8").splitlines()
        snips = results["datasets"]["snips"]
        ours = pipe_words_per_second(spacy.load(snips["nlp_rnn"]["model"]), texts)
        peer = pipe_words_per_second(spacy.load(snips["spacy"]["model"]), texts)
        results["throughput"] = {"rnn_joint": ours, "spacy": peer, "ratio": ours["words_per_second"] / peer["words_per_second"]}
    write_results(args.name or "joint", results, markdown(results))


if __name__ == "__main__":
    main()
