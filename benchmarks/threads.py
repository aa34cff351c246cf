"""Pick the default CPU thread count: time 50 training steps of ``pipelines/intent_en.cfg`` on the
bundled English data with several thread settings, on an idle machine and beside busy neighbours.

Settings (environment of the training process, set before torch is imported):

- ``torch default``: nothing set (torch takes one thread per core, OpenMP threads spin when idle);
- ``2 threads + PASSIVE``: ``OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE``;
- ``1 thread``: ``OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE``.

Conditions: ``idle`` (nothing else started by this script), ``busy loop`` (one
``python -c "while True: pass"`` beside it) and ``twin`` (a second identical training beside it).
Each row records the 1-minute load average just before the run (``os.getloadavg``) so figures
taken on a shared machine can be judged. The training time is measured inside the process (from
just before spaCy's ``train`` to its end: initialisation, 50 steps, one evaluation at step 0 and
saving), the wall time around the whole process (adds ~imports).

    python benchmarks/threads.py            # writes benchmarks/results/threads.{json,md}
    python benchmarks/threads.py --settings "2 threads + PASSIVE" "1 thread" --keep benchmarks/results/threads.json
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, write_results  # noqa: E402

SETTINGS = {
    "torch default": {},
    "2 threads + PASSIVE": {"OMP_NUM_THREADS": "2", "OMP_WAIT_POLICY": "PASSIVE"},
    "1 thread": {"OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"},
}
CONDITIONS = ["idle", "busy loop", "twin"]
CLEARED = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY", "NLP_RNN_THREADS")

# The training process: time spaCy's training loop on our config, print one JSON line.
CHILD = r"""
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
import torch
from spacy.cli.train import train
config, output, train_path, dev_path, steps = sys.argv[1:6]
overrides = {"paths.train": train_path, "paths.dev": dev_path,
             "training.max_steps": int(steps), "training.eval_frequency": 100000,
             "training.logger.progress_bar": False}
t1 = time.perf_counter()
train(Path(config), Path(output), overrides=overrides)
t2 = time.perf_counter()
print("RESULT " + json.dumps({"torch_threads": torch.get_num_threads(), "import_s": t1 - t0, "train_s": t2 - t1}))
"""


def child_env(setting: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(setting)
    return env


def convert(work: Path) -> tuple:
    paths = []
    for split in ("train", "dev"):
        out = work / f"{split}.spacy"
        subprocess.run([sys.executable, "-m", "nlp_rnn", "convert", str(ROOT / "data" / "en" / f"{split}.jsonl"),
                        str(out), "--format", "jsonl", "--lang", "en"], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL, env=child_env({"OMP_NUM_THREADS": "1"}))
        paths.append(out)
    return tuple(paths)


def start_training(setting: dict, work: Path, name: str, corpus: tuple, steps: int) -> subprocess.Popen:
    command = [sys.executable, "-c", CHILD, str(ROOT / "pipelines" / "intent_en.cfg"), str(work / name),
               str(corpus[0]), str(corpus[1]), str(steps)]
    return subprocess.Popen(command, cwd=ROOT, env=child_env(setting), stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)


def result_of(process: subprocess.Popen) -> dict:
    out, _ = process.communicate()
    if process.returncode != 0:
        sys.exit(f"training failed ({process.returncode}):\n{out[-2000:]}")
    line = [l for l in out.splitlines() if l.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def measure(label: str, setting: dict, condition: str, work: Path, corpus: tuple, steps: int) -> dict:
    neighbour = None
    if condition == "busy loop":
        neighbour = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(1.0)
    load = os.getloadavg()[0]
    start = time.perf_counter()
    process = start_training(setting, work, "run", corpus, steps)
    if condition == "twin":
        neighbour = start_training(setting, work, "twin", corpus, steps)
    result = result_of(process)
    wall = time.perf_counter() - start
    if condition == "twin":
        result_of(neighbour)
    elif neighbour is not None:
        neighbour.kill()
        neighbour.wait()
    row = {"setting": label, "condition": condition, "load_1min_before": round(load, 2),
           "torch_threads": result["torch_threads"], "train_s": round(result["train_s"], 2),
           "wall_s": round(wall, 2)}
    print(json.dumps(row), flush=True)
    return row


def table(rows: list, steps: int) -> str:
    lines = [f"# Thread setting: {steps} training steps of pipelines/intent_en.cfg (bundled English data)", "",
             f"Machine: {os.cpu_count()} CPUs. `train s` = spaCy's train() in the process (init + {steps} steps + "
             "1 evaluation + save); `wall s` = whole process. Load = 1-minute load average just before the run "
             "(the machine is shared: a load above 1 before an 'idle' run means other jobs were running).", "",
             "## Median train seconds", "", "| setting | " + " | ".join(CONDITIONS) + " |",
             "|---|" + "---|" * len(CONDITIONS)]
    for label in SETTINGS:
        cells = []
        for condition in CONDITIONS:
            values = sorted(r["train_s"] for r in rows if r["setting"] == label and r["condition"] == condition)
            cells.append(f"{statistics.median(values):.1f} (n={len(values)})" if values else "-")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "## Every run", "", "| setting | condition | torch threads | load before | train s | wall s |",
              "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['setting']} | {r['condition']} | {r['torch_threads']} | {r['load_1min_before']} | "
                     f"{r['train_s']} | {r['wall_s']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--conditions", nargs="*", default=CONDITIONS)
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS))
    parser.add_argument("--repeat", type=int, default=2, help="runs of each setting and condition (medians reported)")
    parser.add_argument("--once", nargs="*", default=["torch default"],
                        help="settings run in the first repetition only (torch's default collapses and takes minutes)")
    parser.add_argument("--keep", type=Path, default=None, help="an earlier threads.json whose rows are kept")
    args = parser.parse_args()
    rows = json.loads(args.keep.read_text())["rows"] if args.keep else []
    with tempfile.TemporaryDirectory(prefix="nlp_rnn_threads_") as tmp:
        work = Path(tmp)
        corpus = convert(work)
        for repetition in range(args.repeat):
            for condition in args.conditions:
                for label in args.settings:
                    if repetition > 0 and label in args.once:
                        continue
                    rows.append(measure(label, SETTINGS[label], condition, work, corpus, args.steps))
    results = {"steps": args.steps, "cpus": os.cpu_count(), "rows": rows}
    write_results("threads", results, table(rows, args.steps))


if __name__ == "__main__":
    main()
