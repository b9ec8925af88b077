"""Plugging long-term memory into the Assistant's ``recall`` and ``remember`` seams."""

from __future__ import annotations

import logging
from typing import Any

from jarvis.config import Settings
from jarvis.memory.service import MemoryService
from jarvis.messages import MemoryHits, ReplyDone, Transcript

log = logging.getLogger(__name__)


def embedder_device(settings: Settings, plan: Any = None) -> str:
    """``memory.embedder_device`` unless it is "auto"; then the placement plan's choice (else cpu)."""
    wanted = settings.memory.embedder_device
    if wanted != "auto":
        return wanted
    if plan is None:
        from jarvis.hardware import plan_placement, probe

        default = settings.default_model.name if settings.models else None
        plan = plan_placement(probe(), settings.models, default, settings.router.memory_margin_mb)
    placement = plan.get("embeddings")
    return placement.device if placement is not None else "cpu"


def memory_service(settings: Settings, plan: Any = None, session: str = "") -> MemoryService:
    """A MemoryService for these settings (nothing is loaded until first use)."""
    return MemoryService(settings.memory, device=embedder_device(settings, plan), session=session)


def _is_local(assistant: Any, text: str) -> bool:
    """True when the model that will answer ``text`` runs on this machine (False when unsure)."""
    try:
        decision = assistant.decide(text)
        return bool(assistant.settings.model(decision.model).is_local)
    except Exception:
        log.debug("cannot tell which model answers; treating it as remote", exc_info=True)
        return False


def attach_memory(assistant: Any) -> MemoryService | None:
    """Give ``assistant`` long-term memory: sets ``assistant.recall`` and ``assistant.remember``.

    Returns the MemoryService (the TUI uses it for /remember, /forget, /memories; call its
    ``close()`` after ``assistant.shutdown()``), or None when ``memory.enabled`` is false.
    Recall marks hits ``withheld`` when the routed model is remote and ``memory.share_with_api``
    is false. A store failure is raised once (the runner shows it); later turns go on without
    memory and their MemoryHits.error says so.
    """
    settings: Settings = assistant.settings
    if not settings.memory.enabled:
        return None
    conversation = getattr(assistant, "conversation", None)
    session = conversation.path.stem if conversation is not None else ""
    service = memory_service(settings, getattr(assistant, "plan", None), session)

    def recall(text: str, item: Transcript) -> MemoryHits:
        withheld = not settings.memory.share_with_api and not _is_local(assistant, text)
        conv = getattr(assistant, "conversation", None)
        if conv is not None:
            service.session = conv.path.stem
        return service.recall_for_turn(text, item.turn_id, withheld)

    def remember(item: Transcript, done: ReplyDone) -> None:
        service.remember_turn(item.text, done.text, item.source, item.language, done.model)

    assistant.recall = recall
    assistant.remember = remember if settings.memory.store_turns else None
    return service
