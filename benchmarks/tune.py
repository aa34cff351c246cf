"""Dev tuning: train a named grid of config overrides on train / dev only and pick by dev score.

Superseded for new searches by ``nlp-rnn tune`` (Optuna TPE + pruning, resumable, ``--jobs`` /
``--ray``; README "Hyperparameter search on your data"), whose default spaces take their ranges
from benchmarks/grids.json. This grid driver stays for the records in benchmarks/results/tune_*.md
that chose the shipped defaults.

    python benchmarks/tune.py CONFIG [--grid default] [--data-dir DIR] [--seeds 0] [--recheck-seed 1]
                              [--top 2] [--max-minutes M] [--dry-run] [--only-render]
    python benchmarks/tune.py CONFIG --train TRAIN.spacy [--dev DEV.spacy] ...   (your own data)

CONFIG is a file stem of pipelines/ (intent_en, intent_zh, joint_en, joint_zh, ner_zh, ner_en).
Grids live in benchmarks/grids.json: ``{config: {grid: {"base": {key: value}, "axes": {key:
[values]}}}}``; the points are the cartesian product of the axes, each on top of the base. Keys are
spaCy dotted config paths, passed as ``nlp-rnn train pipelines/CONFIG.cfg --key value ...``; a
grid may not set ``paths.*``, ``corpora.*`` or the seed (``--seeds`` sets ``system.seed``).

Data (named sets, converted by benchmarks/common.py into benchmarks/results/work/corpus/):
intent_en, joint_en: SNIPS; intent_zh, joint_zh: CAIS; ner_zh: Resume NER; ner_en: SNIPS and ATIS
slots (the dev score is the mean of the two). Only the train and dev splits are converted or
read; the test split is never touched. A named set without a dev split (none at present), or
``--train`` given without ``--dev``, gets a fixed dev split carved from train: the documents are
shuffled with ``random.Random(0)`` and the first 10% (at least one) become dev, the rest train;
the same file always gives the same split, whatever ``--seeds`` says.

A run's dev score is what the training loop wrote into ``model-best/meta.json``: its
``"training"`` entry (``step``, ``score``, ``evaluations``) and ``"performance"`` (intent_acc,
span_f, ...). The score is spaCy's weighted dev score from ``[training.score_weights]`` at the
model-best step, before the intent prior correction that ``nlp-rnn train`` chooses on dev.

Every point is trained once per ``--seeds`` seed, one run at a time (threads: set
OMP_NUM_THREADS in the caller's environment; this script does not). Points are ranked by their
mean dev score over those seeds; with ``--recheck-seed S`` the ``--top`` best are trained again on
seed S and the pick is the best mean over all their seeds. ``--max-minutes`` stops each training
after that long (its model-best so far is scored; the run is marked). Each finished run is
appended at once to benchmarks/results/tune_<CONFIG>.json (settings, seed, dev figures, seconds,
command); a point + seed + data set + time limit already there is not trained again, so an
interrupted tuning resumes. The pick is written into the JSON, and tune_<CONFIG>.md is rendered
from the JSON alone (``--only-render`` renders it again without training). Trained models are
deleted after scoring unless ``--keep-models``.
"""

import argparse
import json
import os
import platform
import shutil
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from common import RESULTS, ROOT, WORK, chosen_prior_weights, cli, data_dir, rel, train_model
from tuning_data import CONFIGS, given_data, named_data
from tuning_grid import GRIDS, MAX_POINTS, GridError, expand, load_grid, override_problems, point_id
from tuning_pick import choose, find_run, rank
from tuning_report import write_markdown


# --- one training run -----------------------------------------------------------------------

def train_command(config_path: Path, settings: Dict[str, Any], seed: int) -> List[str]:
    """``nlp-rnn train CONFIG --key value ... --system.seed SEED`` (common.train_model adds
    ``--output`` and the train / dev paths). Values are written as JSON, as spaCy parses them."""
    overrides = [item for key, value in settings.items() for item in (f"--{key}", json.dumps(value))]
    return cli("train", config_path, *overrides, "--system.seed", str(seed))


def shown(command: Sequence) -> str:
    """A command as a user would type it: ``nlp-rnn`` for this interpreter, paths relative to the repository."""
    words = [str(c) for c in command]
    if words[:3] == [sys.executable, "-m", "nlp_rnn"]:
        words = ["nlp-rnn", *words[3:]]
    words = [rel(Path(w)) if os.path.isabs(w) else w for w in words]
    return " ".join(w if w and not set(w) & set(" \"'[]{}*") else "'" + w + "'" for w in words)


def dev_figures(model_best: Path) -> Dict[str, Any]:
    """Dev score, figures and best step from ``model-best/meta.json``."""
    meta = json.loads((model_best / "meta.json").read_text())
    training = meta.get("training")
    if not training or training.get("score") is None:
        raise GridError(f"{model_best / 'meta.json'}: no 'training' entry with the dev score")
    figures = {key: value for key, value in meta.get("performance", {}).items()
               if isinstance(value, (int, float)) and not key.endswith("_loss")}
    return {"score": training["score"], "figures": figures, "best_step": training.get("step"),
            "final_step": training.get("final_step"), "evaluations": training.get("evaluations", [])}


def train_run(config_path: Path, settings: Dict[str, Any], seed: int, dataset: str, paths: Dict[str, Path],
              work_dir: Path, max_minutes: Optional[float], keep_models: bool) -> Dict[str, Any]:
    """Train one point on one seed and data set; the run's record for the results JSON."""
    name = f"{dataset}-{point_id(settings)}-s{seed}"
    out_dir = work_dir / "models" / config_path.stem / name
    log = work_dir / "logs" / config_path.stem / f"{name}.log"
    command = train_command(config_path, settings, seed)
    timing = train_model(command, out_dir, paths, log, max_minutes)
    record = {"settings": settings, "seed": seed, "dataset": dataset, "max_minutes": max_minutes,
              **dev_figures(out_dir / "model-best"),
              "train_seconds": round(timing["train_seconds"], 1),
              "seconds_to_best_dev": round(timing["seconds_to_best_dev"], 1),
              "stopped_at_deadline": timing["stopped_at_deadline"], "trained_at": timing["trained_at"],
              "prior_weights": chosen_prior_weights(out_dir / "model-best"),
              "command": shown([*command, "--output", out_dir, "--paths.train", paths["train"], "--paths.dev", paths["dev"]]),
              "log": rel(log)}
    if not keep_models:
        shutil.rmtree(out_dir)
    return record


# --- the driver -------------------------------------------------------------------------------

def load_results(path: Path, config: str, data: Dict[str, Dict[str, Any]]) -> Dict:
    """The results so far (resuming), or a new file's skeleton; refuses one made on other data."""
    shown_data = {name: {"train": rel(d["train"]), "dev": rel(d["dev"]), "origin": d["origin"], "dev_carved": d["dev_carved"]}
                  for name, d in data.items()}
    if path.exists():
        results = json.loads(path.read_text(encoding="utf8"))
        if results.get("data") != shown_data:
            raise GridError(f"{path} holds runs on other data ({json.dumps(results.get('data'))}): "
                            "move it away or pass another --results-dir")
        return results
    return {"config": config, "config_file": f"pipelines/{config}.cfg", "data": shown_data,
            "splits_read": ["train", "dev"], "environment": {}, "runs": []}


def save(path: Path, results: Dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf8")
    tmp.replace(path)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", choices=list(CONFIGS), metavar="CONFIG", help=f"one of {', '.join(CONFIGS)}")
    parser.add_argument("--grid", default="default", help="grid name in the grids file (default: default)")
    parser.add_argument("--grids", type=Path, default=GRIDS, help="grids file (default: benchmarks/grids.json)")
    parser.add_argument("--data-dir", default=None, help="the shared data folder (default: ../shared/data)")
    parser.add_argument("--train", type=Path, default=None, help="tune on this train .spacy instead of the named data")
    parser.add_argument("--dev", type=Path, default=None, help="with --train: its dev .spacy (default: carved from train)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--recheck-seed", type=int, default=None, help="re-run the --top best points on this seed too")
    parser.add_argument("--top", type=int, default=2)
    parser.add_argument("--max-minutes", type=float, default=None, help="stop each training after this long")
    parser.add_argument("--max-points", type=int, default=MAX_POINTS, help=f"refuse grids with more points (default {MAX_POINTS})")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    parser.add_argument("--work-dir", type=Path, default=WORK / "tune", help="models, logs and carved splits")
    parser.add_argument("--keep-models", action="store_true")
    parser.add_argument("--dry-run", action="store_true", help="show the points and commands, train nothing")
    parser.add_argument("--only-render", action="store_true", help="render tune_<CONFIG>.md from its JSON again")
    args = parser.parse_args(argv)
    if args.dev is not None and args.train is None:
        parser.error("--dev needs --train")
    if args.recheck_seed is not None and args.recheck_seed in args.seeds:
        parser.error(f"--recheck-seed {args.recheck_seed} is already in --seeds")
    if args.top < 1:
        parser.error("--top must be at least 1")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    path = args.results_dir / f"tune_{args.config}.json"
    if args.only_render:
        if not path.exists():
            sys.exit(f"{path}: no results to render")
        write_markdown(path, json.loads(path.read_text(encoding="utf8")))
        return
    try:
        tune(args, path)
    except GridError as error:
        sys.exit(str(error))


def tune(args: argparse.Namespace, path: Path) -> None:
    config_path = ROOT / "pipelines" / f"{args.config}.cfg"
    if not config_path.exists():
        raise GridError(f"{config_path}: no such config")
    grid = load_grid(args.grids, args.config, args.grid)
    points = expand(grid)
    if len(points) > args.max_points:
        raise GridError(f"{args.grids}: {args.config}.{args.grid} has {len(points)} points, more than --max-points {args.max_points}")
    problems = override_problems(config_path, points)
    if args.train is not None:
        data = given_data(args.train, args.dev, args.work_dir)
    else:
        data = named_data(args.config, data_dir(args.data_dir), convert=not args.dry_run)
    datasets = list(data)
    results = load_results(path, args.config, data)
    if args.dry_run:
        for index, settings in enumerate(points):
            for seed in args.seeds:
                for name in datasets:
                    done = "done" if find_run(results["runs"], settings, seed, name, args.max_minutes) else "to run"
                    command = [*train_command(config_path, settings, seed), "--paths.train", data[name]["train"], "--paths.dev", data[name]["dev"]]
                    print(f"point {index} seed {seed} {name} [{done}]: {shown(command)}")
        if args.recheck_seed is not None:
            print(f"then the top {args.top} points again on seed {args.recheck_seed}")
        if problems:
            sys.exit("\n".join(["the grid cannot run yet:", *problems]))
        return
    if problems:
        raise GridError("\n".join(["the grid cannot run yet:", *problems]))
    results["environment"] = {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
                              "MKL_NUM_THREADS": os.environ.get("MKL_NUM_THREADS"),
                              "machine": platform.machine(), "processor": platform.processor(), "cpus": os.cpu_count()}
    run_all(results, path, config_path, args, points, args.seeds, data)
    if args.recheck_seed is not None:
        top = [entry["settings"] for entry in rank(points, results["runs"], args.seeds, datasets, args.max_minutes)[: args.top]]
        run_all(results, path, config_path, args, top, [args.recheck_seed], data)
    pick = choose(points, results["runs"], datasets, args.seeds, args.recheck_seed, args.top, args.max_minutes)
    pick.update(grid=args.grid, grid_spec=grid, invocation=invocation(args))
    results["pick"] = pick
    save(path, results)
    write_markdown(path, results)
    print(f"pick: point {pick['point']} {json.dumps(pick['settings'])} dev score {pick['score']:.4f}")


def run_all(results: Dict, path: Path, config_path: Path, args: argparse.Namespace,
            points: Sequence[Dict], seeds: Sequence[int], data: Dict[str, Dict[str, Any]]) -> None:
    """Train every point on every seed and data set not yet in ``results`` (saved after each run)."""
    for seed in seeds:
        for settings in points:
            for name, paths in data.items():
                if find_run(results["runs"], settings, seed, name, args.max_minutes):
                    print(f"skip (in {path.name}): {name} seed {seed} {json.dumps(settings)}", flush=True)
                    continue
                record = train_run(config_path, settings, seed, name, paths, args.work_dir, args.max_minutes, args.keep_models)
                results["runs"].append({"grid": args.grid, **record})
                save(path, results)


def invocation(args: argparse.Namespace) -> str:
    words = ["python benchmarks/tune.py", args.config, "--grid", args.grid, "--seeds", *map(str, args.seeds)]
    if args.recheck_seed is not None:
        words += ["--recheck-seed", str(args.recheck_seed), "--top", str(args.top)]
    if args.max_minutes is not None:
        words += ["--max-minutes", f"{args.max_minutes:g}"]
    if args.train is not None:
        words += ["--train", rel(args.train)] + (["--dev", rel(args.dev)] if args.dev else [])
    if args.grids != GRIDS:
        words += ["--grids", rel(args.grids)]
    return " ".join(words)


if __name__ == "__main__":
    main()
