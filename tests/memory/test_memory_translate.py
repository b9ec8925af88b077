"""Facts stored with their translation (``memory.translate``): the real USE embedder, real ChromaDB and
the real qwen-0.5b model translating (greedy, a few dozen tokens).

A Spanish fact the embedder alone misses for an English question is found through its translation;
forgetting removes the translations; reindex keeps them (no new translation); a translator that
fails leaves the memory whole; a secret never reaches the translator or the log; the work waits
until Jarvis is quiet and gives way to a turn; a built Jarvis translates new and older facts.
bench/memory_bilingual.py --translate measures recall@3 on every group.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from devsupport import bilingual
from devsupport.config import write_config
from devsupport.paths import MODELS, QWEN_05
from jarvis.assembly import build
from jarvis.config import MemorySettings, Settings, load_settings, parse_settings
from jarvis.errors import ModelNotFound
from jarvis.hardware import Placement, PlacementPlan
from jarvis.language import guess_language
from jarvis.llm.pool import ModelPool
from jarvis.llm.translate import LlmTranslator
from jarvis.memory.service import MemoryService
from jarvis.memory.translator import Interrupted, TranslationQueue
from jarvis.messages import StatusChange
from jarvis.pipeline.idle import IdleWatch

USE = MODELS / "use-multilingual-v3"
DATA = bilingual.load()
# A Spanish fact whose English question USE alone ranks below three other memories (bench/memory_bilingual.py).
MISSED = "es1"


def model_settings(tmp: Path, file: Path = QWEN_05) -> Settings:
    return parse_settings(
        {"models": [{"name": "qwen", "file": str(file), "memory_mb": 900, "context": 512}]}, tmp / "config.toml"
    )


def model_pool(settings: Settings) -> ModelPool:
    plan = PlacementPlan({"qwen": Placement("qwen", "cpu", "test", 2, 512, 0)})
    return ModelPool(settings, plan, keep_alive_s=0)


class Spy:
    """The real translator, recording what it is given (the test's only window on the model's input)."""

    def __init__(self, inner: LlmTranslator) -> None:
        self.inner, self.seen = inner, []

    def __call__(self, text: str, source: str, target: str) -> str:
        self.seen.append(text)
        return self.inner(text, source, target)


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelPool]:
    p = model_pool(model_settings(tmp_path_factory.mktemp("qwen")))
    yield p
    p.close()


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[MemoryService]:
    s = MemoryService(MemorySettings(path=tmp_path / "vs", embedder=USE))
    yield s
    s.close()


def ids_for(service: MemoryService, question: str) -> list[str]:
    return [h.id for h in service.search(question, k=3)]


def test_a_spanish_fact_is_found_by_an_english_question_through_its_translation(
    svc: MemoryService, pool: ModelPool
) -> None:
    bilingual.fill(svc, DATA)
    index = int(MISSED[2:])
    fact, question = DATA["spanish"][index]["fact"], DATA["spanish"][index]["en"]
    assert MISSED not in ids_for(svc, question)  # the embedder alone misses it

    out = TranslationQueue(svc, LlmTranslator(pool, "qwen")).translate_now(MISSED, fact)
    assert out.translation_id == f"{MISSED}~en", out
    (translation,) = svc.translations_of(MISSED)
    assert guess_language(translation.text) == "en" and translation.metadata["parent"] == MISSED

    hits = svc.search(question, k=3)
    assert MISSED in [h.id for h in hits]
    hit = next(h for h in hits if h.id == MISSED)
    assert hit.text == fact  # the original, not the translation
    assert len({h.id for h in hits}) == 3 and svc.count() == 100  # translations are not memories


def test_forget_removes_the_translations(svc: MemoryService, pool: ModelPool) -> None:
    fact = svc.add("Mi dentista se llama Rodrigo Peña.")
    keep = svc.add("My bike is a red Bianchi.")
    jobs = TranslationQueue(svc, LlmTranslator(pool, "qwen"))
    assert fact and keep
    assert jobs.translate_now(fact, "Mi dentista se llama Rodrigo Peña.").translation_id
    assert jobs.translate_now(keep, "My bike is a red Bianchi.").translation_id
    assert svc.get(f"{fact}~en") is not None and svc.get(f"{fact}~en").id == fact  # a translation's id gives its memory

    assert svc.delete([fact]) == 1
    assert svc.translations_of(fact) == [] and svc.store().get([f"{fact}~en"]) == []
    assert svc.count() == 1 and len(svc.translations_of(keep)) == 1  # the other memory keeps its own
    assert all(h.id == keep for h in svc.search("Who is my dentist?", k=3))


def test_reindex_keeps_the_translations_without_translating_again(svc: MemoryService, pool: ModelPool) -> None:
    spy = Spy(LlmTranslator(pool, "qwen"))
    jobs = TranslationQueue(svc, spy)
    fact = svc.add("Mi abuela cultiva tomates en Jaén.")
    assert fact and jobs.translate_now(fact, "Mi abuela cultiva tomates en Jaén.").translation_id
    (before,) = svc.translations_of(fact)

    assert svc.reindex() == (1, USE.name)  # one memory (its translation is re-embedded with it)
    (after,) = svc.translations_of(fact)
    assert (after.id, after.text, after.metadata) == (before.id, before.text, before.metadata)
    assert len(spy.seen) == 1 and jobs.backfill() == 0  # nothing to translate again
    hit = svc.search(before.text, k=1)[0]  # the translation's own words: its vector is in the new index
    assert hit.id == fact and hit.score > 0.99


def test_a_translator_that_fails_keeps_the_memory(svc: MemoryService, tmp_path: Path, caplog) -> None:
    broken = model_pool(model_settings(tmp_path, file=tmp_path / "missing.gguf"))
    jobs = TranslationQueue(svc, LlmTranslator(broken, "qwen")).start()
    svc.translations = jobs
    try:
        with caplog.at_level(logging.WARNING, logger="jarvis.memory.translator"):
            first = svc.add("Mi sobrino Mateo estudia medicina en Salamanca.")
            second = svc.add("My landlord is called Mr. Hughes.")
            assert jobs.wait(60)
    finally:
        jobs.close()
        broken.close()
    assert [(o.memory_id, o.skipped) for o in jobs.done] == [(first, "failed"), (second, "failed")]
    assert "model file not found" in caplog.text  # the worker lived on to try the second one
    assert svc.count() == 2 and svc.store().count() == 2  # both memories, no translation
    assert svc.search("¿Qué estudia mi sobrino?", k=1)[0].id == first
    with pytest.raises(ModelNotFound):
        LlmTranslator(broken, "qwen")("Hola", "es", "en")


def test_a_secret_never_reaches_the_translator_or_the_log(svc: MemoryService, pool: ModelPool, caplog) -> None:
    spy = Spy(LlmTranslator(pool, "qwen"))
    jobs = TranslationQueue(svc, spy)
    svc.translations = jobs
    with caplog.at_level(logging.DEBUG):
        fact = svc.add("La contraseña del wifi es hunter22, la tiene mi hermano.")
        assert fact and jobs.pending() == 1  # queued, not translated in the caller's thread
        jobs.start()
        assert jobs.wait(120)
        raw = jobs.translate_now("no-such-memory", "My api_key=sk-test-abcdefghijklmnop1234 is in the drawer.")
    assert spy.seen and all("hunter22" not in s and "sk-test" not in s for s in spy.seen), spy.seen
    assert "[redacted]" in spy.seen[0]
    assert raw.skipped in ("forgotten", "empty")  # translated (redacted), then nowhere to store it
    stored = [t.text for t in svc.translations_of(fact)]
    assert all("hunter22" not in t and "sk-test" not in t for t in stored)
    assert "hunter22" not in caplog.text and "sk-test" not in caplog.text
    jobs.close()


def test_translation_waits_for_quiet_and_gives_way_to_a_turn(svc: MemoryService, pool: ModelPool) -> None:
    watch = IdleWatch(quiet_s=0.2)
    translator = LlmTranslator(pool, "qwen", watch.stopping)
    jobs = TranslationQueue(svc, translator, watch).start()
    svc.translations = jobs
    try:
        watch(StatusChange("thinking"))  # a turn runs
        fact = svc.add("Mi perra Kira duerme en el sofá.")
        assert fact and not jobs.wait(1.0) and svc.translations_of(fact) == []  # it waits
        watch(StatusChange("idle"))
        assert jobs.wait(120) and len(svc.translations_of(fact)) == 1
    finally:
        jobs.close()
    watch(StatusChange("thinking"))
    with pytest.raises(Interrupted):  # a turn begins: the translation stops before the model runs
        translator("Mi perra Kira duerme en el sofá.", "es", "en")


def test_a_built_jarvis_translates_new_and_older_facts_while_quiet(tmp_path: Path) -> None:
    store = tmp_path / "vs"
    older = MemoryService(MemorySettings(path=store, embedder=USE))
    old_id = older.add("My neighbour Agnes keeps bees.")  # stored while no Jarvis ran (like `jarvis memory add`)
    older.close()
    cfg = write_config(tmp_path, memory=f'enabled = true\npath = "{store}"\nembedder = "{USE}"\nstore_turns = false')
    settings = load_settings(cfg)
    with build(settings, tools=False) as jarvis:
        memory = jarvis.memory
        assert memory is not None and memory.translations is not None
        jarvis.assistant.idle.quiet_s = 0.2
        jarvis.start(preload=False)
        jarvis.start_idle_work()
        new_id = memory.add("Mi vecino Julián toca el violonchelo.")
        assert memory.translations.wait(180)
        assert [t.id for t in memory.translations_of(old_id)] == [f"{old_id}~es"]
        assert [t.id for t in memory.translations_of(new_id)] == [f"{new_id}~en"]
        assert memory.search("Who plays the cello?", k=1)[0].id == new_id
