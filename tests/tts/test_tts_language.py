"""The cheap language guess used to pick a voice for typed turns and replies."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jarvis.language import guess_language
from jarvis.tts.voices import normalise_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("What is the weather like today in London?", "en"),
        ("¿Qué tiempo hace hoy en Madrid?", "es"),
        ("Hola, me llamo Ana y vivo en una casa muy grande.", "es"),
        ("Bonjour, je ne sais pas où est la gare.", "fr"),
        ("Ich weiß nicht, wie das funktioniert.", "de"),
        ("Olá, você sabe onde fica a estação? Não.", "pt"),
        ("Ciao, come stai? Molto bene, grazie.", "it"),
    ],
)
def test_guess(text: str, language: str) -> None:
    assert guess_language(text) == language


@pytest.mark.parametrize("text", ["", "12345 !!!", "xyzzy plugh"])
def test_unknown_text_gives_the_default(text: str) -> None:
    assert guess_language(text, default="es") == "es"
    assert guess_language(text) == "en"


@pytest.mark.parametrize(
    ("code", "expected"), [("es-ES", "es"), ("EN_us", "en"), ("pt", "pt"), (None, "en"), ("", "en")]
)
def test_normalise_language(code: str | None, expected: str) -> None:
    assert normalise_language(code, "en") == expected


def test_speech_packages_import_no_heavy_library() -> None:
    code = (
        "import sys, jarvis.stt, jarvis.tts, jarvis.commands.voice\n"
        "heavy = ('faster_whisper', 'ctranslate2', 'onnxruntime', 'piper', 'kokoro_onnx',"
        " 'textual', 'torch')\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
