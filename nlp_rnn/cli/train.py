"""``nlp-rnn train``: spaCy's own training loop on a config from ``pipelines/``."""

from pathlib import Path
from typing import Optional

import typer
from spacy.cli._util import parse_config_overrides
from spacy.cli.train import train as spacy_train

from .app import app
from .tune_prior import tune_saved_prior


def train(config: Path, output: Optional[Path], gpu_id: int = -1, overrides: Optional[dict] = None, tune_prior: bool = True) -> None:
    """Train with spaCy; ``output`` receives ``model-best`` and ``model-last``. With ``tune_prior``,
    the intent prior correction of both is then chosen on the dev set (:func:`tune_saved_prior`)."""
    import nlp_rnn.pipeline.intent  # noqa: F401  (registers factories without an install)

    spacy_train(config, output, use_gpu=gpu_id, overrides=overrides or {})
    if tune_prior and output is not None:
        for name in ("model-best", "model-last"):
            if (output / name).exists():
                tune_saved_prior(output / name)


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
