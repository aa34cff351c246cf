"""Check ``--section.key value`` overrides against the config before training starts.

spaCy (confection) accepts an override for any key of an existing section, so
``--training.max_stepz 5`` silently starts a full training. An override is accepted here when
its key is in the config, or is a key spaCy would fill in itself: a parameter of the registered
function of its block (``@architectures``, ``@readers``, ...), of a component's factory, a key of
a plain block of the factory's default config (``[components.NAME.oos]``), or a
field of spaCy's schema for ``[training]``, ``[nlp]``, ``[initialize]``, ``[pretraining]``.
``[paths]`` and ``[system]`` hold free variables, so any new key there is fine.
Anything else fails naming the key and the closest known one.
"""

import difflib
import inspect
from typing import Any, Dict, Iterable, Optional, Set

VARIABLE_SECTIONS = ("paths", "system")


class UnknownOverrideError(ValueError):
    """An override names a key the config does not have and spaCy would not accept."""


def flat_keys(config: Dict[str, Any], prefix: str = "") -> Set[str]:
    """Every dotted key of a nested config (sections and values)."""
    keys = set()
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        keys.add(dotted)
        if isinstance(value, dict):
            keys |= flat_keys(value, dotted + ".")
    return keys


def _parameters(func) -> Optional[Set[str]]:
    """Names a function takes by keyword; None when it takes ``**kwargs`` (anything goes)."""
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params if p.kind != p.VAR_POSITIONAL}


def _schema_fields(section: str) -> Optional[Set[str]]:
    from spacy import schemas

    schema = {
        "training": schemas.ConfigSchemaTraining,
        "nlp": schemas.ConfigSchemaNlp,
        "initialize": schemas.ConfigSchemaInit,
        "pretraining": schemas.ConfigSchemaPretrain,
    }.get(section)
    if schema is None:
        return set()
    fields = getattr(schema, "model_fields", None) or getattr(schema, "__fields__", {})
    return set(fields)


def fillable_keys(config: Dict[str, Any], section_path: str) -> Optional[Set[str]]:
    """Keys spaCy fills in for the section at ``section_path`` (besides those written in it);
    None when it accepts any key."""
    if section_path.split(".")[0] in VARIABLE_SECTIONS and "." not in section_path:
        return None
    node: Any = config
    for part in section_path.split("."):
        node = node[part]
    for key, value in node.items():
        if key.startswith("@"):
            from spacy.util import registry

            try:
                return _parameters(registry.get(key[1:], value))
            except Exception:  # an unknown registry or function: spaCy will report it itself
                return None
    if section_path.startswith("components.") and section_path.count(".") == 1:
        if "source" in node or "factory" not in node:
            return None
        from spacy.language import Language
        from spacy.util import registry

        try:
            load_factory(node["factory"])
            params = _parameters(registry.factories.get(Language.get_factory_name(node["factory"])))
        except Exception:  # an unknown factory: spaCy will report it itself
            return None
        return None if params is None else params - {"nlp", "name"}
    if "." not in section_path:
        return _schema_fields(section_path)
    if section_path.startswith("components."):
        return factory_block_keys(config, section_path)
    return set()


def factory_block_keys(config: Dict[str, Any], section_path: str) -> Set[str]:
    """Keys of a plain nested block of a component (e.g. ``[components.NAME.oos]``) that its
    factory's ``default_config`` fills in; empty when the factory has no such block."""
    from spacy.language import Language

    parts = section_path.split(".")
    component = config["components"].get(parts[1], {})
    try:
        load_factory(component["factory"])
        node: Any = Language.get_factory_meta(component["factory"]).default_config
    except Exception:  # no or an unknown factory: spaCy will report it itself
        return set()
    for part in parts[2:]:
        if not isinstance(node, dict) or part not in node:
            return set()
        node = node[part]
    return set(node) if isinstance(node, dict) else set()


def load_factory(name: str) -> None:
    """Register the factory ``name`` from its package's ``spacy_factories`` entry point, when it is
    not registered yet. spaCy loads the entry points when it creates a ``Language``; the overrides
    are checked before any exists (and nlp_rnn's own components register through entry points only)."""
    from importlib.metadata import entry_points

    from spacy.language import Language

    if Language.has_factory(name):
        return
    for point in entry_points(group="spacy_factories"):
        if point.name == name:
            point.load()


def check_overrides(config: Dict[str, Any], overrides: Iterable[str]) -> None:
    """Raise :class:`UnknownOverrideError` for the first override key the config does not know.

    ``config`` is the config as written (before spaCy fills it in), as a nested dict."""
    known = flat_keys(config)
    for key in overrides:
        if key in known:
            continue
        section, _, name = key.rpartition(".")
        candidates = set(known)
        if section in known and isinstance(_lookup(config, section), dict):
            extra = fillable_keys(config, section)
            if extra is None or name in extra:
                continue
            candidates |= {f"{section}.{k}" for k in extra}
        moved = f"{section}.encoder.{name}"  # an encoder setting given at the v1 (flat) place
        close = [moved] if moved in known else difflib.get_close_matches(key, sorted(candidates), n=1, cutoff=0.6)
        hint = f"; did you mean --{close[0]}?" if close else ""
        where = f"section [{section}]" if section in known else "the config"
        raise UnknownOverrideError(f"unknown setting --{key}: {where} has no {name!r}{hint}")


def _lookup(config: Dict[str, Any], dotted: str) -> Any:
    node: Any = config
    for part in dotted.split("."):
        node = node[part]
    return node
