"""aforo: simulate crowds in buildings when things go wrong.

The public API: load or build a :class:`~aforo.scenario.Scenario`, then :func:`aforo.run`.
"""

__version__ = "0.1.0"
