"""`nlp-rnn tune` against the shipped defaults: does a search on dev find a better config, what does
pruning save, and how many trials an hour each engine runs.

    python benchmarks/tune_search.py SET [--trials 20] [--seeds 0 1 2] [--parts search noprune retrain throughput]
                                     [--fixed training.max_steps=2000 ...] [--throughput-trials 4]
                                     [--throughput-steps 400] [--data-dir ../shared/data] [--name NAME]

SET: ``snips`` (pipelines/joint_en.cfg), ``cais`` (pipelines/joint_zh.cfg), or ``sample`` (the
bundled data/en with joint_en, a smoke run). Every step is the command a user types:

- ``search``: ``nlp-rnn tune CONFIG --trials N --paths.train TRAIN --paths.dev DEV`` (TPE, percentile
  pruning; the first trial is the config's own values, so its dev score is the shipped default's);
- ``noprune``: the same search with ``--no-prune`` (same sampler seed): minutes saved by pruning,
  and whether it finds the same best config or a dev score within 0.2 points;
- ``retrain``: the shipped config and the best config of ``search``, each trained with ``nlp-rnn
  train`` once per ``--seeds`` seed and scored with ``nlp-rnn evaluate`` on test (the only reading
  of test, after every choice was made on dev);
- ``four_trials``: the wall time of ``nlp-rnn tune CONFIG --trials 4`` as a user runs it (pruning
  on), in one process and with ``--jobs 2`` (the figure for the bundled sample: under 3 minutes);
- ``throughput``: trials per hour of ``--throughput-trials`` unpruned trials of a fixed length
  (``--training.max_steps`` = ``--throughput-steps``) in one process (all CPUs), with ``--jobs 2``
  (one thread each), and on a two-node local Ray cluster (``ray.cluster_utils.Cluster``, one CPU a
  node, ``--ray ADDRESS``).

``--fixed KEY=VALUE`` adds an override to every training of the run (a reduced run, e.g. a step cap,
is written into the results and shown in the table). Searches resume from their study (rerun the
same command); each part's figures are written as soon as it ends, to
benchmarks/results/tune_search_SET.json, rendered to .md from the JSON alone.
"""

import argparse
import json
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from common import RESULTS, ROOT, WORK, cli, convert, convert_splits, data_dir, mean_and_spread, rel, run, train_and_evaluate_seeds, write_results

SETS = {
    # name: (config, lang, convert format, train, dev, test) — paths relative to the data folder,
    # or to the checkout for the bundled sample
    "snips": ("pipelines/joint_en.cfg", "en", "snips", "snips/train", "snips/valid", "snips/test"),
    "cais": ("pipelines/joint_zh.cfg", "zh", "cais", "cais/train", "cais/valid", "cais/test"),
    "sample": ("pipelines/joint_en.cfg", "en", "jsonl", "data/en/train.jsonl", "data/en/dev.jsonl", "data/en/test.jsonl"),
}
PARTS = ("search", "noprune", "retrain", "throughput", "four_trials")
ENGINES = ("1 process", "--jobs 2", "2-node Ray")
#: the issue's figures: pruning saves this share of the search's minutes ...
MIN_PRUNING_SAVING = 0.40
#: ... with the same best config or a best dev score within this many points (dev scores in %)
SAME_BEST_WITHIN = 0.2
#: shown in the retrain table (figures of nlp-rnn evaluate)
RETRAIN_FIGURES = ("intent_accuracy", "span_f1", "exact_match")


def set_paths(name: str, root: Path) -> Dict[str, Path]:
    """The set's train / dev / test DocBins, converted with ``nlp-rnn convert`` once."""
    config, lang, fmt, *splits = SETS[name]
    if name != "sample":
        return convert_splits(name, lang, fmt, splits, root)
    return {split: convert(ROOT / source, WORK / "corpus" / "tune_search_sample" / f"{split}.spacy", fmt, lang, f"sample_{split}")
            for split, source in zip(("train", "dev", "test"), splits)}


def override_args(overrides: Dict[str, str]) -> List[str]:
    return [part for key, value in overrides.items() for part in (f"--{key}", str(value))]


def parse_fixed(items: List[str]) -> Dict[str, str]:
    """``KEY=VALUE`` items as {key: value}; the data and the seed are the benchmark's."""
    fixed = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            sys.exit(f"--fixed {item!r}: expected KEY=VALUE, e.g. training.max_steps=2000")
        if key.startswith(("paths.", "corpora.")) or key == "system.seed":
            sys.exit(f"--fixed {key}: the data and the seed are set by the benchmark")
        fixed[key] = value
    return fixed


def run_search(name: str, config: str, paths: Dict[str, Path], folder: Path, trials: int, fixed: Dict[str, str],
               options: List[str]) -> Dict[str, Any]:
    """``nlp-rnn tune`` into ``folder`` (resumed when it holds the same search); its report, with the wall time."""
    command = cli("tune", config, "--output", folder, "--trials", trials, *options,
                  "--paths.train", paths["train"], "--paths.dev", paths["dev"], *override_args(fixed))
    seconds = run(command, WORK / "logs" / f"tune_search_{name}_{folder.name}.log")
    report = json.loads((folder / "report.json").read_text(encoding="utf8"))
    return {"report": rel(folder / "report.md"), "command": " ".join(str(c) for c in command), "wall_minutes": seconds / 60.0,
            **search_figures(report)}


def search_figures(report: Dict[str, Any]) -> Dict[str, Any]:
    """What the tables need from a search's report.json: minutes, counts, the best and the baseline trial."""
    trials = report.get("trials", [])
    baseline = next((t for t in trials if "baseline (the config's own values)" in t.get("notes", [])), None)
    minutes_trained = sum(t.get("minutes") or 0.0 for t in trials)
    best = report.get("best") or {}
    return {
        "minutes": report.get("minutes"), "minutes_in_trials": minutes_trained, "counts": report.get("counts"),
        "steps_trained": sum(t.get("steps") or 0 for t in trials),
        "best_trial": best.get("trial"), "best_dev_score": best.get("dev_score"), "best_params": best.get("params"),
        "best_config": best.get("config"), "pruner": report.get("pruner"),
        "baseline_dev_score": None if baseline is None or baseline.get("state") != "complete" else baseline.get("dev_score"),
    }


def pruning_figures(pruned: Dict[str, Any], unpruned: Dict[str, Any]) -> Dict[str, Any]:
    """What pruning saved, in training steps (the check: steps do not depend on what else the
    machine runs) and in the trials' minutes, and whether the best is the same (same settings, or
    dev within :data:`SAME_BEST_WITHIN` points)."""
    saving = saving_minutes = None
    if pruned.get("steps_trained") and unpruned.get("steps_trained"):
        saving = 1.0 - pruned["steps_trained"] / unpruned["steps_trained"]
    if pruned.get("minutes_in_trials") and unpruned.get("minutes_in_trials"):
        saving_minutes = 1.0 - pruned["minutes_in_trials"] / unpruned["minutes_in_trials"]
    gap = None
    if pruned.get("best_dev_score") is not None and unpruned.get("best_dev_score") is not None:
        gap = 100.0 * (unpruned["best_dev_score"] - pruned["best_dev_score"])
    same_settings = pruned.get("best_params") is not None and pruned.get("best_params") == unpruned.get("best_params")
    return {"saving": saving, "saving_minutes": saving_minutes, "dev_gap_points": gap, "same_best_settings": same_settings,
            "same_best": same_settings or (gap is not None and gap <= SAME_BEST_WITHIN)}


def retrain(name: str, config: str, best_config: Optional[str], paths: Dict[str, Path], seeds: List[int],
            fixed: Dict[str, str]) -> Dict[str, Any]:
    """The shipped config and the search's best, ``seeds`` trainings each, scored on test."""
    out = {}
    for label, path in (("default", config), ("best", best_config)):
        if path is None:
            continue
        result = train_and_evaluate_seeds(f"tune_search_{name}", label, [*cli("train", path), *override_args(fixed)], paths, seeds)
        out[label] = {k: result.get(k) for k in (*RETRAIN_FIGURES, "seconds_to_best_dev", "seeds", "per_seed", "spread")}
    return out


def throughput(name: str, config: str, paths: Dict[str, Path], trials: int, steps: int, fixed: Dict[str, str]) -> Dict[str, Any]:
    """Trials per hour of the same unpruned, fixed-length search on each engine."""
    fixed = {**fixed, "training.max_steps": str(steps), "training.patience": "0"}
    base = WORK / "tune_search" / name / "throughput"
    out = {}
    for engine, options in (("1 process", []), ("--jobs 2", ["--jobs", "2"])):
        folder = base / engine.replace(" ", "_").replace("-", "")
        out[engine] = trials_per_hour(run_search(name, config, paths, folder, trials, fixed, ["--no-prune", *options]), trials)
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        found = run_search(name, config, paths, base / "ray_2_nodes", trials, fixed,
                           ["--no-prune", "--ray", cluster.address, "--threads", "1"])
        out["2-node Ray"] = trials_per_hour(found, trials)
    finally:
        cluster.shutdown()
    return {"trials": trials, "steps_per_trial": steps, "engines": out}


def four_trials(name: str, config: str, paths: Dict[str, Path], fixed: Dict[str, str]) -> Dict[str, Any]:
    """Wall minutes of a fresh 4-trial search, in one process and with ``--jobs 2``."""
    out = {}
    for engine, options in (("1 process", []), ("--jobs 2", ["--jobs", "2"])):
        folder = WORK / "tune_search" / name / "four_trials" / engine.replace(" ", "_").replace("-", "")
        if folder.exists():
            shutil.rmtree(folder)
        found = run_search(name, config, paths, folder, 4, fixed, options)
        out[engine] = {"wall_minutes": found["wall_minutes"], "counts": found["counts"], "steps_trained": found["steps_trained"],
                       "best_dev_score": found["best_dev_score"]}
    return out


def trials_per_hour(found: Dict[str, Any], trials: int) -> Dict[str, Any]:
    minutes = found["wall_minutes"]
    return {"wall_minutes": minutes, "trials_per_hour": 60.0 * trials / minutes if minutes else None, "counts": found["counts"]}


def checks(results: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The issue's figures, each with its value and whether it is met (None: not measured)."""
    search, again = results.get("search"), results.get("retrain") or {}
    rows = []
    if search:
        best, base = search.get("best_dev_score"), search.get("baseline_dev_score")
        rows.append({"check": "best dev score ≥ the shipped default's (baseline trial)",
                     "value": None if best is None or base is None else f"{100 * best:.2f} vs {100 * base:.2f}",
                     "met": None if best is None or base is None else best >= base})
    if again.get("best") and again.get("default"):
        for figure in RETRAIN_FIGURES:
            best, default = again["best"].get(figure), again["default"].get(figure)
            if best is None or default is None:
                continue
            spread = (again["default"].get("spread") or {}).get(figure, 0.0)
            rows.append({"check": f"test {figure}: best config's mean ≥ default's mean − default's seed spread",
                         "value": f"{100 * best:.2f} vs {100 * default:.2f} (spread {100 * spread:.2f})",
                         "met": best >= default - spread})
    if results.get("pruning"):
        p = results["pruning"]
        minutes = "" if p.get("saving_minutes") is None else f" ({p['saving_minutes']:.1%} of the trials' minutes)"
        rows.append({"check": f"pruning saves ≥ {MIN_PRUNING_SAVING:.0%} of the search's training steps",
                     "value": None if p["saving"] is None else f"{p['saving']:.1%}{minutes}",
                     "met": None if p["saving"] is None else p["saving"] >= MIN_PRUNING_SAVING})
        rows.append({"check": f"same best config, or best dev within {SAME_BEST_WITHIN} points",
                     "value": "same settings" if p["same_best_settings"] else
                     (None if p["dev_gap_points"] is None else f"{p['dev_gap_points']:+.2f} points"),
                     "met": p["same_best"]})
    if results.get("four_trials"):
        fastest = min(row["wall_minutes"] for row in results["four_trials"].values())
        rows.append({"check": "4 trials in under 3 minutes (the faster engine)", "value": f"{fastest:.2f} min", "met": fastest < 3.0})
    return rows


def markdown(results: Dict[str, Any]) -> str:
    lines = [f"# nlp-rnn tune against the shipped defaults: {results['set']} ({results['config']})", "",
             f"{results['machine']} · torch threads: the CPUs of each engine · trials per search: {results['trials']} · "
             f"seeds: {results['seeds']}", ""]
    if results.get("fixed"):
        lines += [f"**Reduced run**: every training with {', '.join(f'`{k} = {v}`' for k, v in results['fixed'].items())}.", ""]
    searches = [(label, results.get(key)) for label, key in (("pruned", "search"), ("no pruning", "noprune"))]
    if any(found for _, found in searches):
        lines += ["| search | minutes in trials | complete / pruned / failed | steps trained | best trial | best dev | baseline dev |",
                  "|---|---|---|---|---|---|---|"]
        for label, found in searches:
            if not found:
                continue
            counts = found.get("counts") or {}
            lines.append(f"| {label} | {found['minutes_in_trials']:.1f} | {counts.get('complete', 0)} / {counts.get('pruned', 0)} / "
                         f"{counts.get('failed', 0)} | {found['steps_trained']:,} | {found.get('best_trial')} | "
                         f"{_points(found.get('best_dev_score'))} | {_points(found.get('baseline_dev_score'))} |")
        best = (results.get("search") or {}).get("best_params")
        if best:
            lines += ["", "Best settings (pruned search): " + ", ".join(f"`{k.split('.')[-1]}` = {_value(v)}" for k, v in best.items())]
        lines += ["", f"Pruner of the pruned search: {(results.get('search') or {}).get('pruner') or 'median (3 startup trials)'}."]
        lines.append("")
    again = results.get("retrain") or {}
    if again:
        lines += ["| config (test, mean ± half spread over seeds) | " + " | ".join(RETRAIN_FIGURES) + " | seconds to best dev |",
                  "|---|" + "---|" * (len(RETRAIN_FIGURES) + 1)]
        for label in ("default", "best"):
            if label in again:
                row = again[label]
                lines.append(f"| {label} | " + " | ".join(mean_and_spread(row, f) for f in RETRAIN_FIGURES)
                             + f" | {row.get('seconds_to_best_dev') or 0:.0f} |")
        lines.append("")
    speed = results.get("throughput")
    if speed:
        lines += [f"Trials per hour ({speed['trials']} unpruned trials of {speed['steps_per_trial']} steps each):", "",
                  "| engine | minutes | trials / hour | × 1 process |", "|---|---|---|---|"]
        one = speed["engines"].get("1 process", {}).get("trials_per_hour")
        for engine in ENGINES:
            row = speed["engines"].get(engine)
            if row:
                ratio = f"{row['trials_per_hour'] / one:.2f}" if one and row.get("trials_per_hour") else "—"
                lines.append(f"| {engine} | {row['wall_minutes']:.2f} | {row['trials_per_hour']:.1f} | {ratio} |")
        lines.append("")
    for note in results.get("notes", []):
        lines += [f"Note: {note}", ""]
    if results.get("four_trials"):
        lines += ["`nlp-rnn tune CONFIG --trials 4` from a fresh folder:", "",
                  "| engine | wall minutes | complete / pruned / failed | steps trained | best dev |", "|---|---|---|---|---|"]
        for engine, row in results["four_trials"].items():
            counts = row.get("counts") or {}
            lines.append(f"| {engine} | {row['wall_minutes']:.2f} | {counts.get('complete', 0)} / {counts.get('pruned', 0)} / "
                         f"{counts.get('failed', 0)} | {row['steps_trained']:,} | {_points(row.get('best_dev_score'))} |")
        lines.append("")
    if results.get("checks"):
        lines += ["| check | value | met |", "|---|---|---|"]
        for row in results["checks"]:
            met = "—" if row["met"] is None else ("yes" if row["met"] else "no")
            lines.append(f"| {row['check']} | {row['value'] or '—'} | {met} |")
        lines.append("")
    return "\n".join(lines)


def _points(score: Optional[float]) -> str:
    return "—" if score is None else f"{100 * score:.2f}"


def _value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", choices=list(SETS))
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--fixed", nargs="*", default=[], metavar="KEY=VALUE", help="an override for every training of the run")
    parser.add_argument("--throughput-trials", type=int, default=4)
    parser.add_argument("--throughput-steps", type=int, default=400)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--name", default=None, help="result file name (default: tune_search_SET)")
    parser.add_argument("--render", action="store_true", help="train nothing: the checks and the markdown again from the JSON")
    parser.add_argument("--note", action="append", default=[], help="with --render: a line to keep in the results (how the run went)")
    args = parser.parse_args()
    if args.render:
        name = args.name or f"tune_search_{args.set}"
        results = json.loads((RESULTS / f"{name}.json").read_text())
        results["notes"] = results.get("notes", []) + args.note
        if results.get("search") and results.get("noprune"):
            results["pruning"] = pruning_figures(results["search"], results["noprune"])
        results["checks"] = checks(results)
        write_results(name, results, markdown(results))
        return
    fixed = parse_fixed(args.fixed)
    config = SETS[args.set][0]
    paths = set_paths(args.set, ROOT if args.set == "sample" else data_dir(args.data_dir))
    name = args.name or f"tune_search_{args.set}"
    result_path = RESULTS / f"{name}.json"
    results = json.loads(result_path.read_text()) if result_path.exists() else {}
    if results and (results.get("fixed") != fixed or results.get("trials") != args.trials):
        sys.exit(f"{rel(result_path)} holds a run with other --trials / --fixed: give another --name")
    results.update(set=args.set, config=config, trials=args.trials, seeds=args.seeds, fixed=fixed,
                   machine=f"{platform.machine()}, {__import__('os').cpu_count()} CPUs")
    folder = WORK / "tune_search" / args.set
    for part in PARTS:
        if part not in args.parts:
            continue
        started = time.time()
        if part == "search":
            results["search"] = run_search(args.set, config, paths, folder / "pruned", args.trials, fixed, [])
        elif part == "noprune":
            results["noprune"] = run_search(args.set, config, paths, folder / "unpruned", args.trials, fixed, ["--no-prune"])
        elif part == "retrain":
            best = (results.get("search") or {}).get("best_config")
            results["retrain"] = retrain(args.set, config, best, paths, args.seeds, fixed)
        elif part == "four_trials":
            results["four_trials"] = four_trials(args.set, config, paths, fixed)
        elif part == "throughput":
            results["throughput"] = throughput(args.set, config, paths, args.throughput_trials, args.throughput_steps, fixed)
        if results.get("search") and results.get("noprune"):
            results["pruning"] = pruning_figures(results["search"], results["noprune"])
        results["checks"] = checks(results)
        results.setdefault("minutes_by_part", {})[part] = (time.time() - started) / 60.0
        write_results(name, results, markdown(results))


if __name__ == "__main__":
    main()
