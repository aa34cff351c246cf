"""``annotate --resume`` continues only the run an output was made from (``OUTPUT.source.json``);
a run whose every record is an error exits non-zero; ``--threads`` reaches every worker."""

import json
import shutil

import pytest
from typer.testing import CliRunner

import nlp_rnn.annotate.runner as runner
import nlp_rnn.cli.annotate  # noqa: F401  (registers the command)
from nlp_rnn.annotate import AnnotateError, annotate
from nlp_rnn.annotate.annotator import import_code
from nlp_rnn.annotate.provenance import sidecar_path
from nlp_rnn.cli.app import app

from conftest import train_tiny_intent
from test_annotate import deadline, read_records, write_jsonl_lines

THREADS_COMPONENT = '''
import torch
from spacy.language import Language
from spacy.tokens import Doc

if not Doc.has_extension("translation"):
    Doc.set_extension("translation", default=None)


@Language.component("annotate_test_threads")
def annotate_test_threads(doc):
    doc._.translation = str(torch.get_num_threads())
    return doc
'''


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("resume_models")
    nlp = train_tiny_intent("en")
    nlp.to_disk(tmp / "intent")
    other = train_tiny_intent("en", steps=5, seed=1)
    other.to_disk(tmp / "other")
    code = tmp / "threads_component.py"
    code.write_text(THREADS_COMPONENT)
    import_code(code)
    nlp.add_pipe("annotate_test_threads", name="rnn_translator")
    nlp.to_disk(tmp / "threads")
    return {"intent": tmp / "intent", "other": tmp / "other", "threads": tmp / "threads", "code": code}


def cli(*args):
    result = CliRunner().invoke(app, ["annotate", *map(str, args), "--no-progress"])
    assert "Traceback" not in result.output
    return result


def texts_input(path, texts):
    return write_jsonl_lines(path, [{"id": i, "text": t} for i, t in enumerate(texts)])


@pytest.fixture
def two_inputs(tmp_path):
    first = texts_input(tmp_path / "other.jsonl", ["what time is it", "play jazz", "weather in paris"])
    second = texts_input(tmp_path / "in.jsonl", ["play some jazz"] * 7)
    return first, second


def test_resume_with_another_input_is_refused_naming_both(model, tmp_path, two_inputs):
    other, source = two_inputs
    out = tmp_path / "out.jsonl"
    assert cli(model["intent"], other, out).exit_code == 0
    before = out.read_bytes()
    result = cli(model["intent"], source, out, "--resume")
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and message.startswith("error: cannot resume")
    assert str(source) in message and str(other) in message and "--overwrite" in message
    assert out.read_bytes() == before  # untouched
    result = cli(model["intent"], source, out, "--overwrite")
    assert result.exit_code == 0 and [r["id"] for r in read_records(out)] == list(range(7))
    assert json.loads(sidecar_path(out).read_text())["input_path"] == str(source.resolve())
    again = cli(model["intent"], source, out, "--resume")
    assert again.exit_code == 0 and "0 records after 7" in again.stdout


def test_resume_refuses_changed_input_model_or_fields(model, tmp_path, two_inputs):
    _, source = two_inputs
    out = tmp_path / "out.jsonl"
    annotate(model["intent"], source, out, progress=False)
    out.write_bytes(out.read_bytes()[:-10])  # interrupted mid-line
    cases = [
        (dict(text_field="body"), "--text-field is 'body', the output's was 'text'"),
        (dict(id_field="key"), "--id-field is 'key'"),
        (dict(input_format="text"), "input format is text, the output's was jsonl"),
    ]
    for options, message in cases:
        with pytest.raises(AnnotateError, match=message):
            annotate(model["intent"], source, out, resume=True, progress=False, **options)
    with pytest.raises(AnnotateError, match="the output was made with .*intent"):
        annotate(model["other"], source, out, resume=True, progress=False)
    kept = source.read_bytes()
    source.write_bytes(kept + b'{"text": "one more"}\n')
    with pytest.raises(AnnotateError, match="has changed since"):
        annotate(model["intent"], source, out, resume=True, progress=False)
    source.write_bytes(kept)
    moved = tmp_path / "moved" / "in.jsonl"  # the same bytes elsewhere are the same input
    moved.parent.mkdir()
    shutil.copy(source, moved)
    summary = annotate(model["intent"], moved, out, resume=True, progress=False)
    assert summary.resumed_after == 6 and [r["line"] for r in read_records(out)] == list(range(1, 8))


def test_resume_without_the_sidecar_is_refused(model, tmp_path, two_inputs):
    _, source = two_inputs
    out = tmp_path / "out.jsonl"
    annotate(model["intent"], source, out, progress=False)
    sidecar_path(out).unlink()
    with pytest.raises(AnnotateError, match=r"out.jsonl.source.json, which says what it was made from, is missing"):
        annotate(model["intent"], source, out, resume=True, progress=False)
    sidecar_path(out).write_text("{not json")
    with pytest.raises(AnnotateError, match="is unreadable"):
        annotate(model["intent"], source, out, resume=True, progress=False)
    empty = tmp_path / "empty.jsonl"  # an empty output holds nothing to mix: resume starts it
    empty.write_bytes(b"")
    annotate(model["intent"], source, empty, resume=True, progress=False)
    assert len(read_records(empty)) == 7 and sidecar_path(empty).is_file()


def test_parquet_resume_checks_the_journal_source(model, tmp_path, two_inputs, monkeypatch):
    pytest.importorskip("pyarrow")
    other, source = two_inputs
    out = tmp_path / "out.parquet"

    def interrupted(journal, output):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "convert_journal", interrupted)
    with pytest.raises(KeyboardInterrupt):
        annotate(model["intent"], other, out, progress=False)
    monkeypatch.undo()
    assert (tmp_path / "out.parquet.journal.jsonl").is_file() and not out.exists()
    with pytest.raises(AnnotateError, match="other.jsonl"):
        annotate(model["intent"], source, out, resume=True, progress=False)
    summary = annotate(model["intent"], other, out, resume=True, progress=False)
    assert summary.records == 0 and summary.resumed_after == 3 and out.is_file()


def test_run_where_every_record_is_an_error_exits_1(model, tmp_path, two_inputs):
    _, source = two_inputs
    out = tmp_path / "out.jsonl"
    result = cli(model["intent"], source, out, "--text-field", "body")
    assert result.exit_code == 1
    assert "every one of the 7 records is an error" in result.stderr
    assert 'line 1: missing "body"' in result.stderr and "--text-field" in result.stderr
    assert [r["error"] for r in read_records(out)] == ['missing "body"'] * 7  # still written
    mixed = write_jsonl_lines(tmp_path / "mixed.jsonl", [{"text": "play jazz"}, b"{broken"])
    result = cli(model["intent"], mixed, tmp_path / "mixed.out.jsonl")
    assert result.exit_code == 0
    assert "warning: 1 of 2 records are errors (first: line 2: invalid JSON" in result.stderr
    (tmp_path / "empty.txt").write_bytes(b"")
    result = cli(model["intent"], tmp_path / "empty.txt", tmp_path / "empty.out.jsonl")
    assert result.exit_code == 0 and "holds no lines: nothing annotated" in result.stderr


def test_threads_reach_every_worker(model, tmp_path):
    source = texts_input(tmp_path / "in.jsonl", ["play jazz"] * 40)
    for n_process, threads in ((1, 1), (2, 1), (2, 3)):
        out = tmp_path / f"out_{n_process}_{threads}.jsonl"
        with deadline(120):
            summary = annotate(model["threads"], source, out, n_process=n_process, threads=threads,
                               batch_size=8, progress=False, code=model["code"])
        assert summary.errors == 0
        assert {r["translation"] for r in read_records(out)} == {str(threads)}
    result = cli(model["intent"], source, tmp_path / "x.jsonl", "--threads", "0")
    assert result.exit_code == 1 and "at least 1" in result.stderr


def test_help_shows_switches_and_upper_case_metavars():
    result = CliRunner().invoke(app, ["annotate", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for switch in ("--no-resume", "--no-overwrite", "--no-fsync", "--threads", "--batch-size", "{MODEL}"):
        assert switch in result.output
    switches = [line for line in result.output.splitlines() if "--no-" in line]
    assert len(switches) == 4 and not any("<bool>" in line or "BOOLEAN" in line for line in switches)


def test_one_reader_per_input_format(tmp_path):
    import pickle

    from nlp_rnn.annotate.inputs import EXTENSIONS, READERS, InputSource

    assert set(READERS) == {"jsonl", "text", "csv", "parquet"}
    assert EXTENSIONS == {".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "text", ".csv": "csv", ".parquet": "parquet"}
    (tmp_path / "in.txt").write_text("play jazz\n\nwhat time is it")
    (tmp_path / "in.csv").write_text("id,text\na,play jazz\nb,\n")
    for name, raw_lines, uses_fields in (("in.txt", True, False), ("in.csv", False, True)):
        source = pickle.loads(pickle.dumps(InputSource.open(tmp_path / name)))  # travels to workers
        assert source.reader is READERS[source.format]
        assert (source.has_raw_lines, source.uses_fields) == (raw_lines, uses_fields)
        records = list(source.read())
        assert [r.line for r in records] == list(range(1, source.count() + 1))
        assert [r for shard in source.shards(2, 3) for r in source.read_shard(shard)] == records[1:]
