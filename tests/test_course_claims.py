"""book/_ext/course_claims.py: the Execution report's table of checked claims."""

from __future__ import annotations

import json

import course_claims
import pytest


def _glue_file(tmp_path, outputs):
    path = tmp_path / "chapter.glue.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")
    return path


def test_reads_only_the_claim_records_of_a_page(tmp_path):
    record = {"key": "k", "statement": "It is faster.", "values": {"speedup": 2.5}}
    path = _glue_file(tmp_path, {
        "speedup": {"data": {"text/plain": "2.5"}},
        "claim:k": {"data": {"text/plain": json.dumps(record)}},
    })
    assert course_claims.read_claims(path) == [record]


def test_a_page_without_glue_has_no_claims(tmp_path):
    assert course_claims.read_claims(tmp_path / "missing.glue.json") == []


def test_a_glued_claim_without_its_record_is_an_error(tmp_path):
    path = _glue_file(tmp_path, {"claim:k": {"data": {"text/plain": "oops"}}})
    with pytest.raises(ValueError, match="has no record"):
        course_claims.read_claims(path)


@pytest.mark.parametrize(("value", "shown"), [
    (3.14159265, "3.142"), (7087872, "7087872"), (True, "True"), ([0.5, 2], "[0.5, 2]"),
    ("layer 1, head 2", "layer 1, head 2"), (1.5e-7, "1.5e-07"),
])
def test_values_are_shown_to_four_significant_digits(value, shown):
    assert course_claims.format_value(value) == shown


BROKEN_PAGE = """
# A chapter whose result broke

```{code-cell} ipython3
from course.claims import claim

losses = [2.3, 2.3]  # a model "trained" for one step: the loss has not fallen
claim("demo_loss_falls", "Training lowers the loss.", losses[-1] < losses[0],
      demo_first_loss=losses[0], demo_last_loss=losses[-1])
```

The loss fell from {glue:text}`demo_first_loss` to {glue:text}`demo_last_loss`.
"""


@pytest.mark.slow
def test_a_broken_result_fails_the_book_build_naming_its_claim(tmp_path):
    """The whole chain: a chapter whose result no longer supports its sentence stops the build
    (warnings and cell errors are errors, as in ``make book``), and the message names the claim."""
    from onepage import build_one_page, built_page

    result = build_one_page(tmp_path, BROKEN_PAGE)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "claim 'demo_loss_falls' no longer holds: 'Training lowers the loss.'" in output, output
    assert not built_page(tmp_path).exists()
