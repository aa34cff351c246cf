"""A setting's default is written once.

The settings a user configures are the parameters of the registered architectures (one head's
``pooling`` is another setting than another head's ``pooling``) and the fields of the encoder block
(:class:`~nlp_rnn.architectures.encoder_config.TextEncoderSettings`). Their defaults are written
there, and only there:

- ``nlp_rnn.TextEncoder.v1`` reads every default from the dataclass (no literal of its own);
- below the homes (``nn`` modules, vocabularies, the featurizer, loss functions) a parameter named
  like a setting has no literal default: the value comes from the settings, passed down;
- a component's default model block (``default_config`` of its factory) states only what differs
  from the architecture's defaults (a head-specific encoder size, say), never a copy of them;
- the v1 builders, kept so that pipelines saved with them still load, live in one legacy module
  (:mod:`nlp_rnn.architectures.legacy`) and are the only exception.

The source is read with :mod:`ast`; the factories' default configs and the architectures'
signatures are read from the registries.
"""

import ast
import importlib.metadata
import inspect
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import spacy
from spacy.language import Language

from conftest import ROOT
from nlp_rnn.architectures.encoder_config import TextEncoderSettings

PACKAGE = ROOT / "nlp_rnn"
LEGACY = PACKAGE / "architectures" / "legacy.py"
HOME_MODULES = {PACKAGE / "architectures" / "encoder_config.py"}
#: (file relative to nlp_rnn/, function, parameter): literal defaults of a parameter named like a
#: setting that are another concept, with the reason
OTHER_CONCEPTS = {
    ("training/cached_corpus.py", "create_cached_corpus_reader", "max_length"): "the corpus reader's document length limit (spaCy's Corpus.v1 setting), not the encoder's",
}


def architectures() -> Dict[str, object]:
    """Registered nlp_rnn architectures (entry points), the legacy v1 builders left out."""
    found = {}
    for entry in importlib.metadata.entry_points(group="spacy_architectures"):
        if entry.name.startswith("nlp_rnn."):
            function = entry.load()
            if Path(inspect.getsourcefile(function)).resolve() != LEGACY.resolve():
                found[entry.name] = function
    return found


def setting_names() -> set:
    names = {f.name for f in fields(TextEncoderSettings)}
    for function in architectures().values():
        names |= {p.name for p in inspect.signature(function).parameters.values()
                  if p.default is not inspect.Parameter.empty and p.default is not None}
    return names


def literal_defaults(tree: ast.AST) -> List[Tuple[str, str, ast.expr]]:
    """(function or class, parameter or field, default) of every literal default in a module:
    parameters of functions and annotated fields of classes (dataclasses)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            positional = args.posonlyargs + args.args
            pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
            pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
            out += [(node.name, a.arg, d) for a, d in pairs if is_literal(d)]
        elif isinstance(node, ast.ClassDef):
            out += [(node.name, st.target.id, st.value) for st in node.body
                    if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and st.value is not None
                    and is_literal(st.value)]
    return out


def is_literal(node: ast.expr) -> bool:
    """A value written out (numbers, strings, booleans, lists of them, default_factory lambdas);
    ``None`` (not given) and names read from elsewhere are not."""
    if isinstance(node, ast.Constant):
        return node.value is not None
    if isinstance(node, ast.UnaryOp):
        return is_literal(node.operand)
    if isinstance(node, (ast.List, ast.Tuple)):
        return True
    if isinstance(node, ast.Call) and any(k.arg == "default_factory" for k in node.keywords):
        return True
    return False


def test_no_second_literal_default_below_the_homes():
    names = setting_names()
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in HOME_MODULES or path.resolve() == LEGACY.resolve():
            continue
        relative = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf8"))
        for owner, name, default in literal_defaults(tree):
            if name in names and (relative, owner, name) not in OTHER_CONCEPTS:
                if is_architecture(relative, owner):
                    continue
                found.append(f"{relative}: {owner}({name}={ast.unparse(default)})")
    assert not found, ("settings with a second default; pass the value down from the settings instead "
                       "(or name the other concept in OTHER_CONCEPTS):\n" + "\n".join(found))


def is_architecture(relative: str, function: str) -> bool:
    """Whether ``function`` of ``relative`` is a registered architecture (a home of its own settings)."""
    return any(Path(inspect.getsourcefile(f)).resolve() == (PACKAGE / relative).resolve() and f.__name__ == function
               for f in architectures().values())


def test_the_encoder_block_reads_its_defaults_from_the_settings_dataclass():
    from nlp_rnn.architectures.encoder_config import build_text_encoder_settings

    tree = ast.parse(inspect.getsource(build_text_encoder_settings))
    written = [name for _, name, _ in literal_defaults(tree)]
    assert not written, f"nlp_rnn.TextEncoder.v1 writes its own defaults for {written}"
    signature = inspect.signature(build_text_encoder_settings)
    for f in fields(TextEncoderSettings):
        default = f.default if f.default is not MISSING else f.default_factory()
        assert signature.parameters[f.name].default == default, f.name


@pytest.mark.parametrize("factory", ["rnn_intent", "rnn_joint", "rnn_tagger", "rnn_translator", "rnn_lm"])
def test_default_model_blocks_state_only_what_differs(factory):
    spacy.blank("en")  # a Language loads the factories' entry points: they register lazily
    meta = Language.get_factory_meta(factory)
    block = meta.default_config["model"]
    function = architectures()[block["@architectures"]]
    defaults = {p.name: p.default for p in inspect.signature(function).parameters.values()
                if p.default is not inspect.Parameter.empty}
    copies = sorted(key for key, value in block.items() if key in defaults and defaults[key] == value)
    encoder = block.get("encoder") or {}
    encoder_defaults = {f.name: (f.default if f.default is not MISSING else f.default_factory()) for f in fields(TextEncoderSettings)}
    copies += sorted(f"encoder.{key}" for key, value in encoder.items() if key in encoder_defaults and encoder_defaults[key] == value)
    assert not copies, f"{factory}'s default model block restates the architecture's defaults: {copies}"
