"""The ``bmes`` reader and converter format on tiny files, and on Resume NER dev if present."""

import os
from pathlib import Path

import pytest
from spacy.tokens import DocBin
from typer.testing import CliRunner

from nlp_rnn.cli.app import app
from nlp_rnn.data import FORMATS, InvalidRecordError, ReadReport, convert, read_bmes
from nlp_rnn.language import blank_pipeline


def write_bmes(path, sentences, *, prefix=""):
    """sentences: lists of (char, tag); ``prefix`` goes before the first line (e.g. a BOM)."""
    blocks = ["\n".join(f"{char} {tag}" for char, tag in sentence) for sentence in sentences]
    path.write_text(prefix + "\n\n".join(blocks) + "\n\n", encoding="utf8")
    return path


def slot_texts(record):
    return [(record.text[s.start : s.end], s.label) for s in record.slots]


RESUME = [
    [("高", "B-NAME"), ("勇", "E-NAME"), ("：", "O"), ("男", "O")],
    [
        ("张", "S-NAME"),
        (" ", "O"),  # a literal space is a character too
        ("北", "B-ORG"),
        ("京", "M-ORG"),
        ("大", "M-ORG"),
        ("学", "E-ORG"),
    ],
]


def test_reader_chars_tags_and_no_intent(tmp_path):
    path = write_bmes(tmp_path / "train.char.bmes", RESUME, prefix="\ufeff")
    report = ReadReport()
    records = list(read_bmes(path, report=report))
    assert [r.text for r in records] == ["高勇：男", "张 北京大学"]
    assert all(r.intent is None and r.intents == [] for r in records)
    assert slot_texts(records[0]) == [("高勇", "NAME")]
    assert slot_texts(records[1]) == [("张", "NAME"), ("北京大学", "ORG")]
    assert (report.records, report.invalid, report.repairs) == (2, [], [])


def test_broken_sequences_are_repaired_and_counted(tmp_path):
    path = write_bmes(
        tmp_path / "x.bmes",
        [
            [("a", "O"), ("b", "M-ORG"), ("c", "E-ORG")],  # M- without B-: starts a new span
            [("d", "B-LOC"), ("e", "O")],  # B- without E-: closed
            [("f", "E-X")],  # E- alone: a single-char span
        ],
    )
    report = ReadReport()
    records = list(read_bmes(path, report=report))
    assert [slot_texts(r) for r in records] == [[("bc", "ORG")], [("d", "LOC")], [("f", "X")]]
    assert len(report.repairs) == 3
    assert report.repairs[0].startswith(f"{path}:1: tag 2 'M-ORG' follows 'O'")
    assert report.repairs[1].startswith(f"{path}:5: ")
    assert report.repairs[2].startswith(f"{path}:8: ")


def test_errors_name_file_and_line_and_can_be_skipped(tmp_path):
    path = write_bmes(
        tmp_path / "bad.bmes",
        [[("a", "O")], [("b", "I-ORG"), ("c", "O")], [("d", "O")]],  # I- is not a BMES prefix
    )
    with pytest.raises(InvalidRecordError, match=r"bad.bmes:3: tag 1 'I-ORG' is not a BMES tag"):
        list(read_bmes(path))
    report = ReadReport()
    assert [r.text for r in read_bmes(path, skip_invalid=True, report=report)] == ["a", "d"]
    assert report.invalid == [f"{path}:3: tag 1 'I-ORG' is not a BMES tag"]
    malformed = tmp_path / "malformed.bmes"
    malformed.write_text("a O\nbO\n\nc O\n", encoding="utf8")
    expected = r"malformed.bmes:2: expected 'char tag', got 'bO'"
    with pytest.raises(InvalidRecordError, match=expected):
        list(read_bmes(malformed))
    # the scheme can be changed for char files tagged BIOES: there I- is a known prefix
    report = ReadReport()
    records = list(read_bmes(path, scheme="BIOES", report=report))
    assert slot_texts(records[1]) == [("b", "ORG")] and len(report.repairs) == 2
    with pytest.raises(FileNotFoundError, match="BMES file not found"):
        list(read_bmes(tmp_path / "missing.bmes"))
    with pytest.raises(FileNotFoundError, match="BMES file not found"):
        list(read_bmes(tmp_path))


def test_registered_format_converts_to_ents(tmp_path):
    assert FORMATS["bmes"].read is read_bmes
    path = write_bmes(tmp_path / "train.char.bmes", RESUME)
    report = convert(path, tmp_path / "out.spacy", "bmes", "zh")
    assert (report.docs, report.intents, report.slots) == (2, [], 3)
    docs = list(DocBin().from_disk(tmp_path / "out.spacy").get_docs(blank_pipeline("zh").vocab))
    assert [[(e.text, e.label_) for e in d.ents] for d in docs] == [
        [("高勇", "NAME")],
        [("张", "NAME"), ("北京大学", "ORG")],
    ]
    assert all(d.cats == {} for d in docs)


def test_cli_convert_bmes(tmp_path):
    path = write_bmes(tmp_path / "dev.char.bmes", RESUME)
    args = [str(path), str(tmp_path / "out.spacy"), "--format", "bmes", "--lang", "zh"]
    result = CliRunner().invoke(app, ["convert", *args])
    assert result.exit_code == 0, result.output
    assert "wrote 2 docs" in result.stdout


# --- real data (skipped where ../shared/data is absent) ------------------------------------


def resume_dev() -> Path:
    default = Path(__file__).parents[1] / ".." / "shared" / "data"
    folder = Path(os.environ.get("NLP_RNN_DATA_DIR", default)).resolve()
    path = folder / "resume_ner" / "dev.char.bmes"
    if not path.is_file():
        pytest.skip(f"Resume NER dev not found at {path} (set NLP_RNN_DATA_DIR to run this test)")
    return path


def test_real_resume_dev_converts_without_losing_entities(tmp_path):
    source = resume_dev()
    report = convert(source, tmp_path / "dev.spacy", "bmes", "zh")
    assert report.docs == 463 and not report.invalid and not report.repairs
    records = list(read_bmes(source))
    # every B- / S- tag starts one entity
    tags = [line.rsplit(" ", 1)[1] for line in source.read_text("utf-8-sig").splitlines() if line]
    n_entities = sum(tag[0] in "BS" for tag in tags)
    assert report.slots == sum(len(r.slots) for r in records) == n_entities
    docs = list(DocBin().from_disk(tmp_path / "dev.spacy").get_docs(blank_pipeline("zh").vocab))
    assert [d.text for d in docs] == [r.text for r in records]
    written = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in docs]
    assert written == [[(s.start, s.end, s.label) for s in r.slots] for r in records]
