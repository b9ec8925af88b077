"""The bilingual recall set (``tests/data/memory_bilingual.json``) and how it is scored.

Shared by tests/memory/test_memory_bilingual.py and bench/memory_bilingual.py so that both measure
the same thing: every fact and distractor in one store, each fact asked in both languages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from devsupport.paths import DATA

GROUPS = ("es_es", "es_en", "en_es", "en_en")  # fact language _ question language


@dataclass(frozen=True)
class Question:
    """A question, the id of the fact it should recall, and its group (e.g. ``es_en``)."""

    text: str
    fact_id: str
    group: str


def load() -> dict[str, Any]:
    """The data file as a dict (keys: spanish, english, distractors, unrelated)."""
    return json.loads((DATA / "memory_bilingual.json").read_text(encoding="utf-8"))


def load_holdout() -> dict[str, Any]:
    """The held-out set (``memory_bilingual_holdout.json``: 24 + 24 facts written after the hybrid
    embedder's weights were chosen on the main set) with the main set's distractors and unrelated questions."""
    main = load()
    held = json.loads((DATA / "memory_bilingual_holdout.json").read_text(encoding="utf-8"))
    return {**held, "distractors": main["distractors"], "unrelated": main["unrelated"]}


def records(data: dict[str, Any]) -> tuple[list[str], list[str], list[dict]]:
    """(ids, texts, metadatas) of every fact and distractor, ids ``es0..``, ``en0..``, ``d0..``."""
    ids, texts, metas = [], [], []
    for lang in ("es", "en"):
        for i, item in enumerate(data["spanish" if lang == "es" else "english"]):
            ids.append(f"{lang}{i}")
            texts.append(item["fact"])
            metas.append({"kind": "fact", "language": lang, "time": float(len(ids)), "source": "explicit"})
    for i, turn in enumerate(data["distractors"]):
        ids.append(f"d{i}")
        texts.append(turn)
        metas.append({"kind": "turn", "time": float(len(ids)), "source": "keyboard"})
    return ids, texts, metas


def questions(data: dict[str, Any]) -> list[Question]:
    """Every fact asked in Spanish and in English."""
    out = []
    for lang, key in (("es", "spanish"), ("en", "english")):
        for i, item in enumerate(data[key]):
            out += [Question(item[q], f"{lang}{i}", f"{lang}_{q}") for q in ("es", "en")]
    return out


def fill(service: Any, data: dict[str, Any], batch: int = 64) -> int:
    """Store every fact and distractor through ``service``'s embedder and store; returns how many."""
    ids, texts, metas = records(data)
    store = service.store()
    for i in range(0, len(ids), batch):
        store.add(ids[i : i + batch], texts[i : i + batch], service.embedder.encode(texts[i : i + batch]),
                  metas[i : i + batch])
    return len(ids)


def recall_at_3(service: Any, data: dict[str, Any]) -> dict[str, float]:
    """Per group, the share of questions whose fact is among the 3 best search results."""
    hits = {g: [] for g in GROUPS}
    for q in questions(data):
        hits[q.group].append(q.fact_id in [h.id for h in service.search(q.text, k=3)])
    return {g: round(sum(v) / len(v), 3) for g, v in hits.items()}
