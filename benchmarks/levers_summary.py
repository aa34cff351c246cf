"""Issue 26 in one table: every accuracy lever measured by ``benchmarks/levers.py`` (dev, Δ against
each data set's shipped config), the seed ensembles of ``benchmarks/ensemble_ceiling.py``, and the
test readings (each read once) against the issue's targets.

    python benchmarks/levers_summary.py

Reads benchmarks/results/levers_*.json and ensemble_*.json; trains nothing. Writes
benchmarks/results/levers_summary.json and .md.
"""

import json
from typing import Dict, List, Optional

from common import RESULTS, write_results
from levers import DATASETS, LABELS, TIMING, dataset_metrics, significance_note, summarize, verdict

# issue 26's targets (3-seed means on test) per data set of levers.py: figure → fraction
TARGETS: Dict[str, Dict[str, float]] = {
    "snips": {"intent_accuracy": 0.980, "span_f1": 0.945, "exact_match": 0.870},
    "atis": {"intent_accuracy": 0.969, "span_f1": 0.959, "exact_match": 0.865},
    "cais": {"intent_accuracy": 0.950, "span_f1": 0.885},
    "resume": {"span_f1": 0.945},
    "banking77": {"intent_accuracy": 0.930},
    "tatoeba_zh_en": {"bleu": 0.29},
}

# what a reader of a data set's rows must know
NOTES = {
    "cais": "The baseline row is `joint_zh.cfg` before the jieba lexicon features shipped (its runs predate them); "
            "today's config is the `lexicon` row.",
    "tatoeba_zh_en": "One seed per lever (a training takes 70 minutes on one core), so no seed spread.",
}


def figures(values: Dict[str, float], keys) -> str:
    return " / ".join(f"{100 * values[k]:.2f}" if values.get(k) is not None else "—" for k in keys)


def deltas(values: Dict[str, float], base: Dict[str, float], keys) -> str:
    return " / ".join(f"{100 * (values[k] - base[k]):+.2f}" if values.get(k) is not None and base.get(k) is not None else "—"
                      for k in keys)


def ensemble_name(ensemble: Dict) -> str:
    """"ensemble of 3" or "mean of 3 ensembles of 3"."""
    if ensemble["count"] > 1:
        return f"mean of {ensemble['count']} ensembles of {ensemble['size']}"
    return f"ensemble of {ensemble['size']}"


def target_check(values: Dict[str, float], dataset: str) -> str:
    """Which of the data set's targets the figures reach."""
    targets = TARGETS.get(dataset, {})
    return ", ".join(f"{LABELS[k]} {'yes' if values.get(k, 0) >= v - 1e-9 else 'no'}" for k, v in targets.items())


def dataset_rows(dataset: str) -> Optional[Dict]:
    path = RESULTS / f"levers_{dataset}.json"
    if not path.exists():
        return None
    results = json.loads(path.read_text(encoding="utf8"))
    shown, deciding = dataset_metrics(dataset)
    summaries = {name: summarize(entry["runs"], shown + TIMING) for name, entry in results["levers"].items() if entry["runs"]}
    base = summaries.get("baseline")
    out = {"dataset": dataset, "figures": list(shown), "baseline": base and base["mean"], "levers": [], "test": [], "ensemble": None}
    for name, summary in summaries.items():
        if name != "baseline":
            note = significance_note(results, name)
            out["levers"].append({"lever": name, "seeds": summary["seeds"], "mean": summary["mean"],
                                  "verdict": (verdict(summary, base, deciding) if base else "") + (f" (paired test: {note})" if note else "")})
    if results.get("test"):
        for name, runs in results["test"]["levers"].items():
            out["test"].append({"system": name, "seeds": [r["seed"] for r in runs], "mean": summarize(runs, shown)["mean"]})
    ensemble_path = RESULTS / f"ensemble_{dataset}.json"
    if ensemble_path.exists():
        ensemble = json.loads(ensemble_path.read_text(encoding="utf8"))
        out["ensemble"] = {key: ensemble.get(key) for key in ("lever", "member_mean", "ensemble", "speed")}
        out["ensemble"].update(count=len(ensemble.get("ensembles") or [None]), size=ensemble.get("size") or len(ensemble["members"]))
        if ensemble.get("test"):
            out["ensemble"]["test"] = {key: ensemble["test"][key] for key in ("member_mean", "ensemble")}
    return out


def markdown(rows: List[Dict]) -> str:
    lines = ["# Issue 26: accuracy levers, ensembles and targets", "",
             "`python benchmarks/levers_summary.py`, from `levers_DATASET.json` (`benchmarks/levers.py`: dev split, each lever",
             "trained once per seed, Δ = the lever's mean minus the shipped config's) and `ensemble_DATASET.json`",
             "(`benchmarks/ensemble_ceiling.py`). \"gain > spread\": the figures whose mean dev gain exceeds both seed",
             "spreads (the rule for changing a default). Test rows: each read once, for the system named.", ""]
    for row in rows:
        keys = row["figures"]
        heads = " / ".join(LABELS[k] for k in keys)
        targets = TARGETS.get(row["dataset"], {})
        lines += [f"## {row['dataset']}", "",
                  f"Targets (test, 3-seed mean): {', '.join(f'{LABELS[k]} ≥ {100 * v:.1f}' for k, v in targets.items())}", "",
                  *([NOTES[row["dataset"]], ""] if row["dataset"] in NOTES else []),
                  f"| system | seeds | dev {heads} | dev Δ | gain > spread |", "|---|---|---|---|---|"]
        base = row["baseline"] or {}
        lines.append(f"| baseline (shipped config) | | {figures(base, keys)} | — | |")
        for lever in row["levers"]:
            lines.append(f"| {lever['lever']} | {lever['seeds']} | {figures(lever['mean'], keys)} | {deltas(lever['mean'], base, keys)} "
                         f"| {lever['verdict']} |")
        ensemble = row["ensemble"]
        if ensemble:
            lines.append(f"| {ensemble_name(ensemble)} of the `{ensemble['lever']}` seeds (`nlp-rnn ensemble`) | | {figures(ensemble['ensemble'], keys)} "
                         f"| {deltas(ensemble['ensemble'], ensemble['member_mean'], keys)} (vs its members, same decoding) | |")
        tests = [(t["system"] + f" ({len(t['seeds'])} seed{'s' if len(t['seeds']) > 1 else ''})", t["mean"]) for t in row["test"]]
        if ensemble and ensemble.get("test"):
            tests += [(f"the ensembles' members ({ensemble['count'] * ensemble['size']} seeds)", ensemble["test"]["member_mean"]),
                      (ensemble_name(ensemble), ensemble["test"]["ensemble"])]
        if tests:
            lines += ["", f"| test, read once | {heads} | targets reached |", "|---|---|---|"]
            lines += [f"| {name} | {figures(values, keys)} | {target_check(values, row['dataset'])} |" for name, values in tests]
        if ensemble and ensemble.get("speed"):
            speed = ensemble["speed"]
            lines += ["", f"Ensemble speed: {speed['ensemble'] / speed['member']:.2f}× the words per second of one model "
                          f"({speed['ensemble']:,.0f} vs {speed['member']:,.0f}, dev texts, same process)."]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    rows = [row for row in (dataset_rows(name) for name in DATASETS) if row]
    write_results("levers_summary", {"datasets": rows, "targets": TARGETS}, markdown(rows))
    print(markdown(rows))


if __name__ == "__main__":
    main()
