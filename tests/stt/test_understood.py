"""A transcript that is not language is asked again, never answered; real questions always pass.

The noise transcripts are ones whisper-base wrote for Spanish questions spoken by espeak-ng (issue 21).
"""

from __future__ import annotations

import pytest

from jarvis.stt.understood import DIDNT_CATCH, didnt_catch, is_language

NOISE = ["1.5.5.5.5.5.5.5.5.5.5", "1.SL-L-L-N-T-P-C", "hhhhhhhhhhhh", "www", "a b c d e f g", "S.L.L.N.T.P.",
         "x1x1x1x1x1x1", "...", "8888888888888"]
SPEECH = ["What time is it?", "¿Qué hora es?", "42", "7 x 8", "¿Cuánto es 15% de 200?", "OK", "Sí",
          "The U.S.A. is big.", "What's the capital of France?", "Dime la hora.", "DNA", "I", "y tú",
          "12.5 + 3.75", "Remember that my sister is called Ana.", "BBC news"]


@pytest.mark.parametrize("text", NOISE)
def test_noise_is_not_language(text: str) -> None:
    assert not is_language(text)


@pytest.mark.parametrize("text", SPEECH)
def test_questions_are_language(text: str) -> None:
    assert is_language(text)


def test_asked_again_in_the_speakers_language() -> None:
    assert didnt_catch("es") == DIDNT_CATCH["es"] and "entendido" in didnt_catch("es")
    assert didnt_catch(None) == DIDNT_CATCH["en"] and didnt_catch("fr") == DIDNT_CATCH["en"]


def test_a_guessing_recogniser_is_not_trusted() -> None:
    from jarvis.stt.understood import MIN_LOGPROB, sure_enough

    assert sure_enough(None) and sure_enough(-0.1) and sure_enough(MIN_LOGPROB)
    assert not sure_enough(MIN_LOGPROB - 0.01)
