"""The training data path: DocBins read once (``nlp_rnn.CachedCorpus.v1``) or streamed past the
memory bound, old DocBins read as fast as new ones, and per-Example arrays computed once."""

import numpy
import pytest
import spacy
from spacy.tokens import DocBin
from spacy.training import Example
from spacy.util import registry

from nlp_rnn.data.docbin import records_to_docbin
from nlp_rnn.data.records import IntentRecord
from nlp_rnn.featurizer import DocFeaturizer
from nlp_rnn.training.cached_corpus import CachedCorpus
from nlp_rnn.training.example_cache import ExampleCache

TEXTS = ["wake me up at 7", "play some jazz", "what time is it", "", "book a table for two"]


def write(path, texts, store_user_data=False, translations=None):
    nlp = spacy.blank("en")
    docbin = DocBin(store_user_data=store_user_data)
    for i, text in enumerate(texts):
        doc = nlp.make_doc(text)
        doc.cats = {"A": float(i % 2), "B": float(1 - i % 2)}
        if translations:
            doc.user_data["translation"] = translations[i]
        docbin.add(doc)
    docbin.to_disk(path)
    return path


def texts_of(examples):
    return [eg.reference.text for eg in examples]


def test_cached_reader_decodes_once_and_hands_out_the_same_examples(tmp_path, monkeypatch):
    path = write(tmp_path / "train.spacy", TEXTS)
    reads = []
    original = CachedCorpus.read_docbin
    monkeypatch.setattr(CachedCorpus, "read_docbin", lambda self, *a: reads.append(1) or original(self, *a))
    corpus = registry.resolve({"r": {"@readers": "nlp_rnn.CachedCorpus.v1", "path": str(path)}})["r"]
    nlp = spacy.blank("en")
    first, second = list(corpus(nlp)), list(corpus(nlp))
    assert texts_of(first) == [t for t in TEXTS if t]  # empty docs are skipped, as spaCy's reader does
    assert all(a is b for a, b in zip(first, second)) and len(reads) == 1
    assert not corpus.streams
    again = registry.resolve({"r": {"@readers": "nlp_rnn.CachedCorpus.v1", "path": str(path)}})["r"]
    assert all(a is b for a, b in zip(first, again(nlp)))  # spaCy resolves [corpora] again to train
    list(corpus(spacy.blank("en")))  # another pipeline (tokenizer) gets its own Examples
    assert len(reads) == 2


def test_an_augmenter_makes_the_reader_stream(tmp_path):
    path = write(tmp_path / "train.spacy", TEXTS)
    corpus = CachedCorpus(path, augmenter=lambda nlp, eg: [eg])
    nlp = spacy.blank("en")
    assert corpus.streams and not any(a is b for a, b in zip(corpus(nlp), corpus(nlp)))


def test_shuffle_changes_the_order_at_each_call_and_is_seeded(tmp_path):
    path = write(tmp_path / "train.spacy", [f"text number {i}" for i in range(40)])
    nlp = spacy.blank("en")
    orders = [texts_of(CachedCorpus(path, shuffle=True, seed=1)(nlp)) for _ in range(2)]
    assert orders[0] == orders[1]  # the same seed and call number give the same order
    corpus = CachedCorpus(path, shuffle=True, seed=1)
    first, second = texts_of(corpus(nlp)), texts_of(corpus(nlp))
    assert first != second and sorted(first) == sorted(second)


def test_a_corpus_over_the_bound_is_streamed_from_disk_at_every_call(tmp_path):
    path = write(tmp_path / "train.spacy", TEXTS)
    corpus = CachedCorpus(path, max_cached_tokens=5)  # 15 tokens in the file
    nlp = spacy.blank("en")
    first, second = list(corpus(nlp)), list(corpus(nlp))
    assert corpus.streams
    assert texts_of(first) == texts_of(second) == [t for t in TEXTS if t]
    assert not any(a is b for a, b in zip(first, second))


def test_old_docbins_with_empty_user_data_read_the_same(tmp_path):
    old = write(tmp_path / "old.spacy", TEXTS, store_user_data=True)  # what convert wrote before
    new = write(tmp_path / "new.spacy", TEXTS)
    nlp = spacy.blank("en")
    for a, b in zip(CachedCorpus(old)(nlp), CachedCorpus(new)(nlp)):
        assert a.reference.to_json() == b.reference.to_json()
    pairs = write(tmp_path / "pairs.spacy", TEXTS, store_user_data=True, translations=[f"t{i}" for i in range(5)])
    assert [eg.reference.user_data["translation"] for eg in CachedCorpus(pairs)(nlp)] == ["t0", "t1", "t2", "t4"]


def test_converted_docbins_store_user_data_only_when_there_is_some():
    nlp = spacy.blank("en")
    plain = records_to_docbin([IntentRecord("play jazz", "Play")], nlp, ["Play"])
    assert not plain.store_user_data
    pairs = records_to_docbin([IntentRecord("你好", None, translation="hello")], nlp, [])
    assert pairs.store_user_data
    assert list(DocBin().from_bytes(pairs.to_bytes()).get_docs(nlp.vocab))[0].user_data["translation"] == "hello"


def test_example_cache_computes_each_example_once_within_its_bound():
    nlp = spacy.blank("en")
    examples = [Example(nlp.make_doc(t), nlp.make_doc(t)) for t in TEXTS]
    calls = []

    def compute(batch):
        calls.append(len(batch))
        return [numpy.full((len(eg.predicted), 3), len(eg.reference.text), dtype="int64") for eg in batch]

    cache = ExampleCache(max_bytes=10 * 3 * 8)  # room for 10 tokens of 3 int64 columns
    first = cache.arrays(examples, "ids", compute)
    copies = [Example(eg.predicted.copy(), eg.reference) for eg in examples]  # what Language.update passes
    second = cache.arrays(copies, "ids", compute)
    assert calls == [5, 2]  # the examples past the bound are computed again, the others never
    assert all(numpy.array_equal(a, b) for a, b in zip(first, second))
    assert cache.bytes <= cache.max_bytes and len(cache) == 3


def test_cached_training_input_equals_featurizing_the_docs(trained_en):
    nlp = trained_en
    pipe = nlp.get_pipe("rnn_intent")
    examples = [Example(nlp.make_doc(t), nlp.make_doc(t)) for t in TEXTS + ["naïve café 😀 " * 40]]
    featurizer: DocFeaturizer = pipe.model.attrs["featurizer"]
    expected_ids, expected_lengths = featurizer([eg.predicted for eg in examples])
    for _ in range(2):  # computed, then from the cache
        batch = pipe.training_input(examples)
        assert numpy.array_equal(batch.ids, expected_ids) and numpy.array_equal(batch.lengths, expected_lengths)


@pytest.mark.parametrize("reader", ["nlp_rnn.CachedCorpus.v1"])
def test_shipped_configs_read_with_the_cached_reader(reader):
    from conftest import ROOT

    for path in sorted((ROOT / "pipelines").glob("*.cfg")):
        text = path.read_text()
        assert "spacy.Corpus.v1" not in text, path
        assert path.stem.startswith("lm_") or text.count(reader) == 2, path
