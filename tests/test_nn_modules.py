"""Unit tests of the plain torch modules: shapes, padding invariance, determinism."""

import pytest
import torch

from nlp_rnn.nn.conv import ConvFrontEnd
from nlp_rnn.nn.embedding import FeatureEmbedding
from nlp_rnn.nn.encoder import RNNEncoder
from nlp_rnn.nn.intent_classifier import IntentClassifier
from nlp_rnn.nn.masking import lengths_to_mask
from nlp_rnn.nn.pooling import AttentionPooling, build_pooling
from nlp_rnn.nn.text_encoder import build_text_encoder

#: the tiny encoders' settings (the nn modules have no defaults of their own)
ENCODER = dict(cell="lstm", num_layers=1, bidirectional=True, dropout=0.0, embedding_dropout=0.0, word_dropout=0.0,
               conv_filters=0, conv_kernel=3, conv_stride=1)


def random_ids(lengths, n_features=2, vocab=20, seed=0):
    """(batch, max_len, n_features) ids in [2, vocab) with zeros at padding."""
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(2, vocab, (len(lengths), max(lengths), n_features), generator=generator)
    mask = lengths_to_mask(torch.tensor(lengths), max(lengths))
    return ids * mask.unsqueeze(-1)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_encoder_shapes(cell, bidirectional, num_layers):
    torch.manual_seed(0)
    encoder = RNNEncoder(6, 5, cell=cell, num_layers=num_layers, bidirectional=bidirectional, dropout=0.0)
    x = torch.randn(3, 7, 6)
    outputs, final, lengths = encoder(x, torch.tensor([7, 3, 1]))
    width = 10 if bidirectional else 5
    assert outputs.shape == (3, 7, width)
    assert final.shape == (3, width)
    assert lengths.tolist() == [7, 3, 1]
    assert torch.all(outputs[1, 3:] == 0) and torch.all(outputs[2, 1:] == 0)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("conv_filters", [0, 4])
def test_padding_does_not_change_results(cell, conv_filters):
    """A sequence encodes the same alone and inside a padded batch with longer sequences."""
    torch.manual_seed(0)
    encoder = build_text_encoder([20, 20], [4, 3], 5, **dict(ENCODER, cell=cell, num_layers=2, conv_filters=conv_filters))
    encoder.eval()
    batch = random_ids([9, 4, 6])
    outputs, final, mask = encoder(batch, torch.tensor([9, 4, 6]))
    alone_out, alone_final, _ = encoder(batch[1:2, :4], torch.tensor([4]))
    torch.testing.assert_close(outputs[1, :4], alone_out[0], atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(final[1], alone_final[0], atol=1e-6, rtol=1e-5)
    assert mask.sum(dim=1).tolist() == [9, 4, 6]


def test_conv_stride_updates_lengths():
    conv = ConvFrontEnd(4, 6, kernel_size=3, stride=2)
    y, lengths = conv(torch.randn(2, 9, 4), torch.tensor([9, 3]))
    assert y.shape == (2, 5, 6)
    assert lengths.tolist() == [5, 2]
    assert torch.all(y[1, 2:] == 0)


def test_seed_gives_identical_models_and_outputs():
    ids = random_ids([5, 3])
    results = []
    for _ in range(2):
        torch.manual_seed(42)
        model = IntentClassifier(build_text_encoder([20, 20], [4, 3], 6, **ENCODER), "attention", 3, 0.0)
        model.eval()
        results.append(model(ids, torch.tensor([5, 3])).logits)
    torch.testing.assert_close(results[0], results[1], atol=0, rtol=0)


@pytest.mark.parametrize("name", ["last", "max", "mean", "attention"])
def test_pooling_ignores_padding(name):
    torch.manual_seed(0)
    pooling = build_pooling(name, 4)
    outputs = torch.randn(2, 5, 4)
    mask = lengths_to_mask(torch.tensor([5, 2]), 5)
    final = torch.randn(2, 4)
    reference = pooling(outputs, final, mask)
    noisy = outputs.clone()
    noisy[1, 2:] = 1e6
    torch.testing.assert_close(pooling(noisy, final, mask), reference)


def test_attention_weights_sum_to_one_over_real_positions():
    pooling = AttentionPooling(4)
    mask = lengths_to_mask(torch.tensor([5, 2, 1]), 5)
    weights = pooling.attention_weights(torch.randn(3, 5, 4), mask)
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(3))
    assert torch.all(weights[~mask] == 0)


def test_unknown_pooling_and_cell_are_rejected():
    with pytest.raises(ValueError, match="pooling"):
        build_pooling("median", 4)
    with pytest.raises(ValueError, match="cell"):
        RNNEncoder(4, 4, cell="transformer", num_layers=1, bidirectional=True, dropout=0.0)


def test_embedding_padding_is_zero_and_static_table_frozen():
    static = torch.randn(20, 3)
    embedding = FeatureEmbedding([20, 10], [4, 2], dropout=0.0, word_dropout=0.0, static_vectors=static, freeze_static=True)
    ids = random_ids([3, 1], vocab=10)
    out = embedding(ids)
    assert out.shape == (2, 3, 9)
    assert torch.all(out[1, 1:] == 0)
    out.sum().backward()
    assert embedding.static.weight.grad is None
    assert embedding.tables[0].weight.grad is not None
    tuned = FeatureEmbedding([20, 10], [4, 2], dropout=0.0, word_dropout=0.0, static_vectors=static, freeze_static=False)
    tuned(ids).sum().backward()
    assert tuned.static.weight.grad is not None


def test_word_dropout_only_in_training():
    torch.manual_seed(0)
    embedding = FeatureEmbedding([20, 10], [4, 2], dropout=0.0, word_dropout=0.5)
    ids = random_ids([6, 6], vocab=10)
    embedding.eval()
    first, second = embedding(ids), embedding(ids)
    torch.testing.assert_close(first, second)
    embedding.train()
    assert not torch.equal(embedding(ids), first)


def test_intent_classifier_handles_empty_sequences():
    torch.manual_seed(0)
    model = IntentClassifier(build_text_encoder([20, 20], [4, 3], 6, **ENCODER), "max", 3, 0.0)
    model.eval()
    ids = torch.zeros((2, 0, 2), dtype=torch.long)
    logits = model(ids, torch.tensor([0, 0])).logits
    assert logits.shape == (2, 1, 3)
    assert torch.isfinite(logits).all()


def test_bag_of_ngrams_ignores_padding_and_counts_ngrams():
    from nlp_rnn.nn.bag_of_ngrams import BagOfNgrams

    torch.manual_seed(0)
    bag = BagOfNgrams(10, 3, ngram_size=3, n_buckets=50)
    for parameter in bag.parameters():
        torch.nn.init.normal_(parameter)
    words = torch.tensor([[4, 5, 6, 0, 0], [4, 5, 6, 7, 8]])
    alone = bag(torch.tensor([[4, 5, 6]]))
    torch.testing.assert_close(bag(words)[0], alone[0])
    assert not torch.allclose(bag(words)[1], alone[0])
    assert bag(torch.zeros((2, 0), dtype=torch.long)).shape == (2, 3)
