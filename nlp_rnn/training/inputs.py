"""Check the training and dev data a config points at before anything is created or trained, so
a wrong path or an unusable file is one line naming the file, not a traceback after
"Created output directory"."""

from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

DOCBIN_READERS = ("spacy.Corpus.v1", "nlp_rnn.CachedCorpus.v1", "nlp_rnn.LMChunks.v1")  # readers of .spacy files: their content is checked


class TrainingDataError(ValueError):
    """The training or dev data is missing, empty or cannot train the pipeline."""


def corpus_block(config: Dict[str, Any], dot_name: str) -> Optional[Dict[str, Any]]:
    """The ``[corpora.*]`` block ``training.train_corpus`` etc. names, when it reads a ``path``."""
    node: Any = config
    for part in dot_name.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, dict) and "path" in node else None


def read_docbins(path: Path) -> Tuple[int, Set[str]]:
    """(number of documents, intents seen in ``cats``) of a ``.spacy`` file or a folder of them."""
    from spacy.tokens import DocBin

    files = sorted(path.rglob("*.spacy")) if path.is_dir() else [path]
    n_docs, intents = 0, set()
    for file in files:
        try:
            docbin = DocBin().from_disk(file)
        except Exception as error:
            raise TrainingDataError(
                f"{file} is not a spaCy DocBin ({type(error).__name__}): convert the data first with nlp-rnn convert"
            ) from None
        n_docs += len(docbin)
        intents |= {label for cats in docbin.cats for label, value in cats.items() if value}
    return n_docs, intents


def needs_two_intents(config: Dict[str, Any]) -> List[str]:
    """Names of the components that need at least two intents (exclusive ``rnn_intent``, ``rnn_joint``)."""
    names = []
    for name in config.get("nlp", {}).get("pipeline", []):
        block = config.get("components", {}).get(name, {})
        factory = block.get("factory")
        if factory == "rnn_intent" and block.get("exclusive_classes", True):
            names.append(name)
        elif factory == "rnn_joint":
            names.append(name)
    return names


def check_training_data(config: Dict[str, Any]) -> None:
    """Raise :class:`TrainingDataError` when the train or dev corpus of the (interpolated)
    config is not given, missing, empty, or has fewer than two intents for an intent component."""
    training = config.get("training", {})
    for role, dot_name in (("train", training.get("train_corpus")), ("dev", training.get("dev_corpus"))):
        if not isinstance(dot_name, str):
            continue
        block = corpus_block(config, dot_name)
        if block is None:
            continue
        path = block["path"]
        if path in (None, "", "null"):
            raise TrainingDataError(f"no {role} data: pass --paths.{role} FILE.spacy (written by nlp-rnn convert)")
        path = Path(path)
        if not path.exists():
            raise TrainingDataError(f"{role} data not found: {path} (--paths.{role})")
        if block.get("@readers") not in DOCBIN_READERS:
            continue
        n_docs, intents = read_docbins(path)
        if n_docs == 0:
            raise TrainingDataError(f"{role} data {path} has no examples")
        if role == "train":
            for name in needs_two_intents(config):
                if len(intents) < 2:
                    found = ", ".join(sorted(intents)) or "none"
                    raise TrainingDataError(
                        f"{path}: {name!r} needs at least two intents in the training data, found {len(intents)} ({found})"
                    )
