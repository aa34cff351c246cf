"""``nlp-rnn convert``: any supported input → a spaCy ``.spacy`` DocBin.

Only the format registry (no spaCy, no torch) is imported here; the conversion itself is
imported inside the command, so ``nlp-rnn --help`` stays fast.
"""

from pathlib import Path
from typing import Optional

import typer

from ..data.convert import FORMATS
from .app import app

FORMAT_HELP = "Input format: " + "; ".join(f"{f.name}: {f.description}" for f in FORMATS.values())


@app.command("convert")
def convert_command(
    input_path: str = typer.Argument(
        ...,
        metavar="INPUT",
        help="Input file or folder; for --format hf a hub dataset name or a local data file.",
    ),
    output: Path = typer.Argument(..., metavar="OUTPUT", help="The .spacy file to write."),
    fmt: str = typer.Option(..., "--format", "-f", metavar="FORMAT", help=FORMAT_HELP),
    lang: str = typer.Option(
        ..., "--lang", "-l", metavar="LANG", help="Language code: picks the tokenizer (zh: jieba)."
    ),
    skip_invalid: bool = typer.Option(
        False,
        "--skip-invalid/--no-skip-invalid",
        metavar="",
        help="Skip and count bad records instead of stopping at the first.",
    ),
    user_dict: Optional[Path] = typer.Option(
        None, "--user-dict", metavar="FILE", help="jieba user dictionary (zh only)."
    ),
    text_column: Optional[str] = typer.Option(
        None, "--text-column", metavar="NAME", help="csv, hf: the text column (csv: its header name)."
    ),
    intent_column: Optional[str] = typer.Option(
        None,
        "--label-column",
        "--intent-column",
        metavar="NAME",
        help="csv, hf: the intent (label) column (csv: its header name).",
    ),
    split: Optional[str] = typer.Option(
        None, "--split", metavar="SPLIT", help="hf: dataset split (default: train)."
    ),
    config: Optional[str] = typer.Option(
        None, "--config", metavar="NAME", help="hf: dataset configuration name."
    ),
    doc_per: Optional[str] = typer.Option(
        None, "--doc-per", metavar="UNIT", help="text: one document per 'file' (default: running text such as a play) or per non-blank 'line' (e.g. a poem per line)."
    ),
    oos_label: Optional[str] = typer.Option(
        None, "--oos-label", metavar="LABEL", help="The gold label meaning out of scope (e.g. oos): such docs get no positive intent (all cats 0)."
    ),
) -> None:
    """Convert intent / slot data into a spaCy DocBin (slots as doc.ents, intents as doc.cats).
    An input without a single record is an error (nothing is written)."""
    from ..data.convert import convert
    from ..data.records import InvalidRecordError

    try:
        report = convert(
            input_path,
            output,
            fmt,
            lang,
            skip_invalid=skip_invalid,
            user_dict=user_dict,
            text_column=text_column,
            intent_column=intent_column,
            split=split,
            config=config,
            doc_per=doc_per,
            oos_label=oos_label,
        )
    except (InvalidRecordError, ValueError, ImportError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)
    typer.echo(report.summary())
