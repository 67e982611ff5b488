"""Dates and times as the site's readers write them: its `language`, `date_format` and time zone (Babel)."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from babel import Locale
from babel.core import get_global
from babel.dates import DateTimePattern, format_skeleton, get_date_format, get_time_format, parse_pattern

from generator.config import DATE_STYLES, SiteConfig


def date_pattern(date_format: str, locale: Locale) -> DateTimePattern:
    """A named CLDR style ('long') in the language's own pattern, or the site's own pattern ('d MMMM y')."""
    return get_date_format(date_format, locale) if date_format in DATE_STYLES else parse_pattern(date_format)


@cache
def month_title(year: int, month: int, language: str) -> str:
    """A month archive's name as the language writes it ('March 2026', 'mars 2026'); pure, so memoised."""
    return format_skeleton("yMMMM", date(year, month, 1), locale=Locale.parse(language.replace("-", "_")))


class LocalDates:
    """Formats moments for one site; each moment is formatted once, however many listings show it."""

    def __init__(self, config: SiteConfig):
        self.locale = Locale.parse(config.language.replace("-", "_"))
        self.zone = config.tz
        self.date_pattern = date_pattern(config.date_format, self.locale)
        self.time_pattern = get_time_format("short", self.locale)
        self.formatted: dict[tuple[str, datetime], str] = {}

    def date(self, moment: datetime) -> str:
        """The day in the reader's language, e.g. 'March 2, 2026' or '2 mars 2026'."""
        return self._format(self.date_pattern, moment)

    def time(self, moment: datetime) -> str:
        """The clock time in the site's zone, written the way the language writes it."""
        return self._format(self.time_pattern, moment)

    def _format(self, pattern: DateTimePattern, moment: datetime) -> str:
        key = (pattern.pattern, moment)
        if key not in self.formatted:
            self.formatted[key] = pattern.apply(moment.astimezone(self.zone), self.locale)
        return self.formatted[key]

    def og_locale(self) -> str:
        """Open Graph wants language_TERRITORY ('fr_FR'); fill the territory in from CLDR's likely subtags."""
        likely = Locale.parse(get_global("likely_subtags").get(str(self.locale), str(self.locale)))
        territory = self.locale.territory or likely.territory
        return f"{self.locale.language}_{territory}" if territory else self.locale.language
