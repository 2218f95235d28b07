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
