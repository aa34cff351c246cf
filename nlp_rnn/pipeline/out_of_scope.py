"""Out-of-scope rejection and temperature scaling: the torch half, which fits them on data.

The settings, their defaults and checks (:mod:`nlp_rnn.oos.settings`), the scores, the decisions
and ``doc._.out_of_scope`` / ``doc._.oos_score`` (:mod:`nlp_rnn.oos.marking`) are numpy code that
the torch components and the exported ONNX components share; this module only turns the torch
model's outputs into numpy (:func:`predicted_oos_scores`) and fits the settings on data.

``nlp-rnn train`` / ``nlp-rnn tune-oos`` fit the block's temperature (dev NLL), the class Gaussians
(``mahalanobis``, ``msp_mahalanobis``: pooled features of the training docs, saved in cfg
``oos_gaussian`` as base64 safetensors), the standardization of ``msp_mahalanobis``'s parts (cfg
``oos_standardization``, in-scope dev docs) and the block's threshold (dev) by :func:`tune_out_of_scope`.

Training data: a doc whose ``cats`` are all 0 (``nlp-rnn convert --oos-label``) is an explicit
out-of-scope example (:mod:`nlp_rnn.oos.examples`); exclusive components train it towards the
uniform distribution (outlier exposure, Hendrycks et al. 2019), so out-of-scope inputs get low
confidence.
"""

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy
import torch
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example

from ..architectures.torch_model import predict_outputs
from ..evaluation.intent_metrics import exclusive_gold_ids
from ..oos.gaussian import ClassGaussians
from ..oos.marking import oos_scores
from ..oos.probabilities import final_probabilities
from ..oos.scores import msp_score, standardization, uses_gaussians
from ..oos.settings import oos_block, with_block
from ..oos.threshold import choose_threshold, rejection_figures
from .temperature_fit import fit_temperature

GAUSSIAN_SHRINKAGE = 0.1
BATCH = 256


def predicted_oos_scores(cfg: Dict[str, Any], member_logits, probs: numpy.ndarray, features, exclusive: bool = True) -> Optional[numpy.ndarray]:
    """:func:`nlp_rnn.oos.marking.oos_scores` of a torch model's outputs: member_logits
    (n, n_members, C) and features (n, width) or None as tensors, probs (n, C) numpy. Nothing is
    copied off the device when scoring is off."""
    if oos_block(cfg)["score"] == "none":
        return None
    return oos_scores(cfg, _numpy(member_logits), probs, None if features is None else _numpy(features), exclusive)


# ---- fitting on data (nlp-rnn train / tune-oos) ----------------------------------------------


def oos_components(nlp: Language) -> List[Tuple[str, Any]]:
    """(name, pipe) of the components with intents and out-of-scope settings."""
    return [(name, pipe) for name, pipe in nlp.pipeline if "oos" in getattr(pipe, "cfg", {}) and getattr(pipe, "intents", None)]


def _numpy(array) -> numpy.ndarray:
    if isinstance(array, torch.Tensor):
        return array.detach().float().cpu().numpy()
    if hasattr(array, "get"):  # cupy
        return array.get()
    return numpy.asarray(array)


def collect_outputs(pipe, docs: List[Doc], with_features: bool) -> Tuple[numpy.ndarray, Optional[numpy.ndarray]]:
    """Unscaled member logits (n, n_members, C) and pooled features (n, width) or None."""
    logits, features = [], []
    for start in range(0, len(docs), BATCH):
        outputs = predict_outputs(pipe.model, docs[start : start + BATCH])
        logits.append(_numpy(outputs.logits))
        if with_features:
            features.append(_numpy(outputs.features))
    return numpy.concatenate(logits), (numpy.concatenate(features) if with_features else None)


def _log_prior_shift(pipe) -> Optional[numpy.ndarray]:
    prior, weight = pipe.cfg.get("intent_prior", []), pipe.cfg.get("prior_weight", 0.0)
    if not weight or not len(prior):
        return None
    return -weight * numpy.log(numpy.asarray(prior, dtype="float64"))


def fit_component_gaussians(pipe, train_examples: Sequence[Example], shrinkage: float = GAUSSIAN_SHRINKAGE) -> ClassGaussians:
    """Class Gaussians over the pooled features of the in-scope training docs; saved in cfg."""
    docs = [eg.predicted for eg in train_examples]
    gold = numpy.array(exclusive_gold_ids((eg.reference.cats for eg in train_examples), pipe.intents, missing=-1))
    _, features = collect_outputs(pipe, docs, True)
    gaussians = ClassGaussians.fit(features, gold, len(pipe.intents), shrinkage)
    pipe.cfg["oos_gaussian"] = gaussians.to_text()
    return gaussians


def dev_outputs(pipe, dev_examples: Sequence[Example], with_features: bool) -> Tuple[numpy.ndarray, Optional[numpy.ndarray], numpy.ndarray]:
    """One pass over dev: member logits (n, n_members, C), pooled features (n, width) or None,
    and gold intent ids (n,) (-1: out of scope)."""
    logits, features = collect_outputs(pipe, [eg.predicted for eg in dev_examples], with_features)
    gold = numpy.array(exclusive_gold_ids((eg.reference.cats for eg in dev_examples), pipe.intents, missing=-1))
    return logits, features, gold


def scored_outputs(cfg: Dict[str, Any], logits: numpy.ndarray, features: Optional[numpy.ndarray], gold: numpy.ndarray) -> Dict[str, numpy.ndarray]:
    """{"scores", "predicted", "gold", "probs"} from :func:`dev_outputs` with the settings in ``cfg``."""
    probs = final_probabilities(cfg, logits)
    return {"scores": oos_scores(cfg, logits, probs, features), "predicted": probs.argmax(axis=1), "gold": gold, "probs": probs}


def dev_scores(pipe, dev_examples: Sequence[Example], method: Optional[str] = None) -> Dict[str, numpy.ndarray]:
    """{"scores", "predicted", "gold", "probs"} on dev for ``method`` (default: the component's)."""
    method = method or pipe.cfg["oos"]["score"]
    return scored_outputs(with_block(pipe.cfg, score=method), *dev_outputs(pipe, dev_examples, uses_gaussians(method)))


def fit_standardization(pipe, logits: numpy.ndarray, features: numpy.ndarray, gold: numpy.ndarray) -> Dict[str, List[str]]:
    """``msp_mahalanobis``: mean and deviation of ``msp`` and ``mahalanobis`` over the in-scope
    dev docs (:func:`dev_outputs`), with the component's temperature and fitted Gaussians; saved in
    cfg ``oos_standardization``."""
    in_scope = (gold >= 0) & (gold < len(pipe.intents))
    distance = ClassGaussians.from_text(pipe.cfg["oos_gaussian"]).score(features[in_scope])
    stats = standardization({"msp": msp_score(final_probabilities(pipe.cfg, logits)[in_scope]), "mahalanobis": distance})
    pipe.cfg["oos_standardization"] = stats
    return stats


def tune_out_of_scope(nlp: Language, dev_examples: List[Example], train_examples: Optional[List[Example]] = None) -> Dict[str, Dict]:
    """For every exclusive intent component, :func:`tune_component`. Settings are written to the
    cfg. Returns {component: {"temperature", "threshold", "method", "dev_value", ...}}."""
    return {name: tune_component(name, pipe, dev_examples, train_examples)
            for name, pipe in oos_components(nlp) if pipe.cfg.get("exclusive_classes", True)}


def tune_component(name: str, pipe, dev_examples: Sequence[Example], train_examples: Optional[Sequence[Example]] = None,
                   outputs: Optional[Tuple[numpy.ndarray, Optional[numpy.ndarray], numpy.ndarray]] = None) -> Dict[str, Any]:
    """Fit the temperature on the in-scope dev docs, the Gaussians on ``train_examples`` (scores
    with Gaussians), and choose the threshold on dev
    (:func:`nlp_rnn.oos.threshold.choose_threshold`), for the component's ``oos.score``; the
    settings are written to its cfg's ``oos`` block, with how the threshold was chosen and what it does on dev
    (``oos_threshold_choice``). Returns {"temperature"} plus, when scoring, {"threshold",
    "method", "dev_value", "in_scope_accuracy", "oos_recall"} (the last two on dev). ``outputs``:
    :func:`dev_outputs` of ``dev_examples`` already computed (with features when the score needs
    them), so that fitting several scores passes dev through the model once."""
    block = pipe.cfg["oos"]
    method = block["score"]
    if uses_gaussians(method) and not train_examples:
        raise ValueError(f"{name}: oos.score = {method!r} needs the training data to fit the class Gaussians")
    logits, features, gold = outputs or dev_outputs(pipe, dev_examples, uses_gaussians(method))
    block["temperature"] = fit_temperature(logits, gold, _log_prior_shift(pipe))
    result: Dict[str, Any] = {"temperature": block["temperature"]}
    if uses_gaussians(method):
        fit_component_gaussians(pipe, train_examples)
    if method == "msp_mahalanobis":
        fit_standardization(pipe, logits, features, gold)
    if method != "none":
        scored = scored_outputs(pipe.cfg, logits, features, gold)
        try:
            choice = choose_threshold(scored["scores"], scored["predicted"], scored["gold"], len(pipe.intents), block["in_scope_share"],
                                      block["max_in_scope_loss"])
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from error
        choice.update(rejection_figures(scored["scores"], scored["predicted"], scored["gold"], len(pipe.intents), choice["threshold"]))
        block["threshold"] = choice["threshold"]
        pipe.cfg["oos_threshold_choice"] = {key: value for key, value in choice.items() if key != "threshold"}
        result.update(choice)
    return result
