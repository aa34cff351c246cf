"""``rnn_joint_ensemble`` / ``rnn_tagger_ensemble`` / ``rnn_intent_ensemble``: a seed ensemble of
trained ``rnn_joint`` (``rnn_tagger``, ``rnn_intent``) components as one spaCy component — the
accuracy mode (about 3× slower per doc for three members, no retraining).

``nlp-rnn ensemble MODEL MODEL … --output DIR`` (:func:`build_ensemble`) writes the first member's
pipeline with its component replaced by this one, under the same name, so ``doc.cats``,
``doc.ents`` / ``doc.spans``, ``nlp-rnn evaluate`` / ``predict`` / ``serve`` / ``annotate`` work as
with one model. Out-of-scope rejection is not ensembled: the members' scores and thresholds are
each fitted to one model, so an ensemble scores nothing (``doc._.oos_score`` None,
``doc._.out_of_scope`` False; :func:`members_reject_out_of_scope` tells ``nlp-rnn ensemble`` to
say so). Predictions are :func:`~.ensemble.ensemble_predictions`
(:func:`~.ensemble.ensemble_intent_predictions` for intents); writing and scoring are the head's
task's (:class:`~.joint_task.JointTask`, :class:`~.intent_task.IntentTask`), as for the torch and
the exported pipes (:class:`~.predict_only_pipe.PredictOnlyPipe`). The component folder holds
``cfg`` (JSON: the first member's settings and labels, ``member_component`` and ``members``) and
each member's whole pipeline in ``member_I/`` (weights and JSON, as ``nlp.to_disk`` writes them). An ensemble never trains and is not exported.
"""

from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

import srsly
from spacy import util
from spacy.language import Language
from spacy.tokens import Doc

from ..extensions import install_extensions
from ..loading import load_pipeline
from ..oos.settings import oos_block
from .distillation import load_members
from .ensemble import ensemble_intent_predictions, ensemble_predictions
from .intent_task import IntentTask
from .joint_task import JointTask
from .predict_only_pipe import PredictOnlyPipe
from .task import Task

#: member factory → the ensemble's
ENSEMBLE_FACTORIES = {"rnn_joint": "rnn_joint_ensemble", "rnn_tagger": "rnn_tagger_ensemble", "rnn_intent": "rnn_intent_ensemble"}


class EnsemblePipe(PredictOnlyPipe):
    """Predicts with the mean of its member pipelines' intent probabilities and tag marginals."""

    def __init__(self, vocab, name: str, task: Task):
        install_extensions()
        self.vocab = vocab
        self.name = name
        self.task = task
        self.cfg: Dict[str, Any] = {}
        self.members: List[Language] = []

    def set_members(self, members: Sequence[Language], member_component: str) -> None:
        """Use ``members`` (pipelines with ``member_component``, same labels; the first one's
        settings are the ensemble's, e.g. ``spans_key``)."""
        if not members:
            raise ValueError("an ensemble needs at least one member pipeline")
        self.members = list(members)
        first = members[0].get_pipe(member_component)
        self.cfg = dict(self.task.saved_cfg(first.cfg), member_component=member_component, members=len(members))
        self.task.on_cfg_loaded(self)

    # --- prediction (writing and scoring: PredictOnlyPipe, the task) --------------------------------

    def predict(self, docs: Iterable[Doc]) -> Any:
        if not self.members:
            raise ValueError(f"{self.name!r} has no members: load it from a folder written by `nlp-rnn ensemble`")
        if isinstance(self.task, IntentTask):
            return ensemble_intent_predictions(self.members, self.cfg["member_component"], list(docs))
        return ensemble_predictions(self.members, self.cfg["member_component"], list(docs), self.task.span_confidence)

    # --- serialization -------------------------------------------------------------------------

    def to_disk(self, path, *, exclude: Iterable[str] = tuple()) -> None:
        path = util.ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "cfg", self.cfg)
        for i, member in enumerate(self.members):
            member.to_disk(path / f"member_{i}")

    def from_disk(self, path, *, exclude: Iterable[str] = tuple()):
        path = Path(path)
        try:
            cfg = srsly.read_json(path / "cfg")
            members = [load_pipeline(path / f"member_{i}") for i in range(cfg["members"])]
        except Exception as error:  # OSError, JSON errors, a member's PipelineLoadError
            raise ValueError(f"cannot load component {self.name!r} from {path}: {error}") from error
        self.set_members(members, cfg["member_component"])
        return self

    def to_bytes(self, *, exclude: Iterable[str] = tuple()) -> bytes:
        members = [{"config": member.config.to_str(), "bytes": member.to_bytes()} for member in self.members]
        return srsly.msgpack_dumps({"cfg": self.cfg, "members": members})

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()):
        msg = srsly.msgpack_loads(bytes_data)
        members = []
        for member in msg["members"]:
            nlp = util.load_model_from_config(util.load_config_from_str(member["config"]), auto_fill=False, validate=False)
            members.append(nlp.from_bytes(member["bytes"]))
        self.set_members(members, msg["cfg"]["member_component"])
        return self


@Language.factory(
    "rnn_joint_ensemble", assigns=["doc.cats", "doc.ents"], default_config={"span_confidence": True},
    default_score_weights={"intent_acc": 0.5, "span_f": 0.5, "span_p": 0.0, "span_r": 0.0, "exact_match": 0.0},
)
def make_rnn_joint_ensemble(nlp: Language, name: str, span_confidence: bool) -> EnsemblePipe:
    """A seed ensemble of ``rnn_joint`` components (``nlp-rnn ensemble``); ``span_confidence`` as for ``rnn_joint``."""
    return EnsemblePipe(nlp.vocab, name, JointTask(with_intents=True, span_confidence=span_confidence))


@Language.factory(
    "rnn_tagger_ensemble", assigns=["doc.ents"], default_config={"span_confidence": True},
    default_score_weights={"span_f": 1.0, "span_p": 0.0, "span_r": 0.0},
)
def make_rnn_tagger_ensemble(nlp: Language, name: str, span_confidence: bool) -> EnsemblePipe:
    """A seed ensemble of ``rnn_tagger`` components (``nlp-rnn ensemble``)."""
    return EnsemblePipe(nlp.vocab, name, JointTask(with_intents=False, span_confidence=span_confidence))


@Language.factory("rnn_intent_ensemble", assigns=["doc.cats"], default_config={}, default_score_weights={"intent_acc": 1.0})
def make_rnn_intent_ensemble(nlp: Language, name: str) -> EnsemblePipe:
    """A seed ensemble of ``rnn_intent`` components (``nlp-rnn ensemble``)."""
    return EnsemblePipe(nlp.vocab, name, IntentTask())


def members_reject_out_of_scope(nlp: Language) -> List[str]:
    """The ensemble components of ``nlp`` whose members score texts as out of scope (which an
    ensemble does not)."""
    return [name for name, pipe in nlp.pipeline if isinstance(pipe, EnsemblePipe)
            and pipe.cfg.get("intents") and oos_block(pipe.cfg)["score"] != "none"]


def build_ensemble(paths: Sequence[Path], component: Optional[str] = None) -> Language:
    """The pipeline in ``paths[0]`` with ``component`` (default: its only ``rnn_joint`` /
    ``rnn_tagger`` / ``rnn_intent``) replaced, under the same name, by an ensemble of that
    component in every pipeline of ``paths`` (the same labels; each is loaded whole). Raises
    ``ValueError`` naming the problem."""
    if len(paths) < 2:
        raise ValueError(f"an ensemble needs two or more trained pipelines, not {len(paths)}")
    nlp = load_pipeline(paths[0])
    factories = {name: nlp.get_pipe_meta(name).factory for name in nlp.pipe_names}
    candidates = [name for name, factory in factories.items() if factory in ENSEMBLE_FACTORIES]
    if component is None:
        if len(candidates) != 1:
            raise ValueError(f"{paths[0]}: name the component to ensemble (--component); candidates: {candidates or 'none'}")
        component = candidates[0]
    if component not in candidates:
        raise ValueError(f"{paths[0]}: {component!r} is not an rnn_joint, rnn_tagger or rnn_intent component (the pipeline has {factories})")
    pipe = nlp.get_pipe(component)
    members = load_members(paths, component, pipe.labels)
    if any(member.get_pipe_meta(component).factory != factories[component] for member in members):
        raise ValueError(f"every member's {component!r} must be a trained {factories[component]} component")
    settings = {} if factories[component] == "rnn_intent" else {"span_confidence": pipe.span_confidence}
    nlp.replace_pipe(component, ENSEMBLE_FACTORIES[factories[component]], config=settings)
    nlp.get_pipe(component).set_members(members, component)
    return nlp
