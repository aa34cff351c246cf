"""The markdown report of a tune_<config>.json, rendered from the JSON alone."""

import json
from pathlib import Path
from statistics import mean
from typing import Dict, List, Optional, Sequence

from tuning_grid import same_settings

FIGURES = ("intent_acc", "intent_macro_f", "span_f", "exact_match")


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


def write_markdown(path: Path, results: Dict) -> None:
    md = path.with_suffix(".md")
    md.write_text(render(results), encoding="utf8")
    print(f"wrote {path} and {md}", flush=True)
