"""``nlp-rnn translate MODEL [TEXT ...]``: one JSON object per input (stdin lines without TEXT)."""

import json
import sys
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional

import typer

from .app import BATCH_SIZE_HELP, GPU_HELP, THREADS_HELP, app, fail, load_pipeline_or_exit, start


def plot_path(base: Path, index: int, total: int) -> Path:
    """``base`` for a single input, else ``base`` with ``_<index>`` (1-based) before the suffix."""
    if total == 1:
        return base
    return base.with_name(f"{base.stem}_{index}{base.suffix or '.png'}")


def translate_texts(
    nlp,
    texts: Iterable[str],
    *,
    beam_size: Optional[int] = None,
    batch_size: int = 64,
    plot_attention_to: Optional[Path] = None,
    n_texts: int = 0,
) -> Iterator[Dict]:
    """Stream ``{"source", "translation"}`` per text, in input order.

    ``beam_size`` overrides the pipeline's (1 = greedy). With ``plot_attention_to`` each
    translation's attention heat map is written there (``_<n>`` added when ``n_texts`` != 1) and
    the record gets ``"attention_plot"`` (and ``"warning"`` when CJK glyphs could not be drawn).
    """
    from ..evaluation.attention_plot import plot_attention
    from ..evaluation.translation_metrics import translator_pipe

    found = translator_pipe(nlp)
    if found is None:
        raise ValueError("this pipeline has no translator (rnn_translator) component")
    _, pipe = found
    if beam_size is not None:
        if beam_size < 1:
            raise ValueError("--beam must be >= 1")
        pipe.beam_size = beam_size
    if plot_attention_to is not None:
        if pipe.hparams.get("attention") == "none":
            raise ValueError("this model was trained with attention = none: there is no attention to plot")
        pipe.store_attention = True
    for index, doc in enumerate(nlp.pipe(texts, batch_size=batch_size), start=1):
        record: Dict = {"source": doc.text, "translation": doc._.translation}
        if plot_attention_to is not None:
            attention = doc._.translation_attention or {"source": [], "target": [], "weights": []}
            path, warning = plot_attention(
                attention["source"],
                attention["target"],
                attention["weights"],
                plot_path(Path(plot_attention_to), index, n_texts),
                title=f"{doc.text} → {doc._.translation}",
            )
            record["attention_plot"] = str(path)
            if warning:
                record["warning"] = warning
        yield record


@app.command("translate")
def translate_command(
    model: Path = typer.Argument(..., metavar="MODEL", help="Trained pipeline folder with an rnn_translator"),
    texts: Optional[List[str]] = typer.Argument(None, metavar="TEXT", help="Texts; read from stdin, one per line, when absent"),
    beam: Optional[int] = typer.Option(None, "--beam", metavar="N", help="Beam size (1 = greedy; default: the pipeline's)"),
    batch_size: int = typer.Option(64, "--batch-size", "-b", metavar="N", help=BATCH_SIZE_HELP),
    plot_attention_to: Optional[Path] = typer.Option(
        None, "--plot-attention", metavar="PNG", help="Write the attention heat map PNG here (_N added for several inputs)"
    ),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", metavar="ID", help=GPU_HELP),
    threads: Optional[int] = typer.Option(None, "--threads", "-t", metavar="N", help=THREADS_HELP),
) -> None:
    """Translate: one JSON line per text, {"source", "translation"} (+ "attention_plot" with --plot-attention)."""
    start(threads, gpu_id)
    nlp = load_pipeline_or_exit(model)
    if texts:
        source: Iterable[str] = texts
        n_texts = len(texts)
    else:
        source = [line.rstrip("\r\n") for line in sys.stdin] if plot_attention_to else (
            line.rstrip("\r\n") for line in sys.stdin
        )
        n_texts = len(source) if isinstance(source, list) else 0
    warned = False
    try:
        for record in translate_texts(
            nlp, source, beam_size=beam, batch_size=batch_size,
            plot_attention_to=plot_attention_to, n_texts=n_texts,
        ):
            warning = record.pop("warning", None)
            if warning and not warned:
                typer.echo(f"warning: {warning}", err=True)
                warned = True
            typer.echo(json.dumps(record, ensure_ascii=False))
    except ValueError as error:
        raise fail(str(error))
