"""Exported (ONNX) vs torch: the translator and the character language model.

    OMP_NUM_THREADS=1 python benchmarks/export_speed.py --translator MODEL [--lm MODEL]
        [--data-dir ../shared/data] [--speed-sentences 200] [--rounds 3] [--lm-chars 400]

1. ``nlp-rnn export`` each model (into benchmarks/results/work/export_speed/).
2. Translator parity on the Tatoeba zh→en test split: both pipelines translate all of it with the
   settings saved in the pipeline (beam, length penalty, length bound) and with greedy search;
   corpus BLEU / chrF of each (sacrebleu, through ``nlp-rnn evaluate``'s metric function) and the
   number of sentences whose translations differ.
3. Translator speed, sentences per second through the whole pipeline (tokenizer included): batch 1
   (``nlp(text)`` per sentence) and batch 64 (``nlp.pipe``), on the first ``--speed-sentences``
   test sentences; torch and ONNX interleaved round by round (``--rounds``), so load from other
   processes hits both alike; median over rounds and the ONNX / torch ratio.
4. With ``--lm``: samples of both runtimes for the same seeds (identical or not), and characters
   per second of ``generate`` for one sample at a time and for 32 samples side by side,
   interleaved the same way.

Threads: the number torch and onnxruntime use is ``$NLP_RNN_THREADS`` / ``$OMP_NUM_THREADS``; the
figures in the README were measured with 1. Writes benchmarks/results/export_speed.{json,md}
(``--render-only`` rewrites the markdown from the JSON).
"""

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Callable, Dict, List

from common import RESULTS, WORK, cli, data_dir, run, write_results

BATCH_SIZES = (1, 64)
LM_BATCH = 32


def read_test_split(root: Path) -> List[List[str]]:
    """[English, Chinese] pairs of the Tatoeba test split."""
    lines = (root / "tatoeba_cmn_eng" / "test.tsv").read_text(encoding="utf8").splitlines()
    return [line.split("\t")[:2] for line in lines if line.strip()]


def export(model: str, name: str) -> Path:
    out = WORK / "export_speed" / name
    run(cli("export", model, out), WORK / "logs" / f"export_speed_{name}.log")
    return out


def translate(nlp, texts: List[str], beam_size: int, batch_size: int = 64) -> List[str]:
    nlp.get_pipe("rnn_translator").beam_size = beam_size
    return [doc._.translation for doc in nlp.pipe(texts, batch_size=batch_size)]


def parity(torch_nlp, onnx_nlp, pairs: List[List[str]], beam_size: int) -> Dict:
    """BLEU / chrF of both runtimes on the split and how many translations differ."""
    from nlp_rnn.api import translation_scores

    sources, references = [zh for _, zh in pairs], [en for en, _ in pairs]
    result: Dict = {"beam_size": beam_size, "sentences": len(pairs)}
    outputs = {}
    for name, nlp in (("torch", torch_nlp), ("onnx", onnx_nlp)):
        started = time.perf_counter()
        outputs[name] = translate(nlp, sources, beam_size)
        scores = translation_scores(outputs[name], references, "en")
        result[name] = {"bleu": round(100 * scores["bleu"], 2), "chrf": round(100 * scores["chrf"], 2),
                        "seconds": round(time.perf_counter() - started, 1)}
    result["differing_sentences"] = sum(a != b for a, b in zip(outputs["torch"], outputs["onnx"]))
    result["bleu_difference"] = round(result["onnx"]["bleu"] - result["torch"]["bleu"], 2)
    return result


def interleaved(runs: Dict[str, Callable[[], int]], rounds: int) -> Dict:
    """{variant: units/s per round, median}; each round runs every variant once, in turn."""
    rates: Dict[str, List[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, work in runs.items():
            started = time.perf_counter()
            units = work()
            rates[name].append(units / (time.perf_counter() - started))
    return {name: {"per_round": [round(r, 2) for r in values], "median": round(statistics.median(values), 2)}
            for name, values in rates.items()}


def translator_speed(torch_nlp, onnx_nlp, texts: List[str], rounds: int) -> Dict:
    result = {}
    beam = torch_nlp.get_pipe("rnn_translator").beam_size
    for batch_size in BATCH_SIZES:
        def job(nlp, batch_size=batch_size):
            def work() -> int:
                if batch_size == 1:
                    for text in texts:
                        nlp(text)
                else:
                    list(nlp.pipe(texts, batch_size=batch_size))
                return len(texts)
            return work
        for nlp in (torch_nlp, onnx_nlp):
            nlp.get_pipe("rnn_translator").beam_size = beam
            nlp(texts[0])  # warm-up: first-call allocations stay out of the timing
        speed = interleaved({"torch": job(torch_nlp), "onnx": job(onnx_nlp)}, rounds)
        speed["onnx_over_torch"] = round(speed["onnx"]["median"] / speed["torch"]["median"], 2)
        result[f"batch_{batch_size}"] = speed
    return result


def lm_results(torch_nlp, onnx_nlp, chars: int, rounds: int) -> Dict:
    from nlp_rnn.api import generate

    settings = [{}, {"top_k": 5}, {"top_p": 0.9, "temperature": 0.8}, {"temperature": 0}]
    same = []
    for options in settings:
        a = generate(torch_nlp, "ROMEO:", num=8, seed=1, length=chars, **options)
        b = generate(onnx_nlp, "ROMEO:", num=8, seed=1, length=chars, **options)
        same.append({"settings": options, "samples": len(a), "identical": sum(x == y for x, y in zip(a, b))})
    result: Dict = {"identical_samples": same}
    for num in (1, LM_BATCH):
        def job(nlp, num=num):
            return lambda: num * chars if generate(nlp, "", num=num, seed=2, length=chars, batch_size=num) else 0
        speed = interleaved({"torch": job(torch_nlp), "onnx": job(onnx_nlp)}, rounds)
        speed["onnx_over_torch"] = round(speed["onnx"]["median"] / speed["torch"]["median"], 2)
        result[f"samples_{num}"] = speed
    return result


def spread(speed: Dict) -> str:
    """``median (min–max)`` of one variant's rounds."""
    return f"{speed['median']} ({min(speed['per_round'])}–{max(speed['per_round'])})"


def markdown(results: Dict) -> str:
    lines = ["# Exported (ONNX) vs torch", "",
             f"Threads: {results['threads']}; {results['machine']}; load average before / after: "
             f"{results['load_before']} / {results['load_after']}. Command: `{results['command']}`.", ""]
    if "translator" in results:
        tr = results["translator"]
        lines += ["## Translator (Tatoeba zh→en test split)", "",
                  "| search | sentences | BLEU torch | BLEU onnx | chrF torch | chrF onnx | differing sentences |", "|---|---|---|---|---|---|---|"]
        for p in tr["parity"]:
            lines.append(f"| beam {p['beam_size']} | {p['sentences']} | {p['torch']['bleu']} | {p['onnx']['bleu']} | "
                         f"{p['torch']['chrf']} | {p['onnx']['chrf']} | {p['differing_sentences']} |")
        lines += ["", f"Speed (beam {tr['beam_size']}, first {tr['speed_sentences']} test sentences, median of "
                      f"{results['rounds']} interleaved rounds):", "",
                  "| batch | torch sentences/s, median (min–max) | onnx sentences/s | onnx / torch (medians) |", "|---|---|---|---|"]
        for batch_size in BATCH_SIZES:
            s = tr["speed"][f"batch_{batch_size}"]
            lines.append(f"| {batch_size} | {spread(s['torch'])} | {spread(s['onnx'])} | {s['onnx_over_torch']} |")
    if "lm" in results:
        lm = results["lm"]
        lines += ["", "## Character LM (`generate`)", "", "| settings | samples | identical |", "|---|---|---|"]
        for row in lm["identical_samples"]:
            settings = ", ".join(f"{key}={value}" for key, value in row["settings"].items()) or "defaults"
            lines.append(f"| {settings} | {row['samples']} | {row['identical']} |")
        lines += ["", f"Speed ({lm['chars']} characters per sample):", "",
                  "| samples side by side | torch chars/s, median (min–max) | onnx chars/s | onnx / torch (medians) |", "|---|---|---|---|"]
        for num in (1, LM_BATCH):
            s = lm[f"samples_{num}"]
            lines.append(f"| {num} | {spread(s['torch'])} | {spread(s['onnx'])} | {s['onnx_over_torch']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--translator", help="trained rnn_translator pipeline (zh→en)")
    parser.add_argument("--lm", help="trained rnn_lm pipeline")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--speed-sentences", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lm-chars", type=int, default=400)
    parser.add_argument("--render-only", action="store_true", help="rewrite export_speed.md from export_speed.json")
    args = parser.parse_args()
    if args.render_only:
        results = json.loads((RESULTS / "export_speed.json").read_text())
        write_results("export_speed", results, markdown(results))
        return
    import spacy

    results: Dict = {
        "threads": os.environ.get("NLP_RNN_THREADS") or os.environ.get("OMP_NUM_THREADS") or "default",
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "rounds": args.rounds, "load_before": round(os.getloadavg()[0], 2),
        "command": "python benchmarks/export_speed.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if v not in (None, False) and k != "data_dir"),
    }
    if args.translator:
        pairs = read_test_split(data_dir(args.data_dir))
        torch_nlp, onnx_nlp = spacy.load(args.translator), spacy.load(export(args.translator, "translator"))
        beam = torch_nlp.get_pipe("rnn_translator").beam_size
        results["translator"] = {
            "model": args.translator, "beam_size": beam, "speed_sentences": args.speed_sentences,
            "parity": [parity(torch_nlp, onnx_nlp, pairs, b) for b in sorted({beam, 1}, reverse=True)],
            "speed": translator_speed(torch_nlp, onnx_nlp, [zh for _, zh in pairs[: args.speed_sentences]], args.rounds),
        }
    if args.lm:
        torch_nlp, onnx_nlp = spacy.load(args.lm), spacy.load(export(args.lm, "lm"))
        results["lm"] = dict(lm_results(torch_nlp, onnx_nlp, args.lm_chars, args.rounds), model=args.lm, chars=args.lm_chars)
    results["load_after"] = round(os.getloadavg()[0], 2)
    write_results("export_speed", results, markdown(results))


if __name__ == "__main__":
    main()
