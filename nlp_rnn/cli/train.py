"""``nlp-rnn train``: spaCy's training loop on a config from ``pipelines/``, with checks first.

Before anything is created: every ``--section.key`` override is checked against the config
(:mod:`nlp_rnn.training.overrides`) and the train / dev data are checked
(:mod:`nlp_rnn.training.inputs`); each problem is one line. Training then runs spaCy's loop with
the final step always evaluated and never an untrained ``model-best``
(:mod:`nlp_rnn.training.loop`), the intent prior correction, the temperature and the
out-of-scope settings are chosen on dev (out-of-scope scoring is turned on when train or dev hold
out-of-scope examples), and the run ends with where the models are, their dev scores and whether
the pipeline can answer "out of scope".
"""

from pathlib import Path
from typing import Dict, Optional

import typer

from .app import GPU_HELP, THREADS_HELP, app, fail, printer, start


class TrainingSetupError(ValueError):
    """The config, an override or the data cannot start a training (one line for the user)."""


def prepare_training(config_path: Path, overrides: Dict, gpu_id: int = -1):
    """Load the config with ``overrides``, check overrides and data, build and initialize the
    pipeline. Returns the initialized ``nlp``; raises :class:`TrainingSetupError` (first of all
    when torch is not installed: every trainable component needs it)."""
    from spacy import util
    from spacy.training.initialize import init_nlp
    from thinc.api import ConfigValidationError

    from ..torch_requirement import TORCH_MISSING, torch_installed
    from ..training.inputs import check_training_data
    from ..training.overrides import check_overrides

    if not torch_installed():
        raise TrainingSetupError(TORCH_MISSING)
    try:
        written = util.load_config(config_path, interpolate=False)
        check_overrides(written, overrides)
        config = util.load_config(config_path, overrides=overrides, interpolate=False)
        check_training_data(config.interpolate())
        nlp = init_nlp(config, use_gpu=gpu_id)
        refuse_training_dropout(nlp)
        return nlp
    except ConfigValidationError as error:
        raise TrainingSetupError(f"{config_path}: {one_line(str(error))}") from None
    except (ValueError, KeyError, OSError) as error:
        raise TrainingSetupError(one_line(str(error))) from None


def refuse_training_dropout(nlp) -> None:
    """Before the first step: a ``[training] dropout`` other than 0 for a pipeline that trains an
    nlp_rnn component is refused (:class:`~nlp_rnn.pipeline.rnn_pipe.DropoutRefused`, one line),
    as that component's first update would refuse it."""
    from ..pipeline.rnn_pipe import RNNPipe, refuse_drop

    training = nlp.config.get("training", {})
    frozen = set(training.get("frozen_components") or [])
    for name, pipe in nlp.pipeline:
        if isinstance(pipe, RNNPipe) and name not in frozen:
            refuse_drop(name, training.get("dropout") or 0.0)


def one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def train(
    config: Path, output: Optional[Path], gpu_id: int = -1, overrides: Optional[dict] = None, tune_prior: bool = True,
    max_minutes: Optional[float] = None,
):
    """Train with spaCy; ``output`` receives ``model-best`` and ``model-last``. With ``tune_prior``,
    the intent prior correction of both is then chosen on the dev set (:func:`tune_saved_prior`).
    ``max_minutes``: a deadline counted from this call; the step that passes it is the last one
    and is evaluated. Returns the :class:`~nlp_rnn.training.loop.TrainingSummary`."""
    import sys
    import time

    started = time.perf_counter()

    from ..training.loop import train_pipeline
    from .tune_prior import tune_saved_prior

    if gpu_id >= 0:
        from spacy.cli._util import setup_gpu

        setup_gpu(gpu_id)
    nlp = prepare_training(config, overrides or {}, gpu_id)
    for name, folder in pretrained_encoders(nlp.config).items():
        printer().info(f"{name}: encoder weights and vocabularies loaded from the pretrained encoder {folder} (init_encoder)")
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
    left = None if max_minutes is None else max(0.0, max_minutes - (time.perf_counter() - started) / 60.0)
    summary = train_pipeline(nlp, output, use_gpu=gpu_id, stdout=sys.stdout, max_minutes=left)
    if tune_prior and output is not None:
        for name in ("model-best", "model-last"):
            if (output / name).exists():
                tune_saved_prior(output / name)
    if output is not None:
        from .tune_oos import tune_after_training

        tune_after_training(output)  # temperature, out-of-scope Gaussians and threshold, on dev
    return summary


def pretrained_encoders(config) -> Dict[str, str]:
    """{component: folder} of the ``[initialize.components.NAME] init_encoder`` settings in use."""
    components = (config.get("initialize") or {}).get("components") or {}
    return {name: str(s["init_encoder"]) for name, s in components.items() if isinstance(s, dict) and s.get("init_encoder")}


#: scores that are not fractions (shown as they are, with their unit, not as percentages)
SCORE_UNITS = {"lm_cross_entropy": "nats/char", "lm_bits_per_char": "bits/char", "lm_perplexity": "", "lm_char_prob": ""}


def show_score(key: str, value: float) -> str:
    """``key value``: a fraction as a percentage, a language-model score with its unit."""
    if key in SCORE_UNITS:
        return f"{key} {value:.4f} {SCORE_UNITS[key]}".rstrip()
    return f"{key} {100 * value:.2f}"


def chosen_prior_weights(model_dir: Path) -> Dict[str, float]:
    """{component: prior_weight} of the saved components whose prior correction ``nlp-rnn train`` /
    ``tune-prior`` chose on dev and is not 0 (read from each component's ``cfg``)."""
    from .saved_config import saved_component_cfgs

    return {name: cfg["prior_weight"] for name, cfg in saved_component_cfgs(model_dir).items()
            if cfg.get("prior_weight") and "prior_weight_dev_accuracy" in cfg}


def report(output: Optional[Path], summary) -> None:
    """The last lines of a training: where the models are, their dev scores and whether
    model-best can answer "out of scope" (:func:`nlp_rnn.cli.oos_status.out_of_scope_lines`)."""
    from .oos_status import out_of_scope_lines

    msg = printer()
    scores = {k: summary.best_scores.get(k) for k in summary.score_keys}
    details = ", ".join(show_score(k, v) for k, v in scores.items() if isinstance(v, (int, float)))
    if output is None:
        best = "" if summary.best_score is None else f"; best dev score {summary.best_score:.4f} at step {summary.best_step}"
        msg.good(f"Trained (no --output: nothing saved){best}")
        return
    if summary.best_step is not None:
        msg.good(
            f"model-best: {output / 'model-best'} (step {summary.best_step}, dev score {summary.best_score:.4f}"
            + (f"; {details}" if details else "") + ")"
        )
    if summary.stopped_by_deadline:
        msg.info(f"Stopped by --max-minutes after step {summary.final_step}")
    if summary.final_score is not None:
        msg.good(f"model-last: {output / 'model-last'} (step {summary.final_step}, dev score {summary.final_score:.4f})")
    if chosen_prior_weights(output / "model-best"):
        msg.info("Dev scores are before the prior correction chosen above")
    for line in out_of_scope_lines(output / "model-best"):
        msg.info(line)
    msg.info("Evaluate with: nlp-rnn evaluate MODEL TEST.spacy")


@app.command(
    "train",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def train_command(
    ctx: typer.Context,
    config: Path = typer.Argument(..., metavar="CONFIG", exists=True, dir_okay=False, help="Config file, e.g. pipelines/intent_en.cfg"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="DIR", help="Output folder for model-best / model-last"),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", metavar="ID", help=GPU_HELP),
    tune_prior: bool = typer.Option(True, "--tune-prior/--no-tune-prior", help="Choose the intent prior correction (prior_weight) on the dev set after training"),
    threads: Optional[int] = typer.Option(None, "--threads", "-t", metavar="N", help=THREADS_HELP),
    max_minutes: Optional[float] = typer.Option(None, "--max-minutes", min=0.0, metavar="M", help="Deadline: the step that ends after M minutes (counted from the start) is the last; it is evaluated and model-best is the best evaluation so far"),
) -> None:
    """Train a pipeline. Any dotted config override works: --paths.train X --training.max_epochs 5
    (each is checked against the config). The final step is always evaluated; model-best is the
    best evaluation after step 0. Intent models are then fitted on dev, in model-best and
    model-last: the prior correction (prior_weight; see --no-tune-prior), the temperature
    (calibrated confidences) and, with an oos.score, the out-of-scope threshold."""
    start(threads)
    from spacy.cli._util import parse_config_overrides

    try:
        overrides = parse_config_overrides(ctx.args)
    except SystemExit:
        raise fail(f"cannot read the overrides {' '.join(ctx.args)}: give them as --section.key VALUE")
    try:
        summary = train(config, output, gpu_id, overrides, tune_prior, max_minutes)
    except TrainingSetupError as error:
        raise fail(str(error))
    report(output, summary)
