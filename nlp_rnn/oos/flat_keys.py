"""The out-of-scope settings as pipelines saved before the ``oos`` block wrote them: flat keys of
the component (``oos_score``, ``oos_threshold``, ``oos_in_scope_share``,
``oos_max_in_scope_loss``, ``temperature``, ``mixup_outliers``), in ``config.cfg`` and in the
component's ``cfg`` JSON.

What happens to them, on purpose:

- config (:func:`block_with_flat_keys`): the factories still accept the flat keys (null = not
  given); each one given is read into the block. A config that gives a flat key while its block
  also differs from the defaults is refused with one line: one layout per component.
- saved ``cfg`` (:func:`nest_flat_keys`): the flat keys move into ``cfg["oos"]`` when the
  component loads (torch or exported ONNX), so an old pipeline predicts exactly as before.
- ``nlp-rnn train`` / ``tune-oos`` rewrite a pipeline's ``config.cfg`` in the block layout
  (:func:`nlp_rnn.cli.saved_config.write_settings_into_config`).
"""

from typing import Any, Dict, Mapping

from .settings import OOS_DEFAULTS, checked_block

#: flat key of the old layout → key of the ``oos`` block
FLAT_KEYS = {"oos_score": "score", "oos_threshold": "threshold", "oos_in_scope_share": "in_scope_share",
             "oos_max_in_scope_loss": "max_in_scope_loss", "temperature": "temperature", "mixup_outliers": "mixup_outliers"}


def block_with_flat_keys(name: str, block: Mapping[str, Any], flat: Mapping[str, Any]) -> Dict[str, Any]:
    """The checked block of component ``name`` from its config: ``block`` (``[components.NAME.oos]``,
    defaults filled in) plus the flat keys of ``flat`` that are given (not None). ValueError with
    one line when both layouts are used."""
    given = {key: value for key, value in flat.items() if value is not None}
    if not given:
        return checked_block(block)
    changed = sorted(key for key, value in block.items() if OOS_DEFAULTS.get(key) != value)
    if changed:
        raise ValueError(f"{name}: give the out-of-scope settings in [components.{name}.oos] only, not also as the old flat keys "
                         f"({', '.join(sorted(given))}; the block sets {', '.join(changed)})")
    return checked_block({**block, **{FLAT_KEYS[key]: value for key, value in given.items()}})


def nest_flat_keys(saved: Mapping[str, Any]) -> Dict[str, Any]:
    """A saved component ``cfg`` in the block layout: the old flat keys, when there are any, move
    into ``cfg["oos"]`` (defaults for the ones missing). A cfg with both layouts is refused."""
    found = [key for key in FLAT_KEYS if key in saved]
    if not found:
        return dict(saved)
    if "oos" in saved:
        raise ValueError(f"the saved cfg has both an oos block and the old flat keys ({', '.join(found)})")
    rest = {key: value for key, value in saved.items() if key not in FLAT_KEYS}
    return {**rest, "oos": checked_block({FLAT_KEYS[key]: saved[key] for key in found})}
