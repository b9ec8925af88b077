"""Rigs the tests and the benchmarks share (no tests here; not part of the installed package).

Both ``tests/`` and ``bench/`` import it from the repository root (pytest puts the root on
``sys.path``; each bench inserts it), so a bench measures with the same rig a test checks with.

- :mod:`devsupport.paths`: the repository, its models, fixtures and data, the ``jarvis`` command.
- :mod:`devsupport.config`: :func:`~devsupport.config.write_config`, a config that uses the real models.
- :mod:`devsupport.voicekit`: a voice config and the speech models, loaded once per process.
- :mod:`devsupport.pulse`: a private PulseAudio daemon with a virtual microphone and speaker.
- :mod:`devsupport.bilingual`: the bilingual recall set and how it is scored.
- :mod:`devsupport.make_wake`: the wake-word fixtures and the noise they are mixed with.
- ``mcp_server.py``: a real MCP server (an order desk), run as a script over stdio or HTTP.

What only the tests use stays in ``tests/support``.
"""
