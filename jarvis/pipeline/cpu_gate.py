"""The CPU gate: the one back-pressure in the pipeline (going upstream, 2 of 2).

The voice tells the model to wait, and nothing else does: the voice's queues never block their
producer (a full ``utterances`` or ``reply`` queue drops and counts, see
:mod:`jarvis.pipeline.queues`), so a slow recogniser or voice cannot stall the microphone or the
model by filling a queue. The other way upstream is barge-in
(:mod:`jarvis.pipeline.barge_in`), which cancels rather than slows down.

It lets the voice have the CPU for a moment: while it is held, the model waits between tokens.

On a small CPU every core runs a llama.cpp thread while the model writes, so the first sentence's
speech synthesis fights the model for the cores exactly when the user is waiting for the first word.
The TTS stage holds the gate while it synthesises a reply's first piece; the model's token loop
calls :meth:`CpuGate.wait` after each token. The model is then already a clause ahead, so the pause
costs little, and the first audio comes out sooner. The gate closes in the model's own thread, on
the token that completes the first piece (:meth:`TtsStage.offer`): closed only once the voice's
thread got the piece, the model had already begun its next token, and on two busy cores that one
token took ~1 s beside the voice (llama.cpp's threads wait on each other when one is descheduled).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

MAX_HOLD_S = 3.0  # the model never waits longer than this, whatever happens to the voice


class CpuGate:
    """Held by the voice during its most urgent work; waited on by the model between tokens."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._open.set()

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Make :meth:`wait` block until the block ends (it may have been closed before)."""
        self._open.clear()
        try:
            yield
        finally:
            self._open.set()

    def close(self) -> None:
        """Make :meth:`wait` block from now on, until :meth:`open` (or a :meth:`hold` ends)."""
        self._open.clear()

    def open(self) -> None:
        """Let :meth:`wait` return again."""
        self._open.set()

    @property
    def is_open(self) -> bool:
        """True when the model may go on."""
        return self._open.is_set()

    def wait(self, timeout: float = MAX_HOLD_S) -> None:
        """Return at once when the gate is open, else when it opens (or after ``timeout``)."""
        if not self._open.is_set():
            self._open.wait(timeout)
