"""A software eUICC (GSMA SGP.22) behind PC/SC."""

__version__ = "0.1.0"
