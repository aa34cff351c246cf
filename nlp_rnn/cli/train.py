"""``nlp-rnn train``: spaCy's own training loop on a config from ``pipelines/``."""

from pathlib import Path
from typing import Optional

import spacy
import typer
from spacy.cli._util import parse_config_overrides
from spacy.cli.train import train as spacy_train
from spacy.training import Corpus
from wasabi import msg

from ..pipeline.intent_prior import tune_prior_weights

from .app import app


def train(config: Path, output: Optional[Path], gpu_id: int = -1, overrides: Optional[dict] = None, tune_prior: bool = True) -> None:
    """Train with spaCy; ``output`` receives ``model-best`` and ``model-last``. With ``tune_prior``,
    the intent prior correction of both is then chosen on the dev set (:func:`tune_saved_prior`)."""
    import nlp_rnn.pipeline.intent  # noqa: F401  (registers factories without an install)

    spacy_train(config, output, use_gpu=gpu_id, overrides=overrides or {})
    if tune_prior and output is not None:
        for name in ("model-best", "model-last"):
            if (output / name).exists():
                tune_saved_prior(output / name)


def tune_saved_prior(model_dir: Path, dev: Optional[Path] = None) -> None:
    """Choose ``prior_weight`` of the saved pipeline's intent components on ``dev`` (default: the
    ``paths.dev`` it was trained with) and save each tuned component's settings in place."""
    nlp = spacy.load(model_dir)
    dev = dev or nlp.config["paths"].get("dev")
    if not any(getattr(pipe, "cfg", {}).get("intent_prior") for _, pipe in nlp.pipeline):
        return
    if not dev:
        msg.warn(f"{model_dir}: no dev data to choose the intent prior correction on; left at its configured value")
        return
    chosen = tune_prior_weights(nlp, list(Corpus(dev)(nlp)))
    for name, result in chosen.items():
        nlp.get_pipe(name).to_disk(model_dir / name)
        accuracy = ", ".join(f"{w:g}: {100 * a:.2f}" for w, a in result["dev_accuracy"].items())
        msg.info(f"{model_dir} {name}: prior_weight = {result['prior_weight']:g} (dev intent accuracy {accuracy})")


@app.command(
    "train",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def train_command(
    ctx: typer.Context,
    config: Path = typer.Argument(..., exists=True, dir_okay=False, help="Config file, e.g. pipelines/intent_en.cfg"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Output folder for model-best / model-last"),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", help="GPU id, -1 for CPU"),
    tune_prior: bool = typer.Option(True, help="Choose the intent prior correction (prior_weight) on the dev set after training"),
) -> None:
    """Train a pipeline. Any dotted config override works: --paths.train X --training.max_epochs 5."""
    train(config, output, gpu_id, parse_config_overrides(ctx.args), tune_prior)
