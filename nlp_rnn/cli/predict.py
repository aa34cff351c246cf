"""``nlp-rnn predict MODEL [TEXT ...]``: one JSON object per input (stdin lines without TEXT)."""

import sys
from pathlib import Path
from typing import List, Optional

import typer

from .app import BATCH_SIZE_HELP, GPU_HELP, THREADS_HELP, app, fail, load_pipeline_or_exit, start


@app.command("predict")
def predict_command(
    model: Path = typer.Argument(..., metavar="MODEL", help="Trained pipeline folder"),
    texts: Optional[List[str]] = typer.Argument(None, metavar="TEXT", help="Texts; read from stdin, one per line, when absent"),
    top_k: int = typer.Option(3, "--top-k", "-k", metavar="K", help="How many intents to rank"),
    batch_size: int = typer.Option(256, "--batch-size", "-b", metavar="N", help=BATCH_SIZE_HELP),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", metavar="ID", help=GPU_HELP),
    threads: Optional[int] = typer.Option(None, "--threads", "-t", metavar="N", help=THREADS_HELP),
    explain: bool = typer.Option(False, "--explain", help='Add "explanation": one occlusion weight per token for the predicted intent'),
    explain_html: Optional[Path] = typer.Option(None, "--explain-html", metavar="FILE", help="Also write the explanations as an HTML page, tokens shaded by weight (implies --explain)"),
) -> None:
    """Predict intents and slots. One JSON line per text: {"text", "intent", "confidence",
    "ranking": [{"intent", "score"}, ...top K], "slots": [{"start", "end", "text", "label",
    "confidence"}, ...]}, plus "out_of_scope" and "oos_score" when the pipeline rejects
    out-of-scope texts (intent null then), "translation" with a translator and "explanation"
    with --explain (or --explain-html). intent is null and ranking empty without an intent
    component; slots empty without a slot tagger."""
    explain = explain or explain_html is not None  # asking for the page is asking for explanations
    start(threads, gpu_id)
    import json

    from ..prediction import predict_texts

    nlp = load_pipeline_or_exit(model)
    if explain:  # before any output: a pipeline occlusion cannot explain is one line, not a traceback
        from ..explain.target import ExplainError, intent_component

        try:
            intent_component(nlp)
        except ExplainError as error:
            raise fail(str(error))
    source = texts if texts else (line.rstrip("\r\n") for line in sys.stdin)
    explanations = []
    for record in predict_texts(nlp, source, top_k=top_k, batch_size=batch_size):
        if explain:  # nlp_rnn.explain.occlusion: [{"text", "start", "end", "weight"}] per token
            from ..explain.occlusion import explain as explain_text

            explanations.append(explain_text(nlp, record["text"]))
            record["explanation"] = explanations[-1]["tokens"]
        typer.echo(json.dumps(record, ensure_ascii=False))
    if explain_html is not None:
        from ..explain.html import write_explanations_html

        write_explanations_html(explanations, explain_html)
