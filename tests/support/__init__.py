"""Helpers only the tests use (no tests here; pytest does not collect this folder's modules).

The rigs benches share with the tests (paths, ``write_config``, voice configs, PulseAudio, the
bilingual set, the wake-word noise, the MCP order server) live in :mod:`devsupport`.

- :mod:`tests.support.api_stub`: a real llama.cpp server, and a local stand-in for the cloud APIs.
- :mod:`tests.support.hub_stub`: a local stand-in for the Hugging Face hub.
- :mod:`tests.support.chroma_server`: a real ChromaDB server in a subprocess.
- :mod:`tests.support.gguf_writer`: small GGUF files.
- :mod:`tests.support.wer`: word error rate.
- :mod:`tests.support.tui`: driving the Textual app headless.
- :mod:`tests.support.waiting`: waiting for something that happens in another thread.
- :mod:`tests.support.make_questions`: makes the spoken-question fixtures (run once).
"""
