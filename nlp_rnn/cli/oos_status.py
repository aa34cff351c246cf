"""The line of ``nlp-rnn train``'s summary that says whether the trained pipeline can answer "out
of scope", read from the saved components' ``cfg`` (what the training's last step fitted: see
:func:`nlp_rnn.cli.tune_oos.tune_after_training`)."""

from pathlib import Path
from typing import Any, Dict, List

from ..oos.flat_keys import nest_flat_keys
from .saved_config import saved_component_cfgs

#: how each threshold rule is named in the line (``oos_threshold_choice["method"]``)
RULES = {"dev_macro_f1_open": "threshold chosen on dev", "in_scope_share": "threshold keeps a share of the in-scope dev docs",
         "in_scope_loss": "threshold within an in-scope dev accuracy budget"}


def out_of_scope_lines(model_dir: Path) -> List[str]:
    """``out of scope: on (…)`` / ``out of scope: off (…)`` for each saved component with
    out-of-scope settings (named when there are several); none for a pipeline without intents."""
    saved = {name: nest_flat_keys(cfg) for name, cfg in saved_component_cfgs(model_dir).items()}
    found = {name: cfg for name, cfg in saved.items() if "oos" in cfg and (cfg.get("labels") or cfg.get("intents"))}
    return [f"out of scope{f' ({name})' if len(found) > 1 else ''}: {status(cfg)}" for name, cfg in found.items()]


def status(cfg: Dict[str, Any]) -> str:
    """``on (score, how the threshold was chosen: what it does on dev)`` or ``off (why)``, from a
    saved cfg with an ``oos`` block."""
    score = cfg["oos"]["score"]
    if score == "none":
        examples = cfg.get("oos_examples")
        if examples is not None and not any(examples.values()):
            return 'off (no out-of-scope examples in train/dev; set oos.score to enable)'
        return 'off (oos.score = "none"; set oos.score to enable)'
    if not cfg.get("exclusive_classes", True):
        return f"on (multi-label: a doc with no label at {cfg.get('threshold', 0.5)} or more)"
    if cfg["oos"]["threshold"] is None:
        return f"off ({score} scores are written but no threshold is fitted: run nlp-rnn tune-oos)"
    choice = cfg.get("oos_threshold_choice") or {}
    how = RULES.get(choice.get("method"), "threshold set in the config")
    if "oos_score_choice" in cfg:
        how = "turned on by the out-of-scope examples in train/dev; score and " + how
    figures = []
    if choice.get("oos_recall") is not None:
        figures.append(f"recall {choice['oos_recall']:.2f}")
    if choice.get("in_scope_accuracy") is not None:
        figures.append(f"in-scope accuracy {100 * choice['in_scope_accuracy']:.1f}")
    return f"on ({score}, {how}" + (f": {' at '.join(figures)} on dev)" if figures else ")")
