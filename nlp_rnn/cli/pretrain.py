"""``nlp-rnn pretrain CONFIG RAW_TEXTS OUT``: the config's encoder pretrained as a bidirectional LM.

The work is in :mod:`nlp_rnn.pretrain`; this command reads the arguments, runs it and prints one
line per evaluation and where the encoder is.
"""

from pathlib import Path
from typing import Optional

import typer

from .app import THREADS_HELP, app, fail, printer, start


@app.command(
    "pretrain",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def pretrain_command(
    ctx: typer.Context,
    config: Path = typer.Argument(..., metavar="CONFIG", exists=True, dir_okay=False, help="Task config whose encoder block is pretrained, e.g. pipelines/joint_en.cfg"),
    raw_texts: Path = typer.Argument(..., metavar="RAW_TEXTS", help="Texts: .jsonl (a 'text' field per line), .spacy (a DocBin) or plain text (one per line)"),
    out: Path = typer.Argument(..., metavar="OUT", help="Output folder for encoder.safetensors and encoder.json"),
    component: Optional[str] = typer.Option(None, "--component", "-c", metavar="NAME", help="Component whose encoder to pretrain (default: the only rnn_intent / rnn_joint / rnn_tagger)"),
    max_steps: int = typer.Option(2000, "--max-steps", metavar="N", help="Stop after N updates (0: no step limit, then --max-minutes is needed)"),
    max_minutes: Optional[float] = typer.Option(None, "--max-minutes", metavar="M", help="Stop after M minutes"),
    batch_size: int = typer.Option(64, "--batch-size", "-b", metavar="B", help="Texts per update"),
    learn_rate: float = typer.Option(0.002, "--learn-rate", metavar="R", help="Adam learning rate"),
    seed: int = typer.Option(0, "--seed", metavar="S", help="Seed for the weights, batches and the held-out share"),
    dev_share: float = typer.Option(0.05, "--dev-share", metavar="F", help="Share of the texts held out for perplexity (0: none)"),
    eval_every: int = typer.Option(200, "--eval-every", metavar="N", help="Report held-out perplexity every N updates"),
    max_output_words: int = typer.Option(30000, "--max-output-words", metavar="N", help="Softmax size: rarer words are predicted as the unknown word"),
    gpu_id: int = typer.Option(-1, "--gpu-id", "-g", metavar="ID", help="CUDA device for torch, -1 for CPU"),
    threads: Optional[int] = typer.Option(None, "--threads", "-t", metavar="N", help=THREADS_HELP),
) -> None:
    """Pretrain a config's encoder as a bidirectional language model (forward states predict the
    next token, backward states the previous one) on raw texts, tokenized and featurized as the
    config does. Writes OUT/encoder.safetensors and OUT/encoder.json; a task config then starts
    from them with [initialize.components.NAME] init_encoder = "OUT". Config overrides work as
    for nlp-rnn train: --components.rnn_joint.model.encoder.hidden_size 128."""
    start(threads)
    from spacy.cli._util import parse_config_overrides

    from ..pretrain.artifact import JSON_FILE, WEIGHTS_FILE, write_pretrained_encoder
    from ..pretrain.from_config import load_pretrain_target
    from ..pretrain.leaks import check_pretrainable
    from ..pretrain.raw_texts import read_raw_texts
    from ..pretrain.trainer import PretrainOptions, pretrain_encoder

    msg = printer()
    try:
        overrides = parse_config_overrides(ctx.args)
    except SystemExit:
        raise fail(f"cannot read the overrides {' '.join(ctx.args)}: give them as --section.key VALUE")
    try:
        options = PretrainOptions(
            max_steps=max_steps, max_minutes=max_minutes, batch_size=batch_size, learn_rate=learn_rate, seed=seed,
            dev_share=dev_share, eval_every=eval_every, max_output_words=max_output_words,
            device=f"cuda:{gpu_id}" if gpu_id >= 0 else "cpu",
        )
        texts = read_raw_texts(raw_texts)
        target = load_pretrain_target(config, overrides, component)
        check_pretrainable(target.settings)
    except (ValueError, OSError) as error:
        raise fail(str(error))
    docs = target.make_docs(texts)
    msg.info(f"{len(docs)} texts from {raw_texts}, {sum(len(d) for d in docs)} tokens; encoder of {target.component!r} in {config}")
    try:
        result = pretrain_encoder(docs, target.settings, options, say=msg.info)
    except ValueError as error:
        raise fail(str(error))
    summary = dict(result.summary, config=str(config), component=target.component, raw_texts=str(raw_texts), overrides=overrides)
    write_pretrained_encoder(out, result.encoder, target.settings.hparams(), result.featurizer, summary)
    perplexity = ""
    if "dev_perplexity_forward" in summary:
        perplexity = f", held-out perplexity forward {summary['dev_perplexity_forward']:.1f}"
        if "dev_perplexity_backward" in summary:
            perplexity += f" / backward {summary['dev_perplexity_backward']:.1f}"
    msg.good(f"encoder: {out / WEIGHTS_FILE} and {out / JSON_FILE} (step {summary['best_step']} of {summary['steps']}{perplexity})")
    msg.info(f'start a task model from it: [initialize.components.{target.component}] init_encoder = "{out}"')
