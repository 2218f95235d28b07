"""The encoder chapter's helpers (course.chapters.encoders) on tiny, hand-checked inputs."""

import matplotlib.pyplot as plt
import pytest
import torch

from course.chapters import encoders as chapter
from course.encoder import EncoderClassifier, EncoderConfig, MaskedLanguageModel
from course.gpt import GPT, GPTConfig
from course.masking import IGNORE_INDEX
from course.text import CLS, MASK, SEP, Vocabulary

VOCAB = Vocabulary.build([["a", "b", ".", "c"]]).with_tokens([CLS, SEP, MASK])


def test_stream_and_framing():
    stream = chapter.sentence_stream([["a", "b"], ["c"]], VOCAB)
    sep = VOCAB.index(SEP)
    assert stream.tolist() == [VOCAB.index("a"), VOCAB.index("b"), sep, VOCAB.index("c"), sep]
    ids = chapter.framed_ids([["a", "b", "c"], ["a"]], VOCAB, max_length=4)
    assert ids.tolist()[0] == VOCAB.encode([CLS, "a", "b", SEP])
    assert ids.tolist()[1] == [*VOCAB.encode([CLS, "a", SEP]), 0]
    with pytest.raises(ValueError, match="max_length"):
        chapter.framed_ids([["a"]], VOCAB, max_length=2)


def test_fill_scores_of_both_models_at_the_same_blanks():
    torch.manual_seed(0)
    logits = torch.tensor([[0.0, 5.0], [5.0, 0.0]])
    loss, acc = chapter.fill_scores(logits, torch.tensor([1, 1]))
    assert acc == 0.5 and loss > 0
    v = len(VOCAB)
    windows = torch.randint(5, v, (3, 6))  # one token of left context, then 5
    targets = torch.full((3, 7), IGNORE_INDEX)
    targets[:, 2] = windows[:, 2]  # the second of the five
    mlm = MaskedLanguageModel(EncoderConfig(vocab_size=v, max_length=7, n_layer=1, n_head=2,
                                            n_embd=8))
    inputs = torch.cat([torch.full((3, 1), 2), windows[:, 1:], torch.full((3, 1), 3)], 1)
    assert 0 <= chapter.encoder_fill(mlm, inputs, targets)[1] <= 1
    model = GPT(GPTConfig(vocab_size=v, block_size=5, n_layer=1, n_head=2, n_embd=8))
    loss, acc = chapter.gpt_fill(model, windows, targets)
    assert loss > 0 and 0 <= acc <= 1
    with pytest.raises(ValueError, match="targets"):
        chapter.gpt_fill(model, windows, targets[:, :-1])


def test_head_statistics_ablation_and_figures():
    torch.manual_seed(0)
    config = EncoderConfig(vocab_size=len(VOCAB), max_length=6, n_layer=2, n_head=2, n_embd=8)
    model = MaskedLanguageModel(config)
    ids = chapter.framed_ids([["a", ".", "b"], ["c"]], VOCAB, max_length=6)
    stats = chapter.head_statistics(model, ids, VOCAB)
    assert stats["[CLS]"].shape == (2, 2) and stats["uniform [CLS]"].dim() == 0
    # a uniform head spreads 1/5 over the first sentence's tokens, 1/3 over the second's
    assert stats["uniform [CLS]"].item() == pytest.approx((5 * 0.2 + 3 / 3) / 8)
    classifier = EncoderClassifier(model.encoder).eval()
    scores = chapter.ablation_accuracies(classifier, lambda m: float(m(ids)[0, 0]))
    assert scores.shape == (2, 2)
    fig = chapter.plot_head_statistics({"model": stats}, ["[CLS]", "entropy"])
    assert len(fig.axes) == 2
    fig = chapter.plot_learning_curves({"a": [0.5, 0.6]}, {"b": 0.55})
    assert len(fig.axes[0].lines) == 2
    plt.close("all")
