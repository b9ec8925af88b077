"""Yes/no confirmations a tool call waits for: answered from the TUI dialog, a typed or spoken
"yes"/"sí"/"no", or the command line; no answer within the timeout counts as "no"."""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable
from typing import Any

from jarvis.messages import ConfirmAnswered, ConfirmRequest

YES = re.compile(r"^(yes|yeah|yep|sure|ok|okay|do it|go ahead|confirm|si|sí|vale|claro|adelante|hazlo|de acuerdo)\b",
                 re.I)
NO = re.compile(r"^(no|nope|don't|do not|cancel|stop|para|mejor no|cancela)\b", re.I)


def yes_or_no(text: str) -> bool | None:
    """True for yes, False for no, None when ``text`` is neither."""
    t = text.strip().strip("¡!¿?.,").strip()
    if YES.match(t):
        return True
    if NO.match(t):
        return False
    return None


class Confirmations:
    """Pending confirmations; ``ask`` blocks the turn thread until an answer or the timeout."""

    def __init__(self, publish: Callable[[Any], None]) -> None:
        self.publish = publish
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._pending: dict[int, tuple[threading.Event, list[bool]]] = {}

    def ask(self, question: str, tool: str, turn_id: int = 0, timeout_s: float = 30.0) -> bool:
        """Publish a :class:`ConfirmRequest` and wait for its answer (False on timeout)."""
        request_id = next(self._ids)
        done, answer = threading.Event(), [False]
        with self._lock:
            self._pending[request_id] = (done, answer)
        self.publish(ConfirmRequest(request_id, question, tool, turn_id))
        try:
            done.wait(timeout_s)
            return answer[0]
        finally:
            with self._lock:
                self._pending.pop(request_id, None)
            self.publish(ConfirmAnswered(request_id, answer[0]))  # the dialog (if any) closes

    def answer(self, request_id: int, yes: bool) -> bool:
        """Answer one request; False when it is no longer waiting."""
        with self._lock:
            entry = self._pending.get(request_id)
        if entry is None:
            return False
        entry[1][0] = yes
        entry[0].set()
        return True

    def answer_text(self, text: str) -> bool:
        """Answer the newest pending request from a typed or spoken reply; True when it was one."""
        verdict = yes_or_no(text)
        with self._lock:
            newest = max(self._pending, default=None)
        if verdict is None or newest is None:
            return False
        return self.answer(newest, verdict)

    @property
    def waiting(self) -> bool:
        """A confirmation is waiting for an answer."""
        with self._lock:
            return bool(self._pending)

    def cancel_all(self) -> None:
        """Answer "no" to everything pending (barge-in, shutdown)."""
        with self._lock:
            ids = list(self._pending)
        for request_id in ids:
            self.answer(request_id, False)
