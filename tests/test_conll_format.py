"""``--format conll``: CoNLL-2003 columns, IOB1 and IOB2, -DOCSTART- skipped, line-numbered errors."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from nlp_rnn.cli.app import app
from nlp_rnn.data import InvalidRecordError, ReadReport, read_conll
from nlp_rnn.data.conll_format import iob1_to_iob2

SAMPLE = Path(__file__).parent / "data" / "conll2003_sample.txt"


def spans(record):
    return [(record.text[s.start:s.end], s.label) for s in record.slots]


def test_iob1_sample_file():
    records = list(read_conll(SAMPLE))
    assert [r.text for r in records] == [
        "Anna Berg joined Acme Corp in Oslo .",
        "Acme Berlin and Acme Paris merged .",
        "Ski World Cup results",
    ]
    assert spans(records[0]) == [("Anna Berg", "PER"), ("Acme Corp", "ORG"), ("Oslo", "LOC")]
    assert spans(records[1]) == [("Acme", "ORG"), ("Berlin", "ORG"), ("Acme Paris", "ORG")]  # B- splits IOB1 spans
    assert spans(records[2]) == [("Ski World Cup", "MISC")]
    assert all(r.intent is None for r in records)


def test_iob2_reads_the_same_spans(tmp_path):
    iob2 = tmp_path / "iob2.txt"
    iob2.write_text(
        "-DOCSTART- O\n\nAnna B-PER\nBerg I-PER\njoined O\nAcme B-ORG\nCorp I-ORG\nin O\nOslo B-LOC\n. O\n\n"
        "Acme B-ORG\nBerlin B-ORG\nand O\nAcme B-ORG\nParis I-ORG\nmerged O\n. O\n\n\n"
        "Ski\tB-MISC\nWorld\tI-MISC\nCup\tI-MISC\nresults\tO\n"
    )
    report = ReadReport()
    assert [spans(r) for r in read_conll(iob2, report=report)] == [spans(r) for r in read_conll(SAMPLE)]
    assert report.records == 3 and report.repairs == [] and report.invalid == []
    assert iob1_to_iob2(["I-X", "I-X", "B-X", "O", "I-Y", "I-X"]) == ["B-X", "I-X", "B-X", "O", "B-Y", "B-X"]


def test_bad_lines_name_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("Anna I-PER\nBerg\n\nOslo I-LOC\n\nParis E-LOC\n\nRome I-LOC\n")
    with pytest.raises(InvalidRecordError, match=r"bad.txt:2: expected 'token … tag' \(at least 2 columns\), got 'Berg'"):
        list(read_conll(bad))
    report = ReadReport()
    assert [r.text for r in read_conll(bad, skip_invalid=True, report=report)] == ["Oslo", "Rome"]
    assert report.invalid[1] == f"{bad}:6: tag 'E-LOC' is not an IOB tag (O, B-X or I-X)"


def test_cli_converts_conll_to_docbin_ents(tmp_path):
    from spacy.tokens import DocBin

    from nlp_rnn.language import blank_pipeline

    result = CliRunner().invoke(app, ["convert", str(SAMPLE), str(tmp_path / "ner.spacy"), "--format", "conll", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "wrote 3 docs" in result.stdout
    docs = list(DocBin().from_disk(tmp_path / "ner.spacy").get_docs(blank_pipeline("en").vocab))
    assert [(e.text, e.label_) for e in docs[1].ents] == [("Acme", "ORG"), ("Berlin", "ORG"), ("Acme Paris", "ORG")]
    assert all(doc.cats == {} for doc in docs)
