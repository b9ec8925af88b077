"""Helpers shared by the tests (no tests here; pytest does not collect this folder's modules).

- :mod:`tests.support.paths`: the repository, its models, fixtures and data, and the ``jarvis`` command.
- :mod:`tests.support.config`: :func:`write_config`, a test config that uses the real models.
- :mod:`tests.support.api_stub`: a real llama.cpp server, and a local stand-in for the cloud APIs.
- :mod:`tests.support.pulse`: a private PulseAudio daemon with a virtual microphone and speaker.
- :mod:`tests.support.voicekit`: a voice config and the speech models, loaded once per process.
- :mod:`tests.support.wer`: word error rate.
- :mod:`tests.support.tui`: driving the Textual app headless.
"""
