"""rnn_lm: the character LM module, the TBPTT chunk reader and the per-lane state carry."""

import math

import pytest
import spacy
import torch
from spacy.tokens import DocBin
from spacy.training import Example

from nlp_rnn.architectures.lm import BOUNDARY, CharVocab
from nlp_rnn.nn.char_lm import CharLM
from nlp_rnn.pipeline.lm import EVAL_CHUNK, doc_pieces, sub_batches
from nlp_rnn.pipeline.lm_corpus import END, LANE, PREVIOUS, RESET, interleave, lane_chunks

TEXT = "to be or not to be, that is the question. " * 6


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("tied", [False, True])
def test_char_lm_shapes(cell, tied):
    torch.manual_seed(0)
    module = CharLM(11, embedding_width=6, hidden_size=8, num_layers=2, cell=cell, dropout=0.0, tie_embeddings=tied)
    ids = torch.randint(3, 11, (4, 7))
    logits, state = module(ids)
    assert logits.shape == (4, 7, 11)
    states = state if cell == "lstm" else (state,)
    assert all(s.shape == (2, 4, 8) for s in states)
    if tied:
        assert not hasattr(module, "output")


def test_char_lm_padded_rows_give_their_own_final_state():
    torch.manual_seed(0)
    module = CharLM(11, 6, 8, 2, "lstm", 0.0, False).eval()
    long, short = torch.randint(3, 11, (1, 7)), torch.randint(3, 11, (1, 4))
    batch = torch.cat([long, torch.cat([short, torch.zeros(1, 3, dtype=torch.long)], 1)])
    logits, (h, c) = module(batch, None, torch.tensor([7, 4]))
    alone_logits, (h_alone, _) = module(short)
    assert torch.allclose(h[:, 1], h_alone[:, 0], atol=1e-6)
    assert torch.allclose(logits[1, :4], alone_logits[0], atol=1e-5)


def test_lane_chunks_cut_one_text_into_contiguous_lanes():
    text = "".join(chr(ord("a") + i % 26) for i in range(100))
    per_lane = lane_chunks([text], lanes=3, chunk_length=8)
    assert "".join(c.text for lane in per_lane for c in lane) == text
    for lane, chunks in enumerate(per_lane):
        assert all(c.lane == lane for c in chunks)
        assert [c.reset for c in chunks] == [True] + [False] * (len(chunks) - 1)
        # the first lane starts the document (previous None); the others read the char before
        assert chunks[0].previous == (None if lane == 0 else text[text.index(chunks[0].text) - 1])
        assert [c.end for c in chunks][-1] == (lane == 2)
    order = [(c.lane, c.text) for c in interleave(per_lane)]
    assert order[:3] == [(0, per_lane[0][0].text), (1, per_lane[1][0].text), (2, per_lane[2][0].text)]


def test_short_documents_each_start_and_end_a_segment():
    per_lane = lane_chunks(["abc", "defgh", "ij"], lanes=2, chunk_length=4)
    chunks = [c for lane in per_lane for c in lane]
    assert sorted(c.text for c in chunks) == ["abc", "defg", "h", "ij"]
    for c in chunks:
        assert c.reset == (c.text != "h")
        assert c.end == (c.text != "defg")
        assert c.previous == ("g" if c.text == "h" else None)


def _component(cell="lstm", train_steps=0):
    nlp = spacy.blank("en")
    pipe = nlp.add_pipe(
        "rnn_lm",
        config={"model": {"cell": cell, "hidden_size": 16, "embedding_width": 8, "num_layers": 2, "dropout": 0.0}},
    )
    torch.manual_seed(0)
    examples = [Example(nlp.make_doc(TEXT), nlp.make_doc(TEXT))]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(train_steps):
        nlp.update(examples, sgd=optimizer)
    return nlp, pipe


def _chunk_doc(nlp, text, lane, reset, previous, end):
    doc = nlp.make_doc(text)
    doc.user_data.update({LANE: lane, RESET: reset, PREVIOUS: previous, END: end})
    return doc


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_scoring_chunks_with_carried_state_equals_scoring_the_whole_text(cell):
    nlp, pipe = _component(cell, train_steps=15)
    whole = pipe.predict([nlp.make_doc(TEXT)])[0]
    cut = [TEXT[:50], TEXT[50:120], TEXT[120:]]
    docs = [
        _chunk_doc(nlp, piece, 0, i == 0, None if i == 0 else TEXT[sum(map(len, cut[:i])) - 1], i == 2)
        for i, piece in enumerate(cut)
    ]
    pieces = [pipe.predict([doc])[0] for doc in docs]  # one call per chunk: the state is carried
    assert sum(p[1] for p in pieces) == whole[1] == len(TEXT)
    assert math.isclose(sum(p[0] for p in pieces), whole[0], rel_tol=1e-4)
    # a reset at the second chunk starts from zeros: a different (worse-informed) score
    docs[1].user_data[RESET] = True
    again = [pipe.predict([doc])[0] for doc in docs]
    assert abs(again[1][0] - pieces[1][0]) > 0.1
    assert math.isclose(again[0][0], pieces[0][0], rel_tol=1e-6)


def test_training_state_carries_to_the_next_chunk_and_resets_after_document_end():
    nlp, pipe = _component("lstm")
    module, vocab = pipe.module, pipe.char_vocab
    first = _chunk_doc(nlp, TEXT[:40], 3, True, None, False)
    second = _chunk_doc(nlp, TEXT[40:80], 3, False, TEXT[39], True)
    pipe.update([Example(first, first)])  # no optimizer: the weights stay as they are
    with torch.no_grad():
        ids = torch.tensor([[BOUNDARY] + vocab.encode(TEXT[:39])])
        _, (h1, c1) = module(ids)
    carried = pipe.task.train_states.states[("lane", 3)]
    assert torch.allclose(carried[0], h1, atol=1e-6) and torch.allclose(carried[1], c1, atol=1e-6)
    pipe.update([Example(second, second)])
    assert ("lane", 3) not in pipe.task.train_states.states  # the document ended: nothing to carry


def test_sub_batches_keep_each_lane_once_and_in_order():
    vocab = CharVocab(list("abc"))
    nlp = spacy.blank("en")
    docs = [_chunk_doc(nlp, "ab", lane, False, "a", False) for lane in (0, 1, 0, 2, 1)]
    pieces = [p for i, d in enumerate(docs) for p in doc_pieces(d, i, vocab)]
    groups = sub_batches(pieces)
    assert [[p.doc for p in g] for g in groups] == [[0, 1], [2, 3, 4]]


def test_long_whole_documents_are_scored_in_pieces():
    vocab = CharVocab(list("ab"))
    nlp = spacy.blank("en")
    pieces = doc_pieces(nlp.make_doc("ab" * EVAL_CHUNK), 0, vocab)
    assert len(pieces) == 3 and [p.reset for p in pieces] == [True, False, False]
    assert sum(len(p.targets) for p in pieces) == 2 * EVAL_CHUNK + 1
    assert pieces[-1].targets[-1] == BOUNDARY


def test_reader_streams_lane_ordered_chunks(tmp_path):
    nlp = spacy.blank("en")
    path = tmp_path / "train.spacy"
    DocBin(docs=[nlp.make_doc(TEXT)]).to_disk(path)
    reader = spacy.registry.readers.get("nlp_rnn.LMChunks.v1")(path, chunk_length=16, lanes=4)
    examples = list(reader(nlp))
    assert "".join(eg.reference.text for eg in sorted(examples, key=lambda e: e.reference.user_data[LANE])) != ""
    assert [eg.reference.user_data[LANE] for eg in examples[:8]] == [0, 1, 2, 3] * 2
    assert sum(len(eg.reference.text) for eg in examples) == len(TEXT)
