"""Two Ray nodes on this machine, one killed mid-run (``ray.cluster_utils.Cluster``: a head and a
worker node with one CPU each).

- ``nlp-rnn annotate --engine ray --ray-address`` over 20,000 lines, the worker node killed once
  output is being written: the run finishes on the head node or stops with one clear line, and
  ``--resume`` completes it; the output equals the local engine's (nothing lost, doubled or
  reordered).
- ``nlp-rnn tune --ray`` with the worker node killed while a trial runs there: the search ends,
  every trial is in the report (the lost one retried or failed), and the best is a complete trial.

Marked ``ray_cluster`` and skipped unless ``NLP_RNN_RAY_CLUSTER=1`` (each takes one to three minutes
on two cores): ``bash scripts/ray_cluster_check.sh`` runs them. Every command runs in a subprocess
bounded by a timeout, so a Ray job that waits forever fails the test.
"""

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import ROOT, TINY_EN, train_tiny_intent
from test_annotate import assert_complete, assert_same_records, corpus, read_records, write_jsonl_lines
from test_train_cli import TINY_MODEL, write_docbin

pytestmark = [
    pytest.mark.ray_cluster,
    pytest.mark.skipif(os.environ.get("NLP_RNN_RAY_CLUSTER") != "1", reason="set NLP_RNN_RAY_CLUSTER=1 (scripts/ray_cluster_check.sh)"),
]
NLP_RNN = [sys.executable, "-c", "import nlp_rnn.cli; nlp_rnn.cli.main()"]
ENV = dict(os.environ, NLP_RNN_THREADS="1", OMP_NUM_THREADS="1", RAY_ADDRESS="")


@contextmanager
def two_nodes(head_cpus: int, worker_cpus: int):
    """A head and a worker node on this machine; yields (cluster, worker node)."""
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": head_cpus, "include_dashboard": False})
    worker = cluster.add_node(num_cpus=worker_cpus)
    cluster.wait_for_nodes()
    try:
        yield cluster, worker
    finally:
        ray.shutdown()
        cluster.shutdown()


@pytest.fixture
def annotate_cluster():
    # Ray CPUs, not cores: the engine sizes its actors from the cluster's total CPUs (1.0 each here)
    # and a lost actor can only come back where a whole one still fits beside the read task
    with two_nodes(3, 1) as nodes:
        yield nodes


@pytest.fixture
def tune_cluster():
    with two_nodes(1, 1) as nodes:  # one trial slot per node
        yield nodes


def wait_until(condition, timeout: float, what: str) -> None:
    end = time.time() + timeout
    while not condition():
        if time.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def line_count(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def test_annotate_survives_a_killed_worker_node(tmp_path, annotate_cluster):
    cluster, worker = annotate_cluster
    model = tmp_path / "model"
    train_tiny_intent("en").to_disk(model)
    n = 20_000
    lines, broken = corpus(n, broken_every=997)
    source = write_jsonl_lines(tmp_path / "in.jsonl", lines)
    local = tmp_path / "local.jsonl"
    subprocess.run(NLP_RNN + ["annotate", str(model), str(source), str(local), "--no-progress", "-b", "64"],
                   check=True, env=ENV, timeout=300, capture_output=True)

    out = tmp_path / "ray.jsonl"
    command = NLP_RNN + ["annotate", str(model), str(source), str(out), "--engine", "ray", "--ray-address", cluster.address,
                         "-n", "2", "-b", "64", "--no-progress"]
    started = time.time()
    run = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: line_count(out) > 0 or run.poll() is not None, 180, "the first output lines")
        written_at_kill = line_count(out)
        cluster.remove_node(worker, allow_graceful=False)
        output, _ = run.communicate(timeout=300)
    finally:
        if run.poll() is None:
            run.kill()
    first_rc = run.returncode
    print(f"first run: rc {first_rc}, {written_at_kill} lines written when the node was killed, "
          f"{line_count(out)} at the end, {time.time() - started:.1f} s\n{output[-2000:]}")
    assert written_at_kill < n, "the run ended before the node was killed: use a bigger input"
    if first_rc != 0:
        errors = [line for line in output.splitlines() if line.startswith("✘")]
        assert errors and "Ray" in errors[-1], output[-3000:]  # a clear one-line message
        resumed = subprocess.run(command + ["--resume"], env=ENV, timeout=300, capture_output=True, text=True)
        assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    ray_records = read_records(out)
    assert_complete(ray_records, n, broken)
    assert_same_records(ray_records, read_records(local))


def test_tune_on_ray_survives_a_killed_worker_node(tmp_path, tune_cluster):
    cluster, worker = tune_cluster
    train = write_docbin(tmp_path / "train.spacy", TINY_EN)
    dev = write_docbin(tmp_path / "dev.spacy", TINY_EN[::2])
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"components.rnn_intent.model.encoder.dropout": {"low": 0.0, "high": 0.4}}))
    out = tmp_path / "search"
    command = NLP_RNN + ["tune", str(ROOT / "pipelines" / "intent_en.cfg"), "--output", str(out), "--space", str(space),
                         "--paths.train", str(train), "--paths.dev", str(dev), "--trials", "3", "--threads", "1",
                         "--ray", cluster.address, "--no-prune", *TINY_MODEL,
                         "--training.max_steps", "600", "--training.eval_frequency", "100"]
    run = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # two trials at once (one per node): kill the worker node while both train
        wait_until(lambda: len(list((out / "trials").glob("*/train.log"))) >= 2 or run.poll() is not None, 240,
                   "two trials to start")
        time.sleep(2)
        cluster.remove_node(worker, allow_graceful=False)
        output, _ = run.communicate(timeout=480)
    finally:
        if run.poll() is None:
            run.kill()
    print(output[-4000:])
    assert run.returncode == 0, output[-4000:]
    report = json.loads((out / "report.json").read_text())
    trials = report["trials"]
    assert sorted(t["number"] for t in trials) == [0, 1, 2]  # no trial silently dropped
    assert all(t["state"] in ("complete", "failed") for t in trials)
    # the trial on the killed node was run again (or, after MAX_FAILURES losses, recorded as failed)
    assert "its worker was lost" in output
    assert any("after a lost worker" in note for t in trials for note in t["notes"])
    complete = [t for t in trials if t["state"] == "complete"]
    assert complete and report["best"]["dev_score"] == max(t["dev_score"] for t in complete)
    assert (out / "best" / "model" / "meta.json").exists()
