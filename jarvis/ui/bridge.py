"""The bridge from the pipeline's event bus to the Textual widgets.

Observers run on pipeline threads, so this only calls ``post_message`` (thread safe, never waits
for the UI). Never ``call_from_thread`` here: it would block audio and model threads. Each event
goes, as the message made for its class, to the widgets that handle that class; the message then
bubbles up to the app. Events no widget asked for go to the app.
"""

from __future__ import annotations

from typing import Any

from textual.message_pump import MessagePump

from jarvis.ui.messages import message_for


class UIBridge:
    """A bus observer that posts each event to the widgets registered for its type.

    Args:
        default: receives the events no widget is registered for (the app).
    """

    def __init__(self, default: MessagePump) -> None:
        self.default = default
        self._targets: dict[type, tuple[MessagePump, ...]] = {}

    def route(self, target: MessagePump, *event_types: type) -> None:
        """Send events of ``event_types`` to ``target`` (call before subscribing the bridge)."""
        for kind in event_types:
            self._targets[kind] = (*self._targets.get(kind, ()), target)

    def __call__(self, event: Any) -> None:
        for target in self._targets.get(type(event), (self.default,)):
            target.post_message(message_for(event))
