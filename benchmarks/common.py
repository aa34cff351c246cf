"""Shared plumbing for the benchmark scripts: data location, running CLI commands, timing."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
WORK = RESULTS / "work"


def data_dir(option: Optional[str]) -> Path:
    """``--data-dir``, else ``$NLP_RNN_DATA_DIR``, else ``../shared/data`` beside the checkout."""
    path = Path(option or os.environ.get("NLP_RNN_DATA_DIR", ROOT.parent / "shared" / "data"))
    if not path.exists():
        sys.exit(f"benchmark data not found at {path}: pass --data-dir or set NLP_RNN_DATA_DIR")
    return path


def run(command: List[str], log: Path) -> float:
    """Run a command (the same CLI a user types), log its output, return wall seconds."""
    log.parent.mkdir(parents=True, exist_ok=True)
    print("$", " ".join(str(c) for c in command), flush=True)
    start = time.perf_counter()
    with log.open("w") as handle:
        result = subprocess.run([str(c) for c in command], stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"command failed ({result.returncode}), see {log}:\n{log.read_text()[-3000:]}")
    return seconds


def cli(*args) -> List[str]:
    """``nlp-rnn ARGS`` run with this interpreter."""
    return [sys.executable, "-m", "nlp_rnn", *args]


def spacy_cli(*args) -> List[str]:
    return [sys.executable, "-m", "spacy", *args]


def seconds_to_best(output_dir: Path, started: float) -> float:
    """When training last wrote model-best, counted from the start of the train command."""
    return (output_dir / "model-best" / "meta.json").stat().st_mtime - started


def write_results(name: str, results: Dict, table: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    (RESULTS / f"{name}.md").write_text(table)
    print(table)
    print(f"wrote {RESULTS / (name + '.json')} and {RESULTS / (name + '.md')}")
