"""nlp.pipe speed of the joint pipeline: this checkout against an earlier commit and spaCy, one run.

    python benchmarks/pipe_speed.py [--previous ddc7e0b | --no-previous] [--rounds 5] [--data-dir ../shared/data]

Speed does not depend on how long a model trained, only on its sizes and vocabulary, so each system
is trained for a few steps on SNIPS train (``pipelines/joint_en.cfg`` of this checkout, the same
file of the ``--previous`` commit run with that commit's code from a ``git worktree``, and spaCy's
``textcat`` + ``ner`` from ``spacy init config``). This checkout's model is also timed with
``span_confidence = false`` (no CRF forward-backward pass, as spaCy's ``ner`` gives no span
scores) and exported with ``nlp-rnn export`` (ONNX, and ONNX with ``--quantize``; both also with
``span_confidence = false``). Then ``nlp.pipe`` (batch 256, SNIPS train texts)
is timed in a fresh process per system, the systems interleaved round by round, every process
with one torch thread; the median words/s per system and the ratios are written to
benchmarks/results/pipe_speed.{json,md}.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

from common import ROOT, WORK, cli, convert_splits, data_dir, package_environment, spacy_cli, spacy_default_config, worktree, write_results

MEASURE = """
import json, sys, time, spacy
nlp = spacy.load(sys.argv[1], config=json.loads(sys.argv[3]))
texts = open(sys.argv[2], encoding="utf8").read().splitlines()
list(nlp.pipe(texts[:256], batch_size=256))
start = time.perf_counter()
words = sum(len(doc) for doc in nlp.pipe(texts, batch_size=256))
print(json.dumps({"words": words, "words_per_second": words / (time.perf_counter() - start)}))
"""


def train_briefly(command: List[str], out: Path, paths: Dict[str, Path], steps: int, env: Dict[str, str], cwd: Path) -> Path:
    if not (out / "model-last").exists():
        full = [*command, "--output", out, "--paths.train", paths["train"], "--paths.dev", paths["dev"],
                "--training.max_steps", str(steps), "--training.eval_frequency", str(steps)]
        log = WORK / "logs" / f"pipe_speed_{out.name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as handle:
            subprocess.run([str(c) for c in full], env=env, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT, check=True)
    return out / "model-last"


def export(model: Path, out: Path, quantize: bool) -> Path:
    """``nlp-rnn export MODEL OUT --format onnx [--quantize]`` (once)."""
    if not (out / "config.cfg").exists():
        command = cli("export", model, out, "--format", "onnx", "--threads", "1", *(["--quantize"] if quantize else []))
        subprocess.run([str(c) for c in command], env=package_environment(ROOT), cwd=ROOT, check=True, capture_output=True)
    return out


def measure(model: Path, texts: Path, env: Dict[str, str], config: Dict) -> Dict:
    result = subprocess.run([sys.executable, "-c", MEASURE, str(model), str(texts), json.dumps(config)], env=env, check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout)


LABELS = {
    "current": "nlp_rnn joint, this checkout",
    "current_no_span_confidence": "the same, span_confidence = false",
    "onnx": "the same exported to ONNX",
    "onnx_no_span_confidence": "ONNX, span_confidence = false",
    "onnx_int8": "ONNX --quantize (int8)",
    "onnx_int8_no_span_confidence": "ONNX int8, span_confidence = false",
}


def markdown(results: Dict) -> str:
    s = results["median_words_per_second"]
    rows = [f"| {LABELS[name]} | {s[name]:,.0f} | {s[name] / s['spacy']:.2f} |" for name in LABELS if name in s]
    previous = results.get("previous")
    if previous:
        rows.append(f"| nlp_rnn joint, {previous} | {s['previous']:,.0f} | {s['previous'] / s['spacy']:.2f} |")
    return "\n".join([
        "# nlp.pipe speed of the joint pipeline (SNIPS train texts, batch 256, 1 torch thread)",
        "",
        f"Median of {results['rounds']} interleaved rounds, each system in a fresh process; models trained "
        f"{results['steps']} steps (speed depends on sizes and vocabulary only).",
        "",
        "| system | words/s | ratio to spaCy |",
        "|---|---|---|",
        *rows,
        f"| spaCy textcat + ner | {s['spacy']:,.0f} | 1.00 |",
        "",
        *([f"This checkout / {previous}: {s['current'] / s['previous']:.3f}", ""] if previous else []),
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, load average at start {results['load_average']}",
        "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--previous", default="ddc7e0b", help="the commit to compare with")
    parser.add_argument("--no-previous", action="store_true", help="no earlier commit, only this checkout's variants and spaCy")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    root = data_dir(args.data_dir)
    paths = convert_splits("snips", "en", "snips", ("snips/train", "snips/valid", "snips/test"), root)
    texts = root / "snips" / "train" / "seq.in"
    work = WORK / "pipe_speed"
    current = train_briefly(cli("train", ROOT / "pipelines" / "joint_en.cfg"), work / "current", paths, args.steps, package_environment(ROOT), ROOT)
    no_confidence = lambda name: {"components": {name: {"span_confidence": False}}}  # noqa: E731
    onnx, onnx_int8 = export(current, work / "onnx", False), export(current, work / "onnx_int8", True)
    systems = {  # name: (model, environment, config overrides at load)
        "current": (current, package_environment(ROOT), {}),
        "current_no_span_confidence": (current, package_environment(ROOT), no_confidence("rnn_joint")),
        "onnx": (onnx, package_environment(ROOT), {}),
        "onnx_no_span_confidence": (onnx, package_environment(ROOT), no_confidence("rnn_joint")),
        "onnx_int8": (onnx_int8, package_environment(ROOT), {}),
        "onnx_int8_no_span_confidence": (onnx_int8, package_environment(ROOT), no_confidence("rnn_joint")),
    }
    if not args.no_previous:
        old = worktree(args.previous, WORK)
        systems["previous"] = (train_briefly(cli("train", old / "pipelines" / "joint_en.cfg"), work / "previous", paths, args.steps, package_environment(old), old),
                               package_environment(old), {})
    peer_config = spacy_default_config("en", "textcat,ner")
    systems["spacy"] = (train_briefly(spacy_cli("train", peer_config), work / "spacy", paths, args.steps, package_environment(ROOT), ROOT), package_environment(ROOT), {})
    load = os.getloadavg()
    rounds: Dict[str, List[float]] = {name: [] for name in systems}
    for round_number in range(args.rounds):
        for name, (model, env, config) in systems.items():
            rounds[name].append(measure(model, texts, env, config)["words_per_second"])
        print(f"round {round_number + 1}:", {name: round(values[-1]) for name, values in rounds.items()}, flush=True)
    results = {
        "previous": None if args.no_previous else args.previous, "rounds": args.rounds, "steps": args.steps, "load_average": [round(x, 2) for x in load],
        "words_per_second": rounds, "median_words_per_second": {name: statistics.median(v) for name, v in rounds.items()},
    }
    median = results["median_words_per_second"]
    results["ratios"] = {f"{name}_over_spacy": value / median["spacy"] for name, value in median.items() if name != "spacy"}
    if "previous" in median:
        results["ratios"]["current_over_previous"] = median["current"] / median["previous"]
    write_results("pipe_speed", results, markdown(results))


if __name__ == "__main__":
    main()
