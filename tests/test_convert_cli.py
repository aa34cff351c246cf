"""``convert()`` and the ``nlp-rnn convert`` command, on tiny inputs and (if present) real data."""

import json
import os
from pathlib import Path

import pytest
from spacy.tokens import DocBin
from typer.testing import CliRunner

from nlp_rnn.cli.app import app
from nlp_rnn.data import FORMATS, InvalidRecordError, convert, read_cais, read_snips
from nlp_rnn.language import blank_pipeline


def write_jsonl(path, objects):
    lines = [
        obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False) for obj in objects
    ]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf8")
    return path


def read_docs(path, lang="en"):
    nlp = blank_pipeline(lang)
    return list(DocBin().from_disk(path).get_docs(nlp.vocab))


def run_cli(*args):
    result = CliRunner().invoke(app, ["convert", *map(str, args)])
    assert "Traceback" not in result.output
    return result


GOOD = {
    "text": "wake me at 7 am",
    "intent": "alarm",
    "slots": [{"start": 11, "end": 15, "label": "time"}],
}
OTHER = {"text": "play jazz", "intent": "music"}


# --- convert() ---------------------------------------------------------------------------


def test_convert_jsonl_report_and_docbin(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [GOOD, OTHER, "{bad"])
    report = convert(source, tmp_path / "out" / "x.spacy", "jsonl", "en", skip_invalid=True)
    assert (report.docs, report.intents, report.slots, report.split_slots) == (
        2,
        ["alarm", "music"],
        1,
        0,
    )
    assert report.invalid == [
        f"{source}:3: invalid JSON: Expecting property name enclosed in double quotes (column 2)"
    ]
    assert "invalid records skipped: 1" in report.summary()
    docs = read_docs(tmp_path / "out" / "x.spacy")
    assert [(e.text, e.label_) for e in docs[0].ents] == [("7 am", "time")]
    assert docs[1].cats == {"alarm": 0.0, "music": 1.0}


def test_convert_raises_on_invalid_without_skip(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [GOOD, {"text": 1}])
    with pytest.raises(InvalidRecordError, match=r"in.jsonl:2: \"text\" must be a string"):
        convert(source, tmp_path / "x.spacy", "jsonl", "en")


def test_unknown_format_lists_known_formats(tmp_path):
    with pytest.raises(ValueError) as caught:
        convert(tmp_path, tmp_path / "x.spacy", "conllu", "en")
    assert "unknown format 'conllu'" in str(caught.value)
    assert all(name in str(caught.value) for name in FORMATS)


def test_option_for_another_format_is_refused(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [GOOD])
    with pytest.raises(ValueError, match="option split does not apply to the jsonl format"):
        convert(source, tmp_path / "x.spacy", "jsonl", "en", split="test")


def test_user_dict_reaches_jieba(tmp_path):
    source = write_jsonl(
        tmp_path / "zh.jsonl",
        [
            {
                "text": "我要听安和桥。",
                "intent": "PlayMusic",
                "slots": [{"start": 3, "end": 6, "label": "song"}],
            }
        ],
    )
    # without the dictionary jieba merges the slot into 听安和桥 (see test_readers.py)
    user_dict = tmp_path / "dict.txt"
    user_dict.write_text("安和桥 100000\n", encoding="utf8")
    report = convert(source, tmp_path / "b.spacy", "jsonl", "zh", user_dict=user_dict)
    assert report.split_slots == 0
    with pytest.raises(ValueError, match="Chinese"):
        convert(source, tmp_path / "c.spacy", "jsonl", "en", user_dict=user_dict)


# --- the CLI -----------------------------------------------------------------------------


def test_cli_converts_snips_folder(tmp_path):
    folder = tmp_path / "snips"
    folder.mkdir()
    (folder / "seq.in").write_text("play jazz now\nfly to boston\n")
    (folder / "seq.out").write_text("O B-genre O \nO O B-city \n")
    (folder / "label").write_text("PlayMusic\natis_flight#atis_airfare\n")
    result = run_cli(folder, tmp_path / "out.spacy", "--format", "snips", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "wrote 2 docs" in result.stdout
    docs = read_docs(tmp_path / "out.spacy")
    assert docs[1].cats == {"PlayMusic": 0.0, "atis_flight#atis_airfare": 1.0}
    assert [(e.text, e.label_) for e in docs[1].ents] == [("boston", "city")]


def test_cli_invalid_record_is_one_message_and_exit_1(tmp_path):
    source = write_jsonl(
        tmp_path / "in.jsonl",
        [GOOD, {"text": "short", "slots": [{"start": 2, "end": 40, "label": "t"}]}],
    )
    result = run_cli(source, tmp_path / "x.spacy", "-f", "jsonl", "-l", "en")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {source}:2: slot [2, 40) 't' falls outside the text (length 5)"
    )
    assert not (tmp_path / "x.spacy").exists()


def test_cli_skip_invalid_counts(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [GOOD, "[]", OTHER, '{"text": ""}'])
    result = run_cli(source, tmp_path / "x.spacy", "-f", "jsonl", "-l", "en", "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "wrote 2 docs" in result.stdout
    assert "invalid records skipped: 2" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.jsonl", "x.spacy", "-f", "jsonl", "-l", "en"], "JSONL file not found"),
        (
            ["in.jsonl", "x.spacy", "-f", "xml", "-l", "en"],
            "known formats: jsonl, csv, snips, cais, hf",
        ),
        (["in.jsonl", "x.spacy", "-f", "jsonl", "-l", "en", "--split", "test"], "does not apply"),
        (["in.jsonl", "x.spacy", "-f", "jsonl", "-l", "xx-nope"], "unknown language code"),
    ],
)
def test_cli_errors_exit_1_without_traceback(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "in.jsonl", [GOOD])
    result = run_cli(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_hf_local_file_with_columns(tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")
    source = write_jsonl(
        tmp_path / "hf.jsonl", [{"utt": "hi", "label": "greet"}, {"utt": "bye", "label": "leave"}]
    )
    result = run_cli(
        source,
        tmp_path / "x.spacy",
        "-f",
        "hf",
        "-l",
        "en",
        "--text-column",
        "utt",
        "--intent-column",
        "label",
    )
    assert result.exit_code == 0, result.output
    assert [d.cats for d in read_docs(tmp_path / "x.spacy")] == [
        {"greet": 1.0, "leave": 0.0},
        {"greet": 0.0, "leave": 1.0},
    ]


# --- real data (skipped where ../shared/data is absent) ------------------------------------


def real_data_dir() -> Path:
    default = Path(__file__).parents[1] / ".." / "shared" / "data"
    folder = Path(os.environ.get("NLP_RNN_DATA_DIR", default)).resolve()
    if not folder.is_dir():
        pytest.skip(f"real data not found at {folder} (set NLP_RNN_DATA_DIR to run this test)")
    return folder


@pytest.mark.parametrize(
    "fmt, split, lang, reader, expected_docs",
    [("snips", "snips/valid", "en", read_snips, 700), ("cais", "cais/valid", "zh", read_cais, 994)],
)
def test_real_valid_splits_convert_without_losing_slots(
    tmp_path, fmt, split, lang, reader, expected_docs
):
    source = real_data_dir() / split
    if not source.is_dir():
        pytest.skip(f"{source} not found")
    report = convert(source, tmp_path / "x.spacy", fmt, lang)
    assert report.docs == expected_docs and not report.invalid
    records = list(reader(source))
    docs = read_docs(tmp_path / "x.spacy", lang)
    assert len(docs) == len(records) == expected_docs
    expected = [[(s.start, s.end, s.label) for s in r.slots] for r in records]
    written = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in docs]
    assert written == expected
    assert report.slots == sum(map(len, expected))
    assert all(
        d.cats[r.intent] == 1.0 and sum(d.cats.values()) == 1.0 for d, r in zip(docs, records)
    )
