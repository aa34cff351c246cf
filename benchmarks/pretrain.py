"""Semi-supervised joint intent + slots: does a pretrained encoder (`nlp-rnn pretrain`) help when
only a few utterances are labelled?

    python benchmarks/pretrain.py [--datasets snips cais] [--fractions 0.01 0.1 1.0] [--seeds 0]
        [--subset-seed 0] [--pretrain-minutes 20] [--pretrain-steps 0] [--max-minutes M]
        [--data-dir ../shared/data] [--fresh]
    python benchmarks/pretrain.py --smoke      # the bundled data/en, data/zh samples, a few steps

Protocol, per data set (SNIPS with pipelines/joint_en.cfg, CAIS with pipelines/joint_zh.cfg):

1. `nlp-rnn convert` the train / valid / test splits (benchmarks/common.py).
2. Labelled part: a fixed-seed random subset (`--subset-seed`) of each fraction of the converted
   train DocBin (`--fractions`; 1.0 = all of it).
3. `nlp-rnn pretrain` the config's encoder once on the texts of the whole train split (its labels
   are never read), for `--pretrain-minutes` (and/or `--pretrain-steps`).
4. For each fraction: `nlp-rnn train` the config on the labelled part, without (`baseline`) and with
   (`pretrained`) `--initialize.components.rnn_joint.init_encoder ENCODER`; everything else equal
   (same config, seeds, the full valid split as dev set for early stopping and the prior /
   temperature choices, `--max-minutes` per training); `nlp-rnn evaluate` model-best on test.
5. Report test intent accuracy and slot F1 (exact span + label) per fraction and their difference;
   target: at least +1.5 slot F1 at 10%.

Resumable: every finished unit (pretraining, one training + evaluation) is kept in
benchmarks/results/pretrain.json as soon as it ends, and a rerun with the same settings skips it
(a model that finished training but was not evaluated is evaluated, not retrained; more
`--fractions` may be added later). Other settings need `--fresh`, which forgets the chosen data
sets' units and removes their encoders and models. Writes benchmarks/results/pretrain.json
and pretrain.md (rendered from the JSON). `--smoke` writes under benchmarks/results/work/ only.
"""

import argparse
import json
import os
import platform
import shutil
import sys
from pathlib import Path
from typing import Dict, List, Optional

from common import RESULTS, ROOT, WORK, cli, convert_splits, data_dir, mean_and_spread, run, train_and_evaluate_seeds, train_subset, write_results

DATASETS = {
    # name: (lang, convert format, config, train, dev, test)  (relative to --data-dir)
    "snips": ("en", "snips", "pipelines/joint_en.cfg", "snips/train", "snips/valid", "snips/test"),
    "cais": ("zh", "cais", "pipelines/joint_zh.cfg", "cais/train", "cais/valid", "cais/test"),
}
SMOKE_DATASETS = {
    # the bundled samples (relative to the checkout), a few steps: checks the plumbing, not the method
    "smoke_en": ("en", "jsonl", "pipelines/joint_en.cfg", "data/en/train.jsonl", "data/en/dev.jsonl", "data/en/test.jsonl"),
    "smoke_zh": ("zh", "jsonl", "pipelines/joint_zh.cfg", "data/zh/train.jsonl", "data/zh/dev.jsonl", "data/zh/test.jsonl"),
}
SMOKE_TRAINING = ["--training.max_steps", "20", "--training.eval_frequency", "10"]
COMPONENT = "rnn_joint"
INIT_OVERRIDE = f"--initialize.components.{COMPONENT}.init_encoder"
TARGET = {"fraction": 0.1, "metric": "span_f1", "gain": 0.015}
KEEP = ("intent_accuracy", "span_f1", "exact_match", "train_seconds", "seconds_to_best_dev", "stopped_at_deadline",
        "seeds", "per_seed", "spread")
ARMS = ("baseline", "pretrained")
PRETRAIN_MINUTES = 20.0  #: pretraining budget per data set (also benchmarks/levers.py's pretrained_encoder)


def pretrain(name: str, config: Path, train: Path, args, work: Path, extra: List[str]) -> Dict:
    """``nlp-rnn pretrain`` on the train split's texts (once; reused while its encoder.json exists)."""
    out = work / "encoders" / name
    if not (out / "encoder.json").exists():
        steps = ["--max-steps", str(args.pretrain_steps)]
        minutes = ["--max-minutes", str(args.pretrain_minutes)] if args.pretrain_minutes else []
        run(cli("pretrain", config, train, out, *steps, *minutes, "--seed", str(args.subset_seed), *extra),
            WORK / "logs" / f"pretrain_{name}.log")
    training = json.loads((out / "encoder.json").read_text(encoding="utf8"))["training"]
    keep = ("steps", "epochs", "seconds", "best_step", "texts", "train_tokens", "softmax_words", "masked_features",
            "dev_perplexity_forward", "dev_perplexity_backward", "stopped_by")
    return dict({k: training.get(k) for k in keep}, encoder=str(out))


def forget(names: List[str], results: Dict, work: Path) -> None:
    """--fresh: drop the units, encoders and models of these data sets."""
    for name in names:
        results["pretraining"].pop(name, None)
        results["units"] = {k: v for k, v in results["units"].items() if not k.startswith(f"{name}/")}
        shutil.rmtree(work / "encoders" / name, ignore_errors=True)
        for model_dir in (WORK / "models").glob(f"pretrain_{name}_*"):
            shutil.rmtree(model_dir, ignore_errors=True)


def fmt_delta(baseline: Optional[Dict], pretrained: Optional[Dict], metric: str) -> str:
    if not baseline or not pretrained or baseline.get(metric) is None or pretrained.get(metric) is None:
        return "—"
    return f"{100 * (pretrained[metric] - baseline[metric]):+.2f}"


def budget(protocol: Dict) -> str:
    limits = [f"{protocol['pretrain_minutes']:g} min"] if protocol.get("pretrain_minutes") else []
    limits += [f"{protocol['pretrain_steps']} steps"] if protocol.get("pretrain_steps") else []
    return "at most " + " or ".join(limits)


def markdown(results: Dict) -> str:
    p = results["protocol"]
    lines = [
        "# Encoder pretraining: semi-supervised joint intent + slots (test split, CPU)",
        "",
        f"Labelled: a fixed-seed subset (seed {p['subset_seed']}) of each share of the train split; the encoder is",
        f"pretrained (`nlp-rnn pretrain`, {budget(p)}) on the texts",
        "of the whole train split, labels dropped; both arms train the same config on the labelled part, dev = the full",
        f"valid split; training seeds {p['seeds']} (figures: mean ± half the spread). Target: ≥ +{100 * TARGET['gain']:.1f} slot F1 at"
        f" {100 * TARGET['fraction']:g}%.",
        "",
        "| data set | labelled | utterances | intent acc. baseline | pretrained | Δ | slot F1 baseline | pretrained | Δ |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, pre in results["pretraining"].items():
        for fraction in p["fractions"]:
            base = results["units"].get(f"{name}/{fraction:g}/baseline")
            ours = results["units"].get(f"{name}/{fraction:g}/pretrained")
            size = (base or ours or {}).get("labelled_docs", "—")
            cells = [name, f"{100 * fraction:g}%", str(size)]
            for metric in ("intent_accuracy", "span_f1"):
                cells += [mean_and_spread(base or {}, metric), mean_and_spread(ours or {}, metric), fmt_delta(base, ours, metric)]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Pretraining (held-out perplexity on 5% of the texts, forward / backward LM):", ""]
    for name, pre in results["pretraining"].items():
        lines.append(
            f"- {name}: {pre['texts']} texts, {pre['steps']} steps ({pre['epochs']} passes) in {pre['seconds'] / 60:.1f} min, "
            f"stopped by {pre['stopped_by']}; perplexity {pre.get('dev_perplexity_forward') or float('nan'):.1f} / "
            f"{pre.get('dev_perplexity_backward') or float('nan'):.1f} (best step {pre['best_step']}); softmax over "
            f"{pre['softmax_words']} words; masked features: {', '.join(pre['masked_features']) or 'none'}"
        )
    verdicts = []
    for name in results["pretraining"]:
        base = results["units"].get(f"{name}/{TARGET['fraction']:g}/baseline")
        ours = results["units"].get(f"{name}/{TARGET['fraction']:g}/pretrained")
        if base and ours:
            gain = ours[TARGET["metric"]] - base[TARGET["metric"]]
            verdicts.append(f"{name} {100 * gain:+.2f} ({'met' if gain >= TARGET['gain'] else 'missed'})")
    if verdicts:
        lines += ["", f"Target (slot F1 gain at {100 * TARGET['fraction']:g}% labelled ≥ +{100 * TARGET['gain']:.1f}): " + "; ".join(verdicts)]
    threads = os.environ.get("NLP_RNN_THREADS") or os.environ.get("OMP_NUM_THREADS") or "torch default"
    lines += ["", f"Machine: {platform.machine()}; torch threads per training: {threads}", ""]
    return "\n".join(lines)


def merge_other_datasets(results: Dict, names: List[str], path: Path) -> Dict:
    """``results`` plus what another run (on other data sets, e.g. in parallel with
    NLP_RNN_THREADS=1) wrote to ``path`` since this one started."""
    if not path.exists():
        return results
    on_disk = json.loads(path.read_text())
    mine = lambda key: key.split("/")[0] in names  # noqa: E731
    merged = dict(results)
    merged["pretraining"] = dict({k: v for k, v in on_disk.get("pretraining", {}).items() if not mine(k)},
                                 **{k: v for k, v in results["pretraining"].items() if mine(k)})
    merged["units"] = dict({k: v for k, v in on_disk.get("units", {}).items() if not mine(k)},
                           **{k: v for k, v in results["units"].items() if mine(k)})
    return merged


def save(results: Dict, smoke: bool, names: List[str]) -> None:
    if smoke:  # the sample data say nothing about the method: keep benchmarks/results clean
        out = WORK / "pretrain_smoke"
        out.mkdir(parents=True, exist_ok=True)
        (out / "pretrain.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
        (out / "pretrain.md").write_text(markdown(results))
        print(markdown(results))
        print(f"wrote {out / 'pretrain.json'} and {out / 'pretrain.md'}")
    else:
        results = merge_other_datasets(results, names, RESULTS / "pretrain.json")
        write_results("pretrain", results, markdown(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--fractions", nargs="+", type=float, default=[0.01, 0.1, 1.0], help="labelled shares of the train split")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0], help="training seeds (--system.seed), both arms")
    parser.add_argument("--subset-seed", type=int, default=0, help="seed of the labelled subsets and of pretraining")
    parser.add_argument("--max-minutes", type=float, default=None, help="stop each training after M minutes (model-best so far is scored)")
    parser.add_argument("--pretrain-minutes", type=float, default=PRETRAIN_MINUTES, help="pretraining time per data set")
    parser.add_argument("--pretrain-steps", type=int, default=0, help="pretraining step limit (0: time only)")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--fresh", action="store_true", help="forget earlier units, encoders and models of these data sets")
    parser.add_argument("--smoke", action="store_true", help="bundled sample data, 20 steps: checks the plumbing only")
    args = parser.parse_args()
    if any(not 0 < f <= 1 for f in args.fractions):
        sys.exit("--fractions must be in (0, 1]")
    if args.smoke:
        datasets, root, train_extra = SMOKE_DATASETS, ROOT, SMOKE_TRAINING
        args.pretrain_steps, args.pretrain_minutes = args.pretrain_steps or 20, None
        pretrain_extra = ["--eval-every", "10", "--batch-size", "32"]
        names = list(SMOKE_DATASETS)
    else:
        datasets, root, train_extra, pretrain_extra, names = DATASETS, data_dir(args.data_dir), [], [], args.datasets
    if not args.pretrain_steps and not args.pretrain_minutes:
        sys.exit("give --pretrain-minutes or --pretrain-steps")
    work = WORK / ("pretrain_smoke" if args.smoke else "pretrain")
    results_path = (work / "pretrain.json") if args.smoke else RESULTS / "pretrain.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results.setdefault("pretraining", {})
    results.setdefault("units", {})
    protocol = {"seeds": args.seeds, "subset_seed": args.subset_seed, "pretrain_minutes": args.pretrain_minutes,
                "pretrain_steps": args.pretrain_steps, "max_minutes": args.max_minutes, "smoke": args.smoke}
    earlier = {k: v for k, v in results.get("protocol", {}).items() if k in protocol}
    if args.fresh:  # another protocol: every data set's units are stale
        forget(names if earlier == protocol else sorted(set(names) | set(results["pretraining"])), results, work)
    elif results["units"] and earlier != protocol:
        sys.exit(f"{results_path} holds units of another protocol ({earlier}, now {protocol}): rerun with --fresh")
    results["protocol"] = dict(protocol, fractions=sorted(set(args.fractions) | set(results.get("protocol", {}).get("fractions", []))))
    for name in names:
        lang, fmt, config, *splits = datasets[name]
        paths = convert_splits(name, lang, fmt, splits, root)
        init_config = ROOT / config  # the shipped configs carry [initialize.components.rnn_joint] init_encoder = null
        results["pretraining"][name] = pretrain(name, init_config, paths["train"], args, work, pretrain_extra)
        save(results, args.smoke, names)
        encoder = results["pretraining"][name]["encoder"]
        for fraction in args.fractions:
            subset = train_subset(paths["train"], fraction, args.subset_seed, work / "corpus" / name)
            unit_paths = dict(paths, train=subset["path"])
            for arm in ARMS:
                key = f"{name}/{fraction:g}/{arm}"
                if key in results["units"]:
                    print(f"done earlier: {key}", flush=True)
                    continue
                command = cli("train", init_config, *train_extra, *([INIT_OVERRIDE, encoder] if arm == "pretrained" else []))
                metrics = train_and_evaluate_seeds(f"pretrain_{name}_{fraction:g}", arm, command, unit_paths, args.seeds,
                                                   reuse=True, minutes=args.max_minutes)
                results["units"][key] = dict({k: metrics[k] for k in KEEP if k in metrics}, labelled_docs=subset["docs"])
                save(results, args.smoke, names)


if __name__ == "__main__":
    main()
