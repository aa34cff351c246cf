"""Batch annotation benchmark: flat memory, process / Ray scaling, kill -9 and resume.

    python benchmarks/annotate.py [--lines 1000000] [--quick] [--model DIR] [--no-ray]

Trains a small intent model on the bundled data/en/train.jsonl (or takes ``--model``), writes
synthetic JSONL inputs and runs the ``nlp-rnn annotate`` CLI on them:

(a) peak RSS (``os.wait4`` of the CLI process) on 10,000 lines vs ``--lines`` lines (1,000,000):
    target at most +100 MB;
(b) throughput on 1,000,000 lines (``--throughput-lines``) with ``--n-process 1``,
    ``--n-process 2`` (target ≥ 1.6×), ``--engine ray --n-process 2``, and spaCy's own
    ``nlp.pipe(n_process=2)`` (on the first 200,000) for comparison;
    end to end (process start, model and worker loading included) and steady (output lines per
    second once the first batch is written, from watching the output grow);
(c) 20,000 lines with 200 broken lines at random positions; the CLI is killed with SIGKILL three
    times mid-run and resumed each time: exactly 20,000 records, in order, error records exactly
    on the broken lines.

Every process runs with OMP_NUM_THREADS=1, so ``--n-process`` is the only parallelism. ``--quick``
shrinks (a) to 2,000 vs 20,000 lines and (b) to 20,000 lines. Writes
benchmarks/results/annotate.json and annotate.md.
"""

import argparse
import json
import os
import platform
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Set

from common import ROOT, WORK, write_results
from nlp_rnn.api import nest_encoder_settings

ANNOTATE = [sys.executable, "-m", "nlp_rnn", "annotate"]
BENCH = WORK / "annotate"
ENV = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
SMALL_MODEL = {"feature_widths": [32, 16, 16, 8], "hidden_size": 32, "dropout": 0.0, "embedding_dropout": 0.0}
RSS_TARGET_MB = 100
SPEEDUP_TARGET = 1.6
SPACY_PIPE_LINES = 200_000


# -- model and data -------------------------------------------------------------------------------


def train_model(path: Path, epochs: int = 8, seed: int = 0) -> Path:
    """A small rnn_intent pipeline trained on data/en/train.jsonl with the Python API."""
    import spacy
    from spacy.training import Example

    from nlp_rnn.api import blank_pipeline

    rows = [json.loads(line) for line in (ROOT / "data" / "en" / "train.jsonl").read_text().splitlines()]
    labels = sorted({row["intent"] for row in rows})
    nlp = blank_pipeline("en")
    nlp.add_pipe("rnn_intent", config={"model": nest_encoder_settings(SMALL_MODEL)})
    spacy.util.fix_random_seed(seed)
    examples = [
        Example.from_dict(nlp.make_doc(row["text"]), {"cats": {l: float(l == row["intent"]) for l in labels}})
        for row in rows
    ]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(examples)
        for i in range(0, len(examples), 32):
            nlp.update(examples[i : i + 32], sgd=optimizer)
    nlp.to_disk(path)
    return path


def corpus_texts() -> List[str]:
    texts = []
    for split in ("train", "dev", "test"):
        for line in (ROOT / "data" / "en" / f"{split}.jsonl").read_text().splitlines():
            texts.append(json.loads(line)["text"])
    return texts


def write_input(path: Path, n: int, broken: Optional[Set[int]] = None, seed: int = 0) -> Path:
    """``n`` JSONL lines {"id", "text"}; the line numbers in ``broken`` are invalid JSON, written
    streaming so a million lines never sit in memory. Each text is a bundled one plus a reference
    number never seen before, so the vocabulary keeps meeting new words, as in a real corpus."""
    texts, rng, broken = corpus_texts(), random.Random(seed), broken or set()
    with path.open("w", encoding="utf-8") as handle:
        for line in range(1, n + 1):
            if line in broken:
                handle.write('{"id": %d, "text": "never closed\n' % line)
            else:
                text = f"{rng.choice(texts)} (ref {rng.randrange(10 ** 12)})"
                handle.write(json.dumps({"id": line, "text": text}) + "\n")
    return path


# -- running the CLI ------------------------------------------------------------------------------


class OutputWatcher(threading.Thread):
    """Counts the output's lines every 20 ms: (seconds since start, lines) samples."""

    def __init__(self, path: Path, started: float):
        super().__init__(daemon=True)
        self.path, self.started, self.samples, self.lines, self.done = path, started, [], 0, False

    def run(self) -> None:
        handle = None
        while not self.done:
            if handle is None and self.path.exists():
                handle = self.path.open("rb")
            if handle is not None:
                self.lines += handle.read().count(b"\n")
                self.samples.append((time.perf_counter() - self.started, self.lines))
            time.sleep(0.02)
        if handle is not None:
            handle.close()


def busy_and_total_ticks():
    """(busy, total) CPU ticks of the whole machine from /proc/stat (None elsewhere)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def run_cli(args: List, output: Path, kill_at_lines: Optional[int] = None, timeout: float = 3600) -> Dict:
    """Run ``nlp-rnn annotate ARGS``; wall seconds, peak RSS (MB), steady output lines/s. With
    ``kill_at_lines``, SIGKILL it once the output holds that many more lines than at the start."""
    command = [str(a) for a in ANNOTATE + list(args)]
    before = output.read_bytes().count(b"\n") if output.exists() else 0
    ticks = busy_and_total_ticks()
    started = time.perf_counter()
    logs = [(BENCH / f"cli.{stream}").open("w+") for stream in ("out", "err")]
    process = subprocess.Popen(command, env=ENV, cwd=ROOT, stdout=logs[0], stderr=logs[1])
    watcher = OutputWatcher(output, started)
    watcher.start()
    killed = False
    if kill_at_lines is not None:
        while process.poll() is None and watcher.lines - before < kill_at_lines:
            if time.perf_counter() - started > timeout:
                break
            time.sleep(0.005)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed = True
    try:
        _, status, usage = os.wait4(process.pid, 0)
    except ChildProcessError:
        status, usage = 0, None
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status) if usage is not None else process.poll()
    for log in logs:
        log.seek(0)
    stdout, stderr = (log.read() for log in logs)
    for log in logs:
        log.close()
    watcher.done = True
    watcher.join()
    if not killed and process.returncode != 0:
        sys.exit(f"annotate failed ({process.returncode}):\n$ {' '.join(command)}\n{stderr[-3000:]}")
    result = {"seconds": seconds, "killed": killed, "summary": stdout.strip()}
    if usage is not None:
        result["peak_rss_mb"] = usage.ru_maxrss / 1024
        result["cpu_seconds"] = usage.ru_utime + usage.ru_stime  # the CLI and its pool workers
        after = busy_and_total_ticks()
        if ticks and after:
            hz = os.sysconf("SC_CLK_TCK")
            # CPUs kept busy by other processes on the machine meanwhile (contention)
            result["other_cpus_busy"] = max(0.0, ((after[0] - ticks[0]) / hz - result["cpu_seconds"]) / seconds)
    result.update(steady_rate(watcher.samples, before))
    return result


def steady_rate(samples, before: int) -> Dict:
    """Output lines per second from the first written batch to the last sample."""
    written = [(t, n) for t, n in samples if n > before]
    if len(written) < 2 or written[-1][0] <= written[0][0]:
        return {}
    (t0, n0), (t1, n1) = written[0], written[-1]
    return {"first_output_seconds": t0, "steady_docs_per_second": (n1 - n0) / (t1 - t0)}


def check_output(path: Path, n: int, broken: Set[int]) -> Dict:
    """Exactly ``n`` records, lines 1..n in order, error records exactly on ``broken``."""
    lines, errors, in_order = 0, set(), True
    with path.open("rb") as handle:
        for expected, raw in enumerate(handle, start=1):
            record = json.loads(raw)
            in_order = in_order and record["line"] == expected
            if "error" in record:
                errors.add(record["line"])
            lines += 1
    return {"records": lines, "in_order": in_order, "errors_on_broken_lines": errors == broken,
            "ok": lines == n and in_order and errors == broken}


# -- the three measurements -----------------------------------------------------------------------


def memory(model: Path, small: int, large: int) -> Dict:
    result = {}
    for n in (small, large):
        source = write_input(BENCH / f"memory_{n}.jsonl", n)
        output = BENCH / f"memory_{n}.out.jsonl"
        run = run_cli([model, source, output, "--overwrite", "--no-progress"], output)
        result[str(n)] = {"lines": n, "peak_rss_mb": run["peak_rss_mb"], "seconds": run["seconds"],
                          "docs_per_second": n / run["seconds"]}
        print(f"memory {n:,} lines: peak RSS {run['peak_rss_mb']:.0f} MB in {run['seconds']:.1f} s", flush=True)
        source.unlink()
        output.unlink()
    result["growth_mb"] = result[str(large)]["peak_rss_mb"] - result[str(small)]["peak_rss_mb"]
    result["target_mb"] = RSS_TARGET_MB
    result["ok"] = result["growth_mb"] <= RSS_TARGET_MB
    return result


def spacy_pipe(model: Path, source: Path, n_process: int, limit: int, timeout: float = 600) -> Dict:
    """spaCy's own ``nlp.pipe(n_process=N)`` + the argmax in the parent, for comparison, on the
    first ``limit`` lines (its texts are held in memory)."""
    script = (
        "import json, sys, time, spacy\n"
        "nlp = spacy.load(sys.argv[1])\n"
        "lines = open(sys.argv[2])\n"
        "texts = [json.loads(next(lines))['text'] for _ in range(int(sys.argv[4]))]\n"
        "start = time.perf_counter()\n"
        "n = sum(1 for doc in nlp.pipe(texts, n_process=int(sys.argv[3]), batch_size=256) if max(doc.cats, key=doc.cats.get))\n"
        "print(json.dumps({'docs': n, 'seconds': time.perf_counter() - start}))\n"
    )
    try:
        done = subprocess.run([sys.executable, "-c", script, str(model), str(source), str(n_process), str(limit)],
                              env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s"}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {"docs_per_second": figures["docs"] / figures["seconds"], "seconds": figures["seconds"], "lines": limit}


def throughput(model: Path, n: int, with_ray: bool) -> Dict:
    source = write_input(BENCH / f"throughput_{n}.jsonl", n)
    result = {"lines": n}
    runs = {"n_process_1": ["--n-process", "1"], "n_process_2": ["--n-process", "2"]}
    if with_ray:
        runs["ray_2_workers"] = ["--engine", "ray", "--n-process", "2"]
    for name, options in runs.items():
        output = BENCH / f"throughput_{name}.jsonl"
        run = run_cli([model, source, output, "--overwrite", "--no-progress", *options], output)
        entry = {"seconds": run["seconds"], "docs_per_second": n / run["seconds"],
                 "steady_docs_per_second": run.get("steady_docs_per_second"),
                 "first_output_seconds": run.get("first_output_seconds"),
                 "cpu_seconds": run.get("cpu_seconds"), "other_cpus_busy": run.get("other_cpus_busy")}
        result[name] = entry
        steady = entry["steady_docs_per_second"]
        print(f"throughput {name}: {entry['docs_per_second']:,.0f} docs/s end to end, "
              f"{steady or 0:,.0f} docs/s steady, {run['seconds']:.1f} s, {entry['cpu_seconds'] or 0:.1f} CPU s, "
              f"other processes kept {entry['other_cpus_busy'] or 0:.2f} CPUs busy", flush=True)
    reference = (BENCH / "throughput_n_process_1.jsonl").read_bytes().splitlines()
    for name in runs:
        if name != "n_process_1":
            other = (BENCH / f"throughput_{name}.jsonl").read_bytes().splitlines()
            result[name]["same_records_as_n_process_1"] = same_records(reference, other)
    result["spacy_pipe_n_process_2"] = spacy_pipe(model, source, 2, min(n, SPACY_PIPE_LINES))
    print(f"throughput spaCy nlp.pipe(n_process=2): {result['spacy_pipe_n_process_2']}", flush=True)
    one, two = result["n_process_1"], result["n_process_2"]
    result["speedup_end_to_end"] = two["docs_per_second"] / one["docs_per_second"]
    if one["steady_docs_per_second"] and two["steady_docs_per_second"]:
        result["speedup_steady"] = two["steady_docs_per_second"] / one["steady_docs_per_second"]
    result["target"] = SPEEDUP_TARGET
    result["ok"] = max(result["speedup_end_to_end"], result.get("speedup_steady", 0)) >= SPEEDUP_TARGET
    for path in BENCH.glob("throughput_*"):
        path.unlink()
    return result


def same_records(left: List[bytes], right: List[bytes]) -> bool:
    if len(left) != len(right):
        return False
    for a, b in zip(left, right):
        a, b = json.loads(a), json.loads(b)
        if abs(a.pop("confidence", 0) - b.pop("confidence", 0)) > 1e-5 or a != b:
            return False
    return True


def kill_and_resume(model: Path, n: int = 20000, n_broken: int = 200, seed: int = 1) -> Dict:
    broken = set(random.Random(seed).sample(range(1, n + 1), n_broken))
    source = write_input(BENCH / "resume.jsonl", n, broken)
    output = BENCH / "resume.out.jsonl"
    if output.exists():
        output.unlink()
    rounds = []
    for i, (n_process, fraction) in enumerate([(1, 0.2), (2, 0.25), (1, 0.3)]):
        options = ["--resume"] if i else []
        run = run_cli([model, source, output, "--batch-size", "64", "--n-process", n_process, "--no-progress", *options],
                      output, kill_at_lines=int(n * fraction))
        lines = output.read_bytes().count(b"\n")
        rounds.append({"n_process": n_process, "killed": run["killed"], "lines_after_kill": lines})
        print(f"kill {i + 1}: n_process {n_process}, killed={run['killed']}, {lines:,} complete lines", flush=True)
    final = run_cli([model, source, output, "--batch-size", "64", "--n-process", "2", "--resume", "--no-progress"], output)
    result = {"lines": n, "broken": n_broken, "rounds": rounds, "final_summary": final["summary"]}
    result.update(check_output(output, n, broken))
    result["ok"] = result["ok"] and all(r["killed"] for r in rounds)
    print(f"resume: {result['records']:,} records, in order {result['in_order']}, "
          f"errors exactly on broken lines {result['errors_on_broken_lines']}", flush=True)
    source.unlink()
    output.unlink()
    return result


# -- report ---------------------------------------------------------------------------------------


def markdown(results: Dict) -> str:
    m, t, k = results["memory"], results["throughput"], results["kill_resume"]
    small, large = sorted((v for v in m.values() if isinstance(v, dict)), key=lambda v: v["lines"])
    rate = lambda entry: f"{entry['docs_per_second']:,.0f}" if "docs_per_second" in entry else entry.get("error", "–")
    steady = lambda entry: f"{entry['steady_docs_per_second']:,.0f}" if entry.get("steady_docs_per_second") else "–"
    lines = [
        "# Batch annotation benchmark (`nlp-rnn annotate`, small rnn_intent model, CPU)",
        "",
        f"Machine: {results['machine']['cpus']} CPUs ({results['machine']['processor']}), "
        f"load average {results['machine']['load_average_at_start']} at the start; OMP_NUM_THREADS=1.",
        "",
        "## (a) Memory: peak RSS of the CLI process",
        "",
        "| lines | peak RSS MB | seconds |",
        "|---|---|---|",
        f"| {small['lines']:,} | {small['peak_rss_mb']:.0f} | {small['seconds']:.1f} |",
        f"| {large['lines']:,} | {large['peak_rss_mb']:.0f} | {large['seconds']:.1f} |",
        "",
        f"Growth {m['growth_mb']:+.0f} MB (target ≤ +{m['target_mb']} MB): {'OK' if m['ok'] else 'MISSED'}",
        "",
        f"## (b) Throughput on {t['lines']:,} lines",
        "",
        "| run | docs/s end to end | docs/s steady | seconds | CPU s (all processes) | CPUs busy with others | same records as n_process 1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("n_process_1", "n_process_2", "ray_2_workers"):
        if name in t:
            e = t[name]
            lines.append(
                f"| {name} | {rate(e)} | {steady(e)} | {e['seconds']:.1f} | {e['cpu_seconds'] or 0:.1f} "
                f"| {e['other_cpus_busy'] or 0:.2f} | {e.get('same_records_as_n_process_1', '–')} |"
            )
    sp = t["spacy_pipe_n_process_2"]
    lines.append(f"| spaCy nlp.pipe(n_process=2), first {sp.get('lines', 0):,} texts in memory, timed after loading | {rate(sp)} | – | {sp.get('seconds', 0):.1f} | – | – | – |")
    lines += [
        "",
        f"n_process 2 / 1: {t['speedup_end_to_end']:.2f}× end to end, {t.get('speedup_steady', 0):.2f}× steady "
        f"(target ≥ {t['target']}×): {'OK' if t['ok'] else 'MISSED'}",
        "",
        f"## (c) kill -9 three times, then --resume ({k['lines']:,} lines, {k['broken']} broken)",
        "",
        "| round | n_process | killed | complete lines after the kill |",
        "|---|---|---|---|",
    ]
    for i, r in enumerate(k["rounds"], start=1):
        lines.append(f"| {i} | {r['n_process']} | {r['killed']} | {r['lines_after_kill']:,} |")
    lines += [
        "",
        f"Final: {k['records']:,} records, in order: {k['in_order']}, error records exactly on the broken lines: "
        f"{k['errors_on_broken_lines']}: {'OK' if k['ok'] else 'FAILED'}",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="large input for the memory run")
    parser.add_argument("--small-lines", type=int, default=10_000, help="small input for the memory run")
    parser.add_argument("--throughput-lines", type=int, default=1_000_000,
                        help="input for the throughput runs (spaCy's nlp.pipe gets its first 200,000)")
    parser.add_argument("--kill-lines", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="2,000 vs 20,000 lines for memory, 20,000 for throughput")
    parser.add_argument("--model", type=Path, default=None, help="pipeline folder (default: train a small one)")
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray run")
    args = parser.parse_args()
    if args.quick:
        args.lines, args.small_lines, args.throughput_lines = min(args.lines, 20_000), 2_000, 20_000
    BENCH.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    model = args.model or train_model(BENCH / "model")
    try:
        import ray  # noqa: F401

        with_ray = not args.no_ray
    except ImportError:
        with_ray = False
    results = {
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
        "settings": {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()}
        | {"model": str(model), "ray": with_ray},
        "memory": memory(model, args.small_lines, args.lines),
        "throughput": throughput(model, args.throughput_lines, with_ray),
        "kill_resume": kill_and_resume(model, args.kill_lines),
    }
    results["seconds"] = time.perf_counter() - started
    write_results("annotate", results, markdown(results))


if __name__ == "__main__":
    main()
