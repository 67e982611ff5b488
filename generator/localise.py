"""Dates and times as the site's readers write them: its `language`, `date_format` and time zone (Babel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel import Locale
from babel.core import get_global
from babel.dates import format_date, format_time

from generator.config import SiteConfig


@dataclass(frozen=True)
class LocalDates:
    """Formats moments for one site; config.py has already checked that Babel knows the language."""

    locale: Locale
    date_format: str
    config: SiteConfig

    @classmethod
    def for_site(cls, config: SiteConfig) -> "LocalDates":
        return cls(Locale.parse(config.language.replace("-", "_")), config.date_format, config)

    def date(self, moment: datetime) -> str:
        """The day in the reader's language, e.g. 'March 2, 2026' or '2 mars 2026'."""
        return format_date(moment.astimezone(self.config.tz), self.date_format, locale=self.locale)

    def time(self, moment: datetime) -> str:
        """The clock time in the site's zone, written the way the language writes it."""
        return format_time(moment.astimezone(self.config.tz), "short", locale=self.locale)

    def og_locale(self) -> str:
        """Open Graph wants language_TERRITORY ('fr_FR'); fill the territory in from CLDR's likely subtags."""
        likely = Locale.parse(get_global("likely_subtags").get(str(self.locale), str(self.locale)))
        territory = self.locale.territory or likely.territory
        return f"{self.locale.language}_{territory}" if territory else self.locale.language
