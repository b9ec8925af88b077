"""Barge-in: the one way the user stops Jarvis mid-reply (going upstream, 1 of 2).

Every interruption takes this path, whatever started it: the talk key while Jarvis speaks, the
user's voice over Jarvis's (headset or echo cancellation, :mod:`jarvis.pipeline.echo_guard`), the
wake word, a spoken or typed "stop" (``StopRequested``), Escape in the TUI, a profile switch. It does
three things, in this order:

1. **cancel**: :meth:`~jarvis.pipeline.runner.Assistant.interrupt` bumps the cancel generation, so
   the model stops generating and every stage drops the stale items it still holds;
2. **clear**: :meth:`~jarvis.audio.playback.Player.clear` silences the speaker from the next audio
   block on and reports how much of each sentence was played;
3. **keep what was heard**: the history keeps only that part of the reply, marked as interrupted
   (:meth:`~jarvis.pipeline.runner.Assistant.keep_heard`).

The other way upstream is back-pressure from the voice to the model: the CPU gate
(:mod:`jarvis.pipeline.cpu_gate`). Nothing else goes against the flow of the pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jarvis.audio.playback import Player
    from jarvis.pipeline.runner import Assistant

log = logging.getLogger(__name__)


class BargeIn:
    """Callable ``barge_in() -> {turn_id: heard text}``: cancel + clear + keep what was heard.

    Args:
        assistant: cancels the reply and keeps the heard part in its history.
        player: the speaker to silence (None: replies are not spoken; only the model is stopped).
    """

    def __init__(self, assistant: Assistant, player: Player | None) -> None:
        self.assistant = assistant
        self.player = player
        self._before: list[Callable[[], None]] = []
        self._after: list[Callable[[], None]] = []

    def before(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` at the start of every barge-in (the echo guard confirms its provisional pause)."""
        self._before.append(hook)

    def after(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` once the reply is cancelled and the speaker cleared (the modes stop being busy)."""
        self._after.append(hook)

    def __call__(self) -> dict[int, str]:
        """Cut Jarvis off now; returns {turn_id: heard text} for the replies that were cut."""
        for hook in self._before:
            hook()
        self.assistant.interrupt()
        heard = self.player.clear() if self.player is not None else {}
        for hook in self._after:
            hook()
        for turn_id, text in heard.items():
            try:
                self.assistant.keep_heard(turn_id, text)
            except OSError:  # pragma: no cover - disk trouble must not break the voice
                log.exception("could not trim the history after barge-in")
        return heard
