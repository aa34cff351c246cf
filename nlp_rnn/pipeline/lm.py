"""``rnn_lm``: a character-level recurrent language model trained by spaCy's loop with truncated
backpropagation through time (TBPTT), scored by cross-entropy, and used by ``nlp-rnn generate``:
the factory and the torch half of :class:`~nlp_rnn.pipeline.lm_task.LMTask`.

Each Doc is a document or a chunk of one. Chunks from the :mod:`nlp_rnn.pipeline.lm_corpus`
reader carry their lane and position in ``doc.user_data``; the component keeps one hidden state
per lane (one store for training, one for evaluation), starts it from zeros when a chunk starts
a segment, and carries it from a lane's chunk to its next chunk, gradients cut between them.
Any other Doc is a whole document: scored from the zero state, in pieces of
:data:`EVAL_CHUNK` characters with the state carried between them.

A document is read as ``BOUNDARY c1 ... cn`` and predicts ``c1 ... cn BOUNDARY``: the model
learns where texts start and end (generation stops at BOUNDARY). Training loss is the mean
cross-entropy over all targets, BOUNDARY included; the scores (``lm_cross_entropy`` in nats per
character, ``lm_bits_per_char``, ``lm_perplexity``, ``lm_char_prob`` = exp(−nats), the score
spaCy's loop maximises) count the characters of the text only.

Each scored Doc gets ``doc._.lm_log_loss`` (summed nats of its characters) and
``doc._.lm_chars`` (their number).
"""

from dataclasses import dataclass
from typing import Any, Dict, Hashable, List, Optional, Tuple

import torch
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from thinc.api import ArgsKwargs, Config, Model

from ..architectures.lm import BOUNDARY, PAD, CharVocab, get_lm_state, lm_module, lm_shim, lm_vocab, set_lm_state
from ..generation.torch_steps import TorchLMSteps
from ..nn.char_lm import State, detach_state, select_state
from .lm_corpus import END, LANE, PREVIOUS, RESET
from .lm_task import LMPredictions, LMTask
from .rnn_pipe import RNNPipe
from .torch_task import TorchTask

__all__ = ["LMTorchTask", "make_rnn_lm"]

EVAL_CHUNK = 512  #: characters per forward pass when scoring a whole document
MAX_POSITIONS = 16384  #: rows x steps per forward pass when scoring (bounds the logits' memory)

DEFAULT_LM_MODEL = """
[model]
@architectures = "nlp_rnn.CharLM.v1"
"""  # the settings and their defaults are build_char_lm's; filling the config adds them
DEFAULT_MODEL = Config().from_str(DEFAULT_LM_MODEL)["model"]


@Language.factory(
    "rnn_lm",
    assigns=["doc._.lm_log_loss", "doc._.lm_chars"],
    default_config={"model": DEFAULT_MODEL},
    default_score_weights={"lm_char_prob": 1.0, "lm_cross_entropy": 0.0, "lm_bits_per_char": None, "lm_perplexity": None},
)
def make_rnn_lm(nlp: Language, name: str, model: Model) -> RNNPipe:
    """Character language model (see the module docstring)."""
    return RNNPipe(nlp.vocab, model, name, LMTorchTask())


@dataclass(frozen=True)
class Piece:
    """Ids for one forward row: ``inputs`` and ``targets`` (same length), where the row's state
    comes from (``lane``; ``reset``: zeros), and which Doc (``doc``) its losses belong to."""

    doc: int
    lane: Hashable
    reset: bool
    inputs: List[int]
    targets: List[int]
    position: int = 0  #: index of the piece within its whole document


def doc_pieces(doc: Doc, index: int, vocab: CharVocab) -> List[Piece]:
    """A chunk Doc (with lane data) → one piece; a whole Doc → pieces of :data:`EVAL_CHUNK`."""
    text = doc.text
    data = doc.user_data
    if LANE in data:
        previous = data.get(PREVIOUS)
        first = BOUNDARY if previous is None else vocab.id(previous)
        ids = vocab.encode(text)
        inputs, targets = [first] + ids[:-1], list(ids)
        if data.get(END):
            inputs.append(ids[-1] if ids else first)
            targets.append(BOUNDARY)
        return [Piece(index, ("lane", data[LANE]), bool(data.get(RESET)), inputs, targets)]
    ids = vocab.encode(text)
    sequence_in, sequence_out = [BOUNDARY] + ids, ids + [BOUNDARY]
    lane = ("doc", index)
    return [
        Piece(index, lane, start == 0, sequence_in[start : start + EVAL_CHUNK], sequence_out[start : start + EVAL_CHUNK], k)
        for k, start in enumerate(range(0, len(sequence_in), EVAL_CHUNK))
    ]


def sub_batches(pieces: List[Piece], max_positions: Optional[int] = None) -> List[List[Piece]]:
    """Consecutive groups in which every lane occurs at most once (a lane's pieces stay in
    order); with ``max_positions``, a group also stays under rows x longest piece positions."""
    groups: List[List[Piece]] = []
    current: List[Piece] = []
    lanes: set = set()
    longest = 0
    for piece in pieces:
        grows = max(longest, len(piece.inputs))
        full = max_positions is not None and current and grows * (len(current) + 1) > max_positions
        if piece.lane in lanes or full:
            groups.append(current)
            current, lanes, longest = [], set(), 0
            grows = len(piece.inputs)
        current.append(piece)
        lanes.add(piece.lane)
        longest = grows
    if current:
        groups.append(current)
    return groups


class LaneStates:
    """The carried hidden state of each lane: (L, 1, H) tensors keyed by lane."""

    def __init__(self) -> None:
        self.states: Dict[Hashable, State] = {}

    def clear(self) -> None:
        self.states.clear()

    def gather(self, module, pieces: List[Piece], device) -> State:
        """The state before each piece (zeros for a reset or unseen lane): (L, B, H) tensors."""
        zero = module.initial_state(1, device)
        rows = [zero if p.reset else self.states.get(p.lane, zero) for p in pieces]
        if isinstance(zero, tuple):
            return tuple(torch.cat([row[i] for row in rows], dim=1) for i in range(len(zero)))
        return torch.cat(rows, dim=1)

    def store(self, pieces: List[Piece], state: State, keep: List[bool]) -> None:
        """Keep each piece's final state (detached) for its lane's next piece, where ``keep``."""
        state = detach_state(state)
        for row, (piece, kept) in enumerate(zip(pieces, keep)):
            if kept:
                self.states[piece.lane] = select_state(state, torch.tensor([row], device=_device(state)))
            else:
                self.states.pop(piece.lane, None)


def _device(state: State) -> torch.device:
    return state[0].device if isinstance(state, tuple) else state.device


def pad_pieces(pieces: List[Piece], device) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """inputs (B, T), targets (B, T) padded with PAD, lengths (B,) on the CPU."""
    longest = max(len(p.inputs) for p in pieces)
    inputs = torch.full((len(pieces), longest), PAD, dtype=torch.long)
    targets = torch.full((len(pieces), longest), PAD, dtype=torch.long)
    for row, piece in enumerate(pieces):
        inputs[row, : len(piece.inputs)] = torch.tensor(piece.inputs, dtype=torch.long)
        targets[row, : len(piece.targets)] = torch.tensor(piece.targets, dtype=torch.long)
    lengths = torch.tensor([len(p.inputs) for p in pieces], dtype=torch.long)
    return inputs.to(device), targets.to(device), lengths


@dataclass
class ChunkOutputs:
    """One TBPTT forward pass: ``logits`` (B, T, V) for ``targets`` (B, T, PAD-padded); ``total``
    is the number of targets of the whole batch (the loss is their mean)."""

    logits: torch.Tensor
    targets: torch.Tensor
    total: int


class LMTorchTask(TorchTask, LMTask):
    """The language model's torch half (see the module docstring). Training is stateful (TBPTT), so
    it has its own :meth:`update`; ``pipe.module`` is the torch module."""

    exposes = (*LMTask.exposes, "module")

    def __init__(self) -> None:
        self.train_states = LaneStates()
        self.eval_states = LaneStates()

    def char_vocab(self, pipe) -> CharVocab:
        return lm_vocab(pipe.model)

    def module(self, pipe):
        return lm_module(pipe.model)

    def is_ready(self, pipe) -> bool:
        return self.is_built(pipe)

    def sampling_steps(self, pipe) -> TorchLMSteps:
        return TorchLMSteps(lm_module(pipe.model))

    # --- training ----------------------------------------------------------------------------

    def initialize(self, pipe, examples: List[Example], *, chars: Optional[List[str]] = None) -> None:
        """Build the character vocabulary from the examples' texts (or take ``chars``)."""
        if chars is not None:
            pipe.model.attrs["vocab"] = CharVocab(chars).to_dict()
            pipe.model.initialize()
        else:
            texts = [eg.reference.text for eg in examples]
            if not any(texts):
                raise ValueError(f"{pipe.name!r} found no text in the training examples")
            pipe.model.initialize(X=texts)
        self.train_states.clear()
        self.eval_states.clear()

    def update(self, pipe, examples: List[Example], sgd, losses: Dict[str, float]) -> Dict[str, float]:
        """One TBPTT step: each chunk starts from its lane's carried state; the loss is the mean
        next-character cross-entropy over the batch."""
        vocab = self.char_vocab(pipe)
        pieces = [p for i, eg in enumerate(examples) for p in doc_pieces(eg.predicted, i, vocab)]
        pieces = [p for p in pieces if p.inputs]
        total = sum(len(p.targets) for p in pieces)
        if not total:
            return losses
        shim = lm_shim(pipe.model)
        device = shim.device
        module = lm_module(pipe.model)
        batch_loss = 0.0
        for group in sub_batches(pieces):
            inputs, targets, lengths = pad_pieces(group, device)
            state = self.train_states.gather(module, group, device)
            (logits, new_state), backprop = shim.begin_update(ArgsKwargs(args=(inputs, state, lengths), kwargs={}))
            loss, d_loss = pipe.get_loss(examples, ChunkOutputs(logits, targets, total))
            backprop(ArgsKwargs(args=(d_loss,), kwargs={"grad_tensors": torch.ones_like(d_loss)}))
            self.train_states.store(group, new_state, [p.targets[-1] != BOUNDARY for p in group])
            batch_loss += loss
        if sgd is not None:
            pipe.finish_update(sgd)
        losses[pipe.name] += batch_loss
        return losses

    def get_loss(self, pipe, examples: List[Example], outputs: ChunkOutputs) -> Tuple[float, torch.Tensor]:
        """The chunk's share of the batch's mean next-character cross-entropy: (float, the scalar
        tensor backprop takes)."""
        logits = outputs.logits
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), outputs.targets.reshape(-1), ignore_index=PAD, reduction="sum"
        ) / outputs.total
        return float(loss.detach()), loss

    # --- prediction (scoring) ----------------------------------------------------------------

    def predict(self, pipe, docs: List[Doc]) -> LMPredictions:
        """(summed nats of the text's characters, number of characters) per Doc."""
        results = [[0.0, 0] for _ in docs]
        if not docs or not self.is_built(pipe):
            return [(0.0, 0) for _ in docs]
        vocab = self.char_vocab(pipe)
        pieces = [p for i, doc in enumerate(docs) for p in doc_pieces(doc, i, vocab)]
        # whole documents: their k-th pieces side by side; chunk Docs keep their order
        pieces = sorted(
            (p for p in pieces if p.inputs),
            key=lambda p: (0, 0, 0) if p.lane[0] == "lane" else (1, p.position, p.doc),
        )
        module = lm_module(pipe.model)
        device = lm_shim(pipe.model).device
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                for group in sub_batches(pieces, MAX_POSITIONS):
                    inputs, targets, lengths = pad_pieces(group, device)
                    state = self.eval_states.gather(module, group, device)
                    logits, new_state = module(inputs, state, lengths)
                    nats = torch.nn.functional.cross_entropy(
                        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=PAD, reduction="none"
                    ).reshape(targets.shape)
                    counted = (targets != PAD) & (targets != BOUNDARY)
                    per_row = (nats * counted).sum(dim=1).tolist()
                    counts = counted.sum(dim=1).tolist()
                    for piece, row_nats, row_count in zip(group, per_row, counts):
                        results[piece.doc][0] += row_nats
                        results[piece.doc][1] += row_count
                    self.eval_states.store(group, new_state, [p.targets[-1] != BOUNDARY for p in group])
        finally:
            module.train(was_training)
        return [(nats, count) for nats, count in results]

    # --- weights (the torch pipe's files: cfg, model.json, model.safetensors) -----------------

    def model_state(self, pipe) -> Tuple[Dict[str, Any], bytes]:
        return get_lm_state(pipe.model)

    def load_model_state(self, pipe, config: Dict[str, Any], weights: bytes) -> None:
        set_lm_state(pipe.model, config, weights)
