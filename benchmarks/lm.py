"""Character language models: Tiny Shakespeare and Tang poems (issue 15).

    python benchmarks/lm.py train --lang en      # convert + train (stopped after --minutes)
    python benchmarks/lm.py train --lang zh
    python benchmarks/lm.py report               # evaluate both, sample, write results/lm.{json,md}
    python benchmarks/lm.py speed [--rounds 3]   # --form sampling speed alone (no trained model needed)
    python benchmarks/lm.py longer --steps 3000  # Tiny Shakespeare trained longer than the shipped config

Tiny Shakespeare (fixed train / valid / test split): test cross-entropy (nats/char) and bits/char
with ``nlp-rnn evaluate`` (each test file is one document, scored from the zero state), training
time to the best valid checkpoint, generation speed (characters/s, one sample streamed at a
time, as ``nlp-rnn generate`` does) and a 500-character sample. Tang poems (train / dev / test):
test cross-entropy, the well-formed rate of 200 samples without and with ``--form`` (the four
forms in turn), sampling characters/s with ``--form``, two sample poems.

Settings live in pipelines/lm_char_en.cfg and lm_char_zh.cfg and were chosen on the valid / dev
splits (the dev score spaCy's loop reports); test figures are computed once, here. Training
runs with one torch thread (OMP_NUM_THREADS=1) on a shared 2-core machine.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, WORK, cli, data_dir, run, train_model, write_results  # noqa: E402

SETS = {
    "en": {"name": "tinyshakespeare", "config": "lm_char_en.cfg", "doc_per": "file",
           "splits": {"train": "train.txt", "dev": "valid.txt", "test": "test.txt"}},
    "zh": {"name": "tang_poems", "config": "lm_char_zh.cfg", "doc_per": "line",
           "splits": {"train": "train.txt", "dev": "dev.txt", "test": "test.txt"}},
}
FORM_CYCLE = ("5x4", "7x4", "5x8", "7x8")


def corpus_paths(lang: str, root: Path):
    spec = SETS[lang]
    paths = {}
    for split, file in spec["splits"].items():
        out = WORK / "corpus" / f"lm_{lang}" / f"{split}.spacy"
        if not out.exists():
            run(cli("convert", root / spec["name"] / file, out, "--format", "text", "--doc-per", spec["doc_per"],
                    "--lang", lang), WORK / "logs" / f"convert_lm_{lang}_{split}.log")
        paths[split] = out
    return paths


def model_dir(lang: str) -> Path:
    return WORK / "models" / f"lm_{lang}"


def train(lang: str, root: Path, minutes: float) -> None:
    paths = corpus_paths(lang, root)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    timing = train_model(cli("train", ROOT / "pipelines" / SETS[lang]["config"]), model_dir(lang), paths,
                         WORK / "logs" / f"train_lm_{lang}.log", minutes)
    print(json.dumps(timing))


def best_dev(log: Path) -> dict:
    """The best dev row of spaCy's training table: step and lm_char_prob (→ nats)."""
    import math

    best = None
    for line in log.read_text().splitlines():
        cells = line.split()
        if len(cells) == 6 and cells[0].isdigit() and cells[1].isdigit():
            step, prob = int(cells[1]), float(cells[3]) / 100
            if best is None or prob > best[1]:
                best = (step, prob)
    if best is None:
        return {}
    return {"best_dev_step": best[0], "best_dev_nats_per_char": -math.log(best[1])}


def evaluate(lang: str, split: str, model: Optional[Path] = None) -> dict:
    model = model or model_dir(lang)
    out = WORK / f"{model.name}_{split}.json"
    run(cli("evaluate", model / "model-best", WORK / "corpus" / f"lm_{lang}" / f"{split}.spacy",
            "--output", out, "--threads", "1"), WORK / "logs" / f"eval_{model.name}_{split}.log")
    return json.loads(out.read_text())


def longer(root: Path, steps: int, minutes: float) -> None:
    """The shipped Tiny Shakespeare config trained for ``steps`` (its linear decay stretched to
    them), everything else equal; test figures written into lm.json under
    ``tinyshakespeare_longer`` → ``str(steps)``."""
    paths = corpus_paths("en", root)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    out = WORK / "models" / f"lm_en_{steps}_steps"
    log = WORK / "logs" / f"train_{out.name}.log"
    timing = train_model(cli("train", ROOT / "pipelines" / SETS["en"]["config"], "--training.max_steps", str(steps)), out, paths,
                         log, minutes)
    test = evaluate("en", "test", out)
    path = RESULTS / "lm.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    runs = results.get("tinyshakespeare_longer", {})
    if "max_steps" in runs:  # one run in the first format
        runs = {str(runs["max_steps"]): runs}
    results["tinyshakespeare_longer"] = runs
    runs[str(steps)] = dict(
        {key: test[key] for key in ("cross_entropy_nats", "bits_per_char", "perplexity")}, **timing, **best_dev(log),
        max_steps=steps, command=f"python benchmarks/lm.py longer --steps {steps} --minutes {minutes:g}")
    write_results("lm", results, render(results))


def timed_samples(nlp, num: int, forms=None, batch_size: int = 1, **settings):
    """(samples, characters per second): streamed one sample after another as ``nlp-rnn
    generate`` does (``batch_size`` 1), or drawn ``batch_size`` side by side with
    :func:`generate`; with ``forms``, sample i uses ``forms[i % len(forms)]``."""
    from nlp_rnn.api import generate, lm_pipe, sample_characters

    pipe = lm_pipe(nlp)
    seed = settings.pop("seed", 0)
    samples, started = [], time.perf_counter()
    if batch_size == 1:
        for index in range(num):
            form = forms[index % len(forms)] if forms else None
            samples.append("".join(sample_characters(pipe, "", form=form, seed=seed, index=index, **settings)))
    else:
        for offset, form in enumerate(forms or [None]):
            count = len(range(offset, num, len(forms or [None])))
            samples += generate(nlp, num=count, seed=seed + offset, form=form, batch_size=batch_size, **settings)
    seconds = time.perf_counter() - started
    return samples, sum(len(s) for s in samples) / seconds


def measure_en(spacy) -> dict:
    timing = json.loads((model_dir("en") / "training.json").read_text())
    test = evaluate("en", "test")
    nlp = spacy.load(model_dir("en") / "model-best")
    _, speed = timed_samples(nlp, 3, length=2000, seed=0)
    sample, _ = timed_samples(nlp, 1, length=500, seed=0, temperature=0.8)
    en = {key: test[key] for key in ("cross_entropy_nats", "bits_per_char", "perplexity", "chars_per_second")}
    en.update(timing, **best_dev(WORK / "logs" / "train_lm_en.log"), generation_chars_per_second=speed,
              sample_500=sample[0], config="pipelines/lm_char_en.cfg")
    return en


def measure_zh(spacy) -> dict:
    from nlp_rnn.api import is_well_formed

    timing = json.loads((model_dir("zh") / "training.json").read_text())
    test = evaluate("zh", "test")
    nlp = spacy.load(model_dir("zh") / "model-best")
    free, free_speed = timed_samples(nlp, 200, length=200, seed=0, stop_at_end=True)  # one poem each
    formed, form_speed = timed_samples(nlp, 200, seed=0, forms=FORM_CYCLE)
    _, form_speed_batched = timed_samples(nlp, 200, seed=0, forms=FORM_CYCLE, batch_size=50)
    zh = {key: test[key] for key in ("cross_entropy_nats", "bits_per_char", "perplexity", "chars_per_second")}
    zh.update(timing, **best_dev(WORK / "logs" / "train_lm_zh.log"),
              well_formed_rate_free=sum(map(is_well_formed, free)) / len(free),
              well_formed_rate_form=sum(map(is_well_formed, formed)) / len(formed),
              evaluate_well_formed_rate=test.get("well_formed_rate"),
              sampling_chars_per_second_free=free_speed, sampling_chars_per_second_form=form_speed,
              sampling_chars_per_second_form_batch50=form_speed_batched,
              sample_poems=[formed[1], formed[2]], free_samples=free[:3], config="pipelines/lm_char_zh.cfg")
    return zh


def untrained_zh_pipeline(spacy, root: Path):
    """The shipped lm_char_zh.cfg pipeline initialized on the whole Tang train split (its full
    vocabulary), not trained: under ``--form`` every sample has the form's length and every step
    runs the same operations, so sampling speed does not depend on the weights."""
    from spacy.training import Example
    from spacy.util import load_config, load_model_from_config

    config = load_config(ROOT / "pipelines" / SETS["zh"]["config"], interpolate=True)
    nlp = load_model_from_config(config, auto_fill=True, validate=True)
    lines = (root / SETS["zh"]["name"] / SETS["zh"]["splits"]["train"]).read_text(encoding="utf8").splitlines()
    docs = [nlp.make_doc(line.strip()) for line in lines if line.strip()]
    nlp.initialize(lambda: (Example(doc, doc) for doc in docs))
    return nlp


def speed(root: Path, rounds: int) -> None:
    """``--form`` sampling speed (streamed one sample at a time, and 50 side by side) of the
    shipped Tang model's size and vocabulary; the best of ``rounds`` rounds, the load average
    before each. Written into lm.json under ``form_sampling_speed``."""
    from nlp_rnn.api import lm_pipe, prepare_threads

    prepare_threads(1)
    import spacy

    nlp = untrained_zh_pipeline(spacy, root)
    timed_samples(nlp, 8, seed=1, forms=FORM_CYCLE)  # warm-up
    runs = []
    for _ in range(rounds):
        load = os.getloadavg()[0]
        _, streamed = timed_samples(nlp, 200, seed=0, forms=FORM_CYCLE)
        _, batched = timed_samples(nlp, 200, seed=0, forms=FORM_CYCLE, batch_size=50)
        runs.append({"load_average_1min": round(load, 2), "streamed": streamed, "batch50": batched})
        print(runs[-1], flush=True)
    path = RESULTS / "lm.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results["form_sampling_speed"] = {
        "vocabulary": len(lm_pipe(nlp).char_vocab), "samples": 200, "rounds": runs,
        "streamed_chars_per_second": max(r["streamed"] for r in runs),
        "batch50_chars_per_second": max(r["batch50"] for r in runs),
        "model": "pipelines/lm_char_zh.cfg initialized on tang_poems/train.txt, untrained",
    }
    write_results("lm", results, render(results))


def render(results: dict) -> str:
    lines = ["# Character language models (issue 15)", "",
             "CPU, one torch thread, on a 2-core machine shared with 4-5 other jobs (speeds are wall-clock "
             "under that load). Test figures from `nlp-rnn evaluate` (cross-entropy of every test character "
             "given the ones before it in its document, from the zero state). Reproduce: "
             "`python benchmarks/lm.py train --lang en`, `... --lang zh`, then `python benchmarks/lm.py report`.", ""]
    en = results.get("tinyshakespeare")
    if en:
        lines += [
            "## Tiny Shakespeare", "",
            "| test nats/char | test bits/char | perplexity | best valid nats/char (step) | training time to best valid | training wall time | generation chars/s (streamed) |",
            "|---|---|---|---|---|---|---|",
            f"| {en['cross_entropy_nats']:.3f} | {en['bits_per_char']:.3f} | {en['perplexity']:.2f} | "
            f"{en.get('best_dev_nats_per_char', float('nan')):.3f} ({en.get('best_dev_step')}) | "
            f"{en['seconds_to_best_dev'] / 60:.1f} min | {en['train_seconds'] / 60:.1f} min"
            f"{' (stopped at the deadline)' if en['stopped_at_deadline'] else ''} | {en['generation_chars_per_second']:,.0f} |", "",
            *[f"{line}" for line in results.get("en_notes", [])],
            "Target: ≤ 1.60 nats/char after ≤ 45 minutes of training. Sample (seed 0, temperature 0.8, 500 characters):",
            "", "```", en["sample_500"], "```", ""]
    zh = results.get("tang_poems")
    if zh:
        lines += [
            "## Tang poems", "",
            "| test nats/char | bits/char | well formed, 200 free samples | well formed, 200 with --form | chars/s with --form, streamed one by one | chars/s with --form, 50 side by side | training time to best dev |",
            "|---|---|---|---|---|---|---|",
            f"| {zh['cross_entropy_nats']:.3f} | {zh['bits_per_char']:.3f} | {100 * zh['well_formed_rate_free']:.1f}% | "
            f"{100 * zh['well_formed_rate_form']:.1f}% | {zh['sampling_chars_per_second_form']:,.0f} | "
            f"{zh['sampling_chars_per_second_form_batch50']:,.0f} | {zh['seconds_to_best_dev'] / 60:.1f} min"
            f"{' (stopped at the deadline)' if zh['stopped_at_deadline'] else ''} |", "",
            "Samples: seed 0, temperature 1; --form cycles 5x4, 7x4, 5x8, 7x8. Targets: 100% with --form, "
            "≥ 80% without, ≥ 2,000 chars/s with --form. Two poems sampled with --form (7x4, 5x8):", "",
            *[f"    {poem}" for poem in zh["sample_poems"]], ""]
    longer_runs = results.get("tinyshakespeare_longer", {})
    if "max_steps" in longer_runs:
        longer_runs = {str(longer_runs["max_steps"]): longer_runs}
    if longer_runs:
        lines += ["## Tiny Shakespeare, longer runs", "",
                  "The same config with more steps (the linear decay stretched to them; `python benchmarks/lm.py longer --steps N`), "
                  "one torch thread:", "",
                  "| max_steps | test nats/char | test bits/char | best valid nats/char (step) | training time to best valid | training wall time |",
                  "|---|---|---|---|---|---|"]
        for entry in sorted(longer_runs.values(), key=lambda r: r["max_steps"]):
            lines.append(
                f"| {entry['max_steps']:,} | {entry['cross_entropy_nats']:.3f} | {entry['bits_per_char']:.3f} | {entry['best_dev_nats_per_char']:.3f} "
                f"({entry['best_dev_step']:,}) | {entry['seconds_to_best_dev'] / 60:.1f} min | {entry['train_seconds'] / 60:.1f} min"
                f"{' (stopped at the deadline)' if entry['stopped_at_deadline'] else ''} |")
        lines.append("")
    fast = results.get("form_sampling_speed")
    if fast:
        loads = ", ".join(f"{r['load_average_1min']:g}" for r in fast["rounds"])
        lines += ["## Sampling speed with --form (`python benchmarks/lm.py speed`)", "",
                  f"The shipped Tang model's size and its {fast['vocabulary']:,}-character vocabulary, one torch thread, "
                  f"{fast['samples']} samples per round (the four forms in turn), best of {len(fast['rounds'])} rounds "
                  f"(1-minute load average before each: {loads}); {fast['model']} (with --form the speed does not depend on "
                  "the weights: fixed length, the same operations at every step).", "",
                  "| chars/s, streamed one by one | chars/s, 50 side by side | target |", "|---|---|---|",
                  f"| {fast['streamed_chars_per_second']:,.0f} | {fast['batch50_chars_per_second']:,.0f} | ≥ 2,000 |", ""]
    return "\n".join(lines) + "\n"


def report(langs) -> None:
    from nlp_rnn.api import prepare_threads

    prepare_threads(1)
    import spacy

    path = RESULTS / "lm.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    if "en" in langs and (model_dir("en") / "model-best").exists():
        results["tinyshakespeare"] = measure_en(spacy)
    if "zh" in langs and (model_dir("zh") / "model-best").exists():
        results["tang_poems"] = measure_zh(spacy)
    write_results("lm", results, render(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=["train", "report", "speed", "longer"])
    parser.add_argument("--steps", type=int, default=3000, help="longer: training steps")
    parser.add_argument("--lang", choices=sorted(SETS), nargs="+", default=None,
                        help="train: one language (default en); report: the languages to measure again (default both)")
    parser.add_argument("--minutes", type=float, default=None, help="stop training after this long (train: 45, longer: 90)")
    parser.add_argument("--rounds", type=int, default=3, help="speed: rounds (the best is reported)")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    if args.stage == "longer":
        longer(data_dir(args.data_dir), args.steps, args.minutes or 90.0)
    elif args.stage == "speed":
        speed(data_dir(args.data_dir), args.rounds)
    elif args.stage == "train":
        train((args.lang or ["en"])[0], data_dir(args.data_dir), args.minutes or 45.0)
    else:
        report(args.lang or sorted(SETS))


if __name__ == "__main__":
    main()
