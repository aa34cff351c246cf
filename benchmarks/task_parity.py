"""Does a change of the package's structure change any trained model, prediction or figure?

For each head, the shipped config is trained on its real data set for ``--steps`` steps (same seed,
one thread) by the package of commit ``--base`` and by the package of this checkout (``--head``:
a commit, or ``.`` for the working tree), each run from its own folder (``git worktree`` for a
commit); then ``nlp-rnn evaluate`` scores both models on the test split. Reported per head: whether
the saved weights are byte-identical, whether every accuracy figure of ``evaluate`` is equal, and
the words/s of each (``evaluate``'s, the pipeline alone; the two runs are interleaved, on a shared
machine the ratio is the figure). With identical weights and scores, every README accuracy figure
(trained by the same configs over more steps and seeds) is unchanged by the change. JSON →
markdown in ``benchmarks/results``.

    python benchmarks/task_parity.py --base c3c4491 [--steps 100] [--heads intent_en joint_en ...]
    python benchmarks/task_parity.py --speed-rounds 3 [--heads ...]   # words/s again, interleaved

Each commit's package runs from its own worktree (``common.worktree``, ``common.package_environment``:
entry points an older commit lacks fall back to what its modules register).
"""

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, WORK, data_dir, package_environment, rel, worktree, write_results  # noqa: E402

# head → (config, converter format, language, (train, dev, test) inside the data folder, extra train overrides)
HEADS = {
    "intent_en": ("pipelines/intent_en.cfg", "snips", "en", ("snips/train", "snips/valid", "snips/test"), []),
    "joint_en": ("pipelines/joint_en.cfg", "snips", "en", ("snips/train", "snips/valid", "snips/test"), []),
    "ner_zh": ("pipelines/ner_zh.cfg", "bmes", "zh", ("resume_ner/train.char.bmes", "resume_ner/dev.char.bmes", "resume_ner/test.char.bmes"), []),
    "translate_zh_en": ("pipelines/translate_zh_en.cfg", "tatoeba", "zh", ("tatoeba_cmn_eng/train.tsv", "tatoeba_cmn_eng/dev.tsv", "tatoeba_cmn_eng/test.tsv"), []),
    "lm_char_en": ("pipelines/lm_char_en.cfg", "text", "en", ("tinyshakespeare/train.txt", "tinyshakespeare/valid.txt", "tinyshakespeare/test.txt"), []),
}
CONVERT_OPTIONS = {"text": ["--doc-per", "file"]}
#: evaluate figures that are not accuracy (they differ run to run)
NOT_ACCURACY = ("per_second", "seconds", "speed")
def package_root(commit: str) -> Path:
    """This checkout for ``.``, else a worktree of ``commit`` in the work folder (made once)."""
    return ROOT if commit == "." else worktree(commit, WORK / "task_parity")


def run(root: Path, args: List[str], log: Path) -> None:
    command = [sys.executable, "-m", "nlp_rnn", *args]
    print("$", " ".join(command), f"(package {rel(root)})", flush=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as handle:
        result = subprocess.run(command, cwd=root, env=package_environment(root), stdout=handle, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        sys.exit(f"failed, see {log}:\n{log.read_text()[-3000:]}")


def weights_digest(model: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(model.rglob("*.safetensors")):
        digest.update(path.relative_to(model).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def accuracy_figures(metrics: Dict) -> Dict:
    return {key: value for key, value in metrics.items() if not any(word in key for word in NOT_ACCURACY)}


def compare(row: Dict) -> None:
    """Whether the two runs of a head agree: same weights, same accuracy figures (which differ)."""
    base, head = accuracy_figures(row["base"]["accuracy"]), accuracy_figures(row["head"]["accuracy"])
    differing = sorted(k for k in set(base) | set(head) if base.get(k) != head.get(k))
    row.update(same_weights=row["base"]["weights"] == row["head"]["weights"], same_accuracy=not differing, differing=differing)


def words_per_second(metrics: Dict):
    for key, value in metrics.items():
        if "words_per_second" in key and isinstance(value, (int, float)):
            return value
    return None


def train_and_score(label: str, root: Path, head: str, data: Path, steps: int) -> Dict:
    config, fmt, lang, splits, extra = HEADS[head]
    folder = WORK / "task_parity" / label / head
    corpus = {}
    for split, relative in zip(("train", "dev", "test"), splits):
        out = folder / "corpus" / f"{split}.spacy"
        run(root, ["convert", str(data / relative), str(out), "--format", fmt, "--lang", lang, *CONVERT_OPTIONS.get(fmt, [])],
            folder / "logs" / f"convert_{split}.log")
        corpus[split] = out
    eval_every = max(1, steps // 2)
    run(root, ["train", str(root / config), "--output", str(folder / "model"), "--paths.train", str(corpus["train"]),
               "--paths.dev", str(corpus["dev"]), "--training.max_steps", str(steps), "--training.eval_frequency", str(eval_every),
               *extra], folder / "logs" / "train.log")
    model = folder / "model" / "model-last"
    run(root, ["evaluate", str(model), str(corpus["test"]), "--output", str(folder / "test.json")], folder / "logs" / "evaluate.log")
    metrics = json.loads((folder / "test.json").read_text())
    return {"weights": weights_digest(model), "accuracy": accuracy_figures(metrics), "words_per_second": words_per_second(metrics)}


def speed_rounds(roots: Dict[str, Path], head: str, rounds: int) -> Dict:
    """words/s of ``nlp-rnn evaluate`` on the head's trained model with each package, A B A B over
    ``rounds`` (the same model: the weights are identical), and the median of each."""
    folder = WORK / "task_parity" / "head" / head
    model, test = folder / "model" / "model-last", folder / "corpus" / "test.spacy"
    found: Dict[str, List[float]] = {"base": [], "head": []}
    for index in range(rounds):
        for label in ("base", "head"):
            out = WORK / "task_parity" / "speed" / head / f"{label}_{index}.json"
            run(roots[label], ["evaluate", str(model), str(test), "--output", str(out)], out.with_suffix(".log"))
            found[label].append(words_per_second(json.loads(out.read_text())))
    return {label: {"runs": values, "median": statistics.median(values)} for label, values in found.items()}


def render(results: Dict) -> str:
    lines = [f"# Same models and figures before and after a change: {results['base']} → {results['head']}", "",
             f"Each head: its shipped config trained {results['steps']} steps (seed of the config, one thread) by each commit's "
             "package, `model-last` scored by `nlp-rnn evaluate` on the test split.", "",
             "words/s: the median of `--speed-rounds` interleaved `nlp-rnn evaluate` runs of the same model with each "
             "package where measured, else the one run after training.", "",
             "| head | weights identical | accuracy figures equal | words/s base | words/s head | head / base |",
             "|---|---|---|---|---|---|"]
    for head, row in results["heads"].items():
        base, new = row["base"]["words_per_second"], row["head"]["words_per_second"]
        if row.get("speed"):  # the interleaved rounds on one model, when measured
            base, new = row["speed"]["base"]["median"], row["speed"]["head"]["median"]
        same_accuracy = "yes" if row["same_accuracy"] else "NO: " + ", ".join(row["differing"])
        speed = [f"{base:,.0f}", f"{new:,.0f}", f"{new / base:.2f}"] if base and new else ["—", "—", "—"]
        lines.append(f"| {head} | {'yes' if row['same_weights'] else 'NO'} | {same_accuracy} | " + " | ".join(speed) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--head", default=".")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--heads", nargs="+", choices=list(HEADS), default=list(HEADS))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--name", default="task_parity")
    parser.add_argument("--render", action="store_true", help="train nothing: compare and render the JSON again")
    parser.add_argument("--speed-rounds", type=int, default=0,
                        help="train nothing: time evaluate of each trained head with both packages, interleaved, this many rounds")
    args = parser.parse_args()
    if args.render or args.speed_rounds:
        results = json.loads((RESULTS / f"{args.name}.json").read_text())
        roots = {"base": package_root(results["base"]), "head": package_root(results["head"])}
        for head, row in results["heads"].items():
            compare(row)
            if args.speed_rounds and head in args.heads:
                row["speed"] = speed_rounds(roots, head, args.speed_rounds)
                write_results(args.name, results, render(results))
        write_results(args.name, results, render(results))
        return
    data = data_dir(args.data_dir)
    roots = {"base": package_root(args.base), "head": package_root(args.head)}
    results = {"base": args.base, "head": args.head, "steps": args.steps, "heads": {}}
    for head in args.heads:
        row = {label: train_and_score(label, roots[label], head, data, args.steps) for label in ("base", "head")}
        compare(row)
        results["heads"][head] = row
        write_results(args.name, results, render(results))


if __name__ == "__main__":
    main()
