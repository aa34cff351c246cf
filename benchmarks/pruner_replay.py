"""Choose the pruner of `nlp-rnn tune` on dev: replay the learning curves of an unpruned search
through Optuna's own pruners and count what each would have saved and kept.

    python benchmarks/pruner_replay.py STUDY_FOLDER [STUDY_FOLDER ...] [--name pruner_replay]

Each STUDY_FOLDER is the ``--output`` of ``nlp-rnn tune … --no-prune`` (its ``study.db``): every trial
trained to its end and reported its dev score at every evaluation. The replay feeds the trials, in
the order the search ran them, to a fresh in-memory study with the candidate pruner: a trial's dev
scores are reported step by step and it stops at the first step the pruner says so. Per candidate:
the share of training steps saved, and the best dev score among the trials left complete (the
search's answer) against the unpruned best. The choice (written into the results): the candidate
that saves the most steps while keeping the best dev score within
:data:`SAME_BEST_WITHIN` points of the unpruned search's in every study; ties go to the milder pruner.

A replay keeps the trials' settings fixed: in a real pruned search TPE reacts to the pruned trials
and samples other settings, so the real saving is measured again by ``benchmarks/tune_search.py``.
Only dev scores are read.
"""

import argparse
from pathlib import Path
from typing import Any, Dict, List

from common import RESULTS, rel, write_results

#: the figure of the issue: the pruned search's best dev score within this many points of the unpruned
SAME_BEST_WITHIN = 0.2
#: candidates, mildest first: Optuna's PercentilePruner keeps a trial while its dev score is in the
#: top (this) % of the complete trials' at the same step (50: the median pruner)
PERCENTILES = (50.0, 40.0, 33.0, 25.0)
STARTUP_TRIALS = (3,)
STUDY_NAME = "nlp-rnn-tune"


def load_curves(folder: Path) -> List[Dict[str, Any]]:
    """The complete trials of an unpruned study, in the order they ran: {number, steps: {step: dev}}."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.load_study(study_name=STUDY_NAME, storage=f"sqlite:///{(folder / 'study.db').resolve()}")
    curves = [{"number": t.number, "scores": dict(sorted(t.intermediate_values.items())), "value": t.value}
              for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE and t.intermediate_values]
    if not curves:
        raise SystemExit(f"{folder / 'study.db'} holds no complete trial with dev scores")
    return curves


def replay(curves: List[Dict[str, Any]], percentile: float, startup: int) -> Dict[str, Any]:
    """Steps trained and best dev score of a search that ran ``curves`` with this pruner."""
    import optuna

    pruner = optuna.pruners.PercentilePruner(percentile, n_startup_trials=startup, n_warmup_steps=0)
    study = optuna.create_study(direction="maximize", pruner=pruner)
    steps_trained = pruned = 0
    best = None
    for curve in curves:
        trial = study.ask()
        stopped = False
        for step, score in curve["scores"].items():
            trial.report(score, step)
            last_step = step
            if trial.should_prune():
                stopped = True
                break
        steps_trained += last_step
        if stopped:
            pruned += 1
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            study.tell(trial, curve["value"])
            best = curve["value"] if best is None else max(best, curve["value"])
    return {"steps_trained": steps_trained, "pruned": pruned, "best_dev": best}


def replay_study(folder: Path) -> Dict[str, Any]:
    curves = load_curves(folder)
    full_steps = sum(max(c["scores"]) for c in curves)
    unpruned_best = max(c["value"] for c in curves)
    rows = []
    for startup in STARTUP_TRIALS:
        for percentile in PERCENTILES:
            found = replay(curves, percentile, startup)
            gap = 100.0 * (unpruned_best - found["best_dev"])
            rows.append({"percentile": percentile, "startup_trials": startup, **found,
                         "saving": 1.0 - found["steps_trained"] / full_steps, "dev_gap_points": gap,
                         "keeps_best": gap <= SAME_BEST_WITHIN + 1e-9})
    return {"study": rel(folder), "trials": len(curves), "steps_unpruned": full_steps, "best_dev_unpruned": unpruned_best,
            "candidates": rows}


def choose(studies: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The candidate with the largest mean saving among those that keep the best in every study."""
    keys = [(r["percentile"], r["startup_trials"]) for r in studies[0]["candidates"]]
    scored = []
    for order, key in enumerate(keys):
        rows = [next(r for r in s["candidates"] if (r["percentile"], r["startup_trials"]) == key) for s in studies]
        if all(r["keeps_best"] for r in rows):
            scored.append((sum(r["saving"] for r in rows) / len(rows), -order, key))
    if not scored:
        return {"percentile": None, "startup_trials": None, "mean_saving": None}
    saving, _, (percentile, startup) = max(scored)
    return {"percentile": percentile, "startup_trials": startup, "mean_saving": saving}


def markdown(results: Dict[str, Any]) -> str:
    lines = ["# Pruner replay on dev learning curves of unpruned `nlp-rnn tune` searches", "",
             "Optuna's PercentilePruner replayed over the trials of each unpruned search, in their order "
             "(settings fixed: a real pruned search samples differently).", ""]
    for study in results["studies"]:
        lines += [f"## {study['study']}", "",
                  f"{study['trials']} complete trials, {study['steps_unpruned']:,} steps unpruned, "
                  f"best dev {100 * study['best_dev_unpruned']:.2f}", "",
                  "| top % kept | startup trials | pruned | steps trained | saving | best dev | gap (points) | best kept |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in study["candidates"]:
            lines.append(f"| {r['percentile']:g} | {r['startup_trials']} | {r['pruned']} | {r['steps_trained']:,} | "
                         f"{100 * r['saving']:.1f}% | {100 * r['best_dev']:.2f} | {r['dev_gap_points']:.2f} | "
                         f"{'yes' if r['keeps_best'] else 'no'} |")
        lines.append("")
    chosen = results["choice"]
    if chosen["percentile"] is None:
        lines.append("Choice: none of the candidates keeps the best dev score in every study.")
    else:
        lines.append(f"Choice: percentile {chosen['percentile']:g} (the top {chosen['percentile']:g} % go on), {chosen['startup_trials']} startup trials "
                     f"(mean saving {100 * chosen['mean_saving']:.1f}% with the best dev score within "
                     f"{SAME_BEST_WITHIN} points in every study).")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("studies", nargs="+", type=Path, help="folders of unpruned nlp-rnn tune searches")
    parser.add_argument("--name", default="pruner_replay")
    args = parser.parse_args()
    studies = [replay_study(folder) for folder in args.studies]
    results = {"studies": studies, "choice": choose(studies), "same_best_within": SAME_BEST_WITHIN}
    write_results(args.name, results, markdown(results))
    print((RESULTS / f"{args.name}.md").read_text())


if __name__ == "__main__":
    main()
