"""BERT's masking (course.masking): the 15/80/10/10 proportions, special tokens left alone."""

import pytest
import torch

from course.masking import IGNORE_INDEX, MLMBatches, frame, mask_tokens
from course.text import CLS, MASK, SEP, Vocabulary

SPECIAL = {0, 1, 2, 3, 4}  # pad, unk, [CLS], [SEP], [MASK]
MASK_ID, VOCAB = 4, 50


def _corrupt(ids, seed=0, **kwargs):
    return mask_tokens(ids, mask_id=MASK_ID, special_ids=SPECIAL, vocab_size=VOCAB,
                       generator=torch.Generator().manual_seed(seed), **kwargs)


def test_proportions_on_a_large_sample():
    ids = torch.randint(5, VOCAB, (400, 250), generator=torch.Generator().manual_seed(1))
    inputs, targets = _corrupt(ids)
    chosen = targets != IGNORE_INDEX
    n = ids.numel()
    # binomial standard errors: 15 % of 100 000 tokens, then 80/10/10 of about 15 000
    assert chosen.float().mean().item() == pytest.approx(0.15, abs=4 * (0.15 * 0.85 / n) ** 0.5)
    k = chosen.sum().item()
    masked = (inputs[chosen] == MASK_ID).float().mean().item()
    kept = (inputs[chosen] == ids[chosen]).float().mean().item()
    # a random replacement may draw the original token again (1 in 45 here)
    changed = 1 - masked - kept
    tol = 4 * (0.1 * 0.9 / k) ** 0.5
    assert masked == pytest.approx(0.8, abs=4 * (0.8 * 0.2 / k) ** 0.5)
    assert changed == pytest.approx(0.1 * (1 - 1 / 45), abs=tol)
    assert kept == pytest.approx(0.1 + 0.1 / 45, abs=tol)
    assert torch.equal(targets[chosen], ids[chosen])
    assert torch.equal(inputs[~chosen], ids[~chosen])  # unchosen tokens are untouched


def test_special_tokens_are_never_chosen_nor_drawn():
    ids = torch.tensor([[2, 5, 6, 0, 1, 3, 7] * 20] * 200)
    inputs, targets = _corrupt(ids, mask_prob=0.9)
    special = torch.isin(ids, torch.tensor(sorted(SPECIAL)))
    assert torch.all(targets[special] == IGNORE_INDEX)
    assert torch.equal(inputs[special], ids[special])
    replaced = (targets != IGNORE_INDEX) & (inputs != MASK_ID)
    assert not torch.isin(inputs[replaced], torch.tensor([0, 1, 2, 3])).any()


def test_the_seed_fixes_the_masks():
    ids = torch.randint(5, VOCAB, (8, 30), generator=torch.Generator().manual_seed(0))
    first, second = _corrupt(ids, seed=3), _corrupt(ids, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))


def test_bad_arguments_raise_clear_errors():
    ids = torch.randint(5, VOCAB, (2, 6))
    with pytest.raises(ValueError, match="mask_prob"):
        _corrupt(ids, mask_prob=1.5)
    with pytest.raises(ValueError, match="at most 1"):
        _corrupt(ids, replace_prob=0.8, random_prob=0.3)
    with pytest.raises(ValueError, match="special_ids"):
        mask_tokens(ids, mask_id=9, special_ids=SPECIAL, vocab_size=VOCAB,
                    generator=torch.Generator())
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        _corrupt(ids[0])
    with pytest.raises(ValueError, match="lie in"):
        _corrupt(ids + VOCAB)


def test_frame_and_the_batches_of_a_vocabulary():
    vocab = Vocabulary.build([["a", "b", "a"]]).with_tokens([CLS, SEP, MASK])
    assert vocab.tokens[:5] == ("<pad>", "<unk>", CLS, SEP, MASK)
    framed = frame(torch.tensor([[5, 6]]), 2, 3)
    assert framed.tolist() == [[2, 5, 6, 3]]
    masker = MLMBatches.for_vocabulary(vocab)
    assert masker.special_ids == frozenset({0, 1, 2, 3, 4})
    inputs, targets = masker(torch.tensor([[5, 6, 5]]), None, torch.Generator())
    assert inputs.shape == targets.shape == (1, 5)
    assert inputs[0, 0] == 2 and inputs[0, -1] == 3
    with pytest.raises(ValueError, match="lacks"):
        MLMBatches.for_vocabulary(Vocabulary.build([["a"]]))
    with pytest.raises(ValueError, match="special ids"):
        MLMBatches(2, 3, 4, frozenset({0, 2}), 10)
