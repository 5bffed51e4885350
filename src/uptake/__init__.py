"""uptake: mine software adoption over time and test hypotheses about it."""

__version__ = "0.1.0"
