"""The error family of govkg.

Exit codes (documented in the README): 0 ok, 1 data does not conform, 2 bad input or configuration.
"""

from __future__ import annotations


class KgError(Exception):
    """Base of every error govkg raises on purpose. ``hint`` says how to fix it."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputError(KgError):
    """A source file cannot be read as a report: wrong encoding, binary, empty, too large, bad JSON."""

    def __init__(self, path: str, reason: str, *, hint: str | None = None) -> None:
        super().__init__(f"{path}: {reason}", hint=hint)
        self.path = path
        self.reason = reason


class StoreError(KgError):
    """The store directory is missing, locked or not an Oxigraph store."""


class QueryError(KgError):
    """A query name or file is unknown, does not parse, or lacks a parameter."""


class NonConformingError(KgError):
    """The data does not conform to the shapes."""

    exit_code = 1
