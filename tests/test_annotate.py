"""``nlp-rnn annotate``: every input format, error records, order with a process pool, resume after
a crash or ``kill -9``, custom ``Doc._`` / ``Span._`` attributes across processes.

Runs that start worker processes are bounded by ``deadline`` (SIGALRM) and CLI runs by
``subprocess`` timeouts, so a hang fails the test instead of blocking the suite.
"""

import json
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

import nlp_rnn.cli.annotate  # noqa: F401  (registers the command)
from nlp_rnn.annotate import AnnotateError, InputSource, annotate
from nlp_rnn.annotate.annotator import import_code
from nlp_rnn.annotate.writer import recover
from nlp_rnn.cli.app import app

from conftest import train_tiny_intent

CLI = [sys.executable, "-c", "import nlp_rnn.cli.annotate, nlp_rnn.cli; nlp_rnn.cli.main()", "annotate"]
INTENTS = {"GetTime", "GetWeather", "PlayMusic"}
TEXTS = ["what time is it", "weather in Paris", "play some jazz", "", "will it rain in London tomorrow"]

# Stand-ins for the slot and translation components others are building: they write the same
# extension attributes (``Span._.confidence``, ``Doc._.translation``), and one can crash a worker.
CUSTOM_COMPONENTS = '''
import os
import time
from spacy.language import Language
from spacy.tokens import Doc, Span

if not Span.has_extension("confidence"):
    Span.set_extension("confidence", default=None)
if not Doc.has_extension("translation"):
    Doc.set_extension("translation", default=None)


@Language.component("annotate_test_slots", assigns=["doc.ents"])
def annotate_test_slots(doc):
    spans = [Span(doc, t.i, t.i + 1, label="city") for t in doc if t.text.istitle()]
    for span in spans:
        span._.confidence = 0.5 + len(span.text) / 100
    doc.ents = spans
    return doc


@Language.component("annotate_test_translator")
def annotate_test_translator(doc):
    doc._.translation = doc.text.upper()[::-1]
    return doc


@Language.component("annotate_test_crash")
def annotate_test_crash(doc):
    if doc.text == "__crash__":
        os._exit(3)
    if doc.text == "__hang__":
        time.sleep(3600)
    if doc.text == "__fail__":
        raise ValueError("cannot handle this one")
    return doc
'''


@contextmanager
def deadline(seconds: int):
    """Fail (instead of hanging) when the block takes longer than ``seconds``."""

    def expire(signum, frame):
        raise TimeoutError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A tiny rnn_intent pipeline, the same plus custom slot / translator components, the same
    plus a component that kills its process on one text; and the --code file they need."""
    tmp = tmp_path_factory.mktemp("annotate_models")
    code = tmp / "custom_components.py"
    code.write_text(CUSTOM_COMPONENTS)
    import_code(code)
    nlp = train_tiny_intent("en")
    nlp.to_disk(tmp / "intent")
    nlp.add_pipe("annotate_test_slots")
    nlp.add_pipe("annotate_test_translator", name="rnn_translator")
    nlp.to_disk(tmp / "custom")
    nlp.add_pipe("annotate_test_crash")
    nlp.to_disk(tmp / "crash")
    return {"intent": tmp / "intent", "custom": tmp / "custom", "crash": tmp / "crash", "code": code}


def write_jsonl_lines(path: Path, lines) -> Path:
    with path.open("wb") as handle:
        for line in lines:
            handle.write((line if isinstance(line, bytes) else json.dumps(line).encode()) + b"\n")
    return path


def read_records(path: Path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def corpus(n: int, broken_every: int = 0):
    """``n`` JSONL lines cycling through TEXTS; every ``broken_every``-th line is invalid JSON."""
    lines, broken = [], set()
    for i in range(1, n + 1):
        if broken_every and i % broken_every == 0:
            lines.append(b'{"text": "unterminated')
            broken.add(i)
        else:
            lines.append({"id": f"doc-{i}", "text": TEXTS[i % len(TEXTS)]})
    return lines, broken


def assert_same_records(left, right):
    """Equal records; confidences may differ in the last digit between batchings."""
    assert len(left) == len(right)
    for a, b in zip(left, right):
        a, b = dict(a), dict(b)
        assert a.pop("confidence", 0) == pytest.approx(b.pop("confidence", 0), abs=1e-5)
        assert a == b


def assert_complete(records, n: int, broken: set):
    assert [r["line"] for r in records] == list(range(1, n + 1))
    assert {r["line"] for r in records if "error" in r} == broken
    for record in records:
        if "error" not in record:
            assert record["id"] == f"doc-{record['line']}"
            assert record["intent"] in INTENTS


# -- inputs and records ---------------------------------------------------------------------------


def test_jsonl_records_and_error_records(models, tmp_path):
    source = write_jsonl_lines(tmp_path / "in.jsonl", [
        {"id": 7, "text": "what time is it"},
        b'{"text": "no closing brace"',
        b'["a", "list"]',
        {"id": "x", "txt": "wrong field"},
        {"text": 42},
        b'{"text": "caf\xe9 au lait"}',
        {"text": ""},
        {"text": "play jazz", "id": None},
        b"",
        {"text": "weather in paris"},
        b'{"text": "lone \\ud800 surrogate"}',
    ])
    out = tmp_path / "out.jsonl"
    summary = annotate(models["intent"], source, out, progress=False)
    records = read_records(out)
    assert [r["line"] for r in records] == list(range(1, 12))
    errors = {r["line"]: r["error"] for r in records if "error" in r}
    assert set(errors) == {2, 3, 4, 5, 6, 9, 11}
    assert errors[2].startswith("invalid JSON")
    assert errors[3] == "expected a JSON object, got array"
    assert errors[4] == 'missing "text"'
    assert errors[5] == '"text" is not a string (got number)'
    assert errors[6].startswith("invalid UTF-8")
    for line in errors:
        assert set(records[line - 1]) == {"line", "error"}
    assert records[0]["id"] == 7 and records[0]["intent"] == "GetTime"
    assert 0.0 <= records[0]["confidence"] <= 1.0 and records[0]["slots"] == []
    assert "id" not in records[6] and records[6]["intent"] in INTENTS  # empty text is a document
    assert records[7]["id"] is None and "id" not in records[9]
    assert errors[11] == '"text" holds an unpaired UTF-16 surrogate escape'
    assert (summary.records, summary.errors, summary.resumed_after) == (11, 7, 0)
    assert summary.docs_per_second > 0 and summary.seconds > 0


def test_plain_text_input(models, tmp_path):
    source = tmp_path / "in.txt"
    source.write_bytes(b"what time is it\r\n\nbad \xff byte\nplay some jazz")
    out = tmp_path / "out.jsonl"
    annotate(models["intent"], source, out, progress=False)
    records = read_records(out)
    assert [r["line"] for r in records] == [1, 2, 3, 4]
    assert "error" not in records[1] and records[1]["intent"] in INTENTS
    assert records[2]["error"].startswith("invalid UTF-8") and "id" not in records[0]


def test_csv_input_counts_data_rows_after_the_header(models, tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(
        b'id,text,other\n'
        b'a,what time is it,1\n'
        b'b,"weather in\nparis, please",2\n'
        b'c\n'
        b'd,bad \xff byte,4\n'
        b'e,,5\n'
    )
    out = tmp_path / "out.jsonl"
    annotate(models["intent"], source, out, progress=False)
    records = read_records(out)
    assert [r["line"] for r in records] == [1, 2, 3, 4, 5]
    assert [r.get("id") for r in records] == ["a", "b", None, None, "e"]
    assert records[2]["error"].startswith('missing "text"')
    assert records[3]["error"] == "invalid UTF-8 in the row"
    assert records[1]["intent"] in INTENTS and records[4]["intent"] in INTENTS


def test_csv_without_the_text_column_is_refused(models, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,body\n1,hello\n")
    with pytest.raises(AnnotateError, match="no column 'text'"):
        annotate(models["intent"], source, tmp_path / "out.jsonl", progress=False)


def test_parquet_input_and_output(models, tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({"id": [10, 11, 12, 13], "body": ["what time is it", None, "play jazz", "rain in Paris"]})
    source = tmp_path / "in.parquet"
    pq.write_table(table, source, row_group_size=2)
    out = tmp_path / "out.parquet"
    summary = annotate(models["custom"], source, out, text_field="body", progress=False, code=models["code"])
    assert not (tmp_path / "out.parquet.journal.jsonl").exists()
    rows = pq.read_table(out).to_pylist()
    assert [r["line"] for r in rows] == [1, 2, 3, 4] and [r["id"] for r in rows] == [10, None, 12, 13]
    assert rows[1]["error"] == '"body" is not a string (got null)' and summary.errors == 1
    assert rows[3]["slots"][0]["text"] == "Paris" and rows[3]["translation"] == "SIRAP NI NIAR"
    reference = tmp_path / "reference.jsonl"
    annotate(models["custom"], source, reference, text_field="body", progress=False, code=models["code"])
    for row, record in zip(rows, read_records(reference)):
        assert {k: v for k, v in row.items() if v is not None} == {k: v for k, v in record.items() if v is not None}


def test_input_format_option_and_unknown_extension(models, tmp_path):
    source = write_jsonl_lines(tmp_path / "in.data", [{"text": "what time is it"}])
    with pytest.raises(AnnotateError, match="--input-format"):
        annotate(models["intent"], source, tmp_path / "a.jsonl", progress=False)
    annotate(models["intent"], source, tmp_path / "b.jsonl", input_format="jsonl", progress=False)
    assert read_records(tmp_path / "b.jsonl")[0]["intent"] == "GetTime"
    annotate(models["intent"], source, tmp_path / "c.jsonl", input_format="text", progress=False)
    assert "intent" in read_records(tmp_path / "c.jsonl")[0]


def test_shards_read_the_same_records_as_one_pass(tmp_path):
    lines, _ = corpus(101, broken_every=9)
    source = InputSource.open(write_jsonl_lines(tmp_path / "in.jsonl", lines))
    whole = list(source.read(5))
    for n in (1, 3, 7):
        shards = source.shards(5, n)
        assert len(shards) <= n
        assert [r for shard in shards for r in source.read_shard(shard)] == whole
    assert source.count() == 101 and source.shards(102, 4) == []


def test_slots_confidence_and_translation_from_custom_components(models, tmp_path):
    source = write_jsonl_lines(tmp_path / "in.jsonl", [{"text": "weather in Paris"}, {"text": "play jazz"}])
    out = tmp_path / "out.jsonl"
    annotate(models["custom"], source, out, progress=False, code=models["code"])
    first, second = read_records(out)
    assert first["slots"] == [{"start": 11, "end": 16, "label": "city", "text": "Paris", "confidence": 0.55}]
    assert first["translation"] == "SIRAP NI REHTAEW" and first["intent"] in INTENTS
    assert second["slots"] == [] and second["translation"] == "ZZAJ YALP"
    plain = tmp_path / "plain.jsonl"
    annotate(models["intent"], source, plain, progress=False)
    assert "translation" not in read_records(plain)[0]  # no rnn_translator in that pipeline


def test_a_document_the_pipeline_fails_on_becomes_an_error_record(models, tmp_path):
    source = write_jsonl_lines(tmp_path / "in.jsonl", [{"text": "play jazz"}, {"text": "__fail__"}, {"text": "what time is it"}])
    out = tmp_path / "out.jsonl"
    summary = annotate(models["crash"], source, out, progress=False, code=models["code"])
    first, failed, last = read_records(out)
    assert failed == {"line": 2, "error": "annotation failed: ValueError: cannot handle this one"}
    assert first["intent"] == "PlayMusic" and last["intent"] == "GetTime" and summary.errors == 1
    only_bad = write_jsonl_lines(tmp_path / "bad.jsonl", [{"text": "__fail__"}] * 3)
    with pytest.raises(AnnotateError, match="fails on every document"):
        annotate(models["crash"], only_bad, tmp_path / "bad.out.jsonl", progress=False, code=models["code"])


# -- processes ------------------------------------------------------------------------------------


def test_process_pool_keeps_order_and_custom_attributes(models, tmp_path):
    lines, broken = corpus(700, broken_every=13)
    lines = [{"id": f"doc-{i}", "text": f"{TEXTS[i % len(TEXTS)]} in Rome"} if i % 3 == 0 and i not in broken else line
             for i, line in enumerate(lines, start=1)]
    source = write_jsonl_lines(tmp_path / "in.jsonl", lines)
    serial, pooled = tmp_path / "serial.jsonl", tmp_path / "pooled.jsonl"
    annotate(models["custom"], source, serial, batch_size=16, progress=False, code=models["code"])
    with deadline(120):
        summary = annotate(models["custom"], source, pooled, batch_size=16, n_process=2, progress=False, code=models["code"])
    records = read_records(pooled)
    assert_complete(records, 700, broken)
    assert_same_records(records, read_records(serial))
    assert summary.records == 700 and summary.errors == len(broken) and summary.n_process == 2
    texts = {i: line["text"] for i, line in enumerate(lines, start=1) if isinstance(line, dict)}
    assert any(r["slots"] and r["slots"][0]["confidence"] == 0.54 for r in records)  # Span._ across processes
    assert all(r["translation"] == texts[r["line"]].upper()[::-1] for r in records if "error" not in r)  # Doc._

    csv_source = tmp_path / "in.csv"  # CSV rows travel as parsed tuples, not raw lines
    csv_source.write_text("id,text\n" + "".join(f'doc-{i},"{texts.get(i, "")}"\n' for i in range(1, 301)))
    with deadline(120):
        annotate(models["custom"], csv_source, tmp_path / "pooled_csv.jsonl", batch_size=16, n_process=2,
                 progress=False, code=models["code"])
    csv_records = read_records(tmp_path / "pooled_csv.jsonl")
    assert [r["line"] for r in csv_records] == list(range(1, 301))
    assert all(r["translation"] == texts.get(r["line"], "").upper()[::-1] for r in csv_records)


def test_worker_failures_surface_as_errors(models, tmp_path):
    lines = [{"text": "what time is it"}] * 50 + [{"text": "__crash__"}] + [{"text": "play jazz"}] * 50
    source = write_jsonl_lines(tmp_path / "in.jsonl", lines)
    with deadline(120):
        with pytest.raises(AnnotateError, match="worker process died"):
            annotate(models["crash"], source, tmp_path / "crash.jsonl", batch_size=8, n_process=2, progress=False, code=models["code"])
        with pytest.raises(AnnotateError, match="cannot load the pipeline in a worker"):  # no --code
            annotate(models["custom"], source, tmp_path / "noload.jsonl", n_process=2, progress=False)
        hang = write_jsonl_lines(tmp_path / "hang.jsonl", [{"text": "play jazz"}] * 30 + [{"text": "__hang__"}])
        with pytest.raises(AnnotateError, match="within 8 s"):
            annotate(models["crash"], hang, tmp_path / "hang.out.jsonl", batch_size=8, n_process=2,
                     batch_timeout=8, progress=False, code=models["code"])


# -- output, resume -------------------------------------------------------------------------------


def test_recover_truncates_a_partial_last_line(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"line":1,"error":"x"}\n{"line":2,"slots":[]}\n{"line":3,"sl')
    assert recover(out) == 2
    assert out.read_bytes() == b'{"line":1,"error":"x"}\n{"line":2,"slots":[]}\n'
    assert recover(out) == 2
    out.write_bytes(b'{"line":1,')
    assert recover(out) == 0 and out.read_bytes() == b""
    foreign = tmp_path / "notes.txt"
    foreign.write_bytes(b"some notes\nnot ours\npartial")
    with pytest.raises(AnnotateError, match="not resuming"):
        recover(foreign)
    assert foreign.read_bytes() == b"some notes\nnot ours\npartial"


def test_resume_after_truncation_mid_line(models, tmp_path):
    lines, broken = corpus(300, broken_every=17)
    source = write_jsonl_lines(tmp_path / "in.jsonl", lines)
    full, out = tmp_path / "full.jsonl", tmp_path / "out.jsonl"
    annotate(models["intent"], source, out, batch_size=32, progress=False)
    data = out.read_bytes()
    full.write_bytes(data)
    out.write_bytes(data[: len(data) * 3 // 5 + 7])  # a crash mid-line
    with pytest.raises(AnnotateError, match="--resume"):
        annotate(models["intent"], source, out, progress=False)
    summary = annotate(models["intent"], source, out, batch_size=32, resume=True, progress=False)
    records = read_records(out)
    assert_complete(records, 300, broken)
    assert_same_records(records, read_records(full))
    assert summary.resumed_after + summary.records == 300 and summary.resumed_after > 0
    again = annotate(models["intent"], source, out, resume=True, progress=False)
    assert again.records == 0 and len(read_records(out)) == 300


def child_pids(pid: int):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def test_resume_after_sigkill_of_the_cli(models, tmp_path):
    n = 6000
    lines, broken = corpus(n, broken_every=97)
    source = write_jsonl_lines(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    args = [*CLI, models["intent"], source, out, "--batch-size", "32", "--n-process", "2", "--no-progress"]
    process = subprocess.Popen([str(a) for a in args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    started = time.monotonic()
    while not (out.exists() and out.stat().st_size > 0):
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
        assert time.monotonic() - started < 120, "no output after 120 s"
        time.sleep(0.002)
    workers = child_pids(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    written = out.read_bytes().count(b"\n")
    assert 0 < written < n, "the run was not interrupted mid-way"
    deadline_s = time.monotonic() + 90  # a worker still starting up under load notices later
    while any(Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text() for pid in workers):
        assert time.monotonic() < deadline_s, "pool workers outlived the killed CLI"
        time.sleep(0.2)
    result = subprocess.run(
        [str(a) for a in [*CLI, models["intent"], source, out, "--batch-size", "64", "--resume", "--no-progress"]],
        capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "records after" in result.stdout
    assert_complete(read_records(out), n, broken)


# -- CLI ------------------------------------------------------------------------------------------


def test_cli_errors_are_one_line_and_exit_1(models, tmp_path):
    runner = CliRunner()
    source = write_jsonl_lines(tmp_path / "in.jsonl", [{"text": "what time is it"}])
    cases = [
        ([tmp_path / "no-model", source, tmp_path / "o1.jsonl"], "no config.cfg"),
        ([models["intent"], tmp_path / "missing.jsonl", tmp_path / "o2.jsonl"], "input file not found"),
        ([models["intent"], source, tmp_path / "o3.jsonl", "--engine", "spark"], "unknown engine"),
        ([models["intent"], source, source], "must not be the INPUT"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["annotate", *[str(a) for a in args], "--no-progress"])
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["annotate", str(models["intent"]), str(source), str(tmp_path / "ok.jsonl"), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "1 records" in result.output and "0 errors" in result.output
