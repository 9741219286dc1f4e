"""The `scxmlc` commands: `compile`, `check` and `run` (`cli`), the session
server (`serve`) and runs against the simulated contact center (`simulate`).

They sit on top of everything: they wire the compiler's phases, the loader and
the runtime's platform and simulator together, and nothing imports them.
"""
