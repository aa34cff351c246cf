"""Sampling text from an ``rnn_lm`` pipeline, one character at a time (streamed).

A sample starts like a training document (the BOUNDARY id, then the prompt) and has exactly
``length`` sampled characters (under a verse form: the poem's). When the model samples BOUNDARY
(the end of a document) the sample goes on with a new document: a line break
(:data:`DOCUMENT_BREAK`) is written, the state goes back to zero and BOUNDARY is read, as at the
start of every training document; with ``stop_at_end`` the sample ends there instead (one poem,
one utterance). A fixed seed gives the same text.

Sampling needs only the component's character vocabulary and its sampling steps
(:class:`LanguageModelPipe`): the torch ``rnn_lm`` (:mod:`.torch_steps`) and the exported
``rnn_lm_onnx`` offer the same step API with numpy logits, and the choice of the next id is one
numpy function (:func:`~.sampling.next_ids`) with one random stream per sample, so a seed gives
the same text from both. The component is found by that API, so this module does not import the
pipes (generation sits below them) and never imports torch.
"""

import warnings
import weakref
from typing import Callable, ContextManager, Iterator, List, Optional, Protocol, Tuple

import numpy
from spacy.language import Language

from ..char_vocab import BOUNDARY, N_SPECIAL, PAD, UNK, CharVocab
from .sampling import SampleStream, check_sampling, next_ids, sample_seed
from .verse_form import FormMasks, VerseForm

DOCUMENT_BREAK = "\n"  #: written where the model ends a document and the sample goes on
STOP_AT_END = False  #: default: a sample has ``length`` characters, across document ends


class LanguageModelPipe(Protocol):
    """What sampling reads of an ``rnn_lm`` / ``rnn_lm_onnx`` component: its characters and its
    sampling steps, a context manager giving an object with ``start(ids: list, rows) -> (logits
    (rows, V) float32, state)`` and ``advance(ids (rows,) int64, state, reset (rows,) bool or
    None) -> (logits (rows, V), state)`` (``reset``: those rows start a new document from the
    zero state); see :class:`~.torch_steps.TorchLMSteps`."""

    @property
    def char_vocab(self) -> CharVocab: ...

    def sampling_steps(self) -> ContextManager: ...


def lm_pipe(nlp: Language) -> LanguageModelPipe:
    """The pipeline's language model (the component with ``sampling_steps``), or ValueError."""
    for _, pipe in nlp.pipeline:
        if callable(getattr(pipe, "sampling_steps", None)):
            if not pipe.is_ready:
                raise ValueError("the rnn_lm component is not trained (no weights)")
            return pipe
    raise ValueError("this pipeline has no language model (rnn_lm) component")


_MASKS: "weakref.WeakKeyDictionary[CharVocab, FormMasks]" = weakref.WeakKeyDictionary()


def form_masks(vocab: CharVocab) -> FormMasks:
    """The verse-form masks of a vocabulary (built once per vocabulary)."""
    if vocab not in _MASKS:
        _MASKS[vocab] = FormMasks(vocab.chars, N_SPECIAL, len(vocab))
    return _MASKS[vocab]


def unknown_characters(pipe: LanguageModelPipe, text: str) -> List[str]:
    """The distinct characters of ``text`` the model never saw, in order of appearance."""
    vocab = pipe.char_vocab
    return list(dict.fromkeys(c for c in text if c not in vocab))


def sample_characters(
    pipe: LanguageModelPipe,
    prompt: str = "",
    *,
    length: int = 500,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    form: Optional[str] = None,
    seed: int = 0,
    index: int = 0,
    stop_at_end: bool = STOP_AT_END,
    warn: Callable[[str], None] = warnings.warn,
) -> Iterator[str]:
    """An iterator over the characters of sample ``index`` of ``seed`` after ``prompt`` (not the
    prompt itself), one at a time. Bad settings raise ValueError here, before anything is sampled.

    ``length``: the number of sampled characters (ignored with ``form``, which fixes the length);
    where the model ends a document a :data:`DOCUMENT_BREAK` is one of them and a new document
    starts, unless ``stop_at_end``, which ends the sample there (it may then be shorter);
    ``temperature`` 0 is greedy; ``top_k`` / ``top_p`` restrict sampling (0 / 1: off); ``form``
    ("5x4", "7x4", "5x8", "7x8") forces a regulated-verse shape on prompt + sample. Prompt
    characters the model never saw are read as the unknown id, with one ``warn`` message.
    Each sample has its own random stream (:func:`sample_stream`), so sample ``index`` is the
    same text streamed alone or drawn in a batch by :func:`generate`.
    """
    run = _prepare(pipe, prompt, length, temperature, top_k, top_p, form, warn, stop_at_end)
    return (_char(pipe.char_vocab, int(ids[0])) for ids, _ in _sample_rows(pipe, run, [sample_stream(seed, index)]))


def _char(vocab: CharVocab, index: int) -> str:
    """The text of a sampled id: its character, or :data:`DOCUMENT_BREAK` for BOUNDARY."""
    return DOCUMENT_BREAK if index == BOUNDARY else vocab.char(index)


def _prepare(pipe, prompt, length, temperature, top_k, top_p, form, warn, stop_at_end=STOP_AT_END) -> dict:
    check_sampling(temperature, top_k, top_p)
    if length < 0:
        raise ValueError(f"--length must be >= 0, not {length}")
    vocab = pipe.char_vocab
    verse = VerseForm.parse(form) if form is not None else None
    masks = form_masks(vocab) if verse is not None else None
    if verse is not None:
        verse.check_prefix(prompt)
        length = verse.length - len(prompt)
    unknown = unknown_characters(pipe, prompt)
    if unknown:
        warn(f"prompt characters unknown to the model, read as the unknown id: {''.join(unknown)!r}")
    return dict(prompt=prompt, length=length, temperature=temperature, top_k=top_k, top_p=top_p,
                verse=verse, masks=masks, stop_at_end=stop_at_end)


def _sample_rows(pipe, run: dict, streams: List[SampleStream]) -> Iterator[Tuple[numpy.ndarray, numpy.ndarray]]:
    """Sample ``len(streams)`` rows side by side; yields (ids (B,), live (B,) bool) per step,
    ``live`` False for rows that already ended (``stop_at_end`` only: their ids are meaningless)
    and stops when every row has ended. Without ``stop_at_end`` a row that samples BOUNDARY
    starts a new document: its state goes back to zero and it reads BOUNDARY next."""
    vocab = pipe.char_vocab
    prompt, length, verse, masks = run["prompt"], run["length"], run["verse"], run["masks"]
    rows = len(streams)
    free = numpy.ones(len(vocab), dtype=bool)
    free[[PAD, UNK]] = False
    with pipe.sampling_steps() as steps:
        logits, state = steps.start([BOUNDARY] + vocab.encode(prompt), rows)
        live = numpy.ones(rows, dtype=bool)
        for step in range(length):
            slot = verse.slot(len(prompt) + step) if verse is not None else None
            if slot is not None and slot != "hanzi":
                index = numpy.full(rows, masks.mark_ids[slot], dtype="int64")
            else:
                index = next_ids(
                    logits, temperature=run["temperature"], top_k=run["top_k"], top_p=run["top_p"],
                    allowed=masks.hanzi if masks is not None else free, streams=streams,
                )
            ended = index == BOUNDARY
            if run["stop_at_end"]:
                live = live & ~ended
                if not live.any():
                    return
            yield index, live
            if step + 1 < length:
                reset = ended if not run["stop_at_end"] and ended.any() else None
                logits, state = steps.advance(index, state, reset)


def sample_stream(seed: int, index: int) -> SampleStream:
    """The random stream of sample ``index`` of ``seed`` (independent streams from one seed)."""
    return SampleStream(sample_seed(seed, index))


def generate(
    nlp: Language,
    prompt: str = "",
    *,
    num: int = 1,
    seed: int = 0,
    length: int = 500,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    form: Optional[str] = None,
    batch_size: int = 32,
    stop_at_end: bool = STOP_AT_END,
    warn: Callable[[str], None] = warnings.warn,
) -> List[str]:
    """``num`` samples (prompt + sampled text) from an ``rnn_lm`` pipeline, ``batch_size`` drawn
    side by side; sample ``i`` is the text :func:`sample_characters` streams for ``(seed, i)``
    (what ``nlp-rnn generate --seed S --num N`` prints). See :func:`sample_characters` for the
    settings."""
    if num < 1 or batch_size < 1:
        raise ValueError("num and batch_size must be >= 1")
    pipe = lm_pipe(nlp)
    run = _prepare(pipe, prompt, length, temperature, top_k, top_p, form, warn, stop_at_end)
    vocab = pipe.char_vocab
    texts = []
    for first in range(0, num, batch_size):
        streams = [sample_stream(seed, i) for i in range(first, min(num, first + batch_size))]
        pieces: List[List[str]] = [[] for _ in streams]
        for ids, live in _sample_rows(pipe, run, streams):
            for row in numpy.flatnonzero(live).tolist():
                pieces[row].append(_char(vocab, int(ids[row])))
        texts += [prompt + "".join(p) for p in pieces]
    return texts
