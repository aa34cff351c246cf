"""The pick: rank a grid's points by mean dev score over seeds, optionally re-checked on one more seed."""

from statistics import mean
from typing import Dict, List, Optional, Sequence

from tuning_grid import GridError, same_settings


def find_run(runs: Sequence[Dict], settings: Dict, seed: int, dataset: str, max_minutes: Optional[float]) -> Optional[Dict]:
    for run in runs:
        if (run["seed"] == seed and run["dataset"] == dataset and run.get("max_minutes") == max_minutes
                and same_settings(run["settings"], settings)):
            return run
    return None


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
