"""The heap trim after a turn: freed memory held by glibc goes back to the system."""

from __future__ import annotations

import platform

import psutil
import pytest

from jarvis import heap

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def test_freed_heap_memory_goes_back_to_the_system(monkeypatch):
    monkeypatch.setattr(heap, "_last", 0.0)
    # 200 MB in 50 KB pieces (below glibc's mmap threshold: they live in the heap); one in 50 stays,
    # so the heap cannot shrink from its top and keeps the freed pages until trimmed
    pieces = [bytearray(50_000) for _ in range(4000)]
    kept = pieces[::50]
    del pieces
    before = rss_mb()
    assert heap.trim_heap()
    assert before - rss_mb() > 100
    assert len(kept) == 80


def test_trims_close_together_are_one_and_off_means_off(monkeypatch):
    monkeypatch.setattr(heap, "_last", 0.0)
    assert heap.trim_heap()
    assert not heap.trim_heap()  # within MIN_INTERVAL_S of the last one
    monkeypatch.setattr(heap, "_last", 0.0)
    monkeypatch.setattr(heap, "ENABLED", False)
    assert not heap.trim_heap()
