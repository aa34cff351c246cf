"""Serving benchmark: ONNX export parity, accuracy of int8, latency and throughput over HTTP.

    python benchmarks/serve.py --joint MODEL --intent MODEL [--atis MODEL] [--cais MODEL] [--peer MODEL]

Each model is exported with ``nlp-rnn export`` (fp32 and ``--quantize``), then

- parity: the exported pipeline against torch on the test split (identical intents and spans,
  largest probability / span-confidence difference), and accuracy of all three variants
  (``nlp_rnn.evaluation.evaluate``, which also gives ``nlp.pipe`` words/s at batch 256);
- one Doc at a time in-process (``nlp(text)``, the variants interleaved round by round, so load
  from other processes hits them alike): p50 / p99 ms and the ONNX / torch ratio;
- over HTTP, one ``nlp-rnn serve`` process per variant (``--threads 1``, localhost only):
  p50 / p99 of ``POST /model/parse`` over ``--requests`` sequential SNIPS test sentences,
  then throughput at concurrency 1, 8 and 32 (a bounded load loop: ``--load-requests`` requests
  or ``--load-seconds``, whichever comes first), and for the joint ONNX server a soak of
  ``--soak`` requests at concurrency 32: errors and the server's RSS after the first 1,000 and
  at the end;
- ``--peer``: the same server around a spaCy pipeline (``textcat`` + ``ner``).

The machine is shared: the load average is recorded with every phase, and ratios are only taken
between figures of the same run. Writes benchmarks/results/serve.{json,md}.
"""

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, WORK, cli, write_results  # noqa: E402

SERVE_WORK = WORK / "serve"
VARIANTS = ("torch", "onnx", "onnx_int8")


def load_average() -> List[float]:
    return [round(x, 2) for x in os.getloadavg()]


def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[index]


def summary_ms(seconds: List[float]) -> Dict:
    return {"p50_ms": round(1000 * percentile(seconds, 50), 3), "p99_ms": round(1000 * percentile(seconds, 99), 3),
            "mean_ms": round(1000 * sum(seconds) / max(1, len(seconds)), 3), "n": len(seconds)}


def export_variants(model: Path, name: str) -> Dict[str, Path]:
    """torch folder, and fp32 / int8 exports (redone when the model is newer than the export)."""
    paths = {"torch": model}
    for variant, extra in (("onnx", []), ("onnx_int8", ["--quantize"])):
        out = SERVE_WORK / "exported" / f"{name}_{variant}"
        if not (out / "config.cfg").exists() or (out / "config.cfg").stat().st_mtime < (model / "config.cfg").stat().st_mtime:
            start = time.perf_counter()
            subprocess.run(cli("export", model, out, "--threads", "1", *extra), check=True, cwd=ROOT)
            print(f"exported {name} {variant} in {time.perf_counter() - start:.1f}s", flush=True)
        paths[variant] = out
    return paths


def test_texts(test_path: Path, nlp) -> List[str]:
    from spacy.tokens import DocBin

    return [doc.text for doc in DocBin().from_disk(test_path).get_docs(nlp.vocab)]


def parity(paths: Dict[str, Path], test_path: Path) -> Dict:
    """Exported vs torch on every test sentence: identical intent and spans, largest differences."""
    import spacy

    torch_nlp, onnx_nlp = spacy.load(paths["torch"]), spacy.load(paths["onnx"])
    texts = test_texts(test_path, torch_nlp)
    same = max_prob = max_conf = 0.0
    for a, b in zip(torch_nlp.pipe(texts, batch_size=64), onnx_nlp.pipe(texts, batch_size=37)):
        intent_a = max(a.cats, key=a.cats.get) if a.cats else None
        intent_b = max(b.cats, key=b.cats.get) if b.cats else None
        spans_a = [(e.start_char, e.end_char, e.label_) for e in a.ents]
        spans_b = [(e.start_char, e.end_char, e.label_) for e in b.ents]
        same += intent_a == intent_b and spans_a == spans_b
        if a.cats:
            max_prob = max(max_prob, max(abs(a.cats[k] - b.cats[k]) for k in a.cats))
        if spans_a == spans_b:
            for x, y in zip(a.ents, b.ents):
                if x._.confidence is not None and y._.confidence is not None:
                    max_conf = max(max_conf, abs(x._.confidence - y._.confidence))
    return {"sentences": len(texts), "identical_fraction": same / len(texts), "max_probability_diff": max_prob,
            "max_span_confidence_diff": max_conf, "load_average": load_average()}


def accuracy(paths: Dict[str, Path], test_path: Path) -> Dict:
    from nlp_rnn.api import evaluate, load_pipeline

    results = {}
    for variant, path in paths.items():
        metrics = evaluate(load_pipeline(path), test_path, batch_size=256)
        results[variant] = {k: metrics[k] for k in ("intent_accuracy", "span_f1", "exact_match", "words_per_second") if k in metrics}
        results[variant]["load_average"] = load_average()
    return results


def pipe_vs_peer(paths: Dict[str, Path], peer: Path, test_path: Path, rounds: int = 2) -> Dict:
    """``nlp.pipe`` (batch 256) words/s and accuracy of the joint variants and the spaCy
    ``textcat`` + ``ner`` peer on the same test split, interleaved round by round."""
    from nlp_rnn.api import evaluate, load_pipeline

    nlps = {variant: load_pipeline(path) for variant, path in paths.items()}
    nlps["spacy_textcat_ner"] = load_pipeline(peer)
    runs: Dict[str, List[Dict]] = {name: [] for name in nlps}
    for _ in range(rounds):
        for name, nlp in nlps.items():
            runs[name].append(evaluate(nlp, test_path, batch_size=256))
    result = {}
    for name, metrics in runs.items():
        best = max(metrics, key=lambda m: m["words_per_second"])
        result[name] = {k: best[k] for k in ("intent_accuracy", "span_f1", "exact_match", "words_per_second") if k in best}
    for variant in paths:
        result[f"{variant}_speed_ratio_to_peer"] = result[variant]["words_per_second"] / result["spacy_textcat_ner"]["words_per_second"]
    result["load_average"] = load_average()
    return result


def single_doc_latency(paths: Dict[str, Path], texts: List[str], rounds: int = 3) -> Dict:
    """nlp(text) one Doc at a time, the variants interleaved: per round each variant runs all texts."""
    import spacy

    nlps = {variant: spacy.load(path) for variant, path in paths.items()}
    times: Dict[str, List[float]] = {variant: [] for variant in nlps}
    for nlp in nlps.values():
        for text in texts[:20]:
            nlp(text)
    for _ in range(rounds):
        for variant, nlp in nlps.items():
            for text in texts:
                start = time.perf_counter()
                nlp(text)
                times[variant].append(time.perf_counter() - start)
    result = {variant: summary_ms(values) for variant, values in times.items()}
    result["onnx_speedup_p50"] = result["torch"]["p50_ms"] / result["onnx"]["p50_ms"]
    result["onnx_int8_speedup_p50"] = result["torch"]["p50_ms"] / result["onnx_int8"]["p50_ms"]
    result["load_average"] = load_average()
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``nlp-rnn serve MODEL`` on a free localhost port, for the duration of a ``with`` block."""

    def __init__(self, model: Path, log: Path, extra: Optional[List[str]] = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log.open("w")
        command = cli("serve", model, "--host", "127.0.0.1", "--port", str(self.port), "--threads", "1", *(extra or []))
        self.process = subprocess.Popen([str(c) for c in command], stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)

    def __enter__(self) -> "Server":
        import httpx

        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}, see {self.log.name}")
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.3)
        raise RuntimeError("server did not start in 180 s")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def sequential_latency(base: str, texts: List[str], n: int) -> Dict:
    import httpx

    latencies, errors = [], 0
    with httpx.Client(base_url=base, timeout=30) as client:
        for text in texts[:20]:
            client.post("/model/parse", json={"text": text})
        for i in range(n):
            start = time.perf_counter()
            response = client.post("/model/parse", json={"text": texts[i % len(texts)]})
            latencies.append(time.perf_counter() - start)
            errors += response.status_code != 200
    return dict(summary_ms(latencies), errors=errors, load_average=load_average())


async def bounded_load(base: str, texts: List[str], n: int, concurrency: int, max_seconds: float, on_progress=None) -> Dict:
    """``concurrency`` clients send ``/model/parse`` requests until ``n`` are done or ``max_seconds``
    pass. ``on_progress(done)`` is called after each completed request."""
    import httpx

    latencies: List[float] = []
    errors = 0
    issued = 0
    stop_at = time.monotonic() + max_seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        async def worker():
            nonlocal issued, errors
            while issued < n and time.monotonic() < stop_at:
                text = texts[issued % len(texts)]
                issued += 1
                start = time.perf_counter()
                try:
                    response = await client.post("/model/parse", json={"text": text})
                    errors += response.status_code != 200
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - start)
                if on_progress is not None:
                    on_progress(len(latencies))

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - start
    return dict(summary_ms(latencies), requests=len(latencies), errors=errors, seconds=round(seconds, 2),
                requests_per_second=round(len(latencies) / seconds, 1), concurrency=concurrency, load_average=load_average())


def http_benchmarks(name: str, path: Path, texts: List[str], args, soak: bool = False) -> Dict:
    result: Dict = {}
    with Server(path, SERVE_WORK / "logs" / f"serve_{name}.log") as server:
        result["rss_mb_at_start"] = round(server.rss_mb(), 1)
        result["sequential"] = sequential_latency(server.base, texts, args.requests)
        print(f"{name}: sequential {result['sequential']}", flush=True)
        result["throughput"] = {}
        for concurrency in (1, 8, 32):
            result["throughput"][str(concurrency)] = asyncio.run(bounded_load(server.base, texts, args.load_requests, concurrency, args.load_seconds))
            print(f"{name}: concurrency {concurrency}: {result['throughput'][str(concurrency)]}", flush=True)
        if soak:
            marks: Dict[str, float] = {}

            def progress(done: int) -> None:
                if done == 1000 and "after_1000" not in marks:
                    marks["after_1000"] = server.rss_mb()

            run = asyncio.run(bounded_load(server.base, texts, args.soak, 32, args.soak_seconds, progress))
            marks["at_end"] = server.rss_mb()
            run["rss_mb"] = {k: round(v, 1) for k, v in marks.items()}
            run["rss_growth_mb"] = round(marks["at_end"] - marks.get("after_1000", float("nan")), 1)
            result["soak"] = run
            print(f"{name}: soak {run}", flush=True)
    return result


def render(results: Dict) -> str:
    lines = ["# Serving benchmark (CPU, shared machine)", ""]
    lines.append(f"Machine: {results['machine']['cpus']} CPUs, load average at start {results['machine']['load_average_start']}, "
                 f"at end {results['machine'].get('load_average_end')}; every server and in-process run uses 1 thread.")
    lines += ["", "## Parity of the ONNX export with torch (test split)", "",
              "| model | sentences | identical intent + spans | max prob. diff | max span conf. diff |", "|---|---|---|---|---|"]
    for name, entry in results["models"].items():
        p = entry.get("parity")
        if p:
            lines.append(f"| {name} | {p['sentences']} | {100 * p['identical_fraction']:.2f}% | {p['max_probability_diff']:.2e} | {p['max_span_confidence_diff']:.2e} |")
    lines += ["", "## Accuracy and nlp.pipe speed (batch 256) by runtime", "",
              "| model | runtime | intent acc. | span F1 | exact match | words/s |", "|---|---|---|---|---|---|"]
    for name, entry in results["models"].items():
        for variant, m in entry.get("accuracy", {}).items():
            fmt = lambda key: f"{100 * m[key]:.2f}" if key in m else "–"  # noqa: E731
            lines.append(f"| {name} | {variant} | {fmt('intent_accuracy')} | {fmt('span_f1')} | {fmt('exact_match')} | {m['words_per_second']:,.0f} |")
    lines += ["", "## One Doc at a time in-process (nlp(text), SNIPS test, variants interleaved)", "",
              "| model | torch p50 / p99 ms | ONNX p50 / p99 ms | ONNX int8 p50 / p99 ms | ONNX speed-up (p50) | int8 speed-up |", "|---|---|---|---|---|---|"]
    for name, entry in results["models"].items():
        s = entry.get("single_doc")
        if s:
            cell = lambda v: f"{s[v]['p50_ms']:.2f} / {s[v]['p99_ms']:.2f}"  # noqa: E731
            lines.append(f"| {name} | {cell('torch')} | {cell('onnx')} | {cell('onnx_int8')} | {s['onnx_speedup_p50']:.2f}× | {s['onnx_int8_speedup_p50']:.2f}× |")
    versus = results.get("pipe_vs_peer")
    if versus:
        lines += ["", "## SNIPS joint vs spaCy textcat + ner: nlp.pipe (batch 256), same run, best of 2 interleaved rounds", "",
                  "| pipeline | intent acc. | span F1 | words/s | ratio to spaCy |", "|---|---|---|---|---|"]
        for name in ("torch", "onnx", "onnx_int8", "spacy_textcat_ner"):
            m = versus[name]
            ratio = versus.get(f"{name}_speed_ratio_to_peer", 1.0)
            lines.append(f"| {name} | {100 * m['intent_accuracy']:.2f} | {100 * m['span_f1']:.2f} | {m['words_per_second']:,.0f} | {ratio:.2f}× |")
    lines += ["", "## HTTP: POST /model/parse on localhost (`nlp-rnn serve --threads 1`)", "",
              "| server | sequential p50 / p99 ms | req/s at concurrency 1 / 8 / 32 | p99 ms at 32 | errors | RSS MB |", "|---|---|---|---|---|---|"]
    for name, entry in results["http"].items():
        seq, tp = entry["sequential"], entry["throughput"]
        errors = seq["errors"] + sum(t["errors"] for t in tp.values())
        rates = " / ".join(f"{tp[c]['requests_per_second']:.0f}" for c in ("1", "8", "32"))
        lines.append(f"| {name} | {seq['p50_ms']:.2f} / {seq['p99_ms']:.2f} (n={seq['n']}) | {rates} | {tp['32']['p99_ms']:.1f} | {errors} | {entry['rss_mb_at_start']:.0f} |")
    for name, entry in results["http"].items():
        soak = entry.get("soak")
        if soak:
            lines += ["", f"Soak ({name}): {soak['requests']:,} requests at concurrency 32 in {soak['seconds']} s "
                      f"({soak['requests_per_second']:.0f} req/s), {soak['errors']} errors; server RSS after the first 1,000 "
                      f"{soak['rss_mb'].get('after_1000')} MB, at the end {soak['rss_mb']['at_end']} MB (growth {soak['rss_growth_mb']} MB)."]
    lines += ["", "Figures come from one run of `python benchmarks/serve.py` (arguments in serve.json); the load "
              "generator runs on the same 2 cores as the server, so HTTP figures include its cost.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--joint", type=Path, required=True, help="SNIPS rnn_joint pipeline (model-best)")
    parser.add_argument("--intent", type=Path, help="SNIPS rnn_intent pipeline")
    parser.add_argument("--atis", type=Path, help="ATIS rnn_joint pipeline (parity only)")
    parser.add_argument("--cais", type=Path, help="CAIS rnn_joint pipeline (parity only)")
    parser.add_argument("--peer", type=Path, help="spaCy textcat + ner pipeline served the same way")
    parser.add_argument("--test-dir", type=Path, default=SERVE_WORK, help="folder with snips_test.spacy, atis_test.spacy, cais_test.spacy")
    parser.add_argument("--requests", type=int, default=2000, help="sequential requests per server")
    parser.add_argument("--load-requests", type=int, default=1500)
    parser.add_argument("--load-seconds", type=float, default=30.0)
    parser.add_argument("--soak", type=int, default=10_000)
    parser.add_argument("--soak-seconds", type=float, default=300.0)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--pipe-vs-peer-only", action="store_true",
                        help="only run the nlp.pipe comparison with --peer and add it to an existing serve.json")
    args = parser.parse_args()
    os.environ["NLP_RNN_THREADS"] = "1"
    from nlp_rnn.api import prepare_threads

    prepare_threads(1)
    import spacy

    if args.pipe_vs_peer_only:
        from common import RESULTS

        results = json.loads((RESULTS / "serve.json").read_text())
        paths = export_variants(args.joint, "snips_joint")
        results["pipe_vs_peer"] = pipe_vs_peer(paths, args.peer, args.test_dir / "snips_test.spacy")
        write_results("serve", results, render(results))
        return
    results: Dict = {
        "arguments": {k: str(v) for k, v in vars(args).items()},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_average_start": load_average(),
                    "spacy": spacy.__version__},
        "models": {}, "http": {},
    }
    models = {"snips_joint": (args.joint, "snips"), "snips_intent": (args.intent, "snips"), "atis_joint": (args.atis, "atis"), "cais_joint": (args.cais, "cais")}
    exported = {}
    for name, (model, data) in models.items():
        if model is None:
            continue
        test_path = args.test_dir / f"{data}_test.spacy"
        paths = exported[name] = export_variants(model, name)
        entry = results["models"][name] = {"model": str(model)}
        entry["parity"] = parity(paths, test_path)
        print(f"{name}: parity {entry['parity']}", flush=True)
        entry["accuracy"] = accuracy(paths, test_path)
        print(f"{name}: accuracy {entry['accuracy']}", flush=True)
        if data == "snips":
            texts = test_texts(test_path, spacy.blank("en"))
            entry["single_doc"] = single_doc_latency(paths, texts)
            print(f"{name}: single doc {entry['single_doc']}", flush=True)
        write_results("serve", results, render(results))
    if not args.skip_http:
        texts = test_texts(args.test_dir / "snips_test.spacy", spacy.blank("en"))
        for name in ("snips_joint", "snips_intent"):
            for variant in VARIANTS:
                if name in exported:
                    key = f"{name}/{variant}"
                    results["http"][key] = http_benchmarks(key.replace("/", "_"), exported[name][variant], texts, args,
                                                           soak=(name == "snips_joint" and variant == "onnx"))
                    write_results("serve", results, render(results))
        if args.peer:
            results["http"]["spacy_textcat_ner"] = http_benchmarks("spacy_peer", args.peer, texts, args)
    if args.peer and "snips_joint" in exported:
        results["pipe_vs_peer"] = pipe_vs_peer(exported["snips_joint"], args.peer, args.test_dir / "snips_test.spacy")
    results["machine"]["load_average_end"] = load_average()
    write_results("serve", results, render(results))


if __name__ == "__main__":
    main()
