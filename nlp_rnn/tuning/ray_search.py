"""``nlp-rnn tune --ray``: the same trials through Ray Tune, with Optuna as its search algorithm.

- ``OptunaSearch`` (TPE, the study in ``DIR/study.db``, the baseline as its first point) proposes
  the settings; one trial per worker slot (``threads`` CPUs each) anywhere in the cluster;
- each trial is :func:`~nlp_rnn.tuning.trial.run_trial` in ``DIR/trials/NNN`` (``NNN``: Ray's
  trial index); every dev score is a ``tune.report``, and asynchronous successive halving (ASHA)
  stops trials that are behind (pruning);
- a training that fails is reported as failed (``error``) and not retried; a trial whose worker
  is lost (a node dies) is retried by Ray (``FailureConfig(max_failures=...)``), and if it keeps
  failing it is recorded as failed with Ray's error: no trial is silently dropped;
- Ray's own experiment state is in ``DIR/ray``; a rerun of the same command restores it and runs
  only the unfinished trials.

On a cluster every node needs nlp_rnn installed and ``DIR`` and the data at the same path (a
shared file system): the trials write their folders there.
"""

import math
import os
import re
import time
import warnings
import zlib
from typing import Any, Dict, List, Optional

from .errors import TuneError, import_optuna
from .local_search import STUDY_NAME, make_sampler
from .results import TrialRow, best_row, progress_line
from .space import SearchSpace
from .trial import SearchSetup, one_line, run_trial, trial_folder

METRIC = "dev_score"
#: Ray retries of a trial whose worker died (a lost node); a failed training is not retried
MAX_FAILURES = 2
EXPERIMENT = "search"
#: pruning on Ray: asynchronous successive halving over dev evaluations (Ray's median stopping rule
#: pauses trials while it lacks samples, which restarts a function trainable from scratch); a trial
#: may be stopped after 2, 6, 18, ... evaluations when it is in the lower two thirds at that point
ASHA_GRACE_EVALUATIONS = 2
ASHA_MAX_EVALUATIONS = 100_000


def import_ray_tune():
    try:
        import ray
        from ray import tune  # noqa: F401
        from ray.tune.search.optuna import OptunaSearch  # noqa: F401
    except ImportError:
        raise TuneError('--ray needs Ray Tune and Optuna: pip install -e ".[ray,tune]"') from None
    import_optuna()
    return ray


def connect(ray, address: str) -> bool:
    """Join the cluster at ``address``; ``auto``: ``RAY_ADDRESS`` or a running local instance,
    else start one. Returns whether this call started Ray (and so should stop it)."""
    if ray.is_initialized():
        return False
    options = dict(logging_level="WARNING", log_to_driver=False)
    if address != "auto":
        ray.init(address=address, **options)
        return True
    try:
        ray.init(address="auto", **options)
    except ConnectionError:
        ray.init(include_dashboard=False, **options)
    return True


def trial_number(trial_dir: str, fallback: int) -> int:
    """The trial's index from Ray's trial folder name (``ray_trial_49a37c51_3_...`` → 2: Ray
    counts from 1), else ``fallback``."""
    found = re.search(r"_[0-9a-f]{5,}_(\d+)(_|$)", os.path.basename(str(trial_dir or "")))
    return int(found.group(1)) - 1 if found else fallback


def ray_trial(config: Dict[str, Any], setup: SearchSetup, threads: int) -> None:
    """The Ray Tune function trainable: one trial, dev scores as ``tune.report``."""
    from ray import tune

    from ..threads import prepare_threads

    prepare_threads(threads)
    context = tune.get_context()
    number = trial_number(context.get_trial_dir(), zlib.crc32(context.get_trial_id().encode()) % 100000)
    folder = trial_folder(setup.output, f"{number:03d}")
    started = time.perf_counter()

    def receive(step: int, score: float) -> None:
        tune.report({METRIC: score, "step": step})

    try:
        outcome = run_trial(setup, folder, dict(config), receive)
    except Exception as error:  # a failed training: recorded, not retried (a lost worker never gets here)
        message = str(error) if isinstance(error, TuneError) else f"{type(error).__name__}: {error}"
        tune.report({METRIC: float("nan"), "final": True, "error": one_line(message), "folder": str(folder),
                     "minutes": (time.perf_counter() - started) / 60.0})
        return
    tune.report({METRIC: outcome.score, "final": True, "best_step": outcome.best_step, "steps": outcome.steps,
                 "minutes": outcome.minutes, "folder": str(folder)})


def row_of(result, number: int) -> TrialRow:
    """A Ray Tune result as a report row."""
    metrics = result.metrics or {}
    params = {k: v for k, v in (result.config or {}).items()}
    score = metrics.get(METRIC)
    score = None if score is None or (isinstance(score, float) and math.isnan(score)) else float(score)
    row = TrialRow(number=number, state="complete", params=params, dev_score=score,
                   best_step=metrics.get("best_step"), steps=metrics.get("steps", metrics.get("step")),
                   minutes=metrics.get("minutes"), folder=metrics.get("folder"))
    if result.error is not None:
        lines = [line for line in str(result.error).splitlines() if line.strip()]
        row.state, row.error = "failed", one_line(lines[-1] if lines else type(result.error).__name__)
    elif metrics.get("error"):
        row.state, row.error = "failed", metrics["error"]
    elif not metrics.get("final"):
        row.state = "pruned"
    if row.minutes is None and metrics.get("time_total_s") is not None:
        row.minutes = metrics["time_total_s"] / 60.0
    return row


def make_callback(total: int):
    """A Ray Tune callback that prints the line of each trial that ends."""
    from ray.tune import Callback

    class Progress(Callback):
        def __init__(self):
            self.rows: List[TrialRow] = []
            self.recovered: Dict[int, int] = {}  # trial number: times Ray ran it again after a lost worker

        def _line(self, trial, error: Optional[str] = None) -> None:
            metrics = trial.last_result or {}
            row = TrialRow(number=trial_number(trial.local_path or "", len(self.rows)), state="complete", params=dict(trial.config),
                           dev_score=metrics.get(METRIC), steps=metrics.get("steps", metrics.get("step")),
                           minutes=metrics.get("minutes"), error=error or metrics.get("error"))
            if row.error or (isinstance(row.dev_score, float) and math.isnan(row.dev_score)):
                row.state, row.dev_score = "failed", None
            elif not metrics.get("final"):
                row.state = "pruned"
            self.rows.append(row)
            print(progress_line(row, len(self.rows), total, best_row(self.rows)), flush=True)

        def on_trial_complete(self, iteration, trials, trial, **info):
            self._line(trial)

        def on_trial_recover(self, iteration, trials, trial, **info):
            number = trial_number(trial.local_path or "", -1)
            self.recovered[number] = self.recovered.get(number, 0) + 1
            print(f"trial {number}: its worker was lost (a node died?); Ray runs it again", flush=True)

        def on_trial_error(self, iteration, trials, trial, **info):
            self._line(trial, error="the trial's worker failed (see Ray's log)")

    return Progress()


def run_ray_search(
    setup: SearchSetup, space: SearchSpace, n_trials: int, *, address: str, seed: Optional[int] = None,
    baseline: Optional[Dict[str, Any]] = None, threads: int = 1, search: Optional[Dict[str, Any]] = None,
) -> List[TrialRow]:
    """Run (or resume) the search on Ray; return every trial as a row."""
    ray = import_ray_tune()
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    warnings.filterwarnings("ignore", message="The reported value is ignored", category=UserWarning)
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler
    from ray.tune.search.optuna import OptunaSearch

    optuna = import_optuna()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    setup.output.mkdir(parents=True, exist_ok=True)
    started = connect(ray, address)
    try:
        trainable = tune.with_resources(tune.with_parameters(ray_trial, setup=setup, threads=threads), {"cpu": threads})
        storage = str((setup.output / "ray").resolve())
        path = os.path.join(storage, EXPERIMENT)
        progress = make_callback(n_trials)
        if tune.Tuner.can_restore(path):
            print(f"Resuming the Ray search in {path}: finished trials are kept", flush=True)
            tuner = tune.Tuner.restore(path, trainable=trainable, resume_unfinished=True, resume_errored=False)
        else:
            searcher = OptunaSearch(
                space=DefineByRun(space), metric=METRIC, mode="max", sampler=make_sampler(seed, n_trials),
                storage=optuna.storages.RDBStorage(f"sqlite:///{(setup.output / 'study.db').resolve()}"),
                study_name=STUDY_NAME, points_to_evaluate=[baseline] if baseline else None,
            )
            scheduler = (ASHAScheduler(time_attr="training_iteration", metric=METRIC, mode="max", max_t=ASHA_MAX_EVALUATIONS,
                                       grace_period=ASHA_GRACE_EVALUATIONS, reduction_factor=3) if setup.prune else FIFOScheduler())
            left = setup.minutes_left()
            tuner = tune.Tuner(
                trainable,
                tune_config=tune.TuneConfig(search_alg=searcher, scheduler=scheduler, num_samples=n_trials,
                                            time_budget_s=None if left is None else max(1.0, 60.0 * left)),
                run_config=tune.RunConfig(
                    name=EXPERIMENT, storage_path=storage, verbose=0,
                    failure_config=tune.FailureConfig(max_failures=MAX_FAILURES),
                    callbacks=[progress],
                ),
            )
        grid = tuner.fit()
        rows = [row_of(result, trial_number(result.path, i)) for i, result in enumerate(grid)]
        for row in rows:
            if progress.recovered.get(row.number):
                row.notes.append(f"run again after a lost worker ({progress.recovered[row.number]}×)")
        return rows
    except TuneError:
        raise
    except Exception as error:
        if not type(error).__module__.startswith("ray"):
            raise
        lines = [line for line in str(error).splitlines() if line.strip()]
        raise TuneError(f"the Ray search failed: {lines[-1] if lines else type(error).__name__}") from error
    finally:
        if started:
            ray.shutdown()


class DefineByRun:
    """The space as OptunaSearch's define-by-run function (returns None; picklable, as Ray saves
    the searcher with the experiment)."""

    def __init__(self, space: SearchSpace):
        self.space = space

    def __call__(self, trial) -> None:
        self.space.suggest(trial)
