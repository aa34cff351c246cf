"""Train a :class:`.bilm.BiLanguageModel` over the configured encoder on tokenized raw texts.

Adam with gradient clipping on random batches of texts (a fresh order every pass), a held-out
share of the texts for perplexity every ``eval_every`` steps, stop at ``max_steps`` or
``max_minutes`` (whichever comes first; 0 / None = no limit, but one is needed). The encoder
weights kept are those of the best held-out evaluation (the last step's without held-out texts).
The vocabularies are built from all the texts (held-out ones included), so every word of the
raw texts has an id in the task model; the held-out texts' words never train the weights.
"""

import copy
import math
import random
import time
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from spacy.tokens import Doc

from ..architectures.encoder_config import TextEncoderSettings, text_encoder_from_hparams
from ..architectures.torch_model import docs_to_tensors
from ..featurizer import DocFeaturizer
from ..nn.text_encoder import TextEncoder
from .bilm import BiLanguageModel
from .leaks import check_pretrainable, conv_window, masked_columns


@dataclass(frozen=True)
class PretrainOptions:
    """Training settings of ``nlp-rnn pretrain`` (the encoder's own come from the config).
    ``max_output_words``: softmax size; rarer words (feature 0 ids beyond it) are predicted as UNK."""

    max_steps: int = 2000
    max_minutes: Optional[float] = None
    batch_size: int = 64
    learn_rate: float = 0.002
    seed: int = 0
    dev_share: float = 0.05
    eval_every: int = 200
    grad_clip: float = 5.0
    max_output_words: int = 30000
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.max_steps < 0 or (self.max_minutes is not None and self.max_minutes <= 0):
            raise ValueError("max_steps must be >= 0 and max_minutes > 0")
        if not self.max_steps and self.max_minutes is None:
            raise ValueError("give a limit: max_steps > 0 or max_minutes")
        if self.batch_size < 1 or self.eval_every < 1 or self.max_output_words < 3 or self.learn_rate <= 0:
            raise ValueError("batch_size and eval_every must be >= 1, max_output_words >= 3, learn_rate > 0")
        if not 0.0 <= self.dev_share < 1.0:
            raise ValueError(f"dev_share must be in [0, 1), not {self.dev_share}")


@dataclass
class PretrainResult:
    """The pretrained ``encoder`` (best weights), its ``featurizer`` and the run's ``summary`` (JSON-able)."""

    encoder: TextEncoder
    featurizer: DocFeaturizer
    summary: Dict


def split_held_out(docs: Sequence[Doc], share: float, seed: int) -> Tuple[List[Doc], List[Doc]]:
    """(train, held out): a seeded random ``share`` of the Docs held out (none when fewer than 2 would train)."""
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    n_dev = int(round(share * len(docs)))
    if len(docs) - n_dev < 1:
        n_dev = 0
    return [docs[i] for i in order[n_dev:]], [docs[i] for i in order[:n_dev]]


def pretrain_encoder(
    docs: Sequence[Doc], settings: TextEncoderSettings, options: PretrainOptions, say: Callable[[str], None] = print
) -> PretrainResult:
    """Pretrain the encoder ``settings`` describe on ``docs``; ``say`` receives one progress line per evaluation."""
    check_pretrainable(settings)
    if not docs:
        raise ValueError("no text to pretrain on")
    torch.manual_seed(options.seed)
    featurizer = DocFeaturizer.from_docs(docs, settings.features, min_freq=settings.min_freq, max_length=settings.max_length)
    train, held_out = split_held_out(docs, options.dev_share, options.seed)
    encoder = text_encoder_from_hparams(settings.hparams(), featurizer)
    n_words = min(featurizer.vocab_sizes[0], options.max_output_words)
    model = BiLanguageModel(encoder, n_words, masked_columns(featurizer.attrs), conv_window(settings)).to(options.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=options.learn_rate)
    rng = random.Random(options.seed)
    started = time.perf_counter()
    deadline = None if options.max_minutes is None else started + 60 * options.max_minutes
    history: List[Dict] = []
    best = {"loss": math.inf, "step": 0, "state": None}
    step, block_loss, block_steps, epochs = 0, 0.0, 0, 0
    while True:
        order = list(range(len(train)))
        rng.shuffle(order)
        epochs += 1
        for start in range(0, len(order), options.batch_size):
            model.train()
            batch = [train[i] for i in order[start : start + options.batch_size]]
            loss = model.loss(*docs_to_tensors(featurizer, batch, options.device)).loss
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), options.grad_clip)
            optimizer.step()
            step += 1
            block_loss, block_steps = block_loss + float(loss.detach()), block_steps + 1
            out_of_time = deadline is not None and time.perf_counter() >= deadline
            last = out_of_time or step == options.max_steps
            if step % options.eval_every == 0 or last:
                entry = {"step": step, "train_loss": block_loss / block_steps, "seconds": time.perf_counter() - started}
                entry.update(evaluate(model, featurizer, held_out, options))
                history.append(entry)
                say(_progress_line(entry))
                block_loss, block_steps = 0.0, 0
                score = entry.get("dev_loss", -step)  # without held-out texts: the latest step
                if score <= best["loss"]:
                    best = {"loss": score, "step": step, "state": copy.deepcopy(model.text_encoder.state_dict())}
            if last:
                model.text_encoder.load_state_dict(best["state"])
                summary = {
                    "steps": step, "epochs": epochs, "seconds": time.perf_counter() - started, "best_step": best["step"],
                    "stopped_by": "max_minutes" if out_of_time and step != options.max_steps else "max_steps",
                    "texts": len(docs), "train_texts": len(train), "held_out_texts": len(held_out),
                    "train_tokens": sum(len(doc) for doc in train), "softmax_words": n_words,
                    "masked_features": [featurizer.attrs[i] for i in masked_columns(featurizer.attrs)],
                    "conv_window": list(conv_window(settings)), "options": asdict(options), "history": history,
                }
                best_entry = next(e for e in history if e["step"] == best["step"])
                summary.update({k: v for k, v in best_entry.items() if k.startswith("dev_")})
                return PretrainResult(model.text_encoder.to("cpu"), featurizer, summary)


def evaluate(model: BiLanguageModel, featurizer: DocFeaturizer, docs: Sequence[Doc], options: PretrainOptions) -> Dict[str, float]:
    """Held-out ``dev_loss`` (mean of the directions' mean nll) and ``dev_perplexity_forward`` /
    ``dev_perplexity_backward``; empty without held-out Docs."""
    if not docs:
        return {}
    model.eval()
    sums = [0.0, 0, 0.0, 0]
    with torch.no_grad():
        for start in range(0, len(docs), 256):
            result = model.loss(*docs_to_tensors(featurizer, docs[start : start + 256], options.device))
            for i, value in enumerate((result.forward_nll, result.forward_count, result.backward_nll, result.backward_count)):
                sums[i] += value
    forward = sums[0] / max(sums[1], 1)
    scores = {"dev_perplexity_forward": math.exp(forward), "dev_loss": forward}
    if sums[3]:
        backward = sums[2] / sums[3]
        scores.update(dev_perplexity_backward=math.exp(backward), dev_loss=(forward + backward) / 2)
    return scores


def _progress_line(entry: Dict) -> str:
    line = f"step {entry['step']:>6} · train loss {entry['train_loss']:.3f}"
    if "dev_perplexity_forward" in entry:
        line += f" · held-out perplexity forward {entry['dev_perplexity_forward']:.1f}"
        if "dev_perplexity_backward" in entry:
            line += f" / backward {entry['dev_perplexity_backward']:.1f}"
    return line + f" · {entry['seconds']:.0f} s"
