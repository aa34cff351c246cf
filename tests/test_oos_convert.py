"""nlp-rnn convert --oos-label: out-of-scope docs stored with no positive intent."""

from spacy.tokens import DocBin

from nlp_rnn.data.convert import convert
from nlp_rnn.language import blank_pipeline


def write_csv(path, rows):
    path.write_text("text,intent\n" + "".join(f"{t},{i}\n" for t, i in rows), encoding="utf8")
    return path


ROWS = [("what time is it", "GetTime"), ("play jazz", "PlayMusic"), ("meaning of life", "oos"), ("tell me a joke", "oos")]


def test_oos_label_docs_have_all_zero_cats(tmp_path):
    report = convert(write_csv(tmp_path / "d.csv", ROWS), tmp_path / "d.spacy", "csv", "en", oos_label="oos")
    assert report.intents == ["GetTime", "PlayMusic"] and not report.multi_label
    assert any("2 docs stored with all cats 0" in note for note in report.notes)
    docs = list(DocBin().from_disk(tmp_path / "d.spacy").get_docs(blank_pipeline("en").vocab))
    assert [d.cats for d in docs] == [
        {"GetTime": 1.0, "PlayMusic": 0.0}, {"GetTime": 0.0, "PlayMusic": 1.0},
        {"GetTime": 0.0, "PlayMusic": 0.0}, {"GetTime": 0.0, "PlayMusic": 0.0},
    ]


def test_absent_oos_label_warns_with_the_labels_seen(tmp_path):
    report = convert(write_csv(tmp_path / "d.csv", ROWS), tmp_path / "d.spacy", "csv", "en", oos_label="None")
    warning = [note for note in report.notes if note.startswith("warning: --oos-label 'None'")]
    assert warning and "labels seen: GetTime, PlayMusic, oos" in warning[0]
    assert "warning: --oos-label" in report.summary()
