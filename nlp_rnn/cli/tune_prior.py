"""``nlp-rnn tune-prior MODEL [DEV.spacy]``: choose the intent prior correction of a saved pipeline on
dev data (``nlp-rnn train`` does this itself; this is for pipelines trained with ``spacy train``)."""

from pathlib import Path
from typing import Dict, Optional

import typer

from .app import THREADS_HELP, app, fail, printer, start


def tune_saved_prior(model_dir: Path, dev: Optional[Path] = None) -> Dict[str, Dict]:
    """Choose ``prior_weight`` of the saved pipeline's intent components on ``dev`` (default: the
    ``paths.dev`` it was trained with) and save each tuned component's settings in place.
    Returns what :func:`tune_prior_weights` chose (empty when there is nothing to tune)."""
    from ..training.cached_corpus import CachedCorpus

    from ..loading import load_pipeline
    from ..pipeline.intent_prior import tune_prior_weights
    from .saved_config import write_settings_into_config

    msg = printer()
    nlp = load_pipeline(model_dir)
    if not any(getattr(pipe, "cfg", {}).get("intent_prior") for _, pipe in nlp.pipeline):
        return {}
    dev = dev or nlp.config["paths"].get("dev")
    if not dev:
        msg.warn(f"{model_dir}: no dev data to choose the intent prior correction on; left at its configured value")
        return {}
    if not Path(dev).exists():
        raise FileNotFoundError(f"dev data not found: {dev}")
    chosen = tune_prior_weights(nlp, list(CachedCorpus(dev)(nlp)))
    for name, result in chosen.items():
        nlp.get_pipe(name).to_disk(Path(model_dir) / name)
        accuracy = ", ".join(f"{w:g}: {100 * a:.2f}" for w, a in result["dev_accuracy"].items())
        msg.info(f"{model_dir} {name}: prior_weight = {result['prior_weight']:g} (dev intent accuracy {accuracy})")
    if chosen:
        write_settings_into_config(Path(model_dir), chosen)  # config.cfg agrees with the components' cfg
    return chosen


@app.command("tune-prior")
def tune_prior_command(
    model: Path = typer.Argument(..., metavar="MODEL", help="Trained pipeline folder (e.g. training/model-best)"),
    dev: Optional[Path] = typer.Argument(None, metavar="DEV", help="Dev DocBin (.spacy); default: the paths.dev the pipeline was trained with"),
    threads: Optional[int] = typer.Option(None, "--threads", "-t", metavar="N", help=THREADS_HELP),
) -> None:
    """Set prior_weight (intent prior correction) to the value with the best dev intent accuracy."""
    start(threads)
    from ..loading import PipelineLoadError

    try:
        chosen = tune_saved_prior(model, dev)
    except (PipelineLoadError, FileNotFoundError, ValueError) as error:
        raise fail(str(error))
    if not chosen:
        printer().warn(f"{model}: no intent component with a training prior to tune")
