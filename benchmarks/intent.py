"""Intent benchmark: nlp_rnn against spaCy's textcat on SNIPS, ATIS and CAIS, in one run.

    python benchmarks/intent.py [--data-dir ../shared/data] [--datasets snips atis cais] [--seeds 0 1 2]

For each data set: `nlp-rnn convert` the splits, `nlp-rnn train` with pipelines/intent_<lang>.cfg,
`nlp-rnn evaluate` on test; the same for spaCy's built-in textcat with the config
`spacy init config --pipeline textcat` generates for the language. Then nlp.pipe throughput
(batch 256, SNIPS train texts, >100k words) against the same torch model on pre-built tensors and
against spaCy's textcat. Writes benchmarks/results/intent.json and intent.md.
"""

import argparse
import json
import platform

import torch

from common import add_run_options, cli, convert_splits, data_dir, mean_and_spread, spacy_cli, spacy_default_config, train_and_evaluate_seeds, write_results
from throughput import compare_throughput

DATASETS = {
    # name: (lang, convert format, train, dev, test) relative to the data folder
    "snips": ("en", "snips", "snips/train", "snips/valid", "snips/test"),
    "atis": ("en", "snips", "atis/train", "atis/valid", "atis/test"),
    "cais": ("zh", "cais", "cais/train", "cais/valid", "cais/test"),
}
TARGETS = {"snips": 0.985, "atis": 0.975, "cais": 0.95}


def summary(metrics: dict) -> dict:
    keep = ("intent_accuracy", "intent_macro_f1", "words_per_second", "train_seconds", "seconds_to_best_dev", "model", "prior_weights",
            "seeds", "per_seed", "spread")
    return {key: metrics[key] for key in keep if key in metrics}


def snips_texts(root) -> list:
    return (root / "snips" / "train" / "seq.in").read_text(encoding="utf8").splitlines()


def markdown(results: dict) -> str:
    lines = [
        "# Intent benchmark (test split, CPU)",
        "",
        f"Seeds {results.get('seeds', [0])} for both systems: figures are the mean ± half the max − min spread over them.",
        "nlp_rnn defaults were chosen on dev (the grid driver benchmarks/tune.py of ccbadb1, benchmarks/results/tune_*.md); textcat is the",
        "config `spacy init config` generates, trained to its own early stop.",
        "",
        "| data set | nlp_rnn acc | spaCy textcat acc | target | nlp_rnn macro F1 | textcat macro F1 | nlp_rnn s to best dev | textcat s to best dev |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results["datasets"].items():
        ours, peer = r["nlp_rnn"], r.get("spacy_textcat", {})
        lines.append(
            f"| {name} | {mean_and_spread(ours, 'intent_accuracy')} | {mean_and_spread(peer, 'intent_accuracy')} | ≥ {100 * TARGETS[name]:.1f} "
            f"| {mean_and_spread(ours, 'intent_macro_f1')} | {mean_and_spread(peer, 'intent_macro_f1')} "
            f"| {ours['seconds_to_best_dev']:.0f} | {peer.get('seconds_to_best_dev', float('nan')):.0f} |"
        )
    if "throughput" in results:
        t = results["throughput"]
        lines += [
            "",
            f"Throughput, nlp.pipe batch 256 on {t['rnn_pipe']['words']:,} words (SNIPS train texts):",
            "",
            "| system | words/s |",
            "|---|---|",
            f"| nlp_rnn nlp.pipe | {t['rnn_pipe']['words_per_second']:,.0f} |",
            f"| same torch model on pre-built tensors | {t['rnn_tensors']['words_per_second']:,.0f} |",
            f"| spaCy textcat nlp.pipe | {t['spacy_textcat_pipe']['words_per_second']:,.0f} |",
            "",
            f"nlp.pipe / tensors = {t['pipe_over_tensors']:.2f} (target ≥ 0.50); nlp_rnn / textcat = {t['rnn_over_spacy_textcat']:.2f}",
        ]
    lines += ["", f"Machine: {platform.processor() or platform.machine()}, torch threads {torch.get_num_threads()}", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="train each system once per seed (--system.seed)")
    add_run_options(parser)
    args = parser.parse_args()
    root = data_dir(args.data_dir)
    results = {"seeds": args.seeds, "datasets": {}}
    for name in args.datasets:
        lang, fmt, *splits = DATASETS[name]
        paths = convert_splits(name, lang, fmt, splits, root)
        entry = {"nlp_rnn": summary(train_and_evaluate_seeds(name, "rnn", cli("train", f"pipelines/intent_{lang}.cfg"), paths,
                                                         args.seeds, reuse="ours" in args.reuse))}
        if not args.skip_peer:
            peer_config = spacy_default_config(lang, "textcat")
            entry["spacy_textcat"] = summary(train_and_evaluate_seeds(name, "textcat", spacy_cli("train", peer_config), paths,
                                                                      args.seeds, reuse="peer" in args.reuse, minutes=args.peer_minutes))
        entry["target"] = TARGETS[name]
        results["datasets"][name] = entry
        print(name, json.dumps(entry, indent=1), flush=True)
    if not args.skip_peer and "snips" in results["datasets"]:
        snips = results["datasets"]["snips"]
        results["throughput"] = compare_throughput(snips["nlp_rnn"]["model"], snips["spacy_textcat"]["model"], snips_texts(root))
    if args.skip_peer:  # ours alone: its own result files, the full table stays as it was
        write_results("intent_ours", results, markdown(results))
        return
    write_results("intent", results, markdown(results))


if __name__ == "__main__":
    main()
