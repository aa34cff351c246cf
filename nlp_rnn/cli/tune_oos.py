"""``nlp-rnn tune-oos MODEL [DEV.spacy]``: fit temperature scaling, the out-of-scope scorer and its
threshold of a saved pipeline on dev data (``nlp-rnn train`` does this itself after training)."""

from pathlib import Path
from typing import Dict, Optional

import typer

from .app import THREADS_HELP, app, fail, printer, start
from .torch_only import refuse_exported


def tune_saved_oos(
    model_dir: Path,
    dev: Optional[Path] = None,
    train: Optional[Path] = None,
    score: Optional[str] = None,
    in_scope_share: Optional[float] = None,
    max_in_scope_loss: Optional[float] = None,
    choose_score: bool = False,
) -> Dict[str, Dict]:
    """Fit the temperature, the class Gaussians (``mahalanobis``, ``msp_mahalanobis``; on ``train``: default the
    pipeline's ``paths.train``) and the threshold of every intent component of the pipeline in
    ``model_dir`` on ``dev`` (default: its ``paths.dev``); save each component in place.
    ``score`` replaces the saved ``oos.score``; ``in_scope_share`` / ``max_in_scope_loss`` (one
    or neither) choose the threshold rule for dev data without out-of-scope docs, replacing the
    saved one (:func:`threshold_rule`). With ``choose_score`` (``nlp-rnn train``) and no ``score``,
    a component whose ``oos.score`` is ``"none"`` gets a score chosen on dev
    (:func:`nlp_rnn.pipeline.oos_score_choice.choose_score`) when train or dev hold out-of-scope
    examples, and every component's cfg records how many (``oos_examples``). The fitted settings
    are saved in each component's ``cfg["oos"]`` and in the pipeline's ``config.cfg`` as
    ``[components.NAME.oos]`` (:func:`nlp_rnn.cli.saved_config.write_settings_into_config`). Returns {component: what was
    chosen} (empty when the pipeline has no intent component). Raises ValueError /
    FileNotFoundError with one clear line."""
    from ..training.cached_corpus import CachedCorpus

    from ..loading import load_pipeline
    from ..oos.examples import count_in_docbins
    from ..oos.scores import uses_gaussians
    from ..oos.settings import AUTO_OOS_SCORES
    from ..pipeline.oos_score_choice import choose_score as choose_on_dev
    from ..pipeline.out_of_scope import oos_components, tune_component
    from .saved_config import write_settings_into_config

    nlp = load_pipeline(model_dir)
    components = [(name, pipe) for name, pipe in oos_components(nlp) if pipe.cfg.get("exclusive_classes", True)]
    if not components:
        return {}
    for _, pipe in components:
        pipe.cfg["oos"] = threshold_rule(pipe.cfg["oos"], score, in_scope_share, max_in_scope_loss)
    dev = dev or nlp.config["paths"].get("dev")
    if not dev:
        raise ValueError(f"{model_dir}: no dev data to fit the out-of-scope settings on: pass DEV")
    if not Path(dev).exists():
        raise FileNotFoundError(f"dev data not found: {dev}")
    train = train or nlp.config["paths"].get("train")
    examples = {"train": count_in_docbins(train), "dev": count_in_docbins(dev)} if choose_score and score is None else None
    chosen_on_dev = [name for name, pipe in components if examples and any(examples.values()) and pipe.cfg["oos"]["score"] == "none"]
    needing = sorted({pipe.cfg["oos"]["score"] for _, pipe in components if uses_gaussians(pipe.cfg["oos"]["score"])})
    needing += [s for s in AUTO_OOS_SCORES if chosen_on_dev and uses_gaussians(s)]
    train_examples = None
    if needing:
        if not train or not Path(train).exists():
            raise FileNotFoundError(f"oos.score = {needing[0]!r} needs the training data (--train): {train or 'not given'}")
        train_examples = list(CachedCorpus(train)(nlp))
    dev_examples = list(CachedCorpus(dev)(nlp))
    chosen = {}
    for name, pipe in components:
        if name in chosen_on_dev:
            chosen[name] = choose_on_dev(name, pipe, dev_examples, train_examples, AUTO_OOS_SCORES)
        else:
            chosen[name] = tune_component(name, pipe, dev_examples, train_examples)
        if examples is not None:
            pipe.cfg["oos_examples"] = chosen[name]["examples"] = examples
    for name, pipe in components:  # saved once every component is fitted
        pipe.to_disk(Path(model_dir) / name)
    write_settings_into_config(model_dir, chosen)
    return chosen


def threshold_rule(block: Dict, score: Optional[str], in_scope_share: Optional[float], max_in_scope_loss: Optional[float]) -> Dict:
    """The out-of-scope block a run uses: the saved ``block``, its ``score`` / ``in_scope_share`` /
    ``max_in_scope_loss`` replaced by what the run was given. ``in_scope_share`` clears a saved
    ``max_in_scope_loss`` (which would otherwise win); giving both is an error; the block is
    checked as a new component checks it (ValueError naming the setting)."""
    from ..oos.settings import checked_block

    if in_scope_share is not None and max_in_scope_loss is not None:
        raise ValueError("give --in-scope-share or --max-in-scope-loss, not both")
    settings = dict(block)
    if score is not None:
        settings["score"] = score
    if in_scope_share is not None:
        settings.update(in_scope_share=in_scope_share, max_in_scope_loss=None)
    if max_in_scope_loss is not None:
        settings["max_in_scope_loss"] = max_in_scope_loss
    return checked_block(settings)


def describe(model_dir: Path, chosen: Dict[str, Dict]) -> str:
    """One line per component: temperature, score, threshold and how it was chosen; before it,
    when the score was chosen on dev (:func:`tune_saved_oos` with ``choose_score``), one line
    saying that scoring was turned on and why."""
    lines = []
    for name, r in chosen.items():
        if "score_choice" in r:
            compared = ", ".join(f"{s} {v:.4f}" for s, v in r["score_choice"]["dev_macro_f1_open"].items())
            lines.append(f"{model_dir} {name}: train / dev hold {r['examples']['train']} / {r['examples']['dev']} out-of-scope examples, so "
                         f"out-of-scope scoring is on although the config says oos.score = \"none\": {r['score']} chosen on dev"
                         + (f" (dev macro F1 over the intents + out of scope: {compared})" if compared else " (no out-of-scope dev docs to compare scores on)"))
        line = f"{model_dir} {name}: temperature = {r['temperature']:.3f}"
        if "threshold" in r:
            how = {"dev_macro_f1_open": "best dev macro F1 (known + open)", "in_scope_loss": "most rejection within the in-scope accuracy budget; share kept"}.get(
                r["method"], "in-scope share kept on dev")
            line += f", oos.threshold = {r['threshold']:.4g} ({how}: {r['dev_value']:.4f})"
        lines.append(line)
    return "\n".join(lines)


@app.command("tune-oos")
def tune_oos_command(
    model: Path = typer.Argument(..., help="Trained pipeline folder (e.g. training/model-best)"),
    dev: Optional[Path] = typer.Argument(None, help="Dev DocBin (.spacy); default: the paths.dev the pipeline was trained with"),
    train: Optional[Path] = typer.Option(None, "--train", help="Training DocBin for the class Gaussians (mahalanobis, msp_mahalanobis); default: paths.train"),
    score: Optional[str] = typer.Option(None, "--score", help="Set the oos block's score: none, msp, energy, mahalanobis or msp_mahalanobis"),
    in_scope_share: Optional[float] = typer.Option(
        None, "--in-scope-share", help="Share of in-scope dev docs to keep when dev has no out-of-scope docs (replaces a saved --max-in-scope-loss)"
    ),
    max_in_scope_loss: Optional[float] = typer.Option(
        None, "--max-in-scope-loss", help="Instead of a share: reject as much as costs at most this much in-scope dev accuracy (e.g. 0.01)"
    ),
    threads: Optional[int] = typer.Option(None, "--threads", "-t", metavar="N", help=THREADS_HELP),
) -> None:
    """Fit temperature scaling and the out-of-scope threshold (and Gaussians) on dev data."""
    refuse_exported(model, "tune-oos")
    start(threads)
    from ..loading import PipelineLoadError

    try:
        chosen = tune_saved_oos(model, dev, train, score, in_scope_share, max_in_scope_loss)
    except (PipelineLoadError, FileNotFoundError, ValueError) as error:
        raise fail(str(error))
    if not chosen:
        printer().warn(f"{model}: no exclusive intent component to tune")
        return
    printer().info(describe(model, chosen))


def tune_after_training(output: Path) -> None:
    """``nlp-rnn train``'s last step: :func:`tune_saved_oos` on model-best and model-last with the
    data they were trained with, choosing the out-of-scope score on dev when the config has none
    and train or dev hold out-of-scope examples; a problem (e.g. no out-of-scope dev docs and no in-scope
    share) is a warning, so a finished training is never lost."""
    msg = printer()
    for name in ("model-best", "model-last"):
        if not (output / name).exists():
            continue
        try:
            chosen = tune_saved_oos(output / name, choose_score=True)
        except (FileNotFoundError, ValueError) as error:
            msg.warn(f"{output / name}: out-of-scope / temperature settings not fitted: {error} (run nlp-rnn tune-oos)")
            continue
        if chosen:
            msg.info(describe(output / name, chosen))
