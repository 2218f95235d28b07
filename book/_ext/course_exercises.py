"""The exercise sheet: the book without solutions, including solutions that hold code cells.

sphinx-exercise's own switch, ``hide_solutions``, drops every ``{solution}``. A gated solution
(``{solution-start}`` ... ``{solution-end}``, used where a solution runs code) is not handled:
the start directive returns nothing, the end marker stays, the solution's cells stay visible
between them and the HTML writer stops on the marker it cannot write
(executablebooks/sphinx-exercise#89, open). This extension completes the switch: with
``hide_solutions`` on, the start directive leaves a marker, and a transform removes everything
from it up to and including the matching end marker. With the switch off nothing changes.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx_exercise.directive import SolutionStartDirective
from sphinx_exercise.nodes import solution_end_node


class hidden_solution_start(nodes.General, nodes.Element):  # noqa: N801 (docutils names nodes so)
    """Where a hidden gated solution begins (removed with the solution before writing)."""


class SheetSolutionStart(SolutionStartDirective):
    """``{solution-start}`` that, when solutions are hidden, marks where the solution begins."""

    def run(self) -> list[nodes.Node]:
        found = super().run()  # records the start for sphinx-exercise's structure check
        if not self.config.hide_solutions:
            return found
        return [hidden_solution_start()]


class RemoveHiddenGatedSolutions(SphinxTransform):
    """Remove each hidden gated solution: its start marker, its cells and its end marker."""

    default_priority = 9  # before sphinx-exercise merges gated solutions (10)

    def apply(self, **kwargs: Any) -> None:
        for start in list(self.document.findall(hidden_solution_start)):
            parent = start.parent
            siblings = parent.children[parent.index(start):]
            ends = [i for i, node in enumerate(siblings) if isinstance(node, solution_end_node)]
            if not ends:
                continue  # no end: sphinx-exercise's structure check has reported it
            for node in siblings[:ends[0] + 1]:
                parent.remove(node)


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx_exercise")
    app.add_node(hidden_solution_start)
    app.add_directive("solution-start", SheetSolutionStart, override=True)
    app.add_transform(RemoveHiddenGatedSolutions)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
