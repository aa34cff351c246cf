"""Out-of-scope rejection turned on by the data: BANKING77 built as CLINC150 (a labelled
out-of-scope pool in train, dev and test), trained with the SHIPPED ``pipelines/intent_en.cfg``
and no out-of-scope flag, test read once.

    python benchmarks/oos_auto.py [--max-minutes 25] [--data-dir DIR]

The data are ``benchmarks/oos.py --parts explicit_pool``'s (:func:`oos.write_draw`): 58 known
intents drawn with seed 0 (75%); the train_split / dev rows of the 19 other intents are
out-of-scope examples (all cats 0) and their test rows the out-of-scope test docs. ``nlp-rnn
train`` sees out-of-scope docs in train / dev and turns scoring on by itself: it chooses the score
(among ``nlp_rnn.oos.settings.AUTO_OOS_SCORES``) and the threshold on dev. Then ``nlp-rnn
evaluate`` scores model-best on test once. The issue's figure: out-of-scope recall ≥ 0.5 at
in-scope accuracy ≥ 0.90 on test.

Only the command line is used (``nlp-rnn train`` / ``evaluate``) and the saved component cfg is
read for what was chosen on dev. Writes benchmarks/results/oos_auto.json and oos_auto.md.
"""

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from common import WORK, cli, data_dir, rel, run_until, write_results
from oos import banking77, draw_known, write_draw

BASE = WORK / "oos_auto"
TARGETS = {"oos_recall": 0.5, "in_scope_accuracy": 0.90}


def build(root: Path):
    """({"train", "dev"}, test) DocBins of the explicit_pool draw, and the unknown intents."""
    rows, intents = banking77(root)
    known = draw_known(intents, 0.75, 0)
    unknown = [i for i in intents if i not in known]
    paths, test = write_draw(BASE, known, rows, unknown, unknown)
    return paths, test, known, unknown


def pct(value) -> str:
    return "–" if value is None else f"{100 * value:.2f}"


def markdown(r) -> str:
    test, dev = r["test"], r["dev_choice"]
    compared = ", ".join(f"{s} {pct(v)}" for s, v in dev["score_choice"].items()) or "–"
    lines = ["# Out-of-scope rejection turned on by the data (CPU)", "",
             f"BANKING77 as CLINC150 (`benchmarks/oos.py --parts explicit_pool` data): {r['known']} known intents (75%, seed 0); the "
             f"train/dev rows of the other {r['unknown']} intents are out-of-scope examples (all cats 0) and their test rows the "
             "out-of-scope test docs. Trained with the shipped `pipelines/intent_en.cfg` and no out-of-scope flag "
             f"(`{r['command']}`); the score and threshold were chosen on dev by `nlp-rnn train` itself; test read once "
             "(`nlp-rnn evaluate`).", "",
             f"`nlp-rnn train` (training, then the fitting on dev): {r['training']['train_seconds'] / 60:.1f} min with {r['training']['threads']} thread(s), model-best at step "
             f"{r['training']['best_step']} of {r['training']['final_step']}" + (" (stopped by --max-minutes)" if r["training"].get("stopped_by_deadline") else "")
             + f". Its summary: `{r['training']['summary']}`", "",
             "| chosen on dev | | |", "|---|---|---|",
             f"| score | {dev['oos_score']} | dev macro F1 (intents + out of scope) per candidate: {compared} |",
             f"| threshold | {dev['oos_threshold']:.4g} | {dev['method']}; dev: out-of-scope recall {pct(dev['oos_recall'])}, in-scope accuracy {pct(dev['in_scope_accuracy'])} |",
             f"| temperature | {dev['temperature']:.3f} | |", "",
             "| test | value | target |", "|---|---|---|"]
    for key in ("oos_recall", "in_scope_accuracy", "oos_precision", "oos_f1", "accuracy", "macro_f1_open", "oos_auroc"):
        target = f"≥ {pct(TARGETS[key])}" if key in TARGETS else ""
        lines.append(f"| {key} | {pct(test.get(key))} | {target} |")
    lines += ["", "Target met: " + ("yes" if r["target_met"] else "no")]
    return "\n".join(lines) + "\n"


def summary_line(log: Path) -> str:
    """The training's own line about out of scope (its summary)."""
    found = [line.strip() for line in log.read_text(encoding="utf8").splitlines() if "out of scope:" in line]
    return found[-1].lstrip("ℹ ").strip() if found else "(no out-of-scope line in the training log)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--max-minutes", type=float, default=25.0, help="nlp-rnn train --max-minutes")
    args = parser.parse_args()
    paths, test_path, known, unknown = build(data_dir(args.data_dir))
    out = BASE / "model"
    command = cli("train", Path("pipelines/intent_en.cfg"), "--output", out, "--paths.train", paths["train"], "--paths.dev", paths["dev"],
                  "--max-minutes", str(args.max_minutes), "--training.logger.progress_bar", "false")
    seconds, _ = run_until(command, BASE / "train.log")
    log_text = (BASE / "train.log").read_text(encoding="utf8")
    steps = {name: re.findall(rf"{name}: .*?\(step (\d+)", log_text) for name in ("model-best", "model-last")}
    training = {"train_seconds": seconds, "stopped_by_deadline": "Stopped by --max-minutes" in log_text, "summary": summary_line(BASE / "train.log"),
                "best_step": int(steps["model-best"][-1]) if steps["model-best"] else None,
                "final_step": int(steps["model-last"][-1]) if steps["model-last"] else None,
                "threads": os.environ.get("NLP_RNN_THREADS", "all"), "trained_at": time.strftime("%Y-%m-%d %H:%M")}
    cfg = json.loads((out / "model-best" / "rnn_intent" / "cfg").read_text())
    choice = cfg.get("oos_threshold_choice") or {}
    block = cfg["oos"]  # the component's out-of-scope block (the report keeps its old field names)
    dev = {"oos_score": block["score"], "oos_threshold": block["threshold"], "temperature": block["temperature"], "method": choice.get("method"),
           "oos_recall": choice.get("oos_recall"), "in_scope_accuracy": choice.get("in_scope_accuracy"),
           "score_choice": (cfg.get("oos_score_choice") or {}).get("dev_macro_f1_open", {}), "oos_examples": cfg.get("oos_examples")}
    if block["score"] == "none" or block["threshold"] is None:
        sys.exit(f"out-of-scope scoring was not turned on: see {BASE / 'train.log'}")
    run_until(cli("evaluate", out / "model-best", test_path, "--output", BASE / "test_metrics.json"), BASE / "evaluate.log")  # test, once
    test = json.loads((BASE / "test_metrics.json").read_text())
    results = {"command": "nlp-rnn " + " ".join(rel(c) if isinstance(c, Path) else str(c) for c in command[3:]),
               "known": len(known), "unknown": len(unknown), "training": training, "dev_choice": dev,
               "test": {k: v for k, v in test.items() if isinstance(v, (int, float))}}
    results["target_met"] = all((results["test"].get(k) or 0) >= v for k, v in TARGETS.items())
    write_results("oos_auto", results, markdown(results))


if __name__ == "__main__":
    main()
