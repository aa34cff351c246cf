"""DocFeaturizer: vocabularies, unknown ids, character columns."""

import pytest
import spacy
import torch

from nlp_rnn.featurizer import CHARS_PER_TOKEN, UNK_ID, DocFeaturizer, token_feature_strings
from nlp_rnn.nn.char_cnn import CharCNN


@pytest.fixture(scope="module")
def nlp():
    return spacy.blank("en")


def test_char_columns_follow_token_features(nlp):
    train = [nlp("play adele"), nlp("play jazz")]
    featurizer = DocFeaturizer.from_docs(train, ["NORM", "SHAPE", "CHARS"], min_freq=1, max_length=512)
    assert featurizer.n_columns == 2 + CHARS_PER_TOKEN
    long_word = "x" * (CHARS_PER_TOKEN + 5)
    ids, lengths = featurizer([nlp("play"), nlp(f"adeLe {long_word}")])
    assert ids.shape == (2, 2, 2 + CHARS_PER_TOKEN) and lengths.tolist() == [1, 2]
    chars = ids[:, :, 2:]
    assert (chars[0, 0, :4] > UNK_ID).all() and (chars[0, 0, 4:] == 0).all()  # "play", then padding
    assert chars[1, 0, 3] == UNK_ID  # "L" never seen in training
    assert (chars[1, 1] == UNK_ID).all()  # "x" unseen, truncated to CHARS_PER_TOKEN
    assert (ids[0, 1] == 0).all()  # padding token
    restored = DocFeaturizer.from_dict(featurizer.to_dict())
    assert (restored([nlp("adeLe play")])[0] == featurizer([nlp("adeLe play")])[0]).all()


@pytest.mark.parametrize("features", [["CHARS"], ["CHARS", "NORM"], ["NORM", "CHARS", "CHARS"]])
def test_chars_must_be_last_after_a_word_feature(nlp, features):
    with pytest.raises(ValueError, match="CHARS"):
        DocFeaturizer.from_docs([nlp("hello")], features, min_freq=1, max_length=512)


def test_char_cnn_shapes_and_zero_for_padding_tokens():
    torch.manual_seed(0)
    cnn = CharCNN(n_chars=10, width=6)
    chars = torch.tensor([[[2, 3, 4, 0], [0, 0, 0, 0]]])
    out = cnn(chars)
    assert out.shape == (1, 2, 6)
    assert torch.all(out[0, 1] == 0)
    assert torch.allclose(cnn(chars[:, :1]), out[:, :1])


def test_bigram_feature_pairs_each_token_with_the_next():
    nlp = spacy.blank("zh")  # character segmentation
    assert token_feature_strings(nlp("北京大"), ["BIGRAM"]) == [["北 京", "京 大", "大 </s>"]]
    featurizer = DocFeaturizer.from_docs([nlp("北京大学")], ["ORTH", "BIGRAM"], min_freq=1, max_length=512)
    ids, _ = featurizer([nlp("北京"), nlp("京北")])
    assert ids[0, 0, 1] > UNK_ID and ids[1, 0, 1] == UNK_ID  # "北 京" seen, "京 北" not


def test_lexicon_features_name_every_dictionary_word_over_a_character():
    """Character-level Chinese: each character gets the most frequent jieba dictionary word that
    begins there, holds it inside, ends there, and its roles; words jieba's segmentation would not
    cut count too (SoftLexicon-style)."""
    nlp = spacy.blank("zh")  # character segmentation
    doc = nlp("南京市长江大桥")
    begins, inside, ends, roles = token_feature_strings(doc, ["LEX_B", "LEX_M", "LEX_E", "LEX_ROLES"])
    assert begins[0] == "南京" and ends[1] == "南京" and ends[2] == "南京市"
    assert begins[2] == "市长" and ends[3] == "市长"  # the competing word the segmentation leaves out
    assert inside[4] == inside[5] == "长江大桥" and ends[6] == "长江大桥"
    assert roles[0] == "BS" and "E" in roles[6] and all(r != "-" for r in roles)
    latin = nlp("ok 👍")
    assert token_feature_strings(latin, ["LEX_B", "LEX_ROLES"]) == [["-"] * len(latin), ["-"] * len(latin)]
    assert token_feature_strings(nlp(""), ["LEX_E"]) == [[]]
