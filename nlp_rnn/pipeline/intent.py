"""``rnn_intent``: intent classification (N → 1) as a spaCy component writing ``doc.cats``."""

from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

import numpy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example, validate_get_examples
from thinc.api import Model

from ..architectures.encoder_config import encoder_block
from ..architectures.torch_model import decode, predict_outputs
from ..evaluation.intent_metrics import cats_to_labels, intent_scores
from ..extensions import install_extensions
from ..oos.flat_keys import block_with_flat_keys, nest_flat_keys
from ..oos.marking import mark_docs
from ..oos.probabilities import corrected_and_calibrated
from ..oos.settings import OOS_DEFAULTS
from ..pretrain.init_encoder import use_pretrained_encoder
from .intent_gold import intent_gold
from .intent_prior import training_prior
from .out_of_scope import predicted_oos_scores
from .rnn_pipe import RNNPipe
from .spacy_scores import intent_table_scores

DEFAULT_MODEL = {  # only what differs from the architecture's defaults (filling the config adds them)
    "@architectures": "nlp_rnn.IntentClassifier.v2",
    "encoder": encoder_block(word_dropout=0.1),
}


@Language.factory(
    "rnn_intent",
    assigns=["doc.cats"],
    default_config={"model": DEFAULT_MODEL, "exclusive_classes": True, "threshold": 0.5, "prior_weight": 0.0, "oos": OOS_DEFAULTS},
    default_score_weights={"intent_acc": 1.0, "intent_macro_f": 0.0},
)
def make_rnn_intent(
    nlp: Language, name: str, model: Model, exclusive_classes: bool, threshold: float, prior_weight: float, oos: Dict[str, Any],
    oos_score: Optional[str] = None, oos_threshold: Optional[float] = None, oos_in_scope_share: Optional[float] = None,
    oos_max_in_scope_loss: Optional[float] = None, temperature: Optional[float] = None, mixup_outliers: Optional[float] = None,
) -> "RNNIntent":
    """Intent classifier. ``exclusive_classes``: one intent per text (softmax, scores sum to 1);
    otherwise multi-label (sigmoid, labels scoring ≥ ``threshold`` are predicted).
    ``prior_weight``: logit adjustment of exclusive intents for the training prior (see
    :mod:`nlp_rnn.pipeline.intent_prior`; ``nlp-rnn train`` chooses it on dev). ``oos``: the
    out-of-scope, calibration and synthetic-outlier settings (``[components.NAME.oos]``,
    :mod:`nlp_rnn.oos.settings`). ``oos_score`` … ``mixup_outliers``: the same settings as flat keys,
    as pipelines saved before the block wrote them (null: not given; :mod:`nlp_rnn.oos.flat_keys`)."""
    flat = {"oos_score": oos_score, "oos_threshold": oos_threshold, "oos_in_scope_share": oos_in_scope_share,
            "oos_max_in_scope_loss": oos_max_in_scope_loss, "temperature": temperature, "mixup_outliers": mixup_outliers}
    pipe = RNNIntent(nlp.vocab, model, name, exclusive_classes=exclusive_classes, threshold=threshold, prior_weight=prior_weight)
    pipe.cfg["oos"] = block_with_flat_keys(name, oos, flat)
    return pipe


class RNNIntent(RNNPipe):
    """Predicts ``doc.cats`` from a recurrent encoder: {intent: score} for every known intent."""

    def __init__(self, vocab, model: Model, name: str = "rnn_intent", *, exclusive_classes: bool = True, threshold: float = 0.5, prior_weight: float = 0.0):
        install_extensions()
        self.vocab = vocab
        self.model = model
        self.name = name
        self.cfg = {"labels": [], "exclusive_classes": exclusive_classes, "threshold": threshold, "prior_weight": prior_weight, "intent_prior": []}

    @property
    def labels(self) -> tuple:
        return tuple(self.cfg["labels"])

    @property
    def intents(self) -> List[str]:
        """The intent labels (the same as :attr:`labels`; ``rnn_joint`` has slot labels besides)."""
        return list(self.labels)

    @property
    def label_data(self) -> List[str]:
        return list(self.labels)

    def add_label(self, label: str) -> int:
        if not isinstance(label, str):
            raise ValueError(f"intent labels must be strings, got {label!r}")
        if label in self.labels:
            return 0
        if self._model_is_built():
            raise ValueError(f"cannot add label {label!r} to {self.name!r} after initialization")
        self.cfg["labels"].append(label)
        return 1

    def _saved_cfg(self, saved: Dict[str, Any]) -> Dict[str, Any]:
        return nest_flat_keys(saved)  # pipelines saved with the flat out-of-scope keys

    def _on_cfg_loaded(self) -> None:
        if self.labels:
            self.model.set_dim("nO", len(self.labels), force=True)

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        labels: Optional[Iterable[str]] = None,
        init_encoder: Optional[Union[str, Path]] = None,
    ) -> None:
        """Collect the labels (or take ``labels``), build vocabularies and the torch model.
        ``init_encoder``: a folder written by ``nlp-rnn pretrain`` (``[initialize.components.NAME]
        init_encoder``): its vocabularies and encoder weights are used (:mod:`nlp_rnn.pretrain.init_encoder`)."""
        validate_get_examples(get_examples, "RNNIntent.initialize")
        examples = list(get_examples())
        if labels is None:  # labels given with add_label, then the examples' (as spaCy's textcat)
            found = sorted({label for eg in examples for label in eg.reference.cats})
            labels = list(self.labels) + [label for label in found if label not in self.labels]
        self.cfg["labels"] = []
        self.model._layers = []
        for label in labels:
            self.add_label(label)
        if len(self.labels) < 2 and self.cfg["exclusive_classes"]:
            raise ValueError(
                f"{self.name!r} needs at least two intents in the training data, found {list(self.labels)}"
            )
        self.model.set_dim("nO", len(self.labels), force=True)
        self.cfg["intent_prior"] = training_prior(examples, self.labels) if self.cfg["exclusive_classes"] else []
        if init_encoder is not None:
            use_pretrained_encoder(self.model, init_encoder, self.name)
        self.model.initialize(X=[eg.predicted for eg in examples])

    def predict(self, docs: Iterable[Doc]):
        """Returns ((n_docs, n_labels) scores, (n_docs,) out-of-scope scores or None): probabilities
        (softmax, or sigmoid) averaged over the model's ensemble members; exclusive ones adjusted
        for the training prior (``prior_weight``), then calibrated by ``temperature``."""
        docs = list(docs)
        if not docs:
            return numpy.zeros((0, len(self.labels)), dtype="float32"), None
        exclusive = self.cfg["exclusive_classes"]
        outputs = predict_outputs(self.model, docs)
        scores = decode(self.model, outputs, exclusive=exclusive).cpu().numpy()
        if exclusive:
            scores = corrected_and_calibrated(scores, self.cfg)
        # (scores, out-of-scope scores (n,) or None): see nlp_rnn.pipeline.out_of_scope
        return scores, predicted_oos_scores(self.cfg, outputs.logits, scores, outputs.features, exclusive)

    def intent_probabilities(self, docs: List[Doc]) -> numpy.ndarray:
        """(n_docs, n_labels) numpy scores, as :meth:`predict` gives them."""
        return self.predict(docs)[0]

    def set_annotations(self, docs: Iterable[Doc], predictions) -> None:
        scores, out_of_scope = predictions
        docs = list(docs)
        for doc, row in zip(docs, scores):
            doc.cats = {label: float(score) for label, score in zip(self.labels, row)}
        mark_docs(docs, self.cfg, out_of_scope, scores, self.cfg["exclusive_classes"])

    def gold(self, examples: List[Example], outputs):
        """Gold intents for the batch: a (B, C) float tensor, one-hot or multi-label, on the
        outputs' device."""
        return intent_gold(examples, self.labels, self.cfg["exclusive_classes"], outputs.logits.device,
                           self.cfg["oos"]["mixup_outliers"])

    def score(self, examples: Iterable[Example], **kwargs) -> Dict:
        """``intent_acc``, ``intent_macro_f`` and ``intent_f_per_type`` (fractions 0-1)."""
        examples = list(examples)
        exclusive = self.cfg["exclusive_classes"]
        threshold = self.cfg["threshold"]
        gold = [cats_to_labels(eg.reference.cats, exclusive, 0.5) for eg in examples]
        pred = [cats_to_labels(eg.predicted.cats, exclusive, threshold) for eg in examples]
        scores = intent_scores(gold, pred)
        return {
            **intent_table_scores(scores["intent_accuracy"], scores["per_intent"]),  # for spacy evaluate
            "intent_acc": scores["intent_accuracy"],
            "intent_macro_f": scores["intent_macro_f1"],
            "intent_f_per_type": {
                label: {"p": s["precision"], "r": s["recall"], "f": s["f1"]}
                for label, s in scores["per_intent"].items()
            },
        }
