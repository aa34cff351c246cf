"""``nlp-rnn evaluate MODEL DATA.spacy``: a readable table, JSON metrics, optional plots.

``python -m spacy evaluate`` works on these pipelines too and shows the intent and slot scores in
its own TEXTCAT / NER rows (see the components' ``score``); this command adds per-intent
tables, span scores for any ``spans_key``, BLEU / chrF for translators, the confusion matrix plot and
a steady words/s figure.
"""

from pathlib import Path
from typing import Optional

import typer

from .app import BATCH_SIZE_HELP, GPU_HELP, THREADS_HELP, app, fail, printer, start


@app.command("evaluate")
def evaluate_command(
    model: Path = typer.Argument(..., metavar="MODEL", help="Trained pipeline folder (e.g. training/model-best)"),
    data: Path = typer.Argument(..., metavar="DATA", help="DocBin (.spacy) written by nlp-rnn convert"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="FILE", help="Write metrics JSON here"),
    plots: Optional[Path] = typer.Option(None, "--plots", metavar="DIR", help="Folder for the confusion-matrix PNG"),
    batch_size: int = typer.Option(256, "--batch-size", "-b", metavar="N", help=BATCH_SIZE_HELP),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", metavar="ID", help=GPU_HELP),
    threads: Optional[int] = typer.Option(None, "--threads", "-t", metavar="N", help=THREADS_HELP),
) -> None:
    """Score a pipeline: intent accuracy / macro F1 / per intent (of the decisions the pipeline
    makes: a rejected text is out of scope), rejections, out-of-scope figures and ECE, span P/R/F1
    / per label, exact match, BLEU / chrF, and words/s (the pipeline alone, after a warm-up;
    loading not counted)."""
    start(threads, gpu_id)
    import srsly

    from ..evaluation.evaluate import evaluate
    from ..loading import PipelineLoadError, load_pipeline

    try:
        nlp = load_pipeline(model)
        results = evaluate(nlp, data, batch_size=batch_size, plots_dir=plots)
    except (PipelineLoadError, FileNotFoundError, ValueError) as error:
        raise fail(str(error))
    print_results(results)
    if output is not None:
        srsly.write_json(output, results)
        printer().good(f"Saved metrics to {output}")


def print_prf_table(per_label: dict, title: str) -> None:
    """One row per label: precision, recall, F1 (percent) and support."""
    msg = printer()
    rows = [
        (label, f"{100 * s['precision']:.2f}", f"{100 * s['recall']:.2f}", f"{100 * s['f1']:.2f}", s["support"])
        for label, s in per_label.items()
    ]
    msg.table(rows, header=(title, "P", "R", "F1", "support"), divider=True, aligns=("l", "r", "r", "r", "r"))


def percent(value) -> str:
    """A 0-1 fraction as a percentage with 2 decimals; "n/a" for None."""
    return "n/a" if value is None else f"{100 * value:.2f}"


def intent_rows(results: dict) -> list:
    """The summary rows of an intent component: accuracy and macro F1 of the pipeline's
    decisions, what was rejected, the out-of-scope figures and the calibration error."""
    rows = [("intent accuracy", percent(results["intent_accuracy"])), ("intent macro F1", percent(results["intent_macro_f1"]))]
    if results.get("n_rejected") or "n_oos" in results:
        rows.append(("rejected (out of scope)", f"{results['n_rejected']} of {results['n_docs']} ({percent(results['rejection_rate'])}%)"))
    if "top_intent_accuracy" in results:
        rows.append(("intent accuracy without rejection (top intent)", percent(results["top_intent_accuracy"])))
    if "n_oos" in results:
        rows += [
            ("gold out-of-scope documents", results["n_oos"]),
            ("in-scope accuracy (rejection = error)", percent(results["in_scope_accuracy"])),
            ("out-of-scope P / R / F1", " / ".join(percent(results[k]) for k in ("oos_precision", "oos_recall", "oos_f1"))),
            ("macro F1 (intents + out of scope)", percent(results["macro_f1_open"])),
        ]
        if "oos_auroc" in results:
            rows.append(("out-of-scope AUROC / FPR at 95% TPR", f"{percent(results['oos_auroc'])} / {percent(results['oos_fpr_at_95_tpr'])}"))
    if "ece" in results:
        ece = percent(results["ece"])
        if "ece_before_temperature" in results:
            ece += f" (before temperature scaling, T = {results['temperature']:.3f}: {percent(results['ece_before_temperature'])})"
        rows.append(("ECE, 15 bins (calibration error)", ece))
    return rows


def print_results(results: dict) -> None:
    """Summary lines, a per-intent table (with the out-of-scope class when the gold data has
    out-of-scope docs) and a per-slot table."""
    msg = printer()
    summary = [("documents", results["n_docs"]), ("words/s (pipeline, after warm-up)", f"{results['words_per_second']:,.0f}")]
    if "intent_accuracy" in results:
        summary = intent_rows(results) + summary
    if "span_f1" in results:
        summary += [
            ("span P / R / F1", " / ".join(f"{100 * results[k]:.2f}" for k in ("span_precision", "span_recall", "span_f1"))),
            ("gold spans the tokenizer cannot express", f"{results['unreachable_spans']} ({100 * results['unreachable_fraction']:.2f}%)"),
        ]
    if "bleu" in results:
        summary += [
            ("BLEU / chrF", f"{100 * results['bleu']:.2f} / {100 * results['chrf']:.2f}"),
            ("sentences/s", f"{results['sentences_per_second']:,.1f}"),
        ]
    if "exact_match" in results:
        summary.append(("exact match", f"{100 * results['exact_match']:.2f}"))
    if "cross_entropy_nats" in results:
        summary += [
            ("cross-entropy (nats/char) / bits/char", f"{results['cross_entropy_nats']:.4f} / {results['bits_per_char']:.4f}"),
            ("perplexity", f"{results['perplexity']:.3f}"),
            ("chars/s (scoring)", f"{results['chars_per_second']:,.0f}"),
        ]
    if "well_formed_rate" in results:
        summary.append((f"well-formed samples (of {results['n_samples']})", f"{100 * results['well_formed_rate']:.1f}%"))
    msg.table(summary, title="Results", max_col=60)
    if "per_intent" in results:
        from ..evaluation.intent_decisions import OUT_OF_SCOPE

        per_intent = dict(results["per_intent"])
        if "n_oos" in results:
            per_intent[OUT_OF_SCOPE] = {"precision": results["oos_precision"], "recall": results["oos_recall"],
                                        "f1": results["oos_f1"], "support": results["n_oos"]}
        print_prf_table(per_intent, "intent")
    if "per_label" in results:
        print_prf_table(results["per_label"], "slot")
    if "confusion_matrix_png" in results:
        msg.info(f"Confusion matrix: {results['confusion_matrix_png']}")
