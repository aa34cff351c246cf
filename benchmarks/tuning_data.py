"""Tuning data: the named data sets of each config (train and dev splits only, never test), a
user's own files, and a fixed dev split carved from train where there is none."""

import random
from pathlib import Path
from typing import Any, Dict, Optional

from common import WORK, convert_splits, rel
from tuning_grid import GridError

DEV_FRACTION = 0.1
CARVE_SEED = 0
CONFIGS = {
    # config stem: (trained component, tuning data sets; the dev score is their mean)
    "intent_en": ("rnn_intent", ["snips"]),
    "intent_zh": ("rnn_intent", ["cais"]),
    "joint_en": ("rnn_joint", ["snips"]),
    "joint_zh": ("rnn_joint", ["cais"]),
    "ner_zh": ("rnn_tagger", ["resume"]),
    "ner_en": ("rnn_tagger", ["snips", "atis"]),
}
DATASETS = {
    # name: (lang, convert format, train, dev or None: carved from train), relative to the data
    # folder; the names are those of benchmarks/intent.py and joint.py, so conversions are shared
    "snips": ("en", "snips", "snips/train", "snips/valid"),
    "atis": ("en", "snips", "atis/train", "atis/valid"),
    "cais": ("zh", "cais", "cais/train", "cais/valid"),
    "resume": ("zh", "bmes", "resume_ner/train.char.bmes", "resume_ner/dev.char.bmes"),
}


def carve_dev(train: Path, out_dir: Path, stem: str) -> Dict[str, Path]:
    """Split the DocBin ``train`` into ``STEM.train.spacy`` and ``STEM.dev.spacy`` in ``out_dir``:
    shuffled with ``random.Random(CARVE_SEED)``, the first ``DEV_FRACTION`` (at least one doc)
    become dev. Rewritten only when ``train`` is newer."""
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    paths = {"train": out_dir / f"{stem}.train.spacy", "dev": out_dir / f"{stem}.dev.spacy"}
    if all(p.exists() and p.stat().st_mtime >= train.stat().st_mtime for p in paths.values()):
        return paths
    docs = list(DocBin(store_user_data=True).from_disk(train).get_docs(Vocab()))
    if len(docs) < 2:
        raise GridError(f"{train}: {len(docs)} document(s), too few to carve a dev split from")
    order = list(range(len(docs)))
    random.Random(CARVE_SEED).shuffle(order)
    n_dev = max(1, round(DEV_FRACTION * len(docs)))
    out_dir.mkdir(parents=True, exist_ok=True)
    for split, indices in (("dev", order[:n_dev]), ("train", order[n_dev:])):
        DocBin(store_user_data=True, docs=[docs[i] for i in sorted(indices)]).to_disk(paths[split])
    print(f"carved {n_dev} of {len(docs)} docs of {train} into {paths['dev']} (seed {CARVE_SEED})", flush=True)
    return paths


def given_data(train: Path, dev: Optional[Path], work_dir: Path) -> Dict[str, Dict[str, Any]]:
    """``--train`` / ``--dev``: the files as given, or a dev split carved from train."""
    for path in (train, dev):
        if path is not None and not path.exists():
            raise GridError(f"{path}: no such file")
        if path is not None and "test" in path.stem.lower():
            raise GridError(f"{path}: tune.py reads only train and dev splits, and this looks like a test split")
    if dev is None:
        carved = carve_dev(train, work_dir / "carved", train.stem)
        return {"given": {**carved, "origin": f"{rel(train)}, dev carved from it", "dev_carved": True}}
    return {"given": {"train": train, "dev": dev, "origin": f"{rel(train)} → {rel(dev)}", "dev_carved": False}}


def named_data(config: str, root: Path, convert: bool = True) -> Dict[str, Dict[str, Any]]:
    """The config's tuning data sets, converted (train and dev only) with :func:`convert_splits`.
    Without ``convert``: the paths they would have (for ``--dry-run``)."""
    data = {}
    for name in CONFIGS[config][1]:
        lang, fmt, train_rel, dev_rel = DATASETS[name]
        splits = [train_rel] if dev_rel is None else [train_rel, dev_rel]  # never the test split
        if convert:
            paths = convert_splits(name, lang, fmt, splits, root)
        else:
            paths = {split: WORK / "corpus" / name / f"{split}.spacy" for split in ("train", "dev")[: len(splits)]}
        if dev_rel is None:
            paths = carve_dev(paths["train"], WORK / "corpus" / name, "tune") if convert else {
                split: WORK / "corpus" / name / f"tune.{split}.spacy" for split in ("train", "dev")}
        origin = f"{train_rel} → {dev_rel}" if dev_rel else f"{train_rel}, dev carved from it"
        data[name] = {**paths, "origin": origin, "dev_carved": dev_rel is None}
    return data
