"""What a search tries: a search space of dotted config keys.

A space file is JSON, one entry per dotted config key (the keys ``nlp-rnn train`` takes as
``--section.key``)::

    {
      "components.rnn_joint.model.encoder.dropout": {"low": 0.2, "high": 0.4},
      "training.optimizer.learn_rate.initial_rate": {"low": 0.002, "high": 0.005, "log": true},
      "components.rnn_joint.model.encoder.hidden_size": {"choices": [256, 384]},
      "training.batcher.size": {"low": 16, "high": 64, "step": 16}
    }

``choices``: one of the values; ``low`` / ``high``: a number in the range (whole numbers when both
are whole numbers), with ``log`` (sample the logarithm) or ``step``.

Without a file the space is the default for the config's trainable component
(:data:`DEFAULT_RANGES`): the encoder's dropout, word dropout and hidden size, the learning rate and
the batch size, over the ranges the dev grids that chose the shipped defaults searched
(``benchmarks/results/tune_<config>.md``).
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from .errors import TuneError

#: the default space, per component factory: {key under the component's model (or a training key):
#: entry}; ranges of the dev grids that chose the shipped defaults (the "default", "rate" and "quick" grids of the shipped
#: configs; the NER grids went up to a dropout of 0.5), plus the batch size around the shipped 32
DEFAULT_RANGES: Dict[str, Dict[str, Dict[str, Any]]] = {
    factory: {
        "model.encoder.dropout": {"low": 0.2, "high": 0.5 if factory == "rnn_tagger" else 0.4},
        "model.encoder.word_dropout": {"low": 0.1, "high": 0.25},
        "model.encoder.hidden_size": {"choices": [256, 384]},
        "training.optimizer.learn_rate.initial_rate": {"low": 0.002, "high": 0.005, "log": True},
        "training.batcher.size": {"choices": [16, 32, 64]},
    }
    for factory in ("rnn_intent", "rnn_joint", "rnn_tagger")
}


@dataclass(frozen=True)
class Dimension:
    """One searched key: categorical (``choices``) or a range (``low`` .. ``high``)."""

    key: str
    choices: Optional[Sequence[Any]] = None
    low: Optional[float] = None
    high: Optional[float] = None
    log: bool = False
    step: Optional[float] = None

    @property
    def is_int(self) -> bool:
        return self.choices is None and all(isinstance(v, int) and not isinstance(v, bool) for v in (self.low, self.high))

    def suggest(self, trial) -> Any:
        """The value an Optuna trial (or Ray Tune's define-by-run trial) picks for this key."""
        if self.choices is not None:
            return trial.suggest_categorical(self.key, list(self.choices))
        if self.is_int:
            return trial.suggest_int(self.key, self.low, self.high, step=int(self.step or 1), log=self.log)
        return trial.suggest_float(self.key, float(self.low), float(self.high), step=self.step, log=self.log)

    def contains(self, value: Any) -> bool:
        """Whether ``value`` (e.g. the config's own setting) is a point of this dimension."""
        if self.choices is not None:
            return value in list(self.choices)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.is_int and not isinstance(value, int):
            return False
        if not self.low <= value <= self.high:
            return False
        if self.step:
            steps = (value - self.low) / self.step
            return math.isclose(steps, round(steps), abs_tol=1e-9)
        return True

    def describe(self) -> str:
        if self.choices is not None:
            return f"{self.key} in {list(self.choices)}"
        return f"{self.key} in [{self.low}, {self.high}]" + (" (log)" if self.log else "")


class SearchSpace:
    """The searched keys, in the order given."""

    def __init__(self, dimensions: List[Dimension]):
        if not dimensions:
            raise TuneError("the search space is empty: give at least one key")
        self.dimensions = dimensions

    @property
    def keys(self) -> List[str]:
        return [d.key for d in self.dimensions]

    def suggest(self, trial) -> Dict[str, Any]:
        """{key: value} for one trial."""
        return {d.key: d.suggest(trial) for d in self.dimensions}

    def baseline(self, config) -> Optional[Dict[str, Any]]:
        """The config's own values of the searched keys, when every one is a point of the space
        (then the search starts with it, so it never ends below the config as it is on dev)."""
        values = {}
        for d in self.dimensions:
            value = dotted_get(config, d.key)
            if value is None or not d.contains(value):
                return None
            values[d.key] = value
        return values

    def to_json(self) -> Dict[str, Dict[str, Any]]:
        out = {}
        for d in self.dimensions:
            entry = {"choices": list(d.choices)} if d.choices is not None else {"low": d.low, "high": d.high}
            if d.log:
                entry["log"] = True
            if d.step:
                entry["step"] = d.step
            out[d.key] = entry
        return out


def dotted_get(config, key: str) -> Any:
    """The value at a dotted key of a (nested dict) config, None when it has none."""
    node = config
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def parse_space(data: Any, source: str = "the search space") -> SearchSpace:
    """A :class:`SearchSpace` from the JSON structure of a space file; bad entries fail naming the key."""
    if not isinstance(data, dict):
        raise TuneError(f"{source}: expected a JSON object of dotted config keys, got {type(data).__name__}")
    dimensions = []
    for key, entry in data.items():
        dimensions.append(parse_dimension(key, entry, source))
    return SearchSpace(dimensions)


def parse_dimension(key: str, entry: Any, source: str) -> Dimension:
    where = f"{source}: {key}"
    if key.startswith(("paths.", "corpora.")):
        raise TuneError(f"{where}: the data is not searched (give it with --paths.train / --paths.dev)")
    if not isinstance(entry, dict):
        raise TuneError(f'{where}: expected {{"choices": [...]}} or {{"low": ..., "high": ...}}, got {entry!r}')
    unknown = set(entry) - {"choices", "low", "high", "log", "step"}
    if unknown:
        raise TuneError(f"{where}: unknown field {sorted(unknown)[0]!r} (choices, low, high, log, step)")
    if "choices" in entry:
        choices = entry["choices"]
        if not isinstance(choices, list) or not choices:
            raise TuneError(f"{where}: choices must be a non-empty list")
        if set(entry) - {"choices"}:
            raise TuneError(f"{where}: give either choices or low / high, not both")
        return Dimension(key, choices=tuple(choices))
    low, high = entry.get("low"), entry.get("high")
    numbers = (low, high)
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in numbers):
        raise TuneError(f"{where}: low and high must both be numbers, got {low!r} and {high!r}")
    if low > high:
        raise TuneError(f"{where}: low {low} is above high {high}")
    log, step = bool(entry.get("log", False)), entry.get("step")
    if log and low <= 0:
        raise TuneError(f"{where}: a log range must start above 0, got low {low}")
    if log and step:
        raise TuneError(f"{where}: give log or step, not both")
    if step is not None and (isinstance(step, bool) or not isinstance(step, (int, float)) or step <= 0):
        raise TuneError(f"{where}: step must be a positive number, got {step!r}")
    return Dimension(key, low=low, high=high, log=log, step=step)


def read_space(path: Path) -> SearchSpace:
    """The space in a JSON file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf8"))
    except OSError as error:
        raise TuneError(f"cannot read the search space {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise TuneError(f"{path}: not valid JSON: {error}") from None
    return parse_space(data, str(path))


def trained_component(config) -> str:
    """The name of the config's one component that has a default space (``rnn_intent`` /
    ``rnn_joint`` / ``rnn_tagger`` factory); an error when there is none or several."""
    components = config.get("components") or {}
    found = [(name, block.get("factory")) for name, block in components.items()
             if isinstance(block, dict) and block.get("factory") in DEFAULT_RANGES]
    if len(found) != 1:
        factories = sorted({b.get("factory") for b in components.values() if isinstance(b, dict)} - {None})
        what = "no" if not found else "more than one"
        raise TuneError(
            f"the config has {what} component with a default search space "
            f"({', '.join(DEFAULT_RANGES)}; it has {', '.join(factories) or 'none'}): give one with --space FILE.json"
        )
    return found[0][0]


def default_space(config) -> SearchSpace:
    """The default space for ``config`` (a nested dict): :data:`DEFAULT_RANGES` of its component."""
    name = trained_component(config)
    factory = config["components"][name]["factory"]
    data = {}
    for key, entry in DEFAULT_RANGES[factory].items():
        data[key if key.startswith("training.") else f"components.{name}.{key}"] = entry
    return parse_space(data, f"the default search space for {name}")
