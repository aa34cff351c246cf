"""Training speed of the shipped configs: one commit against an earlier one, in the same run.

For each config on its data set, and each thread count, ``benchmarks/train_speed_probe.py`` trains
``--steps`` steps (evaluating every ``--eval-frequency``) once with the package of commit ``--head``
(default ``HEAD``) and once with that of commit ``--base``, each a ``git worktree`` in the work
folder (edits in progress in this checkout never reach the figures), interleaved A B A B over
``--repeats``; each commit converts the data with its own converter and trains with its own config.
Reported per run (median over repeats): loop steps/s (the training loop as a user waits for it:
its corpus reads, updates and evaluations), update steps/s (``nlp.update`` alone), the share of an
update spent inside torch (module forward, loss, ``torch.autograd.backward``), and initialization
seconds; then the ratios of the head commit to the base. JSON → markdown in ``benchmarks/results``.

    python benchmarks/train_speed.py --base ed4c25e --head a2a4351 --threads 1 2 --repeats 2
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, WORK, data_dir, package_environment, rel, worktree, write_results  # noqa: E402

# name → (config, data set folder, converter format, language, (train, dev) inside the data folder)
RUNS = {
    "joint_en": ("pipelines/joint_en.cfg", "snips", "snips", "en", ("snips/train", "snips/valid")),
    "intent_en": ("pipelines/intent_en.cfg", "snips", "snips", "en", ("snips/train", "snips/valid")),
    "ner_zh": ("pipelines/ner_zh.cfg", "resume", "bmes", "zh", ("resume_ner/train.char.bmes", "resume_ner/dev.char.bmes")),
}


def convert(package_root: Path, label: str, data: Path, name: str) -> Dict[str, Path]:
    """The train and dev DocBins of ``name``, converted by the package at ``package_root``."""
    _, corpus, fmt, lang, splits = RUNS[name]
    paths = {}
    for split, relative in zip(("train", "dev"), splits):
        out = WORK / "train_speed" / label / f"{corpus}_{split}.spacy"
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            command = [sys.executable, "-m", "nlp_rnn", "convert", str(data / relative), str(out), "--format", fmt, "--lang", lang]
            subprocess.run(command, cwd=package_root, env=package_environment(package_root, 1), check=True, capture_output=True)
        paths[split] = out
    return paths


def probe(package_root: Path, name: str, paths: Dict[str, Path], threads: int, steps: int, eval_frequency: int) -> Dict:
    config = package_root / RUNS[name][0]
    command = [sys.executable, str(ROOT / "benchmarks" / "train_speed_probe.py"), str(config),
               "--train", str(paths["train"]), "--dev", str(paths["dev"]),
               "--steps", str(steps), "--eval-frequency", str(eval_frequency)]
    print("$", " ".join(command), f"(threads {threads}, package {rel(package_root)})", flush=True)
    result = subprocess.run(command, cwd=package_root, env=package_environment(package_root, threads), capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"probe failed:\n{result.stderr[-3000:]}")
    line = json.loads(result.stdout.strip().splitlines()[-1])
    if Path(line["package"]).resolve() != (package_root / "nlp_rnn").resolve():
        sys.exit(f"the probe imported {line['package']}, not {package_root / 'nlp_rnn'}")
    print("  ", line, flush=True)
    return line


def summarize(runs: List[Dict]) -> Dict:
    """Medians over repeats of the figures the table shows."""
    def median(key):
        return statistics.median(run[key] for run in runs)

    steps = median("steps") + 1  # steps are numbered from 0
    return {
        "loop_steps_per_second": steps / median("loop_seconds"),
        "update_steps_per_second": steps / median("update_seconds"),
        "torch_share": statistics.median(run["torch_seconds"] / run["update_seconds"] for run in runs),
        # a whole training step: the loop without its evaluations (batching, the loop's corpus
        # reads, nlp.update and the optimizer step that spaCy's loop runs after it)
        "torch_share_of_step": statistics.median(run["torch_seconds"] / (run["loop_seconds"] - run["eval_seconds"]) for run in runs),
        "init_seconds": median("init_seconds"),
        "eval_seconds": median("eval_seconds"),
        "runs": runs,
    }


def render(results: Dict) -> str:
    lines = [
        "# Training speed: a commit against the one before",
        "",
        f"`python benchmarks/train_speed.py {results['command']}` — {results['steps']} steps, an evaluation every "
        f"{results['eval_frequency']}, median of {results['repeats']} interleaved runs (A B A B) per cell, CPU.",
        f"Base commit `{results['base']}`; head commit `{results['head']}`. Loop: spaCy's training loop as a user waits "
        "for it (its corpus reads, updates and evaluations); update: `nlp.update` alone; torch share: the part of an "
        "update (of a whole step: the loop without its evaluations) inside the torch module's forward, loss and backward.",
        "",
        "| config | threads | loop steps/s base → now (×) | update steps/s base → now (×) | torch share of an update base → now | of a step base → now | init s base → now |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, by_threads in results["configs"].items():
        for threads, cell in by_threads.items():
            base, now = cell["base"], cell["head"]
            lines.append(
                f"| {name} | {threads} | {base['loop_steps_per_second']:.2f} → {now['loop_steps_per_second']:.2f} "
                f"({now['loop_steps_per_second'] / base['loop_steps_per_second']:.2f}×) | "
                f"{base['update_steps_per_second']:.2f} → {now['update_steps_per_second']:.2f} "
                f"({now['update_steps_per_second'] / base['update_steps_per_second']:.2f}×) | "
                f"{100 * base['torch_share']:.0f} % → {100 * now['torch_share']:.0f} % | "
                f"{100 * base['torch_share_of_step']:.0f} % → {100 * now['torch_share_of_step']:.0f} % | "
                f"{base['init_seconds']:.1f} → {now['init_seconds']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the commit to compare against")
    parser.add_argument("--head", default="HEAD", help="the commit measured against --base")
    parser.add_argument("--configs", nargs="+", default=list(RUNS), choices=list(RUNS))
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--eval-frequency", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--name", default="train_speed")
    parser.add_argument("--render-only", action="store_true", help="render the markdown again from the JSON of --name")
    args = parser.parse_args()
    if args.render_only:
        results = json.loads((ROOT / "benchmarks" / "results" / f"{args.name}.json").read_text())
        for by_threads in results["configs"].values():
            for cell in by_threads.values():
                cell.update({label: summarize(cell[label]["runs"]) for label in ("base", "head")})
        write_results(args.name, results, render(results))
        return
    data = data_dir(args.data_dir)
    head = subprocess.run(["git", "rev-parse", "--short", args.head], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    roots = {"base": worktree(args.base, WORK / "train_speed"), "head": worktree(head, WORK / "train_speed")}
    results = {
        "command": " ".join(sys.argv[1:]), "base": args.base, "head": head,
        "steps": args.steps, "eval_frequency": args.eval_frequency, "repeats": args.repeats, "configs": {},
    }
    for name in args.configs:
        paths = {label: convert(root, label, data, name) for label, root in roots.items()}
        runs = {threads: {"base": [], "head": []} for threads in args.threads}
        for _ in range(args.repeats):
            for threads in args.threads:
                for label, root in roots.items():
                    runs[threads][label].append(probe(root, name, paths[label], threads, args.steps, args.eval_frequency))
        results["configs"][name] = {
            str(threads): {label: summarize(cell[label]) for label in roots} for threads, cell in runs.items()
        }
        write_results(args.name, results, render(results))


if __name__ == "__main__":
    main()
