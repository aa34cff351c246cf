"""Out-of-scope rejection and temperature scaling inside the intent components.

Component settings (``[components.rnn_intent]`` / ``[components.rnn_joint]``):

- ``oos_score``: ``"none"`` | ``"msp"`` | ``"energy"`` | ``"mahalanobis"`` | ``"msp_mahalanobis"``
  (see :mod:`nlp_rnn.oos.scores`); higher = more likely out of scope.
- ``oos_threshold``: reject a doc whose score is above it (``null``: score but never reject).
- ``oos_in_scope_share``: when the dev data has no out-of-scope examples, the threshold keeps this
  share of the in-scope dev docs (default 0.95; ``null`` makes such dev data an error).
- ``oos_max_in_scope_loss``: when set (e.g. 0.01) and the dev data has no out-of-scope examples,
  the threshold instead rejects as much as it can while in-scope dev accuracy stays within this
  much of no rejection (:func:`nlp_rnn.oos.threshold.threshold_for_in_scope_loss`).
- ``temperature``: exclusive intents: the final probabilities become ``p^(1/T)``, renormalised
  (:mod:`nlp_rnn.oos.temperature`; the winning intent never changes).

``nlp-rnn train`` / ``nlp-rnn tune-oos`` fit the temperature (dev NLL), the class Gaussians
(``mahalanobis``, ``msp_mahalanobis``: pooled features of the training docs, saved in cfg
``oos_gaussian`` as base64 safetensors), the standardization of ``msp_mahalanobis``'s parts (cfg
``oos_standardization``, in-scope dev docs) and the threshold (dev) by :func:`tune_out_of_scope`.

A rejected doc keeps its full ``doc.cats``; ``doc._.out_of_scope`` is True and ``doc._.oos_score``
holds the score. Multi-label components (``exclusive_classes = false``): a doc is out of scope when
no label reaches ``threshold``; ``doc._.oos_score`` is then 1 − the highest probability.

Training data: a doc whose ``cats`` are all 0 (``nlp-rnn convert --oos-label``) is an explicit
out-of-scope example; exclusive components train it towards the uniform distribution (outlier
exposure, Hendrycks et al. 2019), so out-of-scope inputs get low confidence.
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
from ..oos.scores import check_oos_score, energy_score, msp_score, standardization, standardized_sum, uses_gaussians
from ..oos.temperature import fit_temperature
from ..oos.threshold import choose_threshold

OOS_DEFAULTS: Dict[str, Any] = {"oos_score": "none", "oos_threshold": None, "oos_in_scope_share": 0.95, "oos_max_in_scope_loss": None,
                                "temperature": 1.0, "mixup_outliers": 0.0}
GAUSSIAN_SHRINKAGE = 0.1
BATCH = 256


def install_oos_extensions() -> None:
    """Idempotent: ``Doc._.out_of_scope`` (bool, default False) and ``Doc._.oos_score`` (float or None)."""
    if not Doc.has_extension("out_of_scope"):
        Doc.set_extension("out_of_scope", default=False)
    if not Doc.has_extension("oos_score"):
        Doc.set_extension("oos_score", default=None)


def oos_cfg(oos_score: str, oos_threshold: Optional[float], oos_in_scope_share: Optional[float], temperature: float,
            mixup_outliers: float = 0.0, oos_max_in_scope_loss: Optional[float] = None) -> Dict[str, Any]:
    """The component cfg entries for the factory settings, checked (and the Doc extensions installed).
    ``mixup_outliers``: weight of the synthetic-outlier training loss (exclusive intents; see
    :func:`nlp_rnn.nn.losses.mixup_outlier_loss`), 0 = off."""
    install_oos_extensions()
    check_oos_score(oos_score)
    if oos_in_scope_share is not None and not 0.0 < oos_in_scope_share <= 1.0:
        raise ValueError(f"oos_in_scope_share must be in (0, 1] or null, got {oos_in_scope_share}")
    if oos_max_in_scope_loss is not None and not 0.0 <= oos_max_in_scope_loss < 1.0:
        raise ValueError(f"oos_max_in_scope_loss must be in [0, 1) or null, got {oos_max_in_scope_loss}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if mixup_outliers < 0:
        raise ValueError(f"mixup_outliers must be >= 0 (0 = off), got {mixup_outliers}")
    return {"oos_score": oos_score, "oos_threshold": oos_threshold, "oos_in_scope_share": oos_in_scope_share,
            "oos_max_in_scope_loss": oos_max_in_scope_loss, "temperature": float(temperature), "mixup_outliers": float(mixup_outliers)}


def oos_scores(cfg: Dict[str, Any], member_logits, probs, features: Optional[numpy.ndarray], exclusive: bool = True) -> Optional[numpy.ndarray]:
    """(n,) out-of-scope scores for the component's ``oos_score`` (None for ``"none"``).
    member_logits (n, n_members, C) unscaled; probs (n, C) the component's final scores (multi-label
    only: ``msp`` of exclusive intents is taken of the probabilities recomputed from the logits in
    float64, as on dev, since a low temperature can turn float32 rounding of a probability near 1
    into a visible change of ``msp``); features (n, width) pooled features (scores with Gaussians
    only; None before they are fitted, so the scores are None too). Multi-label: 1 − max probability."""
    method = cfg.get("oos_score", "none")
    if method == "none":
        return None
    if not exclusive:
        return msp_score(numpy.asarray(_numpy(probs)))
    if method == "msp":
        return msp_score(final_probabilities(cfg, _numpy(member_logits)))
    if method == "energy":  # the recurrent member's logits (a bag-of-n-grams member's are on another scale)
        return energy_score(_numpy(member_logits)[:, 0])
    if not cfg.get("oos_gaussian") or features is None:
        return None  # not fitted yet (e.g. during training): nlp-rnn train / tune-oos fit it afterwards
    distance = ClassGaussians.from_text(cfg["oos_gaussian"]).score(_numpy(features))
    if method == "mahalanobis":
        return distance
    if not cfg.get("oos_standardization"):
        return None  # msp_mahalanobis before its standardization is fitted
    msp = msp_score(final_probabilities(cfg, _numpy(member_logits)))
    return standardized_sum({"msp": msp, "mahalanobis": distance}, cfg["oos_standardization"])


def rejected(cfg: Dict[str, Any], scores: Optional[numpy.ndarray], probs, exclusive: bool = True) -> numpy.ndarray:
    """(n,) bool: exclusive → score above ``oos_threshold`` (never when either is None);
    multi-label → no label reaches ``threshold``."""
    probs = numpy.asarray(_numpy(probs))
    if not exclusive:
        if scores is None:
            return numpy.zeros(len(probs), dtype=bool)
        return probs.max(axis=1, initial=0.0) < cfg.get("threshold", 0.5)
    threshold = cfg.get("oos_threshold")
    if scores is None or threshold is None:
        return numpy.zeros(len(probs), dtype=bool)
    return numpy.asarray(scores) > threshold


def mark_docs(docs: Sequence[Doc], cfg: Dict[str, Any], scores: Optional[numpy.ndarray], probs, exclusive: bool = True) -> None:
    """Write ``doc._.oos_score`` and ``doc._.out_of_scope`` (nothing when scoring is off)."""
    if scores is None:
        return
    install_oos_extensions()
    flags = rejected(cfg, scores, probs, exclusive)
    for doc, score, flag in zip(docs, scores, flags):
        doc._.oos_score = float(score)
        doc._.out_of_scope = bool(flag)


def is_out_of_scope_example(cats: Dict[str, float]) -> bool:
    """An explicit out-of-scope training doc: ``cats`` present and all 0."""
    return bool(cats) and not any(value > 0 for value in cats.values())


def out_of_scope_mask(examples: Sequence[Example]) -> numpy.ndarray:
    """(n,) bool: which examples are explicit out-of-scope examples."""
    return numpy.array([is_out_of_scope_example(eg.reference.cats) for eg in examples], dtype=bool)


# ---- fitting on data (nlp-rnn train / tune-oos) ----------------------------------------------


def oos_components(nlp: Language) -> List[Tuple[str, Any]]:
    """(name, pipe) of the components with intents and out-of-scope settings."""
    return [(name, pipe) for name, pipe in nlp.pipeline if "oos_score" in getattr(pipe, "cfg", {}) and getattr(pipe, "intents", None)]


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


def final_probabilities(cfg: Dict[str, Any], logits: numpy.ndarray) -> numpy.ndarray:
    """An exclusive component's probabilities (n, C) float64 from member logits (n, n_members, C)
    and its cfg: softmax, mean over members, prior correction, temperature."""
    from .intent_prior import corrected_and_calibrated

    return corrected_and_calibrated(torch.softmax(torch.as_tensor(logits, dtype=torch.float64), dim=-1).mean(dim=1).numpy(), cfg)


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
    method = method or pipe.cfg["oos_score"]
    return scored_outputs(dict(pipe.cfg, oos_score=method), *dev_outputs(pipe, dev_examples, uses_gaussians(method)))


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
    """For every exclusive intent component: fit the temperature on the in-scope dev docs, fit
    the Gaussians on ``train_examples`` (scores with Gaussians), choose ``oos_threshold`` on dev
    (:func:`nlp_rnn.oos.threshold.choose_threshold`). Settings are written to the cfg.
    Returns {component: {"temperature", "threshold", "method", "dev_value", ...}}."""
    chosen = {}
    for name, pipe in oos_components(nlp):
        if not pipe.cfg.get("exclusive_classes", True):
            continue
        method = pipe.cfg["oos_score"]
        if uses_gaussians(method) and not train_examples:
            raise ValueError(f"{name}: oos_score = {method!r} needs the training data to fit the class Gaussians")
        logits, features, gold = dev_outputs(pipe, dev_examples, uses_gaussians(method))
        pipe.cfg["temperature"] = fit_temperature(logits, gold, _log_prior_shift(pipe))
        result: Dict[str, Any] = {"temperature": pipe.cfg["temperature"]}
        if uses_gaussians(method):
            fit_component_gaussians(pipe, train_examples)
        if method == "msp_mahalanobis":
            fit_standardization(pipe, logits, features, gold)
        if method != "none":
            scored = scored_outputs(pipe.cfg, logits, features, gold)
            try:
                choice = choose_threshold(scored["scores"], scored["predicted"], scored["gold"], len(pipe.intents), pipe.cfg.get("oos_in_scope_share"),
                                          pipe.cfg.get("oos_max_in_scope_loss"))
            except ValueError as error:
                raise ValueError(f"{name}: {error}") from error
            pipe.cfg["oos_threshold"] = choice["threshold"]
            pipe.cfg["oos_threshold_choice"] = {"method": choice["method"], "dev_value": choice["dev_value"]}
            result.update(choice)
        chosen[name] = result
    return chosen
