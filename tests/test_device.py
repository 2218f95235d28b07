"""Device choice: CUDA when present, never a silent fallback for an explicit request."""

from __future__ import annotations

import pytest
import torch

from course.device import SIZE_VARIABLE, chapter_size, describe_device, get_device


def test_auto_picks_cuda_exactly_when_available():
    expected = "cuda" if torch.cuda.is_available() else None
    device = get_device()
    if expected:
        assert device.type == expected
    else:
        assert device.type in {"cpu", "mps"}
    assert describe_device(device)


def test_cpu_is_always_available():
    assert get_device("cpu") == torch.device("cpu")
    assert describe_device(torch.device("cpu")).startswith("CPU")


def test_asking_for_cuda_gives_it_or_a_clear_error():
    if torch.cuda.is_available():
        assert get_device("cuda").type == "cuda"
    else:
        with pytest.raises(RuntimeError, match="no CUDA"):
            get_device("cuda")


def test_unknown_device_name_is_an_error():
    with pytest.raises(ValueError, match="prefer must be one of"):
        get_device("tpu")


@pytest.mark.parametrize("device, expected", [("cpu", "small"), ("cuda", "full"), ("mps", "small")])
def test_chapter_size_follows_the_device_by_default(monkeypatch, device, expected):
    monkeypatch.delenv(SIZE_VARIABLE, raising=False)
    assert chapter_size(torch.device(device)) == expected
    monkeypatch.setenv(SIZE_VARIABLE, "auto")
    assert chapter_size(torch.device(device)) == expected


@pytest.mark.parametrize(
    "value, expected", [("small", "small"), ("FULL", "full"), (" full ", "full")])
def test_chapter_size_variable_overrides_the_device(monkeypatch, value, expected):
    monkeypatch.setenv(SIZE_VARIABLE, value)
    assert chapter_size(torch.device("cpu")) == expected
    assert chapter_size(torch.device("cuda")) == expected


def test_chapter_size_rejects_an_unknown_value(monkeypatch):
    monkeypatch.setenv(SIZE_VARIABLE, "huge")
    with pytest.raises(ValueError, match="COURSE_SIZE must be 'small', 'full' or 'auto'"):
        chapter_size(torch.device("cpu"))
