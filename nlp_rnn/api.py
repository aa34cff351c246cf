"""The public Python API: what scripts import (``benchmarks/``, a user's notebook or job).

Everything else in the package is internal and may move between versions; these names stay.
``import nlp_rnn.api`` imports nothing else: each name is loaded from its module on first use,
so a torch-free install (an exported pipeline) can use the torch-free names::

    from nlp_rnn.api import load_pipeline, evaluate
    nlp = load_pipeline("training/model-best")

The command line (``nlp-rnn …``) is the other public interface; trained pipelines load with
plain ``spacy.load`` (the components register through entry points).
"""

import importlib
from typing import Any, Dict

#: public name → the module that defines it (the object keeps its own name and docstring there)
_SOURCES: Dict[str, str] = {
    # pipelines
    "load_pipeline": "nlp_rnn.loading",  # spacy.load with one clear error
    "blank_pipeline": "nlp_rnn.language",  # a blank pipeline with our tokenizer for a language
    "nest_encoder_settings": "nlp_rnn.architectures.encoder_config",  # flat model settings -> [model.encoder] block (torch)
    "torch_module": "nlp_rnn.architectures.torch_model",  # the torch module of a trained component (torch)
    "prepare_threads": "nlp_rnn.threads",  # torch / BLAS thread settings, before torch loads
    # evaluation
    "evaluate": "nlp_rnn.evaluation.evaluate",  # what nlp-rnn evaluate computes, as a dict
    "score_docs": "nlp_rnn.evaluation.evaluate",  # its intent and span figures of docs annotated any way
    "read_gold_docs": "nlp_rnn.evaluation.evaluate",  # a .spacy DocBin's docs, with one clear error
    "predict_ensemble": "nlp_rnn.pipeline.ensemble",  # a seed ensemble's predictions as docs (torch)
    "build_ensemble": "nlp_rnn.pipeline.ensemble_pipe",  # K trained pipelines as one (what nlp-rnn ensemble writes; torch)
    "cats_to_labels": "nlp_rnn.evaluation.intent_metrics",
    "expected_calibration_error": "nlp_rnn.evaluation.calibration",
    "oos_metrics": "nlp_rnn.evaluation.oos_metrics",
    "translation_scores": "nlp_rnn.evaluation.translation_metrics",  # BLEU / chrF with sacrebleu
    "paired_bleu_test": "nlp_rnn.evaluation.translation_metrics",  # sacrebleu's paired randomization test
    "target_language": "nlp_rnn.evaluation.translation_metrics",  # a translator component's target language
    # out of scope
    "tune_out_of_scope": "nlp_rnn.pipeline.out_of_scope",  # what nlp-rnn tune-oos fits (torch)
    "choose_threshold": "nlp_rnn.oos.threshold",
    "uses_gaussians": "nlp_rnn.oos.scores",
    # character language models
    "generate": "nlp_rnn.generation.generator",
    "lm_pipe": "nlp_rnn.generation.generator",
    "sample_characters": "nlp_rnn.generation.generator",
    "is_well_formed": "nlp_rnn.generation.verse_form",
}

__all__ = sorted(_SOURCES)


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"nlp_rnn.api has no {name!r}; public names: {', '.join(__all__)}")
    value = getattr(importlib.import_module(source), name)
    globals()[name] = value  # loaded once
    return value


def __dir__():
    return __all__
