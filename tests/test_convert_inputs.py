"""``nlp-rnn convert`` never turns a wrong input into training data silently: CSV headers, empty
inputs, binary files, JSON error columns; and its help, its lazy imports, the README's format list."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nlp_rnn.cli.app import app
from nlp_rnn.data import FORMATS, EmptyInputError, InvalidRecordError, ReadReport, convert, read_csv

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args):
    result = CliRunner().invoke(app, ["convert", *map(str, args)])
    assert "Traceback" not in result.output
    return result


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def docs_of(path):
    from spacy.tokens import DocBin

    from nlp_rnn.language import blank_pipeline

    return list(DocBin().from_disk(path).get_docs(blank_pipeline("en").vocab))


# --- CSV headers ---------------------------------------------------------------------------


def test_csv_header_with_usual_names_is_a_header_not_a_record(tmp_path):
    source = write(tmp_path / "in.csv", "utterance,label\nplay jazz,music\nwake me up,alarm\n")
    result = run_cli(source, tmp_path / "x.spacy", "-f", "csv", "-l", "en")
    assert result.exit_code == 0, result.output
    assert "wrote 2 docs" in result.stdout and "intents: 2" in result.stdout
    assert "text column 'utterance', intent column 'label'" in result.stdout
    assert [max(d.cats, key=d.cats.get) for d in docs_of(tmp_path / "x.spacy")] == ["music", "alarm"]


def test_csv_columns_named_on_the_command_line(tmp_path):
    source = write(tmp_path / "in.csv", "id,Utt,Goal\n1,play jazz,music\n2,wake me up,alarm\n")
    result = run_cli(source, tmp_path / "x.spacy", "-f", "csv", "-l", "en",
                     "--text-column", "utt", "--label-column", "goal")
    assert result.exit_code == 0, result.output
    docs = docs_of(tmp_path / "x.spacy")
    assert [d.text for d in docs] == ["play jazz", "wake me up"]
    assert [max(d.cats, key=d.cats.get) for d in docs] == ["music", "alarm"]


@pytest.mark.parametrize(
    "header, options, message",
    [
        ("utt,label", [], "the header ['utt', 'label'] has no text column (text, utterance"),
        ("utterance,label", ["--text-column", "body"], "the header ['utterance', 'label'] has no 'body'"),
        ("text,label", ["--label-column", "goal"], "the header ['text', 'label'] has no column 'goal'"),
    ],
)
def test_csv_header_that_matches_nothing_is_refused_with_the_header(tmp_path, header, options, message):
    source = write(tmp_path / "in.csv", f"{header}\nplay jazz,music\n")
    result = run_cli(source, tmp_path / "x.spacy", "-f", "csv", "-l", "en", *options)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {source}:1: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.spacy").exists()


def test_csv_without_header_still_reads_text_intent_rows(tmp_path):
    source = write(tmp_path / "in.csv", "play jazz,music\nhello\n")
    report = ReadReport()
    assert [(r.text, r.intent) for r in read_csv(source, report=report)] == [("play jazz", "music"), ("hello", None)]
    assert report.notes == ["CSV without a header: rows are text,intent"]


# --- empty inputs, binary files, JSON columns -----------------------------------------------


@pytest.mark.parametrize("fmt, name", [("jsonl", "empty.jsonl"), ("csv", "empty.csv"), ("tatoeba", "empty.tsv")])
def test_empty_input_is_an_error_and_writes_nothing(tmp_path, fmt, name):
    source = write(tmp_path / name, "\n\n")
    result = run_cli(source, tmp_path / "x.spacy", "-f", fmt, "-l", "en")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {source}: no records found (empty input?), nothing written"
    assert not (tmp_path / "x.spacy").exists()


def test_every_record_skipped_is_an_error_too(tmp_path):
    source = write(tmp_path / "bad.jsonl", '{"txt": 1}\n{"txt": 2}\n')
    with pytest.raises(EmptyInputError, match=r'all 2 records are invalid, nothing written \(first: .*bad.jsonl:1: missing "text"\)'):
        convert(source, tmp_path / "x.spacy", "jsonl", "en", skip_invalid=True)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "tatoeba", "bmes"])
def test_binary_file_names_the_file_line_and_byte(tmp_path, fmt):
    source = tmp_path / "model.bin"
    source.write_bytes(b'{"text": "ok", "intent": "a"}\n' if fmt == "jsonl" else b"")
    with source.open("ab") as handle:
        handle.write(b"PK\x03\x04\x00\x00\x08\x00\x9c\xff\xfe\n\x00\x01")
    result = run_cli(source, tmp_path / "x.spacy", "-f", fmt, "-l", "en")
    assert result.exit_code == 1
    line = 2 if fmt == "jsonl" else 1
    assert result.stderr.startswith(f"error: {source}:{line}: not UTF-8 text (a binary file?): byte 0x9c at byte 9")
    assert len(result.stderr.strip().splitlines()) == 1


def test_latin1_line_is_one_skippable_record(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"text": "caf\xe9", "intent": "a"}\n{"text": "tea", "intent": "b"}\n')
    report = convert(source, tmp_path / "x.spacy", "jsonl", "en", skip_invalid=True)
    assert report.docs == 1
    assert report.invalid == [f"{source}:1: not UTF-8 text: byte 0xe9 at byte 14 of the line (invalid continuation byte); convert the file to UTF-8"]


@pytest.mark.parametrize(
    "line, column",
    [('{"text": "a", "intent": x}', 25), ('{"text": "a" "intent": 1}', 14), ('  {"text": "a",}', 16), ('{"text": "a"} extra', 15)],
)
def test_json_error_column_is_the_real_column(tmp_path, line, column):
    assert line[column - 1] in 'x"} e'  # the column is 1-based and points at the culprit
    source = write(tmp_path / "in.jsonl", '{"text": "ok", "intent": "a"}\n' + line + "\n")
    with pytest.raises(InvalidRecordError, match=rf"in.jsonl:2: invalid JSON: .* \(column {column}\)$"):
        convert(source, tmp_path / "x.spacy", "jsonl", "en")


# --- help, imports, README ------------------------------------------------------------------


def test_skip_invalid_is_a_switch_and_metavars_are_upper_case():
    result = CliRunner().invoke(app, ["convert", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--no-skip-invalid" in result.output and "--label-column" in result.output
    rows = [line.strip(" │") for line in result.output.splitlines()]

    def row(option):
        return next(line for line in rows if re.match(rf"(-\w, )?{option}\b", line))

    assert "<bool>" not in row("--skip-invalid")
    for option, metavar in (("--format", "FORMAT"), ("--lang", "LANG"), ("--text-column", "NAME"), ("--user-dict", "FILE")):
        assert row(option).split(option)[1].split()[0] == metavar, row(option)
    assert run_cli("x", "y.spacy", "-f", "jsonl", "-l", "en", "--skip-invalid", "true").exit_code == 2


def test_convert_and_annotate_modules_do_not_import_torch_or_spacy():
    code = (
        "import sys, nlp_rnn.cli.convert, nlp_rnn.cli.annotate; "
        "print(sorted(m for m in ('torch', 'spacy', 'thinc') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def test_readme_format_list_names_every_format():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"# data → spaCy DocBin; formats: ([^(]+)\(", readme)
    assert listed, "README's convert line lists the formats"
    names = {name.strip() for name in listed.group(1).split(",")}
    assert set(FORMATS) <= names, sorted(set(FORMATS) - names)
