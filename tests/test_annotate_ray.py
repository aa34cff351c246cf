"""``--engine ray`` gives the same records as the local engine (JSONL, CSV, Parquet, resume).

Ray runs in a subprocess bounded by a timeout: a Ray job that waits for resources forever (see
DESIGN.md: one-CPU actors plus a read task on a 2-CPU machine) fails the test instead of hanging.
Skipped when Ray is not installed (``pip install nlp-rnn[ray]``).
"""

import shutil
import subprocess
import sys
import textwrap

import pytest

from nlp_rnn.annotate import AnnotateError, annotate
from nlp_rnn.annotate.provenance import sidecar_path
from nlp_rnn.annotate.ray_engine import import_ray, plan_resources

from conftest import train_tiny_intent
from test_annotate import assert_complete, assert_same_records, corpus, read_records, write_jsonl_lines

RAY_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from nlp_rnn.annotate import annotate

    def main():
        model, tmp = sys.argv[1], Path(sys.argv[2])
        # no Ray running: the engine starts (and stops) a local instance itself
        annotate(model, tmp / "in.jsonl", tmp / "ray_jsonl.jsonl", engine="ray", n_process=2,
                 batch_size=16, progress=False, ray_num_cpus=2)
        import ray
        ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
        for name in ("in.csv", "in.parquet"):
            annotate(model, tmp / name, tmp / ("ray_" + name.replace(".", "_") + ".jsonl"), engine="ray",
                     n_process=2, batch_size=16, progress=False)
        annotate(model, tmp / "in.jsonl", tmp / "ray_resumed.jsonl", engine="ray", n_process=2, batch_size=16,
                 progress=False, resume=True)
        ray.shutdown()

    if __name__ == "__main__":
        main()
    """
)


def test_plan_resources_fits_actors_and_a_read_task():
    for cpus, workers in [(2, 2), (2, 1), (1, 1), (16, 4), (4, 8)]:
        read, actor = plan_resources(cpus, workers)
        assert read > 0 and 0 < actor <= 1
        assert read + workers * actor <= cpus + 1e-9
    with pytest.raises(AnnotateError):
        plan_resources(1, 500)
    # two 1-CPU nodes, one actor each: a node must still hold the read task beside its actor
    read, actor = plan_resources(2, 2, nodes=2)
    assert actor + read <= 1.0


def test_missing_ray_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(AnnotateError, match=r"pip install nlp-rnn\[ray\]"):
        import_ray()


def test_ray_engine_equals_local_engine(tmp_path):
    pytest.importorskip("ray")
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    model = tmp_path / "model"
    train_tiny_intent("en").to_disk(model)
    n = 400
    lines, broken = corpus(n, broken_every=23)
    write_jsonl_lines(tmp_path / "in.jsonl", lines)
    (tmp_path / "in.csv").write_text("id,text\n" + "".join(f"c{i},{'weather in paris' if i % 2 else 'play jazz'}\n" for i in range(90)))
    texts = [None if i % 11 == 5 else ("what time is it" if i % 3 else "rain tomorrow") for i in range(150)]
    pq.write_table(pa.table({"id": list(range(150)), "text": texts}), tmp_path / "in.parquet", row_group_size=20)

    local = {}
    for name in ("in.jsonl", "in.csv", "in.parquet"):
        local[name] = tmp_path / f"local_{name}.jsonl"
        annotate(model, tmp_path / name, local[name], batch_size=16, progress=False)
    full = (tmp_path / local["in.jsonl"]).read_bytes()
    (tmp_path / "ray_resumed.jsonl").write_bytes(full[: len(full) // 2 + 5])  # a crash mid-line
    shutil.copy(sidecar_path(local["in.jsonl"]), sidecar_path(tmp_path / "ray_resumed.jsonl"))  # same input, model

    script = tmp_path / "run_ray.py"
    script.write_text(RAY_SCRIPT)
    result = subprocess.run(
        [sys.executable, str(script), str(model), str(tmp_path)], capture_output=True, text=True, timeout=420
    )
    assert result.returncode == 0, result.stderr[-4000:]

    ray_jsonl = read_records(tmp_path / "ray_jsonl.jsonl")
    assert_complete(ray_jsonl, n, broken)
    assert_same_records(ray_jsonl, read_records(local["in.jsonl"]))
    assert_same_records(read_records(tmp_path / "ray_resumed.jsonl"), read_records(local["in.jsonl"]))
    assert_same_records(read_records(tmp_path / "ray_in_csv.jsonl"), read_records(local["in.csv"]))
    ray_parquet = read_records(tmp_path / "ray_in_parquet.jsonl")
    assert_same_records(ray_parquet, read_records(local["in.parquet"]))
    assert [r["line"] for r in ray_parquet] == list(range(1, 151))
    assert sum("error" in r for r in ray_parquet) == sum(t is None for t in texts)
