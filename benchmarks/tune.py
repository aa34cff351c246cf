"""Dev tuning: train a named grid of config overrides on train / dev only and pick by dev score.

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
import hashlib
import itertools
import json
import os
import platform
import random
import shutil
import sys
from pathlib import Path
from statistics import mean
from typing import Any, Dict, List, Optional, Sequence

from common import RESULTS, ROOT, WORK, chosen_prior_weights, cli, convert_splits, data_dir, train_model

GRIDS = ROOT / "benchmarks" / "grids.json"
MAX_POINTS = 6
DEV_FRACTION = 0.1
CARVE_SEED = 0
CONFIGS = {
    # config stem: (trained component, tuning data sets; the dev score is their mean)
    "intent_en": ("rnn_intent", ["snips"]),
    "intent_zh": ("rnn_intent", ["cais"]),
    "joint_en": ("rnn_joint", ["snips"]),
    "joint_zh": ("rnn_joint", ["cais"]),
    "ner_zh": ("rnn_tagger", ["resume"]),
    "ner_en": ("rnn_tagger", ["snips", "atis"]),
}
DATASETS = {
    # name: (lang, convert format, train, dev or None: carved from train), relative to the data
    # folder; the names are those of benchmarks/intent.py and joint.py, so conversions are shared
    "snips": ("en", "snips", "snips/train", "snips/valid"),
    "atis": ("en", "snips", "atis/train", "atis/valid"),
    "cais": ("zh", "cais", "cais/train", "cais/valid"),
    "resume": ("zh", "bmes", "resume_ner/train.char.bmes", "resume_ner/dev.char.bmes"),
}
RESERVED = ("paths.", "corpora.", "system.seed", "training.seed")
FIGURES = ("intent_acc", "intent_macro_f", "span_f", "exact_match")


class GridError(ValueError):
    """A grid file, grid or override that cannot be run (one line naming the file and problem)."""


# --- grids -----------------------------------------------------------------------------------

def load_grid(path: Path, config: str, name: str) -> Dict[str, Dict[str, Any]]:
    """``{"base": {key: value}, "axes": {key: [values]}}`` of grid ``name`` for ``config``."""
    try:
        grids = json.loads(Path(path).read_text(encoding="utf8"))
    except (OSError, json.JSONDecodeError) as error:
        raise GridError(f"{path}: cannot read the grids: {error}") from None
    if config not in grids:
        raise GridError(f"{path}: no grids for {config!r} (configs there: {', '.join(sorted(grids))})")
    if name not in grids[config]:
        raise GridError(f"{path}: {config} has no grid {name!r} (grids: {', '.join(sorted(grids[config]))})")
    grid = grids[config][name]
    where = f"{path}: {config}.{name}"
    if not isinstance(grid, dict) or set(grid) - {"base", "axes"}:
        raise GridError(f"{where}: a grid is {{\"base\": {{...}}, \"axes\": {{...}}}}, got {json.dumps(grid)[:80]}")
    base, axes = grid.get("base", {}), grid.get("axes", {})
    if not isinstance(base, dict) or not isinstance(axes, dict):
        raise GridError(f"{where}: base and axes must be objects")
    for key, values in axes.items():
        if not isinstance(values, list) or not values:
            raise GridError(f"{where}: axis {key} must be a non-empty list of values")
        if key in base:
            raise GridError(f"{where}: {key} is both in base and an axis")
    for key in [*base, *axes]:
        if key.startswith(RESERVED):
            raise GridError(f"{where}: {key} may not be tuned (data and seed are set by tune.py)")
    return {"base": base, "axes": axes}


def expand(grid: Dict[str, Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The grid's points: the base updated with each combination of axis values, in axis order
    (the last axis varies fastest)."""
    keys = list(grid["axes"])
    return [dict(grid["base"], **dict(zip(keys, values))) for values in itertools.product(*grid["axes"].values())]


def override_problems(config_path: Path, points: Sequence[Dict[str, Any]]) -> List[str]:
    """One line per override key that ``nlp-rnn train`` would reject for this config."""
    from spacy.util import load_config

    import nlp_rnn.pipeline.intent  # noqa: F401  (registers the factories the check looks up)
    import nlp_rnn.pipeline.joint  # noqa: F401
    from nlp_rnn.training.overrides import UnknownOverrideError, check_overrides

    written = load_config(config_path, interpolate=False)
    problems = []
    for key in sorted({key for point in points for key in point}):
        try:
            check_overrides(written, [key])
        except UnknownOverrideError as error:
            problems.append(f"{rel(config_path)}: {error}")
    return problems


def point_id(settings: Dict[str, Any]) -> str:
    """A short stable name for a point (folder names)."""
    return hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]


def same_settings(a: Dict[str, Any], b: Dict[str, Any]) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


# --- data: train and dev only --------------------------------------------------------------

def carve_dev(train: Path, out_dir: Path, stem: str) -> Dict[str, Path]:
    """Split the DocBin ``train`` into ``STEM.train.spacy`` and ``STEM.dev.spacy`` in ``out_dir``:
    shuffled with ``random.Random(CARVE_SEED)``, the first ``DEV_FRACTION`` (at least one doc)
    become dev. Rewritten only when ``train`` is newer."""
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    paths = {"train": out_dir / f"{stem}.train.spacy", "dev": out_dir / f"{stem}.dev.spacy"}
    if all(p.exists() and p.stat().st_mtime >= train.stat().st_mtime for p in paths.values()):
        return paths
    docs = list(DocBin(store_user_data=True).from_disk(train).get_docs(Vocab()))
    if len(docs) < 2:
        raise GridError(f"{train}: {len(docs)} document(s), too few to carve a dev split from")
    order = list(range(len(docs)))
    random.Random(CARVE_SEED).shuffle(order)
    n_dev = max(1, round(DEV_FRACTION * len(docs)))
    out_dir.mkdir(parents=True, exist_ok=True)
    for split, indices in (("dev", order[:n_dev]), ("train", order[n_dev:])):
        DocBin(store_user_data=True, docs=[docs[i] for i in sorted(indices)]).to_disk(paths[split])
    print(f"carved {n_dev} of {len(docs)} docs of {train} into {paths['dev']} (seed {CARVE_SEED})", flush=True)
    return paths


def given_data(train: Path, dev: Optional[Path], work_dir: Path) -> Dict[str, Dict[str, Any]]:
    """``--train`` / ``--dev``: the files as given, or a dev split carved from train."""
    for path in (train, dev):
        if path is not None and not path.exists():
            raise GridError(f"{path}: no such file")
        if path is not None and "test" in path.stem.lower():
            raise GridError(f"{path}: tune.py reads only train and dev splits, and this looks like a test split")
    if dev is None:
        carved = carve_dev(train, work_dir / "carved", train.stem)
        return {"given": {**carved, "origin": f"{rel(train)}, dev carved from it", "dev_carved": True}}
    return {"given": {"train": train, "dev": dev, "origin": f"{rel(train)} → {rel(dev)}", "dev_carved": False}}


def named_data(config: str, root: Path, convert: bool = True) -> Dict[str, Dict[str, Any]]:
    """The config's tuning data sets, converted (train and dev only) with :func:`convert_splits`.
    Without ``convert``: the paths they would have (for ``--dry-run``)."""
    data = {}
    for name in CONFIGS[config][1]:
        lang, fmt, train_rel, dev_rel = DATASETS[name]
        splits = [train_rel] if dev_rel is None else [train_rel, dev_rel]  # never the test split
        if convert:
            paths = convert_splits(name, lang, fmt, splits, root)
        else:
            paths = {split: WORK / "corpus" / name / f"{split}.spacy" for split in ("train", "dev")[: len(splits)]}
        if dev_rel is None:
            paths = carve_dev(paths["train"], WORK / "corpus" / name, "tune") if convert else {
                split: WORK / "corpus" / name / f"tune.{split}.spacy" for split in ("train", "dev")}
        origin = f"{train_rel} → {dev_rel}" if dev_rel else f"{train_rel}, dev carved from it"
        data[name] = {**paths, "origin": origin, "dev_carved": dev_rel is None}
    return data


def rel(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


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


def find_run(runs: Sequence[Dict], settings: Dict, seed: int, dataset: str, max_minutes: Optional[float]) -> Optional[Dict]:
    for run in runs:
        if (run["seed"] == seed and run["dataset"] == dataset and run.get("max_minutes") == max_minutes
                and same_settings(run["settings"], settings)):
            return run
    return None


# --- the pick ---------------------------------------------------------------------------------

def seed_scores(runs: Sequence[Dict], settings: Dict, seeds: Sequence[int], datasets: Sequence[str],
                max_minutes: Optional[float]) -> Dict[int, float]:
    """{seed: dev score} of a point, for the seeds run on every data set (score: their mean)."""
    scores = {}
    for seed in seeds:
        found = [find_run(runs, settings, seed, d, max_minutes) for d in datasets]
        if all(found):
            scores[seed] = mean(run["score"] for run in found)
    return scores


def rank(points: Sequence[Dict], runs: Sequence[Dict], seeds: Sequence[int], datasets: Sequence[str],
         max_minutes: Optional[float]) -> List[Dict]:
    """Points run on every seed, best mean dev score first (ties: grid order)."""
    ranking = []
    for index, settings in enumerate(points):
        scores = seed_scores(runs, settings, seeds, datasets, max_minutes)
        if len(scores) == len(seeds):
            ranking.append({"point": index, "settings": settings, "scores": scores, "mean": mean(scores.values())})
    return sorted(ranking, key=lambda entry: (-entry["mean"], entry["point"]))


def choose(points: Sequence[Dict], runs: Sequence[Dict], datasets: Sequence[str], seeds: Sequence[int],
           recheck_seed: Optional[int] = None, top: int = 2, max_minutes: Optional[float] = None) -> Dict:
    """The pick: the best mean dev score over ``seeds``; with ``recheck_seed``, the best mean over
    ``seeds`` + ``recheck_seed`` among the ``top`` best of the first ranking (each must have
    been run on it). Raises :class:`GridError` when a needed run is missing."""
    ranking = rank(points, runs, seeds, datasets, max_minutes)
    if not ranking:
        raise GridError(f"no point has runs on all of seeds {list(seeds)}")
    on = f"{' + '.join(datasets)} dev" if len(datasets) > 1 else f"{datasets[0]} dev"
    average = " (mean of the data sets)" if len(datasets) > 1 else ""
    rule = (f"best mean {on} score{average} over seed(s) {', '.join(map(str, seeds))} "
            f"among the {len(ranking)} points of the grid")
    finalists = ranking[:1]
    if recheck_seed is not None:
        finalists = []
        for entry in ranking[:top]:
            scores = seed_scores(runs, entry["settings"], [*seeds, recheck_seed], datasets, max_minutes)
            if recheck_seed not in scores:
                raise GridError(f"point {entry['point']} of the top {top} has not been run on the recheck seed {recheck_seed}")
            finalists.append({**entry, "scores": scores, "mean": mean(scores.values())})
        finalists.sort(key=lambda entry: (-entry["mean"], entry["point"]))
        rule += (f"; the top {len(finalists)} re-run on seed {recheck_seed} and picked by the mean "
                 f"over seeds {', '.join(map(str, [*seeds, recheck_seed]))}")
    best = finalists[0]
    as_json = lambda entries: [{**e, "scores": {str(s): v for s, v in e["scores"].items()}} for e in entries]  # noqa: E731
    return {"point": best["point"], "settings": best["settings"], "score": best["mean"], "rule": rule,
            "seeds": list(seeds), "recheck_seed": recheck_seed, "top": top, "max_minutes": max_minutes,
            "datasets": list(datasets), "ranking": as_json(ranking),
            "finalists": as_json(finalists) if recheck_seed is not None else []}


# --- the markdown, from the JSON alone -------------------------------------------------------

def short_names(keys: Sequence[str]) -> Dict[str, str]:
    """The shortest dotted suffix of each key that no other key shares."""
    names = {}
    for key in keys:
        parts = key.split(".")
        for n in range(1, len(parts) + 1):
            suffix = ".".join(parts[-n:])
            if sum(other == suffix or other.endswith("." + suffix) for other in keys) == 1:
                break
        names[key] = suffix
    return names


def pct(value: Optional[float]) -> str:
    return "–" if value is None else f"{100 * value:.2f}"


def point_row_figures(runs: Sequence[Dict], settings: Dict, seeds: Sequence[int], datasets: Sequence[str],
                      max_minutes: Optional[float]) -> List[Dict]:
    return [r for r in runs if r["seed"] in seeds and r["dataset"] in datasets
            and r.get("max_minutes") == max_minutes and same_settings(r["settings"], settings)]


def render(results: Dict) -> str:
    """The markdown report of a tune_<config>.json (nothing else is read)."""
    config, pick, runs = results["config"], results.get("pick"), results["runs"]
    lines = [f"# Dev tuning: {config}" + (f" (grid `{pick['grid']}`)" if pick else ""), ""]
    lines.append(f"Config `{results['config_file']}`. Data (train → dev):")
    lines.append("")
    for name, data in results["data"].items():
        lines.append(f"- {name}: {data['origin']} (`{data['train']}`, `{data['dev']}`)")
    lines += ["", "Only train and dev splits were read; no test split was converted, passed or read. "
              "A run's dev score is spaCy's weighted dev score (`[training.score_weights]`) at the model-best "
              "step, from `model-best/meta.json`, before the intent prior correction. One run at a time; "
              f"threads: OMP_NUM_THREADS={results['environment'].get('OMP_NUM_THREADS')}.", ""]
    if not pick:
        lines += ["No pick yet (the grid has not been run to the end).", ""]
        return "\n".join(lines + runs_table(runs))
    datasets, max_minutes = pick["datasets"], pick.get("max_minutes")
    all_seeds = [*pick["seeds"], *([pick["recheck_seed"]] if pick["recheck_seed"] is not None else [])]
    axes = list(pick["grid_spec"]["axes"])
    names = short_names(axes)
    base = ", ".join(f"`{k}={json.dumps(v)}`" for k, v in pick["grid_spec"]["base"].items()) or "none (the config's values)"
    lines += [f"Grid base: {base}. Axes: " + ", ".join(f"`{k}`" for k in axes) + ".", ""]
    if max_minutes is not None:
        lines += [f"Each training was stopped after {max_minutes:g} minutes (marked * when it was).", ""]
    figure_keys = [k for k in FIGURES if any(k in r["figures"] for r in runs)]
    figure_cols = [f"{d} {k}" if len(datasets) > 1 else k for d in datasets for k in figure_keys]
    header = ["#", *[names[k] for k in axes], *[f"seed {s}" for s in all_seeds], f"mean seeds {','.join(map(str, pick['seeds']))}"]
    if pick["recheck_seed"] is not None:
        header.append(f"mean seeds {','.join(map(str, all_seeds))}")
    header += [*figure_cols, "best step", "train s"]
    lines += ["Dev figures (×100; figures, steps and seconds are means over the seeds run):", "",
              "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    first = {e["point"]: e for e in pick["ranking"]}
    final = {e["point"]: e for e in pick["finalists"]}
    for index in [e["point"] for e in pick["ranking"]]:
        settings = first[index]["settings"]
        point_runs = point_row_figures(runs, settings, all_seeds, datasets, max_minutes)
        scores = {**first[index]["scores"], **final.get(index, {}).get("scores", {})}
        cells = [f"**{index}**" if index == pick["point"] else str(index), *[json.dumps(settings[k]) for k in axes],
                 *[pct(scores.get(str(s))) for s in all_seeds], pct(first[index]["mean"])]
        if pick["recheck_seed"] is not None:
            cells.append(pct(final[index]["mean"]) if index in final else "–")
        for d in datasets:
            for k in figure_keys:
                values = [r["figures"][k] for r in point_runs if r["dataset"] == d and k in r["figures"]]
                cells.append(pct(mean(values)) if values else "–")
        stopped = "*" if any(r["stopped_at_deadline"] for r in point_runs) else ""
        cells += [f"{mean(r['best_step'] for r in point_runs):.0f}", f"{mean(r['train_seconds'] for r in point_runs):.0f}{stopped}"]
        lines.append("| " + " | ".join(cells) + " |")
    chosen = ", ".join(f"`{k}={json.dumps(pick['settings'][k])}`" for k in axes) or "the base"
    lines += ["", f"**Pick: point {pick['point']}** ({chosen} on top of the base), dev score {pct(pick['score'])}.",
              f"Chosen by: {pick['rule']}.", ""]
    if pick.get("invocation"):
        lines += [f"Reproduce: `{pick['invocation']}`", ""]
    others = [r for r in runs if not any(same_settings(r["settings"], e["settings"]) for e in pick["ranking"])]
    if others:
        lines += ["Other runs in this file (other grids or settings):", "", *runs_table(others)]
    return "\n".join(lines)


def runs_table(runs: Sequence[Dict]) -> List[str]:
    lines = ["| settings | data | seed | dev score | best step / final | train s |", "|---|---|---|---|---|---|"]
    for r in runs:
        settings = ", ".join(f"{k}={json.dumps(v)}" for k, v in r["settings"].items()) or "(config)"
        lines.append(f"| {settings} | {r['dataset']} | {r['seed']} | {pct(r['score'])} | {r['best_step']} / {r['final_step']} "
                     f"| {r['train_seconds']:.0f}{'*' if r['stopped_at_deadline'] else ''} |")
    return lines + [""]


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


def write_markdown(path: Path, results: Dict) -> None:
    md = path.with_suffix(".md")
    md.write_text(render(results), encoding="utf8")
    print(f"wrote {path} and {md}", flush=True)


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
