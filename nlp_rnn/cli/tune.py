"""``nlp-rnn tune``: hyperparameter search on the user's train / dev data (never test).

Checks first (each problem one line): the overrides and the space's keys against the config, the
space file, the output folder's study. Then the trials (:mod:`nlp_rnn.tuning`): Optuna in this
process or ``--jobs`` processes, or Ray Tune with ``--ray``; each trial is the training
``nlp-rnn train`` runs (:func:`nlp_rnn.cli.train.train`). Ends with the report and the best config.
"""

import time
from pathlib import Path
from typing import Any, Dict, Optional

import typer

from .app import GPU_HELP, app, fail, printer, start

DEFAULT_TRIALS = 20
DEFAULT_SEED = 0


def search_threads(jobs: int, threads: Optional[int]) -> int:
    """Torch threads per trial: as given, else the CPUs shared out among the ``jobs`` trials."""
    from ..threads import available_cpus

    return threads if threads is not None else max(1, available_cpus() // max(1, jobs))


def pruner_name(prune: bool, ray_address: Optional[str]) -> str:
    """The pruner of a search, for its report."""
    from ..tuning.local_search import PRUNE_PERCENTILE

    if not prune:
        return "none"
    if ray_address is not None:
        return "asynchronous successive halving (Ray Tune ASHA)"
    return f"percentile (a trial goes on while in the top {PRUNE_PERCENTILE:g} % of the complete trials at a step)"


def absolute_paths(overrides: Dict[str, Any]) -> Dict[str, Any]:
    """``paths.*`` values that name existing files or folders, made absolute (trial configs are
    written elsewhere and Ray workers start in other folders)."""
    out = dict(overrides)
    for key, value in overrides.items():
        if key.startswith("paths.") and isinstance(value, str) and value and Path(value).exists():
            out[key] = str(Path(value).resolve())
    return out


def check_search(config: Path, overrides: Dict[str, Any], space_file: Optional[Path]):
    """The space (file or default), checked with the overrides against the config; and the
    config's own values when they lie in the space (the baseline trial)."""
    from spacy import util

    from ..training.overrides import check_overrides
    from ..tuning.space import default_space, read_space

    written = util.load_config(config, interpolate=False)
    space = read_space(space_file) if space_file is not None else default_space(written)
    check_overrides(written, overrides)
    check_overrides(written, {key: None for key in space.keys})
    given = util.load_config(config, overrides=overrides, interpolate=False)
    return space, space.baseline(given)


def tune(
    config: Path, output: Path, overrides: Dict[str, Any], *, trials: int = DEFAULT_TRIALS, space_file: Optional[Path] = None,
    max_minutes: Optional[float] = None, jobs: int = 1, threads: Optional[int] = None, seed: Optional[int] = DEFAULT_SEED,
    prune: bool = True, ray_address: Optional[str] = None, gpu_id: int = -1,
):
    """Run (or resume) the search into ``output``; returns the best trial's row (None: no trial
    completed). Raises :class:`~nlp_rnn.tuning.TuneError` / ``ValueError`` for the user's mistakes."""
    from ..tuning.results import write_results
    from ..tuning.trial import SearchSetup
    from .train import train

    started = time.time()
    overrides = absolute_paths(overrides)
    space, baseline = check_search(config, overrides, space_file)
    setup = SearchSetup(
        config_path=config.resolve(), overrides=overrides, output=output.resolve(), train=train, gpu_id=gpu_id,
        deadline=None if max_minutes is None else started + 60.0 * max_minutes, prune=prune,
    )
    search = {"config": str(setup.config_path), "overrides": {k: repr(v) for k, v in sorted(overrides.items())},
              "space": space.to_json()}
    msg = printer()
    msg.info(f"Searching {len(space.keys)} settings: " + "; ".join(d.describe() for d in space.dimensions))
    if baseline is None:
        msg.info("The config's own values are not all in the space: no baseline trial")
    per_trial = search_threads(jobs, threads)
    if ray_address is not None:
        from ..tuning.ray_search import run_ray_search

        rows = run_ray_search(setup, space, trials, address=ray_address, seed=seed, baseline=baseline,
                              threads=threads or 1, search=search)
        engine = f"ray ({ray_address})"
    else:
        from ..tuning.local_search import run_local_search

        rows = run_local_search(setup, space, trials, jobs=jobs, threads=per_trial, seed=seed, baseline=baseline,
                                search=search)
        engine = "local" if jobs <= 1 else f"local, {jobs} processes × {per_trial} threads"
    info = {
        "config": str(config), "overrides": {k: v for k, v in overrides.items()}, "space": space.to_json(),
        "sampler": f"TPE (seed {seed})", "pruner": pruner_name(prune, ray_address), "engine": engine,
        "minutes": round((time.time() - started) / 60.0, 2),
    }
    return write_results(setup.output, rows, info), rows


@app.command("tune", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def tune_command(
    ctx: typer.Context,
    config: Path = typer.Argument(..., metavar="CONFIG", exists=True, dir_okay=False, help="Config file, e.g. pipelines/joint_en.cfg"),
    output: Path = typer.Option(..., "--output", "-o", metavar="DIR", help="Search folder: study.db, trials/, report.json, report.md, best/"),
    trials: int = typer.Option(DEFAULT_TRIALS, "--trials", min=1, metavar="N", help="Trials in all (a rerun runs only the missing ones)"),
    space: Optional[Path] = typer.Option(None, "--space", exists=True, dir_okay=False, metavar="FILE", help="Search space JSON (default: dropouts, word dropout, hidden size, learning rate, batch size of the config's component)"),
    max_minutes: Optional[float] = typer.Option(None, "--max-minutes", min=0.0, metavar="M", help="Bound on the whole search; a running trial stops at it and is scored"),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, metavar="K", help="Trials at a time on this machine (processes)"),
    threads: Optional[int] = typer.Option(None, "--threads", "-t", min=1, metavar="N", help="Torch threads per trial (default: the CPUs divided by --jobs)"),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", metavar="S", help="Seed of the sampler (each training keeps the config's seed)"),
    prune: bool = typer.Option(True, "--prune/--no-prune", help="Stop trials whose dev score at an evaluation is outside the top quarter of the complete trials' at that step"),
    ray: Optional[str] = typer.Option(None, "--ray", metavar="ADDRESS", help="Run the trials on Ray Tune: a cluster address, or 'auto' (RAY_ADDRESS, else a running local instance, else a new one)"),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", metavar="ID", help=GPU_HELP),
) -> None:
    """Search hyperparameters on your train / dev data: Optuna TPE + percentile pruning, each trial a
    normal training in DIR/trials/NNN. Give the data and any fixed setting as overrides:
    --paths.train X --paths.dev Y --training.max_steps 2000. Rerun the same command to resume."""
    from ..threads import available_cpus

    per_trial = search_threads(jobs, threads)
    if ray is None and jobs * per_trial > available_cpus():
        printer().warn(f"--jobs {jobs} × --threads {per_trial} is more than the {available_cpus()} CPUs here")
    start(per_trial if jobs == 1 else 1, gpu_id)
    from spacy.cli._util import parse_config_overrides

    from ..tuning.errors import TuneError
    from .train import TrainingSetupError

    try:
        overrides = parse_config_overrides(ctx.args)
    except SystemExit:
        raise fail(f"cannot read the overrides {' '.join(ctx.args)}: give them as --section.key VALUE")
    try:
        best, rows = tune(config, output, overrides, trials=trials, space_file=space, max_minutes=max_minutes, jobs=jobs,
                          threads=threads, seed=seed, prune=prune, ray_address=ray, gpu_id=gpu_id)
    except (TuneError, TrainingSetupError, ValueError, OSError) as error:
        raise fail(str(error))
    msg = printer()
    counts = {s: sum(r.state == s for r in rows) for s in ("complete", "pruned", "failed")}
    msg.info(f"{len(rows)} trials: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + f"; report: {output / 'report.md'}")
    if best is None:
        raise fail("no trial completed: see the errors in the report")
    msg.good(f"best: trial {best.number}, dev score {best.dev_score:.4f} → {output / 'best' / 'config.cfg'} and {output / 'best' / 'model'}")
    msg.info(f"Train it again with: nlp-rnn train {output / 'best' / 'config.cfg'} --output DIR")
