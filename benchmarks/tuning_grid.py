"""Tuning grids (benchmarks/grids.json): reading one, its points, and checking its override keys."""

import hashlib
import itertools
import json
from pathlib import Path
from typing import Any, Dict, List, Sequence

from common import ROOT, rel

GRIDS = ROOT / "benchmarks" / "grids.json"
MAX_POINTS = 6
RESERVED = ("paths.", "corpora.", "system.seed", "training.seed")


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
