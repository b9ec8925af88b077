"""Choosing which recalled memories go into the prompt: threshold, ties, token budget. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from jarvis.messages import MemoryHit


def estimate_tokens(text: str) -> int:
    """Rough token count (4 characters per token), the same estimate the chat models default to."""
    return max(1, (len(text) + 3) // 4) if text else 0


def select_hits(
    candidates: Iterable[MemoryHit],
    k: int,
    min_similarity: float,
    token_budget: int = 0,
    count_tokens: Callable[[str], int] = estimate_tokens,
) -> list[MemoryHit]:
    """The memories to use for a turn.

    Keeps hits with ``score >= min_similarity``, ranks them by score (equal scores to three
    decimals: the newest first, by ``metadata["time"]``), then takes up to ``k`` of them whose
    texts fit together in ``token_budget`` tokens (0 = no budget). A hit too long for what is left
    of the budget is skipped and smaller ones after it may still be taken.
    """
    ranked = sorted(
        (h for h in candidates if h.score >= min_similarity),
        key=lambda h: (-round(h.score, 3), -float(h.metadata.get("time", 0.0) or 0.0)),
    )
    chosen: list[MemoryHit] = []
    used = 0
    for hit in ranked:
        if len(chosen) >= k:
            break
        cost = count_tokens(hit.text) + 2  # "- " and the newline
        if token_budget and used + cost > token_budget:
            continue
        chosen.append(hit)
        used += cost
    return chosen
