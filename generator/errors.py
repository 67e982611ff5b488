"""Problems found in a site's input, and the one exception that carries them to the user."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located precisely so an editor can jump to it."""

    path: str
    line: int | None
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        prefix = "" if self.severity == "error" else "warning: "
        return f"{where}: {prefix}{self.message}"


class SiteError(Exception):
    """Raised when the input cannot be built; the CLI prints each problem on one line."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(sorted(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


def error(path: Path | str, line: int | None, message: str) -> Problem:
    """Shorthand for an error-level Problem."""
    return Problem(str(path), line, message, "error")


def warning(path: Path | str, line: int | None, message: str) -> Problem:
    """Shorthand for a warning-level Problem."""
    return Problem(str(path), line, message, "warning")


def raise_if_errors(problems: Iterable[Problem]) -> None:
    """Stop the build when any problem is an error, reporting all of them at once."""
    problems = list(problems)
    if any(p.severity == "error" for p in problems):
        raise SiteError(problems)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest known name, or '' when nothing is close (typos are common)."""
    hint = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{hint[0]}'?)" if hint else ""


def unknown_key(path: Path | str, line: int | None, key: str, known: Iterable[str]) -> Problem:
    """A warning for a key nobody reads, suggesting the closest known one."""
    return warning(path, line, f"unknown key '{key}'{did_you_mean(key, known)}")
