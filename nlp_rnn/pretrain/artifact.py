"""The files ``nlp-rnn pretrain`` writes, and reading them back (no pickle anywhere).

``OUT/encoder.safetensors``: the :class:`~nlp_rnn.nn.text_encoder.TextEncoder` state dict (keys
such as ``embedding.tables.0.weight``, ``encoder.rnn.weight_ih_l0``), CPU tensors.
``OUT/encoder.json``: ``format`` / ``version``, ``settings`` (the encoder block as
:meth:`TextEncoderSettings.hparams` gives it, plus ``chars_per_token`` and ``static_width``),
``featurizer`` (:meth:`DocFeaturizer.to_dict`: features, max_length and every vocabulary) and
``training`` (the run's summary: steps, time, texts, held-out perplexity per evaluation...).
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from ..featurizer import CHARS_PER_TOKEN, DocFeaturizer

WEIGHTS_FILE = "encoder.safetensors"
JSON_FILE = "encoder.json"
FORMAT = "nlp_rnn.pretrained_encoder"
VERSION = 1


@dataclass(frozen=True)
class PretrainedEncoder:
    """What a task component needs: the encoder ``settings``, the ``featurizer`` (vocabularies),
    the ``weights`` (TextEncoder state dict) and the ``training`` summary; ``path`` is OUT."""

    settings: Dict[str, Any]
    featurizer: DocFeaturizer
    weights: Dict[str, torch.Tensor]
    training: Dict[str, Any]
    path: Path


def write_pretrained_encoder(
    out: Path, encoder: torch.nn.Module, settings: Dict[str, Any], featurizer: DocFeaturizer, training: Dict[str, Any]
) -> None:
    """Write ``out/encoder.safetensors`` and ``out/encoder.json`` (creating ``out``)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    weights = {key: value.detach().to("cpu").contiguous() for key, value in encoder.state_dict().items()}
    (out / WEIGHTS_FILE).write_bytes(save(weights))
    record = {
        "format": FORMAT,
        "version": VERSION,
        "settings": dict(settings, chars_per_token=CHARS_PER_TOKEN, static_width=0),
        "featurizer": featurizer.to_dict(),
        "training": training,
    }
    (out / JSON_FILE).write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf8")


def read_pretrained_encoder(path: Path) -> PretrainedEncoder:
    """Read OUT (the folder, or either file in it). Raises ``ValueError`` naming the file and the
    problem when something is missing or unreadable."""
    path = Path(path)
    folder = path.parent if path.name in (WEIGHTS_FILE, JSON_FILE) else path
    json_path, weights_path = folder / JSON_FILE, folder / WEIGHTS_FILE
    for needed in (json_path, weights_path):
        if not needed.is_file():
            raise ValueError(f"pretrained encoder {folder}: {needed.name} not found (write it with nlp-rnn pretrain)")
    try:
        record = json.loads(json_path.read_text(encoding="utf8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{json_path}: not a readable JSON file ({error})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ValueError(f"{json_path}: not an nlp-rnn pretrained encoder (no \"format\": \"{FORMAT}\")")
    if record.get("version") != VERSION:
        raise ValueError(f"{json_path}: version {record.get('version')!r} is not supported (this nlp_rnn reads {VERSION})")
    try:
        featurizer = DocFeaturizer.from_dict(record["featurizer"])
        settings = record["settings"]
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{json_path}: broken settings or featurizer ({type(error).__name__}: {error})") from None
    try:
        weights = load_file(str(weights_path))
    except (SafetensorError, OSError) as error:
        raise ValueError(f"{weights_path}: not a readable safetensors file ({error})") from None
    return PretrainedEncoder(settings, featurizer, weights, record.get("training", {}), folder)
