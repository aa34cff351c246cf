"""Optuna on this machine: TPE sampler, percentile pruner, the study in ``DIR/study.db``.

Trials run one after another in this process, or ``jobs`` at a time in worker processes that share
the SQLite study (each with ``threads`` torch threads). The study is the record of the search:

- a rerun of the same command loads it and runs only the trials still missing (complete, pruned
  and failed trials count; a trial cut off by an interruption or a killed process is marked
  ``failed`` + ``interrupted`` and run again with the same settings);
- when the config's own values lie in the space, the first trial trains them (the baseline), so
  the best config is never below the config as it is, on dev;
- each dev score a trial's training reports goes to ``trial.report``; the pruner stops a trial
  whose best score so far is outside the top :data:`PRUNE_PERCENTILE` % of the complete trials'
  scores at the same step (Optuna's ``PercentilePruner``; 50 would be the median pruner).
"""

import multiprocessing
import time
from typing import Any, Dict, List, Optional

from .errors import TuneError, import_optuna
from .results import TrialRow, best_row, progress_line
from .space import SearchSpace
from .trial import SearchSetup, one_line, run_trial, trial_folder

STUDY_NAME = "nlp-rnn-tune"
#: complete trials before the pruner may stop one (it needs scores to compare with)
PRUNER_STARTUP_TRIALS = 3
#: a trial goes on while its dev score is in the top (this) % of the complete trials' at the same
#: step: their top quarter (Optuna's PercentilePruner, direction maximize). Chosen on dev by
#: ``benchmarks/pruner_replay.py`` (an unpruned SNIPS search's learning curves replayed through
#: each candidate: the median saved 18.8 % of the steps, this 29.2 %, both keeping the best trial;
#: ``benchmarks/results/pruner_replay.md``)
PRUNE_PERCENTILE = 25.0


def optuna_state(name: str):
    """Optuna's ``TrialState`` member ``name`` (Optuna is imported on first use)."""
    return getattr(import_optuna().trial.TrialState, name)


def storage_url(setup: SearchSetup) -> str:
    return f"sqlite:///{(setup.output / 'study.db').resolve()}"


def make_sampler(seed: Optional[int], n_trials: int):
    """TPE, random for the first quarter of the trials (3 to 10)."""
    optuna = import_optuna()
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(3, n_trials // 4)))


def make_pruner(prune: bool):
    optuna = import_optuna()
    if not prune:
        return optuna.pruners.NopPruner()
    return optuna.pruners.PercentilePruner(PRUNE_PERCENTILE, n_startup_trials=PRUNER_STARTUP_TRIALS, n_warmup_steps=0)


def open_study(setup: SearchSetup, space: SearchSpace, seed: Optional[int], n_trials: int, search: Dict[str, Any]):
    """Create or load the study; a study of another search in the same folder is refused."""
    optuna = import_optuna()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    setup.output.mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(
        study_name=STUDY_NAME, storage=storage_url(setup), direction="maximize", load_if_exists=True,
        sampler=make_sampler(seed, n_trials), pruner=make_pruner(setup.prune),
    )
    before = study.user_attrs.get("search")
    if before is None:
        study.set_user_attr("search", search)
    elif before != search:
        changed = sorted(k for k in set(before) | set(search) if before.get(k) != search.get(k))
        raise TuneError(
            f"{setup.output / 'study.db'} holds another search (its {', '.join(changed)} differ): "
            "rerun it as it was to resume, or give another --output"
        )
    return study


def is_interrupted(trial) -> bool:
    return bool(trial.user_attrs.get("interrupted"))


def recover(study, baseline: Optional[Dict[str, Any]]) -> List[int]:
    """Mark trials left running by a stopped search as failed + interrupted and queue each again
    with its settings (once); queue the baseline in a new study. Returns the requeued numbers."""
    optuna = import_optuna()
    State = optuna.trial.TrialState
    storage = study._storage  # Optuna's storage API: the only way to close a trial of a dead process
    trials = study.get_trials(deepcopy=False)
    for trial in trials:
        if trial.state == State.RUNNING:
            storage.set_trial_user_attr(trial._trial_id, "interrupted", True)
            storage.set_trial_state_values(trial._trial_id, State.FAIL)
    trials = study.get_trials(deepcopy=False)
    retried = {t.user_attrs.get("retry_of") for t in trials}
    requeued = []
    for trial in trials:
        if trial.state == State.FAIL and is_interrupted(trial) and trial.number not in retried:
            study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number}, skip_if_exists=False)
            requeued.append(trial.number)
    if not trials and baseline is not None:
        study.enqueue_trial(baseline, user_attrs={"baseline": True})
    return requeued


def counted(study) -> int:
    """Trials that count toward ``--trials``: finished ones, not those cut off by an interruption."""
    optuna = import_optuna()
    State = optuna.trial.TrialState
    return sum(
        t.state in (State.COMPLETE, State.PRUNED) or (t.state == State.FAIL and not is_interrupted(t))
        for t in study.get_trials(deepcopy=False)
    )


def row_of(trial) -> TrialRow:
    """A finished Optuna trial as a report row."""
    optuna = import_optuna()
    State = optuna.trial.TrialState
    attrs = trial.user_attrs
    state = {State.COMPLETE: "complete", State.PRUNED: "pruned"}.get(trial.state, "failed")
    score = trial.value if trial.state == State.COMPLETE else attrs.get("last_score")
    notes = []
    if attrs.get("baseline"):
        notes.append("baseline (the config's own values)")
    if "retry_of" in attrs:
        notes.append(f"retry of trial {attrs['retry_of']}")
    if attrs.get("interrupted"):
        notes.append("interrupted")
    if trial.state == State.RUNNING:
        state, notes = "failed", notes + ["still running"]
    return TrialRow(
        number=trial.number, state=state, params=dict(trial.params), dev_score=score,
        best_step=attrs.get("best_step"), steps=attrs.get("steps"), minutes=attrs.get("minutes"),
        folder=attrs.get("folder"), error=attrs.get("error"), notes=notes,
    )


class Objective:
    """One Optuna trial: the trial's settings trained by :func:`run_trial`, pruned on dev."""

    def __init__(self, setup: SearchSetup, space: SearchSpace, total: int):
        self.setup, self.space, self.total = setup, space, total

    def __call__(self, trial) -> float:
        optuna = import_optuna()
        params = self.space.suggest(trial)
        folder = trial_folder(self.setup.output, f"{trial.number:03d}")
        trial.set_user_attr("folder", str(folder))
        started = time.perf_counter()
        last = {}

        def receive(step: int, score: float) -> None:
            last.update(step=step, score=score)
            trial.report(score, step)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned at step {step} (dev score {score:.4f})")

        def note(**attrs) -> None:
            attrs.setdefault("minutes", round((time.perf_counter() - started) / 60.0, 4))
            for key, value in attrs.items():
                trial.set_user_attr(key, value)

        try:
            outcome = run_trial(self.setup, folder, params, receive)
        except optuna.TrialPruned:
            note(steps=last.get("step"), last_score=last.get("score"))
            raise
        except KeyboardInterrupt:
            note(interrupted=True, error="interrupted")
            raise
        except Exception as error:
            note(error=one_line(str(error) if isinstance(error, TuneError) else f"{type(error).__name__}: {error}"),
                 steps=last.get("step"), last_score=last.get("score"))
            raise
        note(best_step=outcome.best_step, steps=outcome.steps, minutes=round(outcome.minutes, 4))
        return outcome.score


def stop_when_enough(total: int):
    """Optuna callback: print the trial's line; stop once finished + running trials reach ``total``."""
    optuna = import_optuna()

    def callback(study, trial) -> None:
        rows = [row_of(t) for t in study.get_trials(deepcopy=False) if t.state != optuna.trial.TrialState.RUNNING]
        print(progress_line(row_of(trial), counted(study), total, best_row(rows)), flush=True)
        running = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)))
        if counted(study) + running >= total:
            study.stop()

    return callback


def optimize(setup: SearchSetup, space: SearchSpace, total: int, seed: Optional[int], n_trials: int, search) -> None:
    """Run trials in this process until ``total`` count, the deadline passes or the study is stopped."""
    optuna = import_optuna()
    study = open_study(setup, space, seed, n_trials, search)
    left = setup.minutes_left()
    study.optimize(
        Objective(setup, space, total), n_trials=None, timeout=None if left is None else max(0.0, 60.0 * left),
        catch=(Exception,), callbacks=[stop_when_enough(total)], gc_after_trial=True,
    )
    del optuna


def worker_main(setup: SearchSetup, space: SearchSpace, total: int, seed: Optional[int], n_trials: int, search, threads: int) -> None:
    """A ``--jobs`` worker process: its thread settings (before torch loads), then :func:`optimize`."""
    from ..threads import prepare_threads

    prepare_threads(threads)
    optimize(setup, space, total, seed, n_trials, search)


def run_local_search(
    setup: SearchSetup, space: SearchSpace, n_trials: int, *, jobs: int = 1, threads: int = 1,
    seed: Optional[int] = None, baseline: Optional[Dict[str, Any]] = None, search: Optional[Dict[str, Any]] = None,
) -> List[TrialRow]:
    """Run the search until ``n_trials`` trials are finished (or the deadline); return every trial as a row."""
    search = search or {}
    study = open_study(setup, space, seed, n_trials, search)
    requeued = recover(study, baseline)
    if requeued:
        print(f"Resuming: trials {', '.join(map(str, requeued))} were cut off and run again with their settings", flush=True)
    done = counted(study)
    missing = n_trials - done
    if done:
        print(f"{done} of {n_trials} trials already finished in {setup.output / 'study.db'}", flush=True)
    if missing > 0:
        workers = min(jobs, missing)
        if workers <= 1:
            optimize(setup, space, n_trials, seed, n_trials, search)
        else:
            run_workers(setup, space, n_trials, seed, search, workers, threads)
    started = [t for t in study.get_trials(deepcopy=False) if t.state != optuna_state("WAITING")]  # queued, never run: no row
    return [row_of(t) for t in started]


def run_workers(setup, space, n_trials, seed, search, workers: int, threads: int) -> None:
    """``workers`` spawned processes on the shared study (spawn: torch state is never forked)."""
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=worker_main, args=(setup, space, n_trials, None if seed is None else seed + i,
                                                   n_trials, search, threads))
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        for process in processes:
            process.join()
    except KeyboardInterrupt:
        for process in processes:
            process.join(timeout=30)
        raise
    failed = [p.exitcode for p in processes if p.exitcode]
    if failed:
        raise TuneError(f"{len(failed)} of {workers} --jobs worker processes ended with an error (exit code {failed[0]})")
