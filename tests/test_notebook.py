"""The set-up call at the top of every chapter."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
import torch

from course.notebook import results_table, setup


def test_setup_styles_seeds_and_returns_a_device():
    device = setup(seed=3)
    first = torch.rand(2)
    assert isinstance(device, torch.device)
    setup(seed=3)
    assert torch.equal(first, torch.rand(2))
    assert plt.rcParams["axes.spines.right"] is False


def test_results_table_escapes_pipes_and_checks_rows():
    table = results_table(["a", "b"], [[1, "x|y"]])
    assert table.data.splitlines() == ["| a | b |", "| --- | --- |", "| 1 | x\\|y |"]
    with pytest.raises(ValueError, match="2 cells"):
        results_table(["a", "b"], [[1]])


def test_gluing_builds_no_iri_parsers():
    # requirements.txt keeps jsonschema below 4.25, whose import of rfc3987-syntax cost each
    # chapter's kernel 1.8 s at its first glue
    import sys

    import myst_nb.ext.glue  # noqa: F401  what a chapter's first glue imports

    assert "jsonschema._format" in sys.modules
    assert "rfc3987_syntax" not in sys.modules
