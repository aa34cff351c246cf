"""Sampling text from an ``rnn_lm`` pipeline, one character at a time (streamed).

A sample starts like a training document (the BOUNDARY id, then the prompt) and has exactly
``length`` sampled characters (under a verse form: the poem's). When the model samples BOUNDARY
(the end of a document) the sample goes on with a new document: a line break
(:data:`DOCUMENT_BREAK`) is written, the state goes back to zero and BOUNDARY is read, as at the
start of every training document; with ``stop_at_end`` the sample ends there instead (one poem,
one utterance). A fixed seed gives the same text.

Sampling needs only the component's character vocabulary and torch module
(:class:`LanguageModelPipe`); the component is found by what it assigns, so this module does not
import :mod:`nlp_rnn.pipeline.lm` (generation sits below the pipes).
"""

import warnings
import weakref
from typing import Callable, Iterator, List, Optional, Protocol, Tuple

import numpy
import torch
from spacy.language import Language

from ..architectures.lm import BOUNDARY, N_SPECIAL, PAD, UNK, CharVocab
from ..nn.char_lm import CharLM
from .sampling import check_sampling, next_ids
from .verse_form import FormMasks, VerseForm

DOCUMENT_BREAK = "\n"  #: written where the model ends a document and the sample goes on
STOP_AT_END = False  #: default: a sample has ``length`` characters, across document ends
LM_ASSIGNS = "doc._.lm_log_loss"  #: what a language-model component (``rnn_lm``) assigns


class LanguageModelPipe(Protocol):
    """What sampling reads of an ``rnn_lm`` component: its characters and its torch module."""

    @property
    def char_vocab(self) -> CharVocab: ...

    @property
    def module(self) -> CharLM: ...


def lm_pipe(nlp: Language) -> LanguageModelPipe:
    """The pipeline's ``rnn_lm`` component (the one that assigns :data:`LM_ASSIGNS`), or ValueError."""
    for name, pipe in nlp.pipeline:
        if LM_ASSIGNS in nlp.get_pipe_meta(name).assigns:
            if not pipe.model.layers:
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
    Each sample has its own random stream (:func:`sample_generator`), so sample ``index`` is the
    same text streamed alone or drawn in a batch by :func:`generate`.
    """
    run = _prepare(pipe, prompt, length, temperature, top_k, top_p, form, warn, stop_at_end)
    return (_char(pipe.char_vocab, int(ids[0])) for ids, _ in _sample_rows(pipe, run, [sample_generator(seed, index)]))


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


def _sample_rows(pipe, run: dict, generators: List[torch.Generator]) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
    """Sample ``len(generators)`` rows side by side; yields (ids (B,), live (B,) bool) per step,
    ``live`` False for rows that already ended (``stop_at_end`` only: their ids are meaningless)
    and stops when every row has ended. Without ``stop_at_end`` a row that samples BOUNDARY
    starts a new document: its state goes back to zero and it reads BOUNDARY next."""
    vocab, module = pipe.char_vocab, pipe.module
    prompt, length, verse, masks = run["prompt"], run["length"], run["verse"], run["masks"]
    rows = len(generators)
    free = torch.ones(len(vocab), dtype=torch.bool)
    free[[PAD, UNK]] = False
    device = next(module.parameters()).device
    was_training = module.training
    module.eval()
    # oneDNN's LSTM kernel costs ~4x more than torch's own for one step of a small batch
    mkldnn = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        with torch.no_grad():
            ids = torch.tensor([[BOUNDARY] + vocab.encode(prompt)], device=device)
            output, state = module.rnn(module.embedding(ids), module.initial_state(1, device))
            hidden = output[:, -1].expand(rows, -1)
            state = tuple(s.expand(-1, rows, -1).contiguous() for s in state) if isinstance(state, tuple) else state.expand(-1, rows, -1).contiguous()
            live = torch.ones(rows, dtype=torch.bool)
            for step in range(length):
                slot = verse.slot(len(prompt) + step) if verse is not None else None
                if slot is not None and slot != "hanzi":
                    index = torch.full((rows,), masks.mark_ids[slot], dtype=torch.long)
                else:
                    index = next_ids(
                        module.logits(hidden), temperature=run["temperature"], top_k=run["top_k"],
                        top_p=run["top_p"], allowed=masks.hanzi if masks is not None else free,
                        generator=generators,
                    ).cpu()
                ended = index == BOUNDARY
                if run["stop_at_end"]:
                    live = live & ~ended
                    if not bool(live.any()):
                        return
                yield index, live
                if step + 1 < length:
                    if not run["stop_at_end"] and bool(ended.any()):
                        state = _reset_rows(state, ended.to(device))
                    output, state = module.rnn(module.embedding(index.to(device)[:, None]), state)
                    hidden = output[:, -1]
    finally:
        torch.backends.mkldnn.enabled = mkldnn
        module.train(was_training)


def _reset_rows(state, rows: torch.Tensor):
    """``state`` (an (L, B, H) tensor or a tuple of them) with the rows flagged in ``rows`` (B,)
    set to zero: the start of a new document."""
    keep = (~rows).to(torch.float32)[None, :, None]
    if isinstance(state, tuple):
        return tuple(s * keep.to(s.dtype) for s in state)
    return state * keep.to(state.dtype)


def sample_generator(seed: int, index: int) -> torch.Generator:
    """The random stream of sample ``index`` of ``seed`` (independent streams from one seed)."""
    state = numpy.random.SeedSequence([seed, index]).generate_state(2, dtype=numpy.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


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
        generators = [sample_generator(seed, i) for i in range(first, min(num, first + batch_size))]
        pieces: List[List[str]] = [[] for _ in generators]
        for ids, live in _sample_rows(pipe, run, generators):
            for row in live.nonzero().flatten().tolist():
                pieces[row].append(_char(vocab, int(ids[row])))
        texts += [prompt + "".join(p) for p in pieces]
    return texts
