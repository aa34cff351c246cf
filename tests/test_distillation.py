"""Distilling trained joint pipelines (teachers) into a student: soft targets, loss, initialize settings."""

import numpy
import pytest
import spacy
import torch

from nlp_rnn.architectures.encoder_config import nest_encoder_settings
from nlp_rnn.nn.losses import soft_tag_loss
from nlp_rnn.pipeline.distillation import distill_targets, member_outputs, teacher_rows

from test_joint_component import JOINT_EN, SMALL, joint_examples


def tiny_joint():
    nlp = spacy.blank("en")
    nlp.add_pipe("rnn_joint", config={"model": nest_encoder_settings(dict(SMALL, hidden_size=16))})
    return nlp


@pytest.fixture(scope="module")
def teacher_paths(tmp_path_factory):
    """Two trained teachers (two seeds) saved to disk."""
    paths = []
    for seed in (0, 1):
        nlp = tiny_joint()
        examples = joint_examples(nlp, JOINT_EN)
        optimizer = nlp.initialize(lambda: examples)
        torch.manual_seed(seed)
        for _ in range(30):
            nlp.update(examples, sgd=optimizer)
        path = tmp_path_factory.mktemp("teachers") / f"s{seed}"
        nlp.to_disk(path)
        paths.append(str(path))
    return paths


def test_teacher_rows_hold_mean_probabilities_and_marginals(teacher_paths):
    teachers = [spacy.load(path) for path in teacher_paths]
    docs = [teachers[0].make_doc(text) for text, _, _ in JOINT_EN] + [teachers[0].make_doc("")]
    rows = teacher_rows(teachers, "rnn_joint", docs)
    pipe = teachers[0].get_pipe("rnn_joint")
    n_intents, n_tags = len(pipe.intents), len(pipe.tag_set)
    assert [len(row) for row in rows] == [n_intents + len(doc) * n_tags for doc in docs]
    for one in teachers:
        assert member_outputs(one, "rnn_joint", docs[:1])["probs"].shape == (1, n_intents)
    targets = distill_targets(rows, n_intents, n_tags, steps=8, weight=0.5, device=torch.device("cpu"))
    assert targets.intent.shape == (len(docs), n_intents) and targets.tags.shape == (len(docs), 8, n_tags)
    torch.testing.assert_close(targets.intent.sum(-1), torch.ones(len(docs)))
    lengths = [len(doc) for doc in docs]
    real = torch.arange(8)[None, :] < torch.tensor(lengths)[:, None]
    torch.testing.assert_close(targets.tags.sum(-1)[real], torch.ones(int(real.sum())), atol=1e-5, rtol=0)
    assert float(targets.tags.sum(-1)[~real].abs().sum()) == 0.0
    mean = (member_outputs(teachers[0], "rnn_joint", docs[:1])["probs"] + member_outputs(teachers[1], "rnn_joint", docs[:1])["probs"]) / 2
    numpy.testing.assert_allclose(rows[0][:n_intents], mean[0].numpy(), atol=1e-6)


def test_soft_tag_loss_is_the_cross_entropy_over_real_tokens():
    emissions = torch.randn(2, 3, 4)
    targets = torch.softmax(torch.randn(2, 3, 4), dim=-1)
    mask = torch.tensor([[True, True, False], [True, False, False]])
    expected = -(targets * torch.log_softmax(emissions, -1)).sum(-1)[mask].mean()
    torch.testing.assert_close(soft_tag_loss(emissions, targets, mask), expected)
    changed = emissions.clone()
    changed[0, 2] += 10  # padding does not count
    torch.testing.assert_close(soft_tag_loss(changed, targets, mask), expected)


def test_student_trains_with_teachers_and_they_are_not_saved(teacher_paths, tmp_path):
    """initialize(teachers=…) adds the distillation term to the training loss; the saved student
    holds nothing of it and predicts the same after loading."""
    losses = {}
    for name, settings in (("plain", {}), ("distilled", {"teachers": teacher_paths, "distill_weight": 2.0})):
        nlp = tiny_joint()
        examples = joint_examples(nlp, JOINT_EN)
        spacy.util.fix_random_seed(0)
        nlp.get_pipe("rnn_joint").initialize(lambda: examples, nlp=nlp, **settings)
        losses[name] = nlp.get_pipe("rnn_joint").update(examples)["rnn_joint"]
        optimizer = nlp.create_optimizer()
        for _ in range(30):
            nlp.update(examples, sgd=optimizer)
    assert losses["distilled"] > losses["plain"]  # the same first model, one more (positive) term
    nlp.to_disk(tmp_path / "student")
    assert "teachers" not in (tmp_path / "student" / "rnn_joint" / "cfg").read_text()
    loaded = spacy.load(tmp_path / "student")
    for text, _, _ in JOINT_EN:
        assert loaded(text).cats == pytest.approx(nlp(text).cats, abs=1e-6)


def test_a_teacher_of_other_data_is_one_clear_error(teacher_paths):
    nlp = tiny_joint()
    examples = joint_examples(nlp, JOINT_EN[:4])  # two intents, fewer slot labels than the teachers
    with pytest.raises(ValueError, match="not those of the model it joins"):
        nlp.get_pipe("rnn_joint").initialize(lambda: examples, nlp=nlp, teachers=teacher_paths)


def test_a_tagger_distils_its_teachers_tag_marginals(tmp_path):
    """rnn_tagger (no intents) takes teachers too: its soft targets are the tag marginals alone."""
    from test_joint_component import NER_ZH, SMALL_ZH, ner_examples

    def tagger():
        nlp = spacy.blank("zh")
        nlp.add_pipe("rnn_tagger", config={"model": nest_encoder_settings(dict(SMALL_ZH, hidden_size=16))})
        return nlp

    teacher = tagger()
    examples = ner_examples(teacher, NER_ZH)
    optimizer = teacher.initialize(lambda: examples)
    for _ in range(20):
        teacher.update(examples, sgd=optimizer)
    teacher.to_disk(tmp_path / "teacher")
    student = tagger()
    examples = ner_examples(student, NER_ZH)
    student.get_pipe("rnn_tagger").initialize(lambda: examples, nlp=student, teachers=[str(tmp_path / "teacher")])
    rows = teacher_rows(student.get_pipe("rnn_tagger").task.teachers, "rnn_tagger", [eg.predicted for eg in examples])
    n_tags = len(teacher.get_pipe("rnn_tagger").tag_set)
    assert [len(row) for row in rows] == [len(eg.predicted) * n_tags for eg in examples]
    assert student.get_pipe("rnn_tagger").update(examples)["rnn_tagger"] > 0


def test_crf_soft_loss_matches_the_gold_loss_on_one_hot_targets_and_moves_marginals_to_targets():
    """With one-hot targets of a well-formed path the CRF soft loss is the CRF NLL; its gradient
    on the emissions is (the CRF's marginals − the targets) at real positions, 0 at padding."""
    from nlp_rnn.nn.slot_head import SlotHead
    from nlp_rnn.nn.tag_constraints import allowed_transitions

    tags = ["O", "B-x", "I-x", "L-x", "U-x"]
    allowed, start, end = allowed_transitions(tags, "BILUO")
    torch.manual_seed(0)
    head = SlotHead(4, len(tags), use_crf=True, allowed=torch.as_tensor(allowed),
                    allowed_start=torch.as_tensor(start), allowed_end=torch.as_tensor(end))
    torch.nn.init.normal_(head.crf.transitions)
    emissions = torch.randn(2, 4, len(tags), requires_grad=True)
    mask = torch.tensor([[True, True, True, True], [True, True, False, False]])
    gold = torch.tensor([[1, 3, 0, 4], [4, 0, 0, 0]])
    one_hot = torch.nn.functional.one_hot(gold, len(tags)).float() * mask.unsqueeze(-1)
    torch.testing.assert_close(head.soft_loss(emissions, one_hot, mask), head.crf.neg_log_likelihood(emissions, gold, mask))
    targets = torch.softmax(torch.randn(2, 4, len(tags)), dim=-1) * mask.unsqueeze(-1)
    head.soft_loss(emissions, targets, mask).backward()
    expected = (head.crf.marginals(emissions.detach(), mask) - targets) / 2  # mean over the 2 sentences
    torch.testing.assert_close(emissions.grad, expected * mask.unsqueeze(-1), atol=1e-5, rtol=1e-4)


def test_the_ensemble_averages_the_members_intents_and_writes_their_slot_labels(teacher_paths):
    from nlp_rnn.api import predict_ensemble, score_docs

    members = [spacy.load(path) for path in teacher_paths]
    texts = [text for text, _, _ in JOINT_EN] + ["", "weather 😀 in 北京"]
    docs = predict_ensemble(members, "rnn_joint", texts)
    for text, doc in zip(texts, docs):
        alone = [nlp(text).cats for nlp in members]
        assert doc.cats == pytest.approx({k: (alone[0][k] + alone[1][k]) / 2 for k in alone[0]}, abs=1e-6)
        assert {e.label_ for e in doc.ents} <= set(members[0].get_pipe("rnn_joint").cfg["slot_labels"])
        assert all(e._.confidence is None for e in doc.ents)
    gold = [members[0].make_doc(text) for text, _, _ in JOINT_EN]
    for doc, (_, intent, slots) in zip(gold, JOINT_EN):
        doc.cats = {i: float(i == intent) for i in members[0].get_pipe("rnn_joint").intents}
        doc.ents = [doc.char_span(s, e, label=l) for s, e, l in slots]
    figures = score_docs(members[0], gold, docs[: len(gold)])
    assert {"intent_accuracy", "span_f1", "exact_match"} <= set(figures)
