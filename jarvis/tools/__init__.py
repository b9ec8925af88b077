"""Tools Jarvis can call: built-ins (clock, calculator, timers, system, memory) and MCP servers.

:mod:`base` defines a tool, :mod:`registry` holds them, :mod:`executor` runs one call with a
timeout; :mod:`intents` answers everyday commands without a model.
"""
