"""Language-model metrics for ``evaluate``: cross-entropy, bits per character, perplexity,
scoring speed and, for verse models, the well-formed rate of unconstrained samples.

``cross_entropy_nats`` is the mean negative log-probability (natural log) of each character of
the evaluation texts given the characters before it in the same document, from the zero state
(the document-end prediction is not counted); ``bits_per_char`` = nats / ln 2; ``perplexity`` =
exp(nats). ``chars_per_second`` counts scored characters over the timed ``nlp.pipe`` pass.
"""

import math
import time
from typing import Dict, List, Optional

from spacy.language import Language

LM_ATTR = "doc._.lm_log_loss"
WELL_FORMED_SAMPLES = 200  #: unconstrained samples drawn for ``well_formed_rate``
SAMPLE_LENGTH = 200  #: characters at most per sample (a poem ends where the model ends the document)


def lm_component(nlp: Language):
    """The pipeline's language-model component (it assigns ``doc._.lm_log_loss``), or None."""
    for name, pipe in nlp.pipeline:
        if LM_ATTR in nlp.get_pipe_meta(name).assigns:
            return pipe
    return None


def is_verse_model(pipe) -> bool:
    """True when the model's vocabulary has ``，`` and ``。`` and CJK characters (a poem model)."""
    from ..generation.verse_form import COMMA, FULL_STOP, is_hanzi

    vocab = pipe.char_vocab
    return COMMA in vocab and FULL_STOP in vocab and any(is_hanzi(c) for c in vocab.chars[:100])


def well_formed_results(
    nlp: Language, n_samples: int = WELL_FORMED_SAMPLES, seed: int = 0, form: Optional[str] = None,
    temperature: float = 1.0,
) -> Dict:
    """``well_formed_rate`` of ``n_samples`` samples (seeded; unconstrained unless ``form``),
    ``sample_chars_per_second`` and the first two samples."""
    from ..generation.generator import generate
    from ..generation.verse_form import is_well_formed

    started = time.perf_counter()
    samples = generate(
        nlp, num=n_samples, seed=seed, length=SAMPLE_LENGTH, form=form, temperature=temperature, stop_at_end=True,
    )
    seconds = time.perf_counter() - started
    chars = sum(len(s) for s in samples)
    return {
        "well_formed_rate": sum(is_well_formed(s) for s in samples) / len(samples) if samples else 0.0,
        "n_samples": len(samples),
        "sample_chars_per_second": chars / seconds if seconds else 0.0,
        "samples": samples[:2],
    }


def lm_results(nlp: Language, predicted: List, seconds: float, n_samples: int = WELL_FORMED_SAMPLES) -> Dict:
    """LM metrics of the scored Docs ``predicted`` (``seconds``: the timed pass); for a verse
    model also :func:`well_formed_results` of ``n_samples`` unconstrained samples."""
    nats = sum(doc._.lm_log_loss or 0.0 for doc in predicted)
    chars = sum(doc._.lm_chars or 0 for doc in predicted)
    ce = nats / chars if chars else float("nan")
    results: Dict = {
        "cross_entropy_nats": ce,
        "bits_per_char": ce / math.log(2),
        "perplexity": math.exp(ce) if chars else float("nan"),
        "n_chars": chars,
        "chars_per_second": chars / seconds if seconds else 0.0,
    }
    pipe = lm_component(nlp)
    if pipe is not None and n_samples and is_verse_model(pipe):
        results.update(well_formed_results(nlp, n_samples))
    return results
