"""BERT's masked-language-model corruption (Devlin et al., 2019).

Every input starts with ``[CLS]`` and ends with ``[SEP]`` (:func:`frame`). Of its ordinary
tokens, each is *chosen* with probability ``mask_prob`` (15 %); a chosen token is replaced by
``[MASK]`` with probability ``replace_prob`` (80 %), by a random ordinary token with probability
``random_prob`` (10 %), and kept otherwise (10 %). The model must predict the original token at
every chosen position and only there: the targets hold :data:`IGNORE_INDEX` elsewhere, which
``torch.nn.functional.cross_entropy`` skips. Special tokens (padding, ``[CLS]``, ``[SEP]``,
``[MASK]``) are never chosen and never drawn as random replacements.

Why not always ``[MASK]``: the fine-tuned model never sees ``[MASK]``, so a model that only
learned to predict at ``[MASK]`` would have no reason to build good representations of the
ordinary tokens it does see. Random and kept tokens make it predict everywhere.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import torch

from .checks import check_fraction, check_positive_int
from .text import CLS, MASK, PAD_ID, SEP, UNK_ID, Vocabulary

IGNORE_INDEX = -100  # the target of positions that are not scored (cross_entropy's default)


def frame(ids: torch.Tensor, cls_id: int, sep_id: int) -> torch.Tensor:
    """``[CLS] ids [SEP]``: ``ids (B, n)`` -> ``(B, n + 2)``."""
    if ids.dim() != 2:
        raise ValueError(f"ids must be (B, n), got shape {tuple(ids.shape)}")
    batch = ids.shape[0]
    cls = torch.full((batch, 1), cls_id, dtype=ids.dtype, device=ids.device)  # (B, 1)
    sep = torch.full((batch, 1), sep_id, dtype=ids.dtype, device=ids.device)  # (B, 1)
    return torch.cat([cls, ids, sep], dim=1)  # (B, n + 2)


def mask_tokens(
    ids: torch.Tensor,
    *,
    mask_id: int,
    special_ids: Collection[int],
    vocab_size: int,
    generator: torch.Generator,
    mask_prob: float = 0.15,
    replace_prob: float = 0.8,
    random_prob: float = 0.1,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Corrupt ``ids (B, T)`` as BERT does; returns ``(inputs, targets)``, both ``(B, T)``.

    ``targets`` holds the original token at chosen positions and :data:`IGNORE_INDEX`
    elsewhere. The random draws use ``generator`` (on the CPU), so a seed fixes the masks.
    """
    check_positive_int(vocab_size, "vocab_size")
    for value, name in ((mask_prob, "mask_prob"), (replace_prob, "replace_prob"),
                        (random_prob, "random_prob")):
        check_fraction(value, name)
    if replace_prob + random_prob > 1:
        raise ValueError(f"replace_prob + random_prob must be at most 1, got "
                         f"{replace_prob} + {random_prob}")
    if mask_id not in special_ids:
        raise ValueError(f"mask_id {mask_id} must be one of the special_ids")
    if ids.dim() != 2:
        raise ValueError(f"ids must be (B, T), got shape {tuple(ids.shape)}")
    special = torch.tensor(sorted(special_ids), dtype=torch.long)  # (S,)
    if ids.numel() and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"ids must lie in [0, {vocab_size}), got {ids.min()} to {ids.max()}")
    ordinary = torch.ones(vocab_size, dtype=torch.bool)  # (V,)
    ordinary[special[special < vocab_size]] = False
    candidates = ordinary.nonzero().squeeze(1)  # (V - S,) the ids random tokens come from
    if len(candidates) == 0:
        raise ValueError("every id is special: there is no ordinary token to draw")

    cpu_ids = ids.cpu()
    eligible = ordinary[cpu_ids]  # (B, T) ordinary tokens may be chosen
    chosen = (torch.rand(ids.shape, generator=generator) < mask_prob) & eligible  # (B, T)
    action = torch.rand(ids.shape, generator=generator)  # (B, T) which corruption
    to_mask = chosen & (action < replace_prob)  # (B, T)
    to_random = chosen & (action >= replace_prob) & (action < replace_prob + random_prob)
    draws = torch.randint(len(candidates), ids.shape, generator=generator)  # (B, T)

    inputs = cpu_ids.clone()  # (B, T)
    inputs[to_mask] = mask_id
    inputs[to_random] = candidates[draws[to_random]]
    targets = torch.where(chosen, cpu_ids, torch.full_like(cpu_ids, IGNORE_INDEX))  # (B, T)
    return inputs.to(ids.device), targets.to(ids.device)


@dataclass(frozen=True)
class MLMBatches:
    """Turns windows of a token stream into masked-language-model batches.

    ``masker(x, y, generator)`` frames each window of ``x (B, n)`` as ``[CLS] x [SEP]`` and
    corrupts it with :func:`mask_tokens`, returning ``(inputs, targets)``, both ``(B, n + 2)``;
    the next-token targets ``y`` are ignored. It is the ``transform`` that lets
    :func:`course.lm_training.train_lm` train a masked language model.
    """

    cls_id: int
    sep_id: int
    mask_id: int
    special_ids: frozenset[int]
    vocab_size: int
    mask_prob: float = 0.15
    replace_prob: float = 0.8
    random_prob: float = 0.1

    def __post_init__(self) -> None:
        missing = {self.cls_id, self.sep_id, self.mask_id} - set(self.special_ids)
        if missing:
            raise ValueError(f"[CLS], [SEP] and [MASK] must be special ids; {missing} are not")

    @classmethod
    def for_vocabulary(cls, vocab: Vocabulary, **probabilities: float) -> MLMBatches:
        """The masker of a vocabulary holding ``[CLS]``, ``[SEP]`` and ``[MASK]``; padding and
        ``<unk>`` are special too (an unknown word is neither a blank nor a replacement)."""
        missing = [token for token in (CLS, SEP, MASK) if token not in vocab]
        if missing:
            raise ValueError(f"the vocabulary lacks {missing}; add them with "
                             "Vocabulary.with_tokens")
        ids = {token: vocab.index(token) for token in (CLS, SEP, MASK)}
        return cls(ids[CLS], ids[SEP], ids[MASK], frozenset({PAD_ID, UNK_ID, *ids.values()}),
                   len(vocab), **probabilities)

    def __call__(
        self, x: torch.Tensor, y: torch.Tensor | None, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        framed = frame(x, self.cls_id, self.sep_id)  # (B, n + 2)
        return mask_tokens(
            framed, mask_id=self.mask_id, special_ids=self.special_ids,
            vocab_size=self.vocab_size, generator=generator, mask_prob=self.mask_prob,
            replace_prob=self.replace_prob, random_prob=self.random_prob,
        )
