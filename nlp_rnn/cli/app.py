"""The typer application every ``nlp-rnn`` command registers on.

Nothing heavy is imported here or at the top of any command module: spaCy and torch load inside
the command functions (after ``--threads`` is applied), so ``nlp-rnn --help`` and argument errors
come back at once.
"""

import os
import sys
from pathlib import Path

import typer
from typer.core import TyperGroup


class CommandGroup(TyperGroup):
    """The command group: every argument is shown in upper case (``MODEL``, not ``model``) in
    usage lines and help, whether or not its command gave a metavar."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for command in self.commands.values():
            for param in command.params:
                if param.param_type_name == "argument" and param.metavar is None and param.name:
                    param.metavar = param.name.upper()


app = typer.Typer(
    cls=CommandGroup,
    name="nlp-rnn",
    help=(
        "Recurrent-network NLP for spaCy: convert data, train, evaluate, predict, translate and "
        "annotate large corpora. Run 'nlp-rnn COMMAND --help' for a command's options."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain click help: flags without a "<bool>" type column, text re-wrapped to the terminal,
    # no box drawing in logs
    rich_markup_mode=None,
)

THREADS_HELP = (
    "CPU threads for torch (default: $NLP_RNN_THREADS, else $OMP_NUM_THREADS, else 2 or the CPUs "
    "if fewer; idle threads sleep). On a machine shared with other jobs use 1. See README 'Threads'."
)
GPU_HELP = "GPU id, -1 for CPU"
BATCH_SIZE_HELP = "Texts per batch given to the pipeline (nlp.pipe batch_size)"


@app.callback()
def plain_output_when_piped() -> None:
    """No colour codes when the output is not a terminal (a log file, a pipe)."""
    if not sys.stdout.isatty():
        os.environ.setdefault("ANSI_COLORS_DISABLED", "1")


class Messages:
    """wasabi's message look (✔ ✘ ⚠ ℹ) on one line each: wasabi wraps every message at 80
    columns, which breaks paths and commands across lines in logs. Colour only on a terminal."""

    STYLES = {"good": ("✔", "green"), "fail": ("✘", "red"), "warn": ("⚠", "yellow"), "info": ("ℹ", "blue")}

    def _say(self, kind: str, text: str) -> None:
        icon, colour = self.STYLES[kind]
        line = f"{icon} {text}"
        if sys.stdout.isatty() and not os.environ.get("ANSI_COLORS_DISABLED"):
            from wasabi.util import color

            line = color(line, fg=colour)
        print(line, flush=True)

    def good(self, text: str) -> None:
        self._say("good", text)

    def fail(self, text: str) -> None:
        self._say("fail", text)

    def warn(self, text: str) -> None:
        self._say("warn", text)

    def info(self, text: str) -> None:
        self._say("info", text)

    def table(self, data, title: str = "", **kwargs) -> None:
        """wasabi's table; the title as a plain ``=== title ===`` line (wasabi makes it bold
        even when colours are off)."""
        from wasabi import Printer

        if title:
            print(f"\n{'=' * 3} {title} {'=' * 3}")
        Printer().table(data, **kwargs)


def printer() -> Messages:
    """Where commands print their messages."""
    return Messages()


def fail(message: str, code: int = 1) -> "typer.Exit":
    """Print one error line and return the exit to raise: ``raise fail("...")``."""
    printer().fail(message)
    return typer.Exit(code)


def start(threads, gpu_id: int = -1) -> None:
    """What every command running a model does first: thread settings (before torch is
    imported), then the GPU when one is asked for. Bad values end the command with one line."""
    from ..threads import prepare_threads

    try:
        prepare_threads(threads)
    except ValueError as error:
        raise fail(str(error))
    if gpu_id >= 0:
        import spacy

        try:
            spacy.require_gpu(gpu_id)
        except Exception as error:  # no cupy / no device: thinc raises several kinds
            raise fail(f"cannot use GPU {gpu_id}: {error}")


def load_pipeline_or_exit(path: Path):
    """Load a trained pipeline for a command, or print one clear error and exit with code 1."""
    from ..loading import PipelineLoadError, load_pipeline

    try:
        return load_pipeline(path)
    except PipelineLoadError as error:
        raise fail(str(error))

