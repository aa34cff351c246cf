"""One Doc → record function for ``predict``, ``annotate`` (and the server): same keys, slot
confidence under ``confidence`` everywhere."""

import json

import spacy
from spacy.tokens import Span

from nlp_rnn.annotate import annotate
from nlp_rnn.prediction import intent_record, predict_texts
from nlp_rnn.records import RecordFields, doc_record

from conftest import train_tiny_intent

if not Span.has_extension("confidence"):
    Span.set_extension("confidence", default=None)


def test_doc_record_fields_and_rounding():
    nlp = spacy.blank("en")
    doc = nlp("fly to Paris now")
    doc.cats = {"Book": 0.7000004, "Other": 0.2999996}
    span = Span(doc, 2, 3, label="city")
    span._.confidence = float("nan")
    doc.ents = [span]
    record = doc_record(doc, top_k=1)
    assert record == {
        "intent": "Book",
        "confidence": 0.7,
        "ranking": [{"intent": "Book", "score": 0.7}],
        "slots": [{"start": 7, "end": 12, "text": "Paris", "label": "city", "confidence": None}],
    }
    assert "ranking" not in doc_record(doc)  # top_k=0
    no_cats = doc_record(doc, fields=RecordFields(cats=False, slot_scores=False, translation=False))
    assert list(no_cats) == ["slots"] and no_cats["slots"][0]["confidence"] is None
    assert intent_record(nlp("hi"), 3) == {"text": "hi", "intent": None, "confidence": None, "ranking": [], "slots": []}


def test_predict_and_annotate_records_agree(tmp_path):
    nlp = train_tiny_intent("en")
    nlp.to_disk(tmp_path / "model")
    texts = ["what time is it", "play some jazz"]
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n")
    annotate(tmp_path / "model", tmp_path / "in.txt", tmp_path / "out.jsonl", progress=False)
    annotated = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    predicted = list(predict_texts(nlp, texts, top_k=2))
    for line, (a, p) in enumerate(zip(annotated, predicted), start=1):
        assert a.pop("line") == line and p.pop("text") == texts[line - 1]
        assert p.pop("ranking")[0]["intent"] == p["intent"]
        assert a.keys() == p.keys() and a["intent"] == p["intent"]
        assert abs(a["confidence"] - p["confidence"]) < 1e-5


def test_slots_are_trimmed_to_their_content():
    """Records name a slot by its first and last token that is neither whitespace, punctuation nor
    an emoji; doc.ents keep what the model predicted; a span with no such token is left out."""
    nlp = spacy.blank("en")
    doc = nlp('in  New  York play Beyoncé 🎵 , "Hello", at 50% 👍🏽 $5')
    tokens = [t.text for t in doc]
    assert tokens[1] == " " and tokens[2] == "New"  # spaCy's whitespace token before "New"

    def span(first, last, label):
        return Span(doc, tokens.index(first), tokens.index(last) + 1, label=label)

    ents = [
        Span(doc, 1, 5, label="city"),  # ' New  York'
        span("Beyoncé", ",", "artist"),  # 'Beyoncé 🎵 ,'
        Span(doc, tokens.index(",") + 1, tokens.index("Hello") + 3, label="song"),  # '"Hello",'
        span("50", "👍", "discount"),  # '50% 👍'
        span("🏽", "5", "price"),  # '🏽 $5'
    ]
    for ent in ents:
        ent._.confidence = 0.9
    doc.ents = ents
    slots = doc_record(doc)["slots"]
    assert [(s["text"], s["label"]) for s in slots] == [
        ("New  York", "city"), ("Beyoncé", "artist"), ("Hello", "song"), ("50%", "discount"), ("$5", "price")
    ]
    assert all(doc.text[s["start"] : s["end"]] == s["text"] and s["confidence"] == 0.9 for s in slots)
    assert (slots[0]["start"], slots[0]["end"]) == (4, 13)
    assert [e.text for e in doc.ents][0] == " New  York"

    noise = nlp("play , 🎵 now")
    noise.ents = [Span(noise, 1, 3, label="song")]
    assert doc_record(noise)["slots"] == []
