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


# whisper-base's transcripts of espeak-ng's questions (bench/voice_eval.py), each with a word nobody says
MISHEARD = [("¿Cuántos quince más rintisiete?", "es", ["rintisiete"]),
            ("¿Cuáles el símbolo químico del soñón?", "es", ["soñón"]), ("que desayun de hoy.", "es", ["desayun"]),
            ("Cuierna que mi comina favorita esa paella.", "es", ["cuierna", "comina"]),
            ("Remember, now to my favorite, cutlery's purple.", "en", ["cutlery's"])]
# real words, names and borrowings a user may say (each checked against the same lists)
REAL = [("¿Quién escribió Cien años de soledad?", "es"), ("¿Cuántos kilómetros tiene una maratón?", "es"),
        ("Recuerda que mi gato se llama Simba.", "es"), ("¿Qué es Kubernetes?", "es"),
        ("¿Qué es Ollama? ¿Y Qwen?", "es"),
        ("What's my neighbour's name?", "en"), ("Who painted The Starry Night?", "en"),
        ("Tell me about Zelenskyy and Shakespeare.", "en"), ("Is paella from Valencia?", "en")]


@pytest.mark.parametrize(("text", "language", "words"), MISHEARD)
def test_a_made_up_word_is_found(text: str, language: str, words: list[str]) -> None:
    from jarvis.stt.lexicon import unknown_words

    assert unknown_words(text, language) == words


def test_a_capitalised_word_inside_a_sentence_is_a_name() -> None:
    from jarvis.stt.lexicon import unknown_words

    assert unknown_words("We're Chandimalist Kyle, the king of the jungle.", "en") == []
    assert unknown_words("Chandimalist is the king. Qwenly too.", "en") == ["chandimalist", "qwenly"]


@pytest.mark.parametrize(("text", "language"), REAL)
def test_real_words_and_names_are_known(text: str, language: str) -> None:
    from jarvis.stt.lexicon import unknown_words

    assert unknown_words(text, language) == []


def test_only_an_unsure_transcript_is_checked_for_made_up_words() -> None:
    from jarvis.stt.understood import MAX_LOGPROB_WITH_UNKNOWN_WORD, made_up_words

    text = "¿Cuántos quince más rintisiete?"
    assert made_up_words(text, "es", MAX_LOGPROB_WITH_UNKNOWN_WORD - 0.01) == ["rintisiete"]
    assert made_up_words(text, "es", MAX_LOGPROB_WITH_UNKNOWN_WORD) == []  # said clearly: the user's word
    assert made_up_words(text, "es", None) == []  # typed
    assert made_up_words(text, "xx", -0.6) == [] and made_up_words(text, None, -0.6) == []  # no list: trusted
