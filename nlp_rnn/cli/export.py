"""``nlp-rnn export MODEL OUT --format onnx [--quantize]``: a pipeline that runs without torch."""

from pathlib import Path
from typing import Optional

import typer

from .app import THREADS_HELP, app, fail, load_pipeline_or_exit, printer, start

FORMATS = ("onnx",)


@app.command("export")
def export_command(
    model: Path = typer.Argument(..., help="Trained pipeline folder"),
    output: Path = typer.Argument(..., help="Folder for the exported pipeline (replaced if it exists)"),
    fmt: str = typer.Option("onnx", "--format", "-f", help="Export format: onnx"),
    quantize: bool = typer.Option(False, "--quantize", help="Dynamic int8 quantization of the matrix products and recurrent layers"),
    threads: Optional[int] = typer.Option(None, "--threads", "-t", metavar="N", help=THREADS_HELP),
) -> None:
    """Export rnn_intent / rnn_joint / rnn_tagger / rnn_translator / rnn_lm as ONNX graphs run by
    onnxruntime (the translator's search and the LM's sampling in numpy): the folder loads with
    spacy.load, nlp-rnn predict / translate / generate and nlp-rnn serve, and needs no torch."""
    if fmt not in FORMATS:
        raise fail(f"unknown export format {fmt!r}; supported: {', '.join(FORMATS)}")
    if output.resolve() == model.resolve():
        raise fail("the output folder must differ from the model folder")
    from ..export.requirements import ExportError, check_export_modules

    try:
        check_export_modules(quantize)  # before loading the model: a missing extra is one line
    except ExportError as error:
        raise fail(str(error))
    start(threads)
    nlp = load_pipeline_or_exit(model)
    from ..export.to_onnx import export_pipeline

    try:
        summary = export_pipeline(nlp, output, quantize=quantize)
    except ExportError as error:
        raise fail(str(error))
    msg = printer()
    for name, info in summary.items():
        kind = "int8 " if info["quantized"] else ""
        msg.good(f"{name} → {info['factory']} ({kind}ONNX, {info['bytes'] / 1e6:.1f} MB, outputs {', '.join(info['outputs'])})")
    msg.good(f"exported pipeline written to {output}")
