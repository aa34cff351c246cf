"""``nlp-rnn convert``: any supported input → a spaCy ``.spacy`` DocBin."""

from pathlib import Path
from typing import Optional

import typer

from ..data.convert import FORMATS, convert
from ..data.records import InvalidRecordError
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
    fmt: str = typer.Option(..., "--format", "-f", help=FORMAT_HELP),
    lang: str = typer.Option(
        ..., "--lang", "-l", help="Language code: picks the tokenizer (zh: jieba)."
    ),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Skip and count bad records instead of stopping at the first."
    ),
    user_dict: Optional[Path] = typer.Option(
        None, "--user-dict", help="jieba user dictionary (zh only)."
    ),
    text_column: Optional[str] = typer.Option(
        None, "--text-column", help="hf: text column (default: text)."
    ),
    intent_column: Optional[str] = typer.Option(
        None, "--intent-column", help="hf: intent column (default: intent)."
    ),
    split: Optional[str] = typer.Option(
        None, "--split", help="hf: dataset split (default: train)."
    ),
    config: Optional[str] = typer.Option(None, "--config", help="hf: dataset configuration name."),
) -> None:
    """Convert intent / slot data into a spaCy DocBin (slots as doc.ents, intents as doc.cats)."""
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
        )
    except (InvalidRecordError, ValueError, ImportError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)
    typer.echo(report.summary())
