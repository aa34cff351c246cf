"""The result folder of a search: ``report.json``, ``report.md`` and ``best/``.

Every trial is a row (:class:`TrialRow`): its settings, state (``complete``, ``pruned``,
``failed``; ``failed`` with ``interrupted`` when the search was stopped or its worker lost during
the trial), dev score (for a pruned trial: its last one), best step, steps trained, minutes, folder
and error. ``best/config.cfg`` is the best complete trial's config (ready for ``nlp-rnn train``)
and ``best/model`` a copy of its ``model-best``.
"""

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

STATES = ("complete", "pruned", "failed")


@dataclass
class TrialRow:
    """One trial as the report shows it."""

    number: int
    state: str
    params: Dict[str, Any]
    dev_score: Optional[float] = None
    best_step: Optional[int] = None
    steps: Optional[int] = None
    minutes: Optional[float] = None
    folder: Optional[str] = None
    error: Optional[str] = None
    notes: List[str] = field(default_factory=list)  # baseline, interrupted, retry of N, ...


def best_row(rows: List[TrialRow]) -> Optional[TrialRow]:
    """The complete trial with the highest dev score (the earlier one on a tie)."""
    done = [r for r in rows if r.state == "complete" and r.dev_score is not None]
    return max(done, key=lambda r: (r.dev_score, -r.number)) if done else None


def write_results(output: Path, rows: List[TrialRow], info: Dict[str, Any]) -> Optional[TrialRow]:
    """Write ``report.json`` / ``report.md`` and copy the best trial into ``best/``; return it."""
    rows = sorted(rows, key=lambda r: r.number)
    best = best_row(rows)
    if best is not None and best.folder:
        copy_best(Path(best.folder), output / "best")
    counts = {state: sum(r.state == state for r in rows) for state in STATES}
    report = {
        **info,
        "counts": counts,
        "best": None if best is None else {"trial": best.number, "dev_score": best.dev_score, "params": best.params,
                                           "config": str(output / "best" / "config.cfg"),
                                           "model": str(output / "best" / "model")},
        "trials": [asdict(r) for r in rows],
    }
    (output / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf8")
    (output / "report.md").write_text(markdown(report, rows, best), encoding="utf8")
    return best


def copy_best(trial_folder: Path, best: Path) -> None:
    """``best/config.cfg`` and ``best/model`` from a trial folder (replacing an older best)."""
    if best.exists():
        shutil.rmtree(best)
    best.mkdir(parents=True)
    shutil.copy(trial_folder / "config.cfg", best / "config.cfg")
    if (trial_folder / "model-best").exists():
        shutil.copytree(trial_folder / "model-best", best / "model")


def _number(value: Any, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def markdown(report: Dict[str, Any], rows: List[TrialRow], best: Optional[TrialRow]) -> str:
    """The report as a markdown page: the search, the best trial, a table of every trial."""
    keys = list(report.get("space", {})) or sorted({k for r in rows for k in r.params})
    short = {k: k.split(".")[-1] for k in keys}
    lines = [f"# nlp-rnn tune: {report.get('config', '')}", ""]
    lines.append(f"- trials: {len(rows)} ({', '.join(f'{n} {s}' for s, n in report['counts'].items())})")
    for key in ("sampler", "pruner", "engine", "minutes"):
        if report.get(key) is not None:
            lines.append(f"- {key}: {report[key]}")
    if best is None:
        lines.append("- best: none (no trial completed)")
    else:
        lines.append(f"- best: trial {best.number}, dev score {best.dev_score:.4f} → `best/config.cfg`, `best/model`")
    lines += ["", "| trial | state | dev score | best step | steps | minutes | " + " | ".join(short[k] for k in keys) + " | notes |",
              "|" + "---|" * (7 + len(keys))]
    for r in rows:
        values = " | ".join(_shown(r.params.get(k)) for k in keys)
        notes = "; ".join(r.notes + ([r.error] if r.error else [])).replace("|", "/")
        mark = " **best**" if best is not None and r.number == best.number else ""
        lines.append(f"| {r.number}{mark} | {r.state} | {_number(r.dev_score, 4)} | {'' if r.best_step is None else r.best_step} | "
                     f"{'' if r.steps is None else r.steps} | {_number(r.minutes, 2)} | {values} | {notes} |")
    return "\n".join(lines) + "\n"


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def progress_line(row: TrialRow, done: int, total: int, best: Optional[TrialRow]) -> str:
    """The line printed when a trial ends."""
    parts = [f"trial {row.number} {row.state}"]
    if row.dev_score is not None:
        parts.append(f"dev {row.dev_score:.4f}")
    if row.steps is not None:
        parts.append(f"{row.steps} steps")
    if row.minutes is not None:
        parts.append(f"{row.minutes:.2f} min")
    if row.error:
        parts.append(row.error)
    if best is not None:
        parts.append(f"best so far: trial {best.number} ({best.dev_score:.4f})")
    settings = ", ".join(f"{k.split('.')[-1]}={_shown(v)}" for k, v in row.params.items())
    return f"[{done}/{total}] " + " · ".join(parts) + (f" · {settings}" if settings else "")
