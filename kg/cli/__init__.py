"""The command line: a thin client over the library (nothing imports it)."""
