"""Driving the Textual app headless: a built Jarvis in an app, a fixed resource reading, waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from jarvis.assembly import build
from jarvis.config import Settings
from jarvis.ui.app import JarvisApp
from jarvis.ui.messages import PipelineEvent


def fixed_sample(resident: dict) -> dict:
    """A fixed resource reading (plus the real resident models) so snapshots are stable."""
    return {
        "cpu_percent": 12.5,
        "ram_used_mb": 4096,
        "ram_total_mb": 16384,
        "gpus": [],
        "gpu_note": "no NVIDIA driver",
        "cpu_models": sorted(n for n, d in resident.items() if d == "cpu"),
        "remote_models": [],
    }


@contextmanager
def jarvis_app(settings: Settings, *, voice: bool = False, voice_options: dict[str, Any] | None = None,
               ) -> Iterator[JarvisApp]:
    """A JarvisApp on a Jarvis built from ``settings`` (closed afterwards), with the fixed sampler."""
    with build(settings, voice_options=voice_options) as jarvis:
        yield JarvisApp(jarvis, voice=voice, sampler=fixed_sample)


def event_hook(into: list[Any]) -> Callable[[Any], None]:
    """A ``message_hook`` for ``run_test`` that appends every pipeline event the app receives to ``into``."""

    def hook(message: Any) -> None:
        if isinstance(message, PipelineEvent):
            into.append(message.event)

    return hook


async def wait_for(pilot: Any, cond: Callable[[], bool], timeout: float = 120.0) -> None:
    """Let the app run until ``cond()`` holds; AssertionError after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("timed out waiting for the UI")
        await pilot.pause(0.1)
