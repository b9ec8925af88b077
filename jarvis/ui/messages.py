"""Textual messages carrying pipeline events into the app.

High-rate events (resource samples, mic level, status) set ``can_replace`` so a backlog collapses
to the newest value instead of queueing.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message


class PipelineEvent(Message):
    """Any event published by the assistant's bus."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


class CoalescedEvent(PipelineEvent):
    """A high-rate event: only the newest one of the same type matters."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, CoalescedEvent) and type(message.event) is type(self.event)


class ResourceSample(Message):
    """One reading of CPU, RAM, GPUs and resident models for the resource panel."""

    def __init__(self, sample: dict) -> None:
        super().__init__()
        self.sample = sample

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ResourceSample)
