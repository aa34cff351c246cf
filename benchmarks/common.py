"""Shared plumbing for the benchmark scripts: data location, running CLI commands, timing."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
WORK = RESULTS / "work"

# The installed package's entry points name this checkout's functions; an older checkout may lack
# some of them. This sitecustomize makes a failing entry point fall back to what the older code
# registers itself when its modules are imported: one name asked for (``get_entry_point``) and all
# of a namespace at once (``get_entry_points``, what spaCy loads whenever it creates a pipeline).
ENTRY_POINT_FALLBACK = """
import catalogue
_get_entry_point = catalogue.Registry.get_entry_point
def get_entry_point(self, name, default=None):
    try:
        return _get_entry_point(self, name, default)
    except (AttributeError, ImportError):
        return default
def get_entry_points(self):
    result = {}
    for entry_point in self._get_entry_points():
        try:
            result[entry_point.name] = entry_point.load()
        except (AttributeError, ImportError):
            pass
    return result
catalogue.Registry.get_entry_point = get_entry_point
catalogue.Registry.get_entry_points = get_entry_points
"""


def worktree(rev: str, under: Path) -> Path:
    """A detached ``git worktree`` of ``rev`` in ``under/checkout_REV`` (made once): the package of
    an earlier commit, measured beside this one without touching this checkout."""
    path = under / f"checkout_{rev}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=ROOT, check=True, capture_output=True)
    return path


def package_environment(code_root: Path, threads: int = 1) -> Dict[str, str]:
    """The environment whose ``nlp_rnn`` is the one at ``code_root`` (this checkout or a
    :func:`worktree`), with ``threads`` torch threads; another checkout's entry points fall back as
    :data:`ENTRY_POINT_FALLBACK` says."""
    path = str(code_root)
    if Path(code_root).resolve() != ROOT:
        site = WORK / "previous_site"
        site.mkdir(parents=True, exist_ok=True)
        (site / "sitecustomize.py").write_text(ENTRY_POINT_FALLBACK)
        path = f"{site}{os.pathsep}{code_root}"
    return dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS=str(threads), NLP_RNN_THREADS=str(threads))


def add_run_options(parser) -> None:
    """The options every accuracy driver shares: data folder, skipping or reusing models, peer budget."""
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--skip-peer", action="store_true", help="train only nlp_rnn (quick tuning runs)")
    parser.add_argument("--reuse", nargs="*", default=[], choices=["ours", "peer"],
                        help="evaluate the models an earlier run trained (same work folder) instead of retraining")
    parser.add_argument("--peer-minutes", type=float, default=None,
                        help="stop each spaCy training after this long (its model-best so far is scored)")


def rel(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def data_dir(option: Optional[str]) -> Path:
    """``--data-dir``, else ``$NLP_RNN_DATA_DIR``, else ``../shared/data`` beside the checkout."""
    path = Path(option or os.environ.get("NLP_RNN_DATA_DIR", ROOT.parent / "shared" / "data"))
    if not path.exists():
        sys.exit(f"benchmark data not found at {path}: pass --data-dir or set NLP_RNN_DATA_DIR")
    return path


def run_until(command: List[str], log: Path, minutes: Optional[float] = None) -> Tuple[float, bool]:
    """Run a command (the same CLI a user types) and log its output; after ``minutes`` stop it
    (SIGTERM). Returns (wall seconds, whether it was stopped); exits if it fails by itself."""
    log.parent.mkdir(parents=True, exist_ok=True)
    print("$", " ".join(str(c) for c in command), flush=True)
    start = time.perf_counter()
    with log.open("w") as handle:
        process = subprocess.Popen([str(c) for c in command], stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            process.wait(timeout=None if minutes is None else minutes * 60)
            stopped = False
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGTERM)
            process.wait()
            stopped = True
    seconds = time.perf_counter() - start
    if not stopped and process.returncode != 0:
        sys.exit(f"command failed ({process.returncode}), see {log}:\n{log.read_text()[-3000:]}")
    return seconds, stopped


def run(command: List[str], log: Path) -> float:
    """Run a command to its end, log its output, return wall seconds."""
    return run_until(command, log)[0]


def cli(*args) -> List[str]:
    """``nlp-rnn ARGS`` run with this interpreter."""
    return [sys.executable, "-m", "nlp_rnn", *args]


def spacy_cli(*args) -> List[str]:
    return [sys.executable, "-m", "spacy", *args]


def seconds_to_best(output_dir: Path, started: float) -> float:
    """When training last wrote model-best, counted from the start of the train command."""
    return (output_dir / "model-best" / "meta.json").stat().st_mtime - started


def write_results(name: str, results: Dict, table: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    (RESULTS / f"{name}.md").write_text(table)
    print(table)
    print(f"wrote {RESULTS / (name + '.json')} and {RESULTS / (name + '.md')}")


def convert(source: Path, out: Path, fmt: str, lang: str, log_name: str, options: Sequence[str] = ()) -> Path:
    """``nlp-rnn convert SOURCE OUT [OPTIONS]``, unless OUT is already newer than SOURCE and the converter."""
    newest_input = max(path.stat().st_mtime for path in [source, *sorted((ROOT / "nlp_rnn" / "data").glob("*.py"))])
    if not out.exists() or out.stat().st_mtime < newest_input:
        run(cli("convert", source, out, "--format", fmt, "--lang", lang, *options), WORK / "logs" / f"convert_{log_name}.log")
    return out


def convert_splits(name: str, lang: str, fmt: str, splits, root: Path, options: Sequence[str] = ()) -> Dict[str, Path]:
    """``nlp-rnn convert`` each of (train, dev, test) into benchmarks/results/work/corpus/NAME/."""
    return {split: convert(root / rel, WORK / "corpus" / name / f"{split}.spacy", fmt, lang, f"{name}_{split}", options)
            for split, rel in zip(("train", "dev", "test"), splits)}


def train_subset(train: Path, fraction: float, seed: int, folder: Path) -> Dict:
    """A fixed-seed random ``fraction`` of the train DocBin (all of it for 1.0), written once into
    ``folder``: its path and number of docs."""
    import random

    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    docs = list(DocBin().from_disk(train).get_docs(Vocab()))
    if fraction >= 1.0:
        return {"path": train, "docs": len(docs)}
    path = folder / f"train_{fraction:g}_seed{seed}.spacy"
    keep = sorted(random.Random(seed).sample(range(len(docs)), max(2, round(fraction * len(docs)))))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        DocBin(docs=[docs[i] for i in keep], store_user_data=True).to_disk(path)
    return {"path": path, "docs": len(keep)}


def train_model(train_command: List[str], out_dir: Path, paths: Dict[str, Path], log: Path,
                minutes: Optional[float] = None) -> Dict:
    """Run ``train_command`` + output and paths, stopped after ``minutes`` (model-best is then the
    best checkpoint so far). Returns ``train_seconds``, ``seconds_to_best_dev``,
    ``stopped_at_deadline`` and ``trained_at``, also written to ``training.json`` in ``out_dir``;
    exits when the run wrote no model-best of its own."""
    started = time.time()
    seconds, stopped = run_until(
        [*train_command, "--output", out_dir, "--paths.train", paths["train"], "--paths.dev", paths["dev"]], log, minutes
    )
    best_meta = out_dir / "model-best" / "meta.json"
    if not best_meta.exists() or best_meta.stat().st_mtime < started:
        sys.exit(f"training wrote no model-best in {out_dir} (see {log})")
    timing = {"train_seconds": seconds, "seconds_to_best_dev": seconds_to_best(out_dir, started),
              "stopped_at_deadline": stopped, "trained_at": time.strftime("%Y-%m-%d %H:%M")}
    (out_dir / "training.json").write_text(json.dumps(timing))
    return timing


def train_and_evaluate(name: str, system: str, train_command: List[str], paths: Dict[str, Path],
                       reuse: bool = False, minutes: Optional[float] = None) -> Dict:
    """:func:`train_model`, then ``nlp-rnn evaluate`` model-best on test.

    Returns the evaluation metrics plus ``train_seconds``, ``seconds_to_best_dev``,
    ``stopped_at_deadline``, ``model`` and, for nlp_rnn intent models, ``prior_weights``. With
    ``reuse``, a model that an earlier run trained there (it has ``training.json``) is evaluated
    again, not retrained.
    """
    out_dir = WORK / "models" / name / system
    timing_path = out_dir / "training.json"
    if reuse and timing_path.exists() and (out_dir / "model-best").exists():
        timing = json.loads(timing_path.read_text())
        print(f"reusing {out_dir} (trained {timing.get('trained_at', 'earlier')})", flush=True)
    else:
        timing = train_model(train_command, out_dir, paths, WORK / "logs" / f"train_{name}_{system}.log", minutes)
    metrics_path = WORK / f"{name}_{system}_test.json"
    run(cli("evaluate", out_dir / "model-best", paths["test"], "--output", metrics_path), WORK / "logs" / f"eval_{name}_{system}.log")
    metrics = json.loads(metrics_path.read_text())
    metrics.update(train_seconds=timing["train_seconds"], seconds_to_best_dev=timing["seconds_to_best_dev"],
                   stopped_at_deadline=timing.get("stopped_at_deadline", False), model=str(out_dir / "model-best"))
    prior_weights = chosen_prior_weights(out_dir / "model-best")
    if prior_weights:
        metrics["prior_weights"] = prior_weights
    return metrics


def chosen_prior_weights(model_dir: Path) -> Dict[str, float]:
    """{component: prior_weight} of the saved pipeline's intent components (chosen on dev by nlp-rnn train)."""
    weights = {}
    for cfg_path in sorted(model_dir.glob("*/cfg")):
        cfg = json.loads(cfg_path.read_text())
        if isinstance(cfg, dict) and cfg.get("intent_prior"):
            weights[cfg_path.parent.name] = cfg.get("prior_weight", 0.0)
    return weights


def spacy_default_config(lang: str, components: str) -> Path:
    """The config ``spacy init config --lang LANG --pipeline COMPONENTS`` generates."""
    path = WORK / f"spacy_{components.replace(',', '_')}_{lang}.cfg"
    run(spacy_cli("init", "config", path, "--lang", lang, "--pipeline", components, "--force"), WORK / "logs" / f"init_{path.stem}.log")
    return path


def train_and_evaluate_seeds(name: str, system: str, train_command: List[str], paths: Dict[str, Path],
                             seeds: List[int], reuse: bool = False, minutes: Optional[float] = None,
                             keep=("intent_accuracy", "intent_macro_f1", "span_precision", "span_recall", "span_f1",
                                   "exact_match", "words_per_second", "train_seconds", "seconds_to_best_dev")) -> Dict:
    """:func:`train_and_evaluate` once per seed (``--system.seed S``; seed 0 keeps the unseeded
    folder name, so earlier models can be reused). Returns the first run's fields, with every
    figure in ``keep`` replaced by its mean over the seeds, plus ``seeds``, ``per_seed``
    ({figure: [value per seed]}) and ``spread`` ({figure: max − min})."""
    runs = []
    for seed in seeds:
        label = system if seed == 0 else f"{system}-s{seed}"
        runs.append(train_and_evaluate(name, label, [*train_command, "--system.seed", str(seed)], paths, reuse, minutes))
    summary = dict(runs[0], seeds=list(seeds), per_seed={}, spread={})
    for key in keep:
        values = [run[key] for run in runs if isinstance(run.get(key), (int, float))]
        if len(values) == len(runs):
            summary[key] = sum(values) / len(values)
            summary["per_seed"][key] = values
            summary["spread"][key] = max(values) - min(values)
    return summary


def mean_and_spread(result: Dict, key: str, scale: float = 100.0) -> str:
    """``97.71`` for one run, ``97.71 ± 0.35`` (mean ± half the max − min spread) over seeds;
    ``—`` when the result has no such figure."""
    if result.get(key) is None:
        return "—"
    value = scale * result[key]
    spread = result.get("spread", {}).get(key)
    return f"{value:.2f}" if not spread else f"{value:.2f} ± {scale * spread / 2:.2f}"
