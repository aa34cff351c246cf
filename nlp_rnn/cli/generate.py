"""``nlp-rnn generate MODEL``: stream characters sampled from an ``rnn_lm`` pipeline."""

import sys
from pathlib import Path
from typing import Callable, Iterable, Optional

import typer

from .app import THREADS_HELP, app, fail, load_pipeline_or_exit, start


class SampleWriter:
    """Writes samples as they stream, one blank line between samples; line breaks at the end of
    a sample are held back and dropped, so the separation is exactly one blank line."""

    def __init__(self, write: Callable[[str], None], flush: Callable[[], None]):
        self.write, self.flush = write, flush
        self.samples = 0

    def sample(self, prompt: str, chars: Iterable[str]) -> int:
        """Write one sample (prompt first); returns the number of sampled characters."""
        if self.samples:
            self.write("\n\n")
        self.samples += 1
        if prompt:
            self.write(prompt)
            self.flush()
        held, count = "", 0
        for char in chars:
            count += 1
            if char in ("\n", "\r"):
                held += char
                continue
            if held:
                self.write(held)
                held = ""
            self.write(char)
            self.flush()
        return count


@app.command("generate")
def generate_command(
    model: Path = typer.Argument(..., help="Trained pipeline folder with an rnn_lm component"),
    prompt: str = typer.Option("", "--prompt", help="Text the samples start with"),
    length: int = typer.Option(
        500, "--length", metavar="N",
        help="Characters to sample after the prompt; where the model ends a document a line break is written and a new one starts",
    ),
    stop_at_end: Optional[bool] = typer.Option(
        None, "--stop-at-end/--no-stop-at-end",
        help="End a sample where the model ends a document (one poem, one utterance), even before --length [default: no]",
    ),
    temperature: float = typer.Option(1.0, "--temperature", help="Sampling temperature; 0 = greedy"),
    top_k: int = typer.Option(0, "--top-k", "-k", help="Sample from the k most likely characters only (0: off)"),
    top_p: float = typer.Option(1.0, "--top-p", help="Nucleus sampling: the most likely characters up to probability p (1: off)"),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed gives the same text"),
    num: int = typer.Option(1, "--num", help="Number of samples, separated by one blank line"),
    form: Optional[str] = typer.Option(None, "--form", help="Regulated verse: 5x4 | 7x4 | 5x8 | 7x8 (lines of 5/7 characters, ， and 。)"),
    threads: Optional[int] = typer.Option(None, "--threads", "-t", metavar="N", help=THREADS_HELP),
) -> None:
    """Sample text from a character language model, streamed as it is sampled: --length
    characters after the prompt (--stop-at-end: up to the end of the model's document)."""
    start(threads)
    from ..generation.generator import lm_pipe, sample_characters
    from ..generation.sampling import check_sampling
    from ..generation.verse_form import VerseForm

    try:
        if num < 1:
            raise ValueError(f"--num must be >= 1, not {num}")
        check_sampling(temperature, top_k, top_p)
        if form is not None:
            VerseForm.parse(form)
    except ValueError as error:
        raise fail(str(error))
    nlp = load_pipeline_or_exit(model)
    writer = SampleWriter(sys.stdout.write, sys.stdout.flush)
    warned = []

    def warn(message: str) -> None:
        if not warned:
            typer.echo(f"warning: {message}", err=True)
            warned.append(message)

    try:
        pipe = lm_pipe(nlp)
        ending = {} if stop_at_end is None else {"stop_at_end": stop_at_end}  # the default is the generator's
        for index in range(num):
            chars = sample_characters(
                pipe, prompt, length=length, temperature=temperature, top_k=top_k, top_p=top_p,
                form=form, seed=seed, index=index, warn=warn, **ending,
            )
            writer.sample(prompt, chars)
    except ValueError as error:
        if writer.samples:
            sys.stdout.write("\n")
        sys.stdout.flush()
        raise fail(str(error))
    sys.stdout.write("\n")
    sys.stdout.flush()
