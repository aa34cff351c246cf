"""Translation benchmark: Tatoeba Chinese ↔ English (fixed split in ../shared/data/tatoeba_cmn_eng).

    python benchmarks/translate.py [--data-dir ../shared/data] [--max-minutes 45] [--other-minutes 15]
                                   [--quick] [--skip-no-attention] [--skip-en-zh]

1. `nlp-rnn convert --format tatoeba` the train / dev / test splits, both directions.
2. `nlp-rnn train pipelines/translate_zh_en.cfg` (stopped after --max-minutes if still running;
   model-best is the checkpoint with the best dev BLEU, measured with greedy search), recording
   the seconds until the best dev BLEU.
3. The beam-5 length penalty (GNMT alpha 0, 0.6 or 1.0) with the best dev BLEU; then test BLEU /
   chrF (sacrebleu, cased) with beam 5 and greedy, and decoding speed (sentences per
   second through `nlp.pipe`, batch 64, whole pipeline) — the function behind `nlp-rnn evaluate`.
4. The same zh→en model with `attention = none` (target: attention at least doubles BLEU).
5. en→zh with pipelines/translate_en_zh.cfg (BLEU with sacrebleu's zh tokenizer).

Steps 4 and 5 train for at most --other-minutes each (default 15) so that the whole run fits in
about 90 minutes on two cores; their dev-BLEU curves are in the training logs
(benchmarks/results/work/logs/train_translate_*.log) to show whether they had levelled off.

Writes benchmarks/results/translate.json and translate.md. `--quick` trains each model for a
few dozen steps on 3,000 pairs: it proves the pipeline end to end, its scores mean nothing.
"""

import argparse
import json
import os
import platform
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from common import ROOT, WORK, cli, convert, data_dir, train_model, write_results

TARGET_BLEU = 0.24  # zh→en test BLEU (beam 5)
ATTENTION_GAIN = 2.0  # attention BLEU / no-attention BLEU
QUICK = ["--training.max_steps", "60", "--training.eval_frequency", "30", "--corpora.train.limit", "3000"]


def convert_tatoeba(root: Path, lang: str) -> Dict[str, Path]:
    """The train / dev / test splits as DocBins with ``lang`` as the source language."""
    return {split: convert(root / "tatoeba_cmn_eng" / f"{split}.tsv", WORK / "corpus" / "tatoeba" / f"{split}_{lang}.spacy",
                           "tatoeba", lang, f"tatoeba_{split}_{lang}")
            for split in ("train", "dev", "test")}


def train(name: str, config: str, paths: Dict[str, Path], minutes: Optional[float], extra: List[str]) -> Dict:
    """Train one translation model (stopped after ``minutes``); its timings and greedy dev scores."""
    out_dir = WORK / "models" / "translate" / name
    timing = train_model(cli("train", ROOT / "pipelines" / config, *extra), out_dir, paths,
                         WORK / "logs" / f"train_translate_{name}.log", minutes)
    best = out_dir / "model-best"
    performance = json.loads((best / "meta.json").read_text()).get("performance", {})
    return {
        "model": str(best),
        "train_seconds": timing["train_seconds"],
        "stopped_at_deadline": timing["stopped_at_deadline"],
        "seconds_to_best_dev": timing["seconds_to_best_dev"],
        "dev_bleu_greedy": performance.get("bleu"),
        "dev_chrf_greedy": performance.get("chrf"),
    }


LENGTH_PENALTIES = (0.0, 0.6, 1.0)


def load_translator(model: str, beam: int, length_penalty: float):
    from nlp_rnn.api import load_pipeline

    settings = {"beam_size": beam, "length_penalty": length_penalty}
    return load_pipeline(model, config={"components": {"rnn_translator": settings}})


def dev_length_penalty(model: str, dev: Path, beam: int = 5) -> Tuple[float, Dict[str, float]]:
    """The GNMT length penalty (alpha) with the best dev BLEU at ``beam``: (alpha, BLEU per alpha)."""
    from nlp_rnn.api import evaluate

    scores = {str(alpha): evaluate(load_translator(model, beam, alpha), dev, batch_size=64)["bleu"]
              for alpha in LENGTH_PENALTIES}
    best = max(LENGTH_PENALTIES, key=lambda alpha: scores[str(alpha)])
    print(f"  {Path(model).parent.name} dev BLEU beam {beam} by length penalty: "
          + ", ".join(f"{a}: {100 * b:.2f}" for a, b in scores.items()), flush=True)
    return best, scores


def test_scores(model: str, test: Path, beams: List[int], length_penalty: float) -> Dict[str, Dict]:
    """BLEU / chrF / sentences per second on ``test`` per beam size (batch 64); beams above 1
    use ``length_penalty`` (chosen on dev)."""
    from nlp_rnn.api import evaluate

    results = {}
    for beam in beams:
        metrics = evaluate(load_translator(model, beam, length_penalty if beam > 1 else 0.0), test, batch_size=64)
        results[f"beam{beam}"] = {k: metrics[k] for k in ("bleu", "chrf", "sentences_per_second", "n_docs")}
        print(f"  {Path(model).parent.name} beam {beam}: BLEU {100 * metrics['bleu']:.2f} "
              f"chrF {100 * metrics['chrf']:.2f} {metrics['sentences_per_second']:.0f} sent/s", flush=True)
    return results


def markdown(results: Dict) -> str:
    def pct(value):
        return "–" if value is None else f"{100 * value:.2f}"

    lines = [
        "# Translation benchmark: Tatoeba cmn-eng, fixed split (test: 1,003 pairs), CPU",
        "",
        f"{results['machine']} · torch threads: {results['torch_threads']} · "
        f"max minutes: zh→en {results['max_minutes']}, others {results['other_minutes']}" + (" · **quick run: scores mean nothing**" if results["quick"] else ""),
        "",
        "| model | test BLEU beam 5 | test BLEU greedy | test chrF beam 5 | length penalty (dev) | dev BLEU (greedy) | s to best dev | train s | sent/s beam 5 | sent/s greedy |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results["models"].items():
        t = r["test"]
        lines.append(
            f"| {name} | {pct(t['beam5']['bleu'])} | {pct(t.get('beam1', {}).get('bleu'))} | {pct(t['beam5']['chrf'])} | "
            f"{r['length_penalty']} | {pct(r['dev_bleu_greedy'])} | {r['seconds_to_best_dev']:.0f} | {r['train_seconds']:.0f} | "
            f"{t['beam5']['sentences_per_second']:.0f} | "
            + (f"{t['beam1']['sentences_per_second']:.0f} |" if "beam1" in t else "– |")
        )
    lines += ["", "| check | value | target | met |", "|---|---|---|---|"]
    for check in results["checks"]:
        lines.append(f"| {check['name']} | {check['value']} | {check['target']} | {'yes' if check['met'] else 'no'} |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--max-minutes", type=float, default=45.0, help="stop each training after this long")
    parser.add_argument("--other-minutes", type=float, default=15.0,
                        help="stop the no-attention and en→zh trainings after this long")
    parser.add_argument("--quick", action="store_true", help="a few dozen steps on 3,000 pairs (smoke test)")
    parser.add_argument("--skip-no-attention", action="store_true")
    parser.add_argument("--skip-en-zh", action="store_true")
    args = parser.parse_args()
    root = data_dir(args.data_dir)
    extra = QUICK if args.quick else []
    minutes = args.max_minutes if args.max_minutes > 0 else None
    other_minutes = args.other_minutes if args.other_minutes > 0 else None

    import torch

    results: Dict = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "torch_threads": torch.get_num_threads(),
        "max_minutes": minutes,
        "other_minutes": other_minutes,
        "quick": args.quick,
        "models": {},
        "checks": [],
    }
    zh = convert_tatoeba(root, "zh")
    runs = [("zh_en", "translate_zh_en.cfg", zh, [], [5, 1], minutes)]
    if not args.skip_no_attention:
        runs.append(("zh_en_no_attention", "translate_zh_en.cfg", zh,
                     ["--components.rnn_translator.model.attention", "none"], [5], other_minutes))
    if not args.skip_en_zh:
        runs.append(("en_zh", "translate_en_zh.cfg", convert_tatoeba(root, "en"), [], [5], other_minutes))
    for name, config, paths, overrides, beams, deadline in runs:
        record = train(name, config, paths, deadline, extra + overrides)
        record["length_penalty"], record["dev_bleu_by_length_penalty"] = dev_length_penalty(record["model"], paths["dev"])
        record["test"] = test_scores(record["model"], paths["test"], beams, record["length_penalty"])
        results["models"][name] = record

    zh_en = results["models"]["zh_en"]["test"]["beam5"]["bleu"]
    results["checks"].append({
        "name": "zh→en test BLEU (beam 5)", "value": round(100 * zh_en, 2),
        "target": f">= {100 * TARGET_BLEU:.0f}", "met": zh_en >= TARGET_BLEU,
    })
    if "zh_en_no_attention" in results["models"]:
        none = results["models"]["zh_en_no_attention"]["test"]["beam5"]["bleu"]
        ratio = zh_en / none if none else float("inf")
        results["checks"].append({
            "name": "attention / no attention BLEU", "value": round(ratio, 2),
            "target": f">= {ATTENTION_GAIN:.0f}", "met": ratio >= ATTENTION_GAIN,
        })
    write_results("translate", results, markdown(results))


if __name__ == "__main__":
    main()
