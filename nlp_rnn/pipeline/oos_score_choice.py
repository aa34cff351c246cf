"""Choosing the out-of-scope score itself on dev: ``nlp-rnn train`` does it when the config says
``[components.NAME.oos] score = "none"`` but train or dev hold explicit out-of-scope examples (docs whose ``cats``
are all 0), so that data labelled with an out-of-scope class gets a pipeline that rejects.

Each candidate score (:data:`nlp_rnn.oos.settings.AUTO_OOS_SCORES`) is fitted as a configured one
is (:func:`nlp_rnn.pipeline.out_of_scope.tune_component`: temperature, Gaussians, threshold on
dev); the one whose threshold reaches the best dev macro F1 over the intents + the open class is
kept. Without out-of-scope dev docs there is nothing to compare them on: the first is kept.
"""

import copy
from typing import Any, Dict, Optional, Sequence

from spacy.training import Example

from ..oos.scores import uses_gaussians
from .out_of_scope import dev_outputs, tune_component


def choose_score(name: str, pipe, dev_examples: Sequence[Example], train_examples: Optional[Sequence[Example]],
                 candidates: Sequence[str]) -> Dict[str, Any]:
    """Fit every score of ``candidates`` (in order of preference) on the component and keep the
    best on dev; its settings end in ``pipe.cfg``, with ``oos_score_choice`` = {"dev_macro_f1_open":
    {score: dev macro F1}} (empty when dev has no out-of-scope docs). Returns what
    :func:`tune_component` returned for it, plus {"score", "score_choice"}."""
    base = copy.deepcopy(pipe.cfg)
    outputs = dev_outputs(pipe, dev_examples, any(uses_gaussians(score) for score in candidates))  # one pass for all
    fitted: Dict[str, tuple] = {}
    for score in candidates:
        pipe.cfg.clear()
        pipe.cfg.update(copy.deepcopy(base))
        pipe.cfg["oos"]["score"] = score
        result = tune_component(name, pipe, dev_examples, train_examples, outputs)
        fitted[score] = (result, copy.deepcopy(pipe.cfg))
        if result["method"] != "dev_macro_f1_open":
            break  # no out-of-scope dev docs: nothing to compare the scores on
    compared = {score: result["dev_value"] for score, (result, _) in fitted.items() if result["method"] == "dev_macro_f1_open"}
    best = max(compared, key=compared.get) if compared else next(iter(fitted))  # max keeps the first of equals
    pipe.cfg.clear()
    pipe.cfg.update(fitted[best][1])
    pipe.cfg["oos_score_choice"] = {"dev_macro_f1_open": compared}
    return dict(fitted[best][0], score=best, score_choice=pipe.cfg["oos_score_choice"])
