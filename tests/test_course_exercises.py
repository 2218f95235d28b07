"""book/_ext/course_exercises.py: the exercise sheet hides every solution, gated ones too."""

from __future__ import annotations

import pytest
from layout import REPO_ROOT
from onepage import build_one_page, built_page

PAGE = """
# Exercises

```{exercise}
:label: ex-sum

Add two and two.
```

```{solution} ex-sum
The plain answer is four.
```

```{exercise}
:label: ex-code

Compute six times seven.
```

````{solution-start} ex-code
````

The gated answer runs code:

```{code-cell} ipython3
print("gated", 6 * 7)
```

````{solution-end}
````

After the solutions.
"""


def _build_sheet(tmp_path, hide: bool) -> str:
    result = build_one_page(tmp_path, PAGE, (
        "  extra_extensions:\n    - sphinx_exercise\n"
        f"  local_extensions:\n    course_exercises: {REPO_ROOT / 'book' / '_ext'}\n"),
        config_yaml=f"    hide_solutions: {hide}\n")
    assert result.returncode == 0, result.stdout + result.stderr
    return built_page(tmp_path).read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_sheet_keeps_the_exercises_and_drops_every_solution(tmp_path):
    html = _build_sheet(tmp_path, hide=True)
    assert "Add two and two." in html and "Compute six times seven." in html
    assert "After the solutions." in html
    for solution in ("The plain answer is four.", "The gated answer runs code", "gated 42"):
        assert solution not in html


@pytest.mark.slow
def test_with_solutions_shown_the_gated_solution_is_untouched(tmp_path):
    html = _build_sheet(tmp_path, hide=False)
    for solution in ("The plain answer is four.", "The gated answer runs code", "gated 42"):
        assert solution in html
