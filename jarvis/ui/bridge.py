"""The bridge from the pipeline's event bus to the Textual app.

Observers run on pipeline threads, so this only calls ``app.post_message`` (thread safe, never
waits for the UI). Never ``call_from_thread`` here: it would block audio and model threads.
"""

from __future__ import annotations

from typing import Any

from textual.app import App

from jarvis.ui.messages import CoalescedEvent, PipelineEvent

# Event classes (by name, so optional features need not be importable) that only need the newest value.
HIGH_RATE = {"MicLevel", "AudioDrops", "StatusChange"}


class UIBridge:
    """Subscribe to a bus and forward every event as a Textual message."""

    def __init__(self, app: App) -> None:
        self.app = app

    def __call__(self, event: Any) -> None:
        name = type(event).__name__
        msg = CoalescedEvent(event) if name in HIGH_RATE else PipelineEvent(event)
        self.app.post_message(msg)

