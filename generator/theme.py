"""Ordered theme folders: the site's own theme overrides the default one file by file."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

import jinja2

from generator.config import SiteConfig
from generator.errors import Problem, SiteError, error
from generator.inputs import DEFAULT_THEME, default_theme_dir


@dataclass(frozen=True)
class Theme:
    """The folders to search, most specific first."""

    folders: tuple[Path, ...]

    def environment(self) -> jinja2.Environment:
        """A Jinja2 environment that autoescapes everything and fails loudly on undefined names."""
        return jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(folder / "templates") for folder in self.folders]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )

    def static_files(self) -> dict[str, Path]:
        """Every file under the themes' static/ folders, the site's own copy winning."""
        found: dict[str, Path] = {}
        for folder in reversed(self.folders):
            static = folder / "static"
            if static.is_dir():
                for path in sorted(static.rglob("*")):
                    if path.is_file():
                        found[path.relative_to(static).as_posix()] = path
        return dict(sorted(found.items()))


def load_theme(config: SiteConfig) -> Theme:
    """Resolve `theme:` from site.yaml against the site's themes/ folder, falling back to the default."""
    default = default_theme_dir()
    own = config.themes_dir / config.theme
    if own.is_dir() and own.resolve() != default.resolve():
        return Theme((own, default))
    if config.theme != DEFAULT_THEME:
        raise SiteError([error("site.yaml", None, f"theme {config.theme!r} not found: expected a folder {own}")])
    return Theme((default,))


def template_problem(exc: jinja2.TemplateError) -> Problem:
    """Point at the template line that failed, not at Python internals."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return error(exc.filename or exc.name or "template", exc.lineno, f"template error: {exc.message}")
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".html", ".xml", ".txt"))]
    if frames:
        return error(frames[-1].filename, frames[-1].lineno, f"template error: {exc}")
    return error("template", None, f"template error: {exc}")
