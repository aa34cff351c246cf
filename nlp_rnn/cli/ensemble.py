"""``nlp-rnn ensemble MODEL MODEL … --output DIR``: trained joint pipelines (taggers, intent
classifiers) of the same data, e.g. seeds, as one pipeline whose component averages theirs
(:mod:`nlp_rnn.pipeline.ensemble_pipe`)."""

from pathlib import Path
from typing import List, Optional

import typer

from .app import THREADS_HELP, app, fail, printer, start


@app.command("ensemble")
def ensemble_command(
    models: List[Path] = typer.Argument(..., metavar="MODEL...", help="Two or more trained pipeline folders of the same data (e.g. seeds' model-best)"),
    output: Path = typer.Option(..., "--output", "-o", metavar="DIR", help="Folder for the ensemble pipeline (spacy.load it like any other)"),
    component: Optional[str] = typer.Option(None, "--component", "-c", metavar="NAME", help="Component to ensemble (default: the only rnn_joint / rnn_tagger / rnn_intent)"),
    threads: Optional[int] = typer.Option(None, "--threads", "-t", metavar="N", help=THREADS_HELP),
) -> None:
    """One pipeline from K trained ones: the mean of their intent probabilities and slot tag
    marginals (the best well-formed path through them; intent classifiers: their scores). About K× slower per text than one model;
    more accurate (benchmarks/results/ensemble_*.md)."""
    start(threads)
    from ..loading import PipelineLoadError
    from ..pipeline.ensemble_pipe import build_ensemble, members_reject_out_of_scope

    try:
        nlp = build_ensemble(models, component)
    except (PipelineLoadError, ValueError) as error:
        raise fail(str(error))
    for name in members_reject_out_of_scope(nlp):
        printer().warn(f"{name}: the members reject out-of-scope texts; the ensemble does not (doc._.oos_score stays None, doc._.out_of_scope False)")
    nlp.to_disk(output)
    printer().good(f"ensemble of {len(models)} pipelines: {output}")
