"""Is a pretrained encoder the encoder a task config describes? The first difference, by name.

Only the settings that decide the weights' shapes or meaning are compared
(:data:`WEIGHT_SETTINGS`); dropouts, ``word_dropout``, ``min_freq`` and ``max_length`` are the
task's own (the vocabularies come with the pretrained encoder).
"""

from typing import Any, Dict, Optional, Tuple

from ..featurizer import CHAR_FEATURE, CHARS_PER_TOKEN

WEIGHT_SETTINGS = (
    "features", "feature_widths", "cell", "hidden_size", "num_layers", "bidirectional",
    "conv_filters", "conv_kernel", "conv_stride", "include_static_vectors",
)
_CONV_ONLY = ("conv_kernel", "conv_stride")


def first_mismatch(pretrained: Dict[str, Any], configured: Dict[str, Any]) -> Optional[Tuple[str, Any, Any]]:
    """(setting, pretrained value, configured value) of the first differing weight setting, or
    None. Both dicts are :meth:`TextEncoderSettings.hparams`-like; a setting missing from the
    pretrained dict counts as different."""
    for name in WEIGHT_SETTINGS:
        if name in _CONV_ONLY and not configured.get("conv_filters") and not pretrained.get("conv_filters"):
            continue
        ours, theirs = _plain(configured.get(name)), _plain(pretrained.get(name))
        if ours != theirs:
            return name, theirs, ours
    if CHAR_FEATURE in configured.get("features", []):
        if pretrained.get("chars_per_token", CHARS_PER_TOKEN) != CHARS_PER_TOKEN:
            return "chars_per_token", pretrained.get("chars_per_token"), CHARS_PER_TOKEN
    return None


def check_compatible(pretrained: Dict[str, Any], configured: Dict[str, Any], source: str, component: str) -> None:
    """Raise one ``ValueError`` naming the first differing setting and both values."""
    mismatch = first_mismatch(pretrained, configured)
    if mismatch is None:
        return
    name, theirs, ours = mismatch
    raise ValueError(
        f"init_encoder {source}: the pretrained encoder has {name} = {_show(theirs)} but "
        f"[components.{component}.model.encoder] has {name} = {_show(ours)}; use the same encoder block "
        f"in both (pretrain again with this config, or set {name} = {_show(theirs)})"
    )


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else value


def _show(value: Any) -> str:
    import json

    return json.dumps(value) if value is not None else "missing"
