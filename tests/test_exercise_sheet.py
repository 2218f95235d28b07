"""Unit tests of book/tools/exercise_sheet.py: the whole book without solutions, through
pagebook's build, where every warning fails (Sphinx itself is replaced by a recorded run)."""

from __future__ import annotations

import exercise_sheet
import pagebook
import yaml


class _RecordedBuild:
    """Stands in for the Sphinx build's process: prints ``lines``, exits with 0."""

    lines: list[str] = []
    commands: list[list[str]] = []

    def __init__(self, command: list[str], **kwargs) -> None:
        self.commands.append(command)
        self.stdout = iter(self.lines)

    def wait(self) -> int:
        return 0


def test_the_sheet_builds_the_book_without_solutions_and_fails_on_any_warning(tmp_path,
                                                                               monkeypatch):
    monkeypatch.setattr(pagebook.subprocess, "Popen", _RecordedBuild)
    monkeypatch.setattr(exercise_sheet, "OUT", tmp_path)
    _RecordedBuild.lines = ["build succeeded.\n"]
    assert exercise_sheet.main() == 0
    command = _RecordedBuild.commands[-1]
    assert command[command.index("--path-output") + 1] == str(tmp_path)
    config = yaml.safe_load((tmp_path / "_config.yml").read_text(encoding="utf-8"))
    assert config["sphinx"]["config"]["hide_solutions"] is True
    # another chapter's label is defined in the whole book: unresolved, it is an error
    _RecordedBuild.lines = ["/x/book/gpt.md:3: WARNING: undefined label: 'positions'\n"]
    assert exercise_sheet.main() == 1
