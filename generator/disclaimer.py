"""Which "views are my own" footer a post carries, and why. The whole rule lives here."""

from __future__ import annotations

from dataclasses import dataclass

from generator.config import Author, CategoryRule, DisclaimerSettings

NO_EMPLOYER = "their employer"


@dataclass(frozen=True)
class Footer:
    """The decided footer: its text (None = no footer) and the rule that decided it."""

    text: str | None
    reason: str


def decide_footer(
    post_setting: bool | str | None,
    category: CategoryRule | None,
    author: Author,
    site: DisclaimerSettings,
) -> Footer:
    """Apply the precedence, first match wins: post, then category, then author, then site default.

    A post may say true (site text), false (no footer) or give its own text. Every other level
    only says true or false; None means "no opinion" and passes the decision down.
    """
    if isinstance(post_setting, str):
        return Footer(fill(post_setting, author), "the post's own disclaimer text")
    if post_setting is not None:
        return _switch(post_setting, "the post's 'disclaimer' setting", site, author)
    if category is not None and category.disclaimer is not None:
        return _switch(category.disclaimer, f"category '{category.name}' in site.yaml", site, author)
    if author.disclaimer is not None:
        return _switch(author.disclaimer, f"author '{author.key}' in site.yaml", site, author)
    return _switch(site.default, "the site default (disclaimer.default)", site, author)


def fill(template: str, author: Author) -> str:
    """Fill {author} and {employer}; other braces are left alone so authors can write freely."""
    return template.replace("{author}", author.name).replace("{employer}", author.employer or NO_EMPLOYER)


def _switch(on: bool, reason: str, site: DisclaimerSettings, author: Author) -> Footer:
    return Footer(fill(site.text, author) if on else None, reason)
