"""``rnn_intent``: intent classification (N → 1) writing ``doc.cats``: the factory and the torch half
of :class:`~nlp_rnn.pipeline.intent_task.IntentTask`."""

from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Union

from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from thinc.api import Model

from ..architectures.encoder_config import encoder_block
from ..architectures.torch_model import decode, predict_outputs
from ..oos.flat_keys import block_with_flat_keys
from ..oos.probabilities import corrected_and_calibrated
from ..oos.settings import OOS_DEFAULTS
from ..pretrain.init_encoder import use_pretrained_encoder
from .intent_gold import intent_gold
from .intent_prior import training_prior
from .intent_task import IntentPredictions, IntentTask
from .out_of_scope import predicted_oos_scores
from .rnn_pipe import RNNPipe
from .torch_task import TorchTask

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
) -> RNNPipe:
    """Intent classifier. ``exclusive_classes``: one intent per text (softmax, scores sum to 1);
    otherwise multi-label (sigmoid, labels scoring ≥ ``threshold`` are predicted).
    ``prior_weight``: logit adjustment of exclusive intents for the training prior (see
    :mod:`nlp_rnn.pipeline.intent_prior`; ``nlp-rnn train`` chooses it on dev). ``oos``: the
    out-of-scope, calibration and synthetic-outlier settings (``[components.NAME.oos]``,
    :mod:`nlp_rnn.oos.settings`). ``oos_score`` … ``mixup_outliers``: the same settings as flat keys,
    as pipelines saved before the block wrote them (null: not given; :mod:`nlp_rnn.oos.flat_keys`)."""
    flat = {"oos_score": oos_score, "oos_threshold": oos_threshold, "oos_in_scope_share": oos_in_scope_share,
            "oos_max_in_scope_loss": oos_max_in_scope_loss, "temperature": temperature, "mixup_outliers": mixup_outliers}
    pipe = RNNPipe(nlp.vocab, model, name, IntentTorchTask(exclusive_classes, threshold, prior_weight))
    pipe.cfg["oos"] = block_with_flat_keys(name, oos, flat)
    return pipe


class IntentTorchTask(TorchTask, IntentTask):
    """The intent task's torch half: labels and the model at ``initialize``, predictions, gold."""

    def on_cfg_loaded(self, pipe) -> None:
        if self.labels(pipe):
            pipe.model.set_dim("nO", len(self.labels(pipe)), force=True)

    def initialize(self, pipe, examples: List[Example], *, labels: Optional[Iterable[str]] = None,
                   init_encoder: Optional[Union[str, Path]] = None) -> None:
        """Collect the labels (or take ``labels``), build vocabularies and the torch model.
        ``init_encoder``: a folder written by ``nlp-rnn pretrain`` (``[initialize.components.NAME]
        init_encoder``): its vocabularies and encoder weights are used (:mod:`nlp_rnn.pretrain.init_encoder`)."""
        if labels is None:  # labels given with add_label, then the examples' (as spaCy's textcat)
            found = sorted({label for eg in examples for label in eg.reference.cats})
            labels = list(self.labels(pipe)) + [label for label in found if label not in self.labels(pipe)]
        pipe.cfg["labels"] = []
        pipe.model._layers = []
        for label in labels:
            self.add_label(pipe, label)
        labels = self.labels(pipe)
        if len(labels) < 2 and self.exclusive(pipe):
            raise ValueError(f"{pipe.name!r} needs at least two intents in the training data, found {list(labels)}")
        pipe.model.set_dim("nO", len(labels), force=True)
        pipe.cfg["intent_prior"] = training_prior(examples, labels) if self.exclusive(pipe) else []
        if init_encoder is not None:
            use_pretrained_encoder(pipe.model, init_encoder, pipe.name)
        pipe.model.initialize(X=[eg.predicted for eg in examples])

    def predict(self, pipe, docs: List[Doc]) -> IntentPredictions:
        """((n_docs, n_labels) scores, (n_docs,) out-of-scope scores or None): probabilities
        (softmax, or sigmoid) averaged over the model's ensemble members; exclusive ones adjusted
        for the training prior (``prior_weight``), then calibrated by ``temperature``."""
        if not docs:
            return self.empty(pipe)
        exclusive = self.exclusive(pipe)
        outputs = predict_outputs(pipe.model, docs)
        scores = decode(pipe.model, outputs, exclusive=exclusive).cpu().numpy()
        if exclusive:
            scores = corrected_and_calibrated(scores, pipe.cfg)
        return scores, predicted_oos_scores(pipe.cfg, outputs.logits, scores, outputs.features, exclusive)

    def gold(self, pipe, examples: List[Example], outputs):
        """Gold intents for the batch: a (B, C) float tensor, one-hot or multi-label, on the
        outputs' device."""
        return intent_gold(examples, self.labels(pipe), self.exclusive(pipe), outputs.logits.device,
                           pipe.cfg["oos"]["mixup_outliers"])
