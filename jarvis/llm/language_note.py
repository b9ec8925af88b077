"""Language follows the user: which language a turn is answered in, and the note that asks for it.

A voice turn's language is the recogniser's; a typed one's is guessed from its words
(:func:`jarvis.language.guess_language`); ``stt.language`` forces one for every turn. The note
goes next to the newest question (not into the system prompt), so the system prompt and the
history stay a stable prefix for llama.cpp's prompt cache (see :mod:`jarvis.llm.prompt`).
"""

from __future__ import annotations

from jarvis.language import NAMES, guess_language

# Written in the language asked for: small models follow it more often than an English note.
NOTES: dict[str, str] = {
    "en": "(Answer in English.)",
    "es": "(Responde en español.)",
    "fr": "(Réponds en français.)",
    "de": "(Antworte auf Deutsch.)",
    "it": "(Rispondi in italiano.)",
    "pt": "(Responda em português.)",
}


def turn_language(heard: str | None, text: str, forced: str = "") -> str | None:
    """The language a turn is answered in: ``forced`` > the recogniser's > a guess from ``text``.

    Returns None when a typed text gives no clue (the voice then guesses from the reply).
    """
    if forced:
        return forced
    if heard:
        return heard
    return guess_language(text, default="") or None


def language_note(language: str | None) -> str:
    """The per-turn instruction to answer in ``language`` (empty when unknown, or English).

    English gets no note: the models answer in English anyway, and an extra line next to the
    question made qwen-0.5b skip a tool call it made without it (the MCP order test).
    """
    if not language or language == "en":
        return ""
    if language in NOTES:
        return NOTES[language]
    name = NAMES.get(language, language)
    return f"(Answer in {name}.)"
