"""One truth for a saved pipeline's settings: what a command fits on data after training
(``nlp-rnn train``'s last step, ``tune-oos``: the ``oos`` block's temperature and threshold, ``prior_weight`` …)
lands in each component's ``cfg``; :func:`write_settings_into_config` copies the saved values into
the pipeline's ``config.cfg`` as well, so that ``spacy.load(path).config`` shows the settings the
components use (and a pipeline rebuilt from that config starts from them)."""

import json
from pathlib import Path
from typing import Any, Dict, Iterable, List

PLAIN = (type(None), bool, int, float, str)


def write_settings_into_config(model_dir: Path, names: Iterable[str]) -> List[str]:
    """For each component ``NAME`` in ``names``: every setting of ``[components.NAME]`` in
    ``model_dir/config.cfg`` (not ``factory``, not a nested block such as ``model``) that its saved
    ``model_dir/NAME/cfg`` holds with another plain value (null, bool, number, string) takes the
    saved value; a component with an out-of-scope block gets the saved block as
    ``[components.NAME.oos]`` (:func:`write_oos_block`). The file is rewritten when anything
    changed. Returns the changed settings as ``"NAME.key"`` (``"NAME.oos.key"`` in the block)."""
    from thinc.api import Config

    from ..oos.flat_keys import nest_flat_keys

    path = Path(model_dir) / "config.cfg"
    config = Config().from_disk(path, interpolate=False)
    changed = []
    for name in names:
        # json, not srsly: ujson reads 0.95 as 0.9500000000000001, and config.cfg would show that
        cfg = nest_flat_keys(json.loads((Path(model_dir) / name / "cfg").read_text(encoding="utf8")))
        section = config["components"].get(name, {})
        if "oos" in cfg:
            changed += [f"{name}.{key}" for key in write_oos_block(section, cfg["oos"])]
        for key, value in section.items():
            if key == "factory" or isinstance(value, dict) or key not in cfg:
                continue
            if isinstance(cfg[key], PLAIN) and cfg[key] != value:
                section[key] = cfg[key]
                changed.append(f"{name}.{key}")
    if changed:
        config.to_disk(path)
    return changed


def write_oos_block(section: Dict[str, Any], saved: Dict[str, Any]) -> List[str]:
    """Put a component's saved out-of-scope block into its config ``section`` as ``oos``, and take
    out the old flat keys (:mod:`nlp_rnn.oos.flat_keys`): the section ends in the block layout.
    Returns what changed (``"oos.key"``, or the flat key taken out)."""
    from ..oos.flat_keys import FLAT_KEYS

    changed = [key for key in FLAT_KEYS if section.get(key) is not None]  # null: not given (a filled config has them)
    for key in FLAT_KEYS:
        section.pop(key, None)
    block = section.setdefault("oos", {})
    for key, value in saved.items():
        if key not in block or block[key] != value:
            block[key] = value
            changed.append(f"oos.{key}")
    return changed


def saved_component_cfgs(model_dir: Path) -> Dict[str, Dict[str, Any]]:
    """{component: its saved ``cfg``} of the pipeline in ``model_dir``, in name order (a file that
    cannot be read as a JSON object is skipped: it belongs to no nlp_rnn component)."""
    found = {}
    for cfg_path in sorted(Path(model_dir).glob("*/cfg")):
        try:
            cfg = json.loads(cfg_path.read_text(encoding="utf8"))
        except (OSError, ValueError):
            continue
        if isinstance(cfg, dict):
            found[cfg_path.parent.name] = cfg
    return found
