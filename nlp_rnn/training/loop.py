"""spaCy's training loop (``spacy.training.loop.train``) with changes that keep
``model-best`` honest:

- the **final step is always evaluated** (spaCy evaluates only when ``step % eval_frequency == 0``,
  so the last up to ``eval_frequency - 1`` steps were never scored and could not become
  ``model-best``);
- the **step-0 snapshot never becomes model-best** (spaCy evaluates after the first batch; with a
  run shorter than ``eval_frequency`` that nearly untrained model was saved as ``model-best``).
  ``model-best`` is the best evaluation after step 0, ties going to the later one (as in spaCy);
  when only step 0 was evaluated (a one-batch run), the final model;
- every dev score reaches a learning-rate schedule that listens (``nlp_rnn.warmup_plateau.v1``);
- a **progress line** between evaluations when the console logger's progress bar is off (always
  when the output is not a terminal, where a progress bar only fills logs with ``\\r``).
- an optional **deadline** (``max_minutes``): training stops after the first step that ends past
  it, that step is evaluated like any final step, and ``model-best`` is the best evaluation of the
  run (``timeout`` would kill the process before the final evaluation and leave ``model-last``
  unsaved since the last evaluation).

Everything else (batches, updates, evaluation, patience, logger, saving) is spaCy's own code,
reused from :mod:`spacy.training.loop`. Each saved pipeline's ``meta.json`` gets a
``"training"`` entry: ``{"step", "score", "final_step", "evaluations": [[step, score], ...]}``.
"""

import shutil
import sys
import time
from pathlib import Path
from typing import IO, Any, Dict, List, Optional, Tuple

from spacy.language import Language
from spacy.schemas import ConfigSchemaTraining
from spacy.training.loop import (
    DIR_MODEL_BEST,
    DIR_MODEL_LAST,
    clean_output_dir,
    create_before_to_disk_callback,
    create_evaluation_callback,
    create_train_batches,
    train_while_improving,
    update_meta,
)
from spacy.util import registry, resolve_dot_names
from thinc.api import fix_random_seed, set_gpu_allocator

from .plateau_schedule import observe_dev_score
from .progress import ProgressLine, console_logger_without_bar


class TrainingSummary:
    """What the run produced: evaluations [(step, score)], the final step and which step each
    saved pipeline holds."""

    def __init__(self) -> None:
        self.evaluations: List[Tuple[int, float]] = []
        self.final_step = -1
        self.best_step: Optional[int] = None
        self.best_score: Optional[float] = None
        self.final_score: Optional[float] = None
        self.final_scores: Dict[str, Any] = {}
        self.best_scores: Dict[str, Any] = {}
        self.score_keys: List[str] = []  # the [training.score_weights] keys
        self.stopped_by_deadline = False

    def is_new_best(self, step: int, score: float) -> bool:
        """Record an evaluation; True when it should become ``model-best``."""
        self.evaluations.append((step, score))
        if step == 0:
            return False
        if self.best_score is None or score >= self.best_score:
            self.best_step, self.best_score = step, score
            return True
        return False

    def meta(self, step: int, score: Optional[float]) -> Dict[str, Any]:
        return {
            "step": step,
            "score": score,
            "final_step": self.final_step,
            "evaluations": [[s, round(float(v), 6)] for s, v in self.evaluations],
        }


def train_pipeline(
    nlp: Language,
    output_path: Optional[Path],
    *,
    use_gpu: int = -1,
    stdout: IO = sys.stdout,
    progress_seconds: float = 30.0,
    max_minutes: Optional[float] = None,
) -> TrainingSummary:
    """Train the initialized ``nlp`` (its config holds the ``[training]`` block) and save
    ``model-last`` / ``model-best`` in ``output_path`` (when given). ``max_minutes``: stop after
    the first step that ends later than this many minutes after the loop started (then evaluate
    it as the final step). Returns the summary."""
    config = nlp.config.interpolate()
    if config["training"]["seed"] is not None:
        fix_random_seed(config["training"]["seed"])
    allocator = config["training"]["gpu_allocator"]
    if use_gpu >= 0 and allocator:
        set_gpu_allocator(allocator)
    show_bar = stdout.isatty() if hasattr(stdout, "isatty") else False
    logger_block = config["training"]["logger"]
    if not show_bar:
        config["training"]["logger"] = console_logger_without_bar(logger_block)
    T = registry.resolve(config["training"], schema=ConfigSchemaTraining)
    train_corpus, dev_corpus = resolve_dot_names(config, [T["train_corpus"], T["dev_corpus"]])
    optimizer = T["optimizer"]
    before_to_disk = create_before_to_disk_callback(T["before_to_disk"])
    frozen = T["frozen_components"]
    evaluate = create_evaluation_callback(nlp, dev_corpus, T["score_weights"])
    summary = TrainingSummary()
    summary.score_keys = [key for key, weight in T["score_weights"].items() if weight is not None]

    def save(path_name: str) -> None:
        with nlp.use_params(optimizer.averages):
            before_to_disk(nlp).to_disk(output_path / path_name)

    def save_last_and_maybe_best(is_best: bool) -> None:
        save(DIR_MODEL_LAST)
        if is_best:
            if (output_path / DIR_MODEL_BEST).exists():
                shutil.rmtree(output_path / DIR_MODEL_BEST)
            shutil.copytree(output_path / DIR_MODEL_LAST, output_path / DIR_MODEL_BEST)

    steps = train_while_improving(
        nlp,
        optimizer,
        create_train_batches(nlp, train_corpus, T["batcher"], T["max_epochs"]),
        evaluate,
        dropout=T["dropout"],
        accumulate_gradient=T["accumulate_gradient"],
        patience=T["patience"],
        max_steps=T["max_steps"],
        eval_frequency=T["eval_frequency"],
        exclude=frozen,
        annotating_components=T["annotating_components"],
        before_update=T["before_update"],
    )
    clean_output_dir(output_path)
    write = lambda text: print(text, file=stdout, flush=True)  # noqa: E731
    write(f"Pipeline: {nlp.pipe_names}; initial learn rate: {optimizer.learn_rate}")
    with nlp.select_pipes(disable=frozen):
        log_step, finalize_logger = T["logger"](nlp, stdout, sys.stderr)
    progress = None if show_bar else ProgressLine(write, T["max_steps"], T["eval_frequency"], progress_seconds)
    last_info: Dict[str, Any] = {}
    last_evaluated = -1
    completed = False
    deadline = None if max_minutes is None else time.perf_counter() + 60.0 * max_minutes
    try:
        for _batch, info, is_best in steps:
            summary.final_step = info["step"]
            if is_best is not None:
                last_evaluated = info["step"]
                new_best = summary.is_new_best(info["step"], info["score"])
                decayed = observe_dev_score(optimizer, info["score"]) if info["step"] > 0 else None
                if decayed:
                    write(f"step {info['step']}: {decayed}")
                if new_best:
                    summary.best_scores = dict(info["other_scores"])
                with nlp.select_pipes(disable=frozen):
                    update_meta(T, nlp, info)
                if output_path is not None:
                    nlp.meta["training"] = summary.meta(info["step"], info["score"])
                    save_last_and_maybe_best(new_best)
            last_info = info
            log_step(info if is_best is not None else None)
            if progress is not None:
                progress.step(info["step"], evaluated=is_best is not None)
            if deadline is not None and time.perf_counter() > deadline:
                summary.stopped_by_deadline = True
                write(f"step {info['step']}: the deadline (--max-minutes) has passed; evaluating this step and stopping")
                break
        if summary.final_step >= 0 and last_evaluated != summary.final_step:
            with nlp.use_params(optimizer.averages):
                score, other_scores = evaluate()
            info = dict(last_info, score=score, other_scores=other_scores)
            new_best = summary.is_new_best(summary.final_step, score)
            if new_best:
                summary.best_scores = dict(other_scores)
            with nlp.select_pipes(disable=frozen):
                update_meta(T, nlp, info)
            log_step(info)
            if output_path is not None:
                nlp.meta["training"] = summary.meta(summary.final_step, score)
                save_last_and_maybe_best(new_best)
        if summary.best_step is None and summary.evaluations:
            # only step 0 was evaluated and it is the final step: the final model is all there is
            summary.best_step, summary.best_score = summary.evaluations[-1]
            summary.best_scores = dict(last_info.get("other_scores") or {})
            if output_path is not None:
                save_last_and_maybe_best(True)
        summary.final_score = summary.evaluations[-1][1] if summary.evaluations else None
        completed = True
    finally:
        finalize_logger()
        if not completed and output_path is not None and summary.final_step >= 0:
            write(f"Training stopped early; saving the model as it is to {output_path / DIR_MODEL_LAST}")
            save(DIR_MODEL_LAST)
    if output_path is not None:
        mark_best(output_path, summary)
    return summary


def mark_best(output_path: Path, summary: TrainingSummary) -> None:
    """Write into each saved pipeline's meta.json which step it holds and every evaluation of the
    run (the file keeps its modification time: it still says when that model was saved)."""
    import os

    import srsly

    for name, step, score in (
        (DIR_MODEL_BEST, summary.best_step, summary.best_score),
        (DIR_MODEL_LAST, summary.final_step, summary.final_score),
    ):
        path = output_path / name / "meta.json"
        if not path.exists() or step is None:
            continue
        saved = path.stat()
        meta = srsly.read_json(path)
        meta["training"] = summary.meta(step, score)
        srsly.write_json(path, meta)
        os.utime(path, ns=(saved.st_atime_ns, saved.st_mtime_ns))
