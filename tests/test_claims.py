"""course.claims: a chapter's sentences about its results, checked where they are computed."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from course import claims
from course.claims import Claim, ClaimError, claim


@pytest.fixture
def glued(monkeypatch):
    """What claim() glues, by key, instead of myst-nb's glue."""
    found: dict[str, object] = {}
    monkeypatch.setattr(claims, "_glue", found.__setitem__)
    return found


def test_a_claim_that_holds_glues_its_values_and_its_record(glued):
    record = claim("cache_faster", "The cache is faster.", 3.2 > 1, speedup=np.float32(3.25))
    assert record == Claim("cache_faster", "The cache is faster.", {"speedup": 3.25})
    assert glued["speedup"] == 3.25 and isinstance(glued["speedup"], float)
    stored = json.loads(repr(glued[claims.CLAIM_PREFIX + "cache_faster"]))
    assert stored == record.record() == {
        "key": "cache_faster", "statement": "The cache is faster.", "values": {"speedup": 3.25}
    }


def test_the_glued_record_is_a_valid_notebook_output(glued):
    import nbformat
    from IPython.core.formatters import DisplayFormatter

    claim("k", "Sentence.", True, x=1.5)
    data, _ = DisplayFormatter().format(glued[claims.CLAIM_PREFIX + "k"])
    # glue stores every format under its prefix, where only text may live
    data = {f"application/papermill.record/{mime}": value for mime, value in data.items()}
    output = nbformat.v4.new_output("display_data", data=data)
    nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[output])]))
    assert json.loads(data["application/papermill.record/text/plain"])["values"] == {"x": 1.5}


def test_a_claim_that_fails_names_itself_its_sentence_and_its_values(glued):
    with pytest.raises(ClaimError) as failure:
        claim("loss_falls", "The loss falls below the baseline.", False, loss=2.5, baseline=2.0)
    message = str(failure.value)
    assert "'loss_falls'" in message and "The loss falls below the baseline." in message
    assert '"loss": 2.5' in message and '"baseline": 2.0' in message
    assert not glued  # nothing is glued for a sentence that no longer holds


def test_a_claim_resting_on_a_nan_fails_even_if_its_test_passes(glued):
    with pytest.raises(ClaimError, match="rests on loss = nan"):
        claim("k", "The loss is finite.", True, loss=float("nan"))


def test_tensors_and_arrays_become_plain_numbers_and_lists(glued):
    record = claim("k", "Sentence.", bool(np.bool_(True)), t=torch.tensor([1.5, 2.0]),
                   n=np.int64(3), flag=np.bool_(False), label="layer 1, head 2")
    assert record.values == {"t": [1.5, 2.0], "n": 3, "flag": False, "label": "layer 1, head 2"}
    assert claim("k2", "Sentence.", np.bool_(True)).values == {}


@pytest.mark.parametrize("holds", [torch.tensor(True), 1, "yes", np.array([True, True])])
def test_the_test_must_be_a_single_bool(glued, holds):
    with pytest.raises(TypeError, match="must be a bool"):
        claim("k", "Sentence.", holds)


@pytest.mark.parametrize("key", ["", "has space", "dot.ted"])
def test_a_claim_needs_a_plain_key(glued, key):
    with pytest.raises(ValueError, match="key"):
        claim(key, "Sentence.", True)


def test_a_claim_needs_its_sentence(glued):
    with pytest.raises(ValueError, match="needs the sentence"):
        claim("k", "  ", True)


def test_values_must_be_numbers_strings_or_lists(glued):
    with pytest.raises(TypeError, match="claim values"):
        claim("k", "Sentence.", True, model=object())


def test_without_myst_nb_the_check_still_runs(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_myst_nb(name, *args, **kwargs):
        if name == "myst_nb":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_myst_nb)
    assert claim("k", "Sentence.", True, x=1).values == {"x": 1}
    with pytest.raises(ClaimError):
        claim("k", "Sentence.", False, x=1)
