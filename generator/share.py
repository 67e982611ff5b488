"""Share links as plain URLs: no third-party script, no tracking, nothing loaded until a reader clicks."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from generator.config import SiteConfig
from generator.site import Entry, absolute

NETWORK_LABELS = {"mastodon": "Mastodon", "linkedin": "LinkedIn", "bluesky": "Bluesky", "email": "Email"}


@dataclass(frozen=True)
class ShareLink:
    network: str
    label: str
    url: str


def share_links(config: SiteConfig, entry: Entry) -> tuple[ShareLink, ...]:
    """The configured share links for a post; none on drafts and scheduled previews unless `share.drafts`."""
    if entry.status != "published" and not config.share.drafts:
        return ()
    url = absolute(config, entry.url)
    text = f"{entry.post.title} {url}"
    targets = {
        "mastodon": f"https://{config.share.mastodon}/share?{urlencode({'text': text})}",
        "linkedin": f"https://www.linkedin.com/sharing/share-offsite/?{urlencode({'url': url})}",
        "bluesky": f"https://bsky.app/intent/compose?{urlencode({'text': text})}",
        "email": f"mailto:?subject={quote(entry.post.title)}&body={quote(url)}",
    }
    return tuple(ShareLink(name, NETWORK_LABELS[name], targets[name]) for name in config.share.links)
