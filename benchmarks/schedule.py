"""Does the data-following schedule fit the data? One intent config at several data sizes.

    python benchmarks/schedule.py [--sets banking77 snips] [--fractions 0.1 0.3 1.0] [--seed 0]
        [--config pipelines/intent_en.cfg] [--max-minutes M] [--data-dir ../shared/data] [--fresh]

The shipped configs train with ``nlp_rnn.warmup_plateau.v1`` (warm-up, then the rate halves when
the dev score stalls), ``max_steps = 0`` and spaCy's early stopping (``[training] patience``
steps without a better dev score) or ``max_epochs``. The question from the issue: does training
stop because the dev score stopped rising, at every size, or is it cut while still improving (the
old fixed 3,000-step decay stopped BANKING77-sized data with dev accuracy rising)?

For each data set (BANKING77: 77 intents, train_split.csv → dev.csv; SNIPS: 7 intents, train →
valid) and each labelled fraction of its train split (a fixed-seed subset, ``--seed``), the
config is trained once with ``nlp-rnn train`` on train / dev only. From the run's
``model-best/meta.json`` (every evaluation) and its log: steps, passes over the data, what
stopped it (``patience``: early stopping; ``max_epochs``; ``deadline``: ``--max-minutes``), the
best dev score and its step, the dev score at the last evaluation, the gain over the last
quarter of the evaluations, and how many times the rate was halved. Test accuracy of model-best
is computed once, for the record, and chose nothing. Writes benchmarks/results/schedule.{json,md};
finished runs are kept and skipped by a rerun (``--fresh`` forgets them).
"""

import argparse
import json
import os
import platform
import re
import shutil
from pathlib import Path
from typing import Dict, Optional

from common import RESULTS, ROOT, WORK, cli, convert_splits, data_dir, run, train_model, train_subset, write_results

SETS = {
    # name: (convert format, extra convert options, train, dev, test) relative to --data-dir
    "banking77": ("csv", ["--label-column", "category"], "banking77/train_split.csv", "banking77/dev.csv", "banking77/test.csv"),
    "snips": ("snips", [], "snips/train", "snips/valid", "snips/test"),
}
TABLE_ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+[\d.]+")  # spaCy's console table: epoch, step, losses...
DECAY_LINE = "warmup_plateau: learn rate decayed"


def convert_set(name: str, root: Path) -> Dict[str, Path]:
    fmt, options, *splits = SETS[name]
    return convert_splits(name, "en", fmt, splits, root, options)


def last_epoch(log: Path) -> Optional[int]:
    """The epoch column of the last row of spaCy's training table in ``log``."""
    rows = [TABLE_ROW.match(line) for line in log.read_text(encoding="utf8", errors="replace").splitlines()]
    rows = [row for row in rows if row]
    return int(rows[-1].group(1)) if rows else None


def stop_reason(run: Dict, patience: int) -> str:
    """``deadline`` (--max-minutes), ``patience`` (spaCy's early stopping: ``patience`` steps after
    the *earliest* evaluation with the best score, so a tie does not extend training) or
    ``max_epochs``."""
    if run.get("stopped_at_deadline", run.get("stopped_by") == "deadline"):
        return "deadline"
    scored = [(score, -step) for step, score in run["evaluations"]]
    earliest_best = -max(scored)[1] if scored else 0
    return "patience" if run["final_step"] - earliest_best >= patience else "max_epochs"


def training_settings(config: Path) -> Dict:
    from spacy.util import load_config

    training = load_config(config)["training"]
    return {"patience": training["patience"], "max_epochs": training["max_epochs"], "max_steps": training["max_steps"],
            "eval_frequency": training["eval_frequency"]}


def one_run(name: str, fraction: float, paths: Dict[str, Path], args, settings: Dict) -> Dict:
    subset = train_subset(paths["train"], fraction, args.seed, WORK / "corpus" / name)
    out_dir = WORK / "schedule" / f"{name}_{fraction:g}"
    log = WORK / "logs" / f"schedule_{name}_{fraction:g}.log"
    shutil.rmtree(out_dir, ignore_errors=True)
    command = cli("train", args.config, "--system.seed", str(args.seed), "--no-tune-prior")
    timing = train_model(command, out_dir, dict(paths, train=subset["path"]), log, args.max_minutes)
    meta = json.loads((out_dir / "model-best" / "meta.json").read_text())["training"]
    evaluations = meta["evaluations"]
    scores = [score for step, score in evaluations if step > 0]
    quarter = max(1, len(scores) // 4)
    test_out = WORK / f"schedule_{name}_{fraction:g}_test.json"
    run(cli("evaluate", out_dir / "model-best", paths["test"], "--output", test_out), WORK / "logs" / f"eval_schedule_{name}_{fraction:g}.log")
    test = json.loads(test_out.read_text())
    text = log.read_text(encoding="utf8", errors="replace")
    return {
        "utterances": subset["docs"], "fraction": fraction, "final_step": meta["final_step"], "best_step": meta["step"],
        "epochs": last_epoch(log), "stopped_at_deadline": timing["stopped_at_deadline"],
        "best_dev": meta["score"], "last_dev": scores[-1] if scores else None,
        "gain_last_quarter": (max(scores[-quarter:]) - max(scores[:-quarter])) if len(scores) > quarter else None,
        "rate_halvings": text.count(DECAY_LINE), "evaluations": evaluations,
        "train_seconds": timing["train_seconds"], "seconds_to_best_dev": timing["seconds_to_best_dev"],
        "test_intent_accuracy": test.get("intent_accuracy"),
    }


def markdown(results: Dict) -> str:
    s = results["settings"]
    lines = [
        "# The data-following schedule at several data sizes (intent, CPU)", "",
        f"Config `{results['config']}`: warmup_plateau learning rate, `max_steps = {s['max_steps']}`, early stopping after "
        f"{s['patience']} steps without a better dev score, at most {s['max_epochs']} passes, evaluation every {s['eval_frequency']} steps. "
        f"One run per size (seed {results['seed']}; subsets drawn with the same seed), train / dev only; the test column chose nothing.", "",
        "| data set | utterances | steps | passes | stopped by | best dev (step) | last dev | gain in the last quarter of evaluations | rate halvings | minutes | test acc. |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, r in results["runs"].items():
        gain = "–" if r["gain_last_quarter"] is None else f"{100 * r['gain_last_quarter']:+.2f}"
        test = "–" if r["test_intent_accuracy"] is None else f"{100 * r['test_intent_accuracy']:.2f}"
        lines.append(
            f"| {key.split('/')[0]} | {r['utterances']:,} | {r['final_step']:,} | {r['epochs']} | {stop_reason(r, s['patience'])} | "
            f"{100 * r['best_dev']:.2f} ({r['best_step']:,}) | {100 * r['last_dev']:.2f} | {gain} | {r['rate_halvings']} | "
            f"{r['train_seconds'] / 60:.1f} | {test} |"
        )
    lines += ["", "A run that fits its data stops by `patience` with a gain near zero in the last quarter of its evaluations.",
              "", f"Machine: {platform.machine()}; torch threads: {results['threads']}", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--fractions", nargs="+", type=float, default=[0.1, 0.3, 1.0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", type=Path, default=ROOT / "pipelines" / "intent_en.cfg")
    parser.add_argument("--max-minutes", type=float, default=None, help="stop a training after M minutes (marked)")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--only-render", action="store_true", help="render schedule.md from schedule.json again")
    args = parser.parse_args()
    if args.only_render:
        results = json.loads((RESULTS / "schedule.json").read_text())
        write_results("schedule", results, markdown(results))
        return
    root = data_dir(args.data_dir)
    path = RESULTS / "schedule.json"
    results = json.loads(path.read_text()) if path.exists() and not args.fresh else {}
    settings = training_settings(args.config)
    results.update(config=str(args.config.resolve().relative_to(ROOT)), seed=args.seed, settings=settings,
                   threads=os.environ.get("NLP_RNN_THREADS") or os.environ.get("OMP_NUM_THREADS") or "torch default")
    results.setdefault("runs", {})
    for name in args.sets:
        paths = convert_set(name, root)
        for fraction in args.fractions:
            key = f"{name}/{fraction:g}"
            if key in results["runs"]:
                print(f"done earlier: {key}", flush=True)
                continue
            results["runs"][key] = one_run(name, fraction, paths, args, settings)
            write_results("schedule", results, markdown(results))


if __name__ == "__main__":
    main()
