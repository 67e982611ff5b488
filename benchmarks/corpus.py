"""Write a synthetic blog of any size, the same bytes for the same (posts, seed), for benchmarks and tests.

Posts are about 800 words with headings, lists, links, code, tables and the odd footnote; about a third
have comments; 20 categories, 8 authors and 200 tags spread the posts over many archives and feeds.
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

WORDS = ("the of and to in is for that with on as by this from at are be or an it was which not have but "
         "release deploy cache queue latency budget review team policy draft schedule incident report metric "
         "contract vendor customer handbook meeting roadmap sprint backlog migration pipeline server network "
         "writing editor council freight invoice audit quarter budget hiring onboarding mentor workshop").split()
LANGUAGES = ("python", "javascript", "bash", "yaml", "sql", "")
AUTHORS = ("ana", "bo", "chen", "dara", "eli", "fay", "gus", "hana")
CATEGORIES = tuple(f"Category {n:02d}" for n in range(20))
TAGS = tuple(f"tag-{n:03d}" for n in range(200))
START = datetime(2015, 1, 1, 9, 0, tzinfo=timezone.utc)
SPAN_SECONDS = 10 * 365 * 86400


def site_yaml() -> str:
    authors = "".join(f"  {key}:\n    name: {key.title()} Writer\n    employer: Employer {n}\n"
                      for n, key in enumerate(AUTHORS))
    categories = "".join(f"  {name}:\n    description: Posts about {name.lower()}.\n" for name in CATEGORIES)
    return (
        "title: Benchmark Blog\ntagline: Synthetic posts for timing\nbase_url: https://bench.example.org/\n"
        "timezone: UTC\npaginate: 10\ndefault_author: ana\n"
        f"authors:\n{authors}categories:\n{categories}"
        "disclaimer:\n  text: \"Views are {author}'s own, not {employer}'s.\"\n  default: true\n"
        "comments:\n  reply: mailto:letters@bench.example.org\n"
    )


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random) -> str:
    parts = [sentence(rng, rng.randint(8, 16)) for _ in range(rng.randint(3, 6))]
    if rng.random() < 0.5:
        parts.insert(1, f"See [the {rng.choice(WORDS)} notes](https://example.com/{rng.choice(WORDS)}/{rng.randint(1, 999)}).")
    if rng.random() < 0.3:
        parts.append(f"Use `{rng.choice(WORDS)}_{rng.choice(WORDS)}()` with **care** and *patience*.")
    return " ".join(parts)


def block(rng: random.Random, number: int) -> str:
    kind = rng.choice(("list", "code", "table", "quote", "plain"))
    if kind == "list":
        marker = rng.choice(("-", "1."))
        return "\n".join(f"{marker} {sentence(rng, rng.randint(3, 8))}" for _ in range(rng.randint(3, 6)))
    if kind == "code":
        lang = rng.choice(LANGUAGES)
        lines = "\n".join(f"{rng.choice(WORDS)}_{i} = {rng.randint(0, 99)}  # {rng.choice(WORDS)}" for i in range(rng.randint(3, 8)))
        return f"```{lang}\n{lines}\n```"
    if kind == "table":
        rows = "\n".join(f"| {rng.choice(WORDS)} | {rng.randint(1, 999)} | {rng.choice(WORDS)} |" for _ in range(rng.randint(2, 5)))
        return f"| Item | Count | Note |\n| --- | ---: | --- |\n{rows}"
    if kind == "quote":
        return "> " + sentence(rng, 12)
    return f"## {sentence(rng, 3)[:-1]} {number}"


def post_body(rng: random.Random) -> str:
    blocks = [paragraph(rng)]
    if rng.random() < 0.3:
        blocks.append("<!--more-->")
    for number in range(rng.randint(4, 7)):
        blocks.append(f"## {sentence(rng, rng.randint(2, 4))[:-1]} {number}")
        blocks.append(paragraph(rng))
        blocks.append(block(rng, number))
        blocks.append(paragraph(rng))
    if rng.random() < 0.2:
        blocks[-1] += "[^1]"
        blocks.append(f"[^1]: {sentence(rng, 8)}")
    return "\n\n".join(blocks) + "\n"


def post(rng: random.Random, number: int, posts: int) -> tuple[str, str, datetime]:
    """Posts are spread over ten years, whatever their number, so every month has an archive."""
    date = START + timedelta(seconds=number * (SPAN_SECONDS // max(posts, 1)), minutes=rng.randint(0, 59))
    slug = f"post-{number:06d}"
    tags = ", ".join(rng.sample(TAGS, rng.randint(1, 4)))
    meta = [f"title: \"{sentence(rng, rng.randint(3, 7))[:-1]} {number}\"", f"date: {date:%Y-%m-%d %H:%M}",
            f"author: {rng.choice(AUTHORS)}", f"category: {rng.choice(CATEGORIES)}", f"tags: [{tags}]"]
    if rng.random() < 0.05:
        meta.append("disclaimer: false")
    return slug, "---\n" + "\n".join(meta) + "\n---\n" + post_body(rng), date


def comment(rng: random.Random, date: datetime, number: int, replies_to: str | None) -> str:
    meta = [f"author: Reader {rng.randint(1, 500)}", f"date: {date + timedelta(hours=number + 1):%Y-%m-%d %H:%M}"]
    if replies_to:
        meta.append(f"in_reply_to: {replies_to}")
    return "---\n" + "\n".join(meta) + "\n---\n" + paragraph(rng) + "\n"


def write_corpus(root: Path, posts: int, seed: int = 1) -> Path:
    """Write site.yaml, content/posts and content/comments for `posts` posts into `root`."""
    rng = random.Random(seed)
    (root / "content" / "posts").mkdir(parents=True, exist_ok=True)
    (root / "site.yaml").write_text(site_yaml(), encoding="utf-8")
    for number in range(posts):
        slug, text, date = post(rng, number, posts)
        (root / "content" / "posts" / f"{date:%Y-%m-%d}-{slug}.md").write_text(text, encoding="utf-8")
        if rng.random() < 0.35:
            folder = root / "content" / "comments" / slug
            folder.mkdir(parents=True, exist_ok=True)
            for index in range(rng.randint(1, 4)):
                parent = f"c{index - 1}" if index and rng.random() < 0.4 else None
                (folder / f"c{index}.md").write_text(comment(rng, date, index, parent), encoding="utf-8")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    write_corpus(args.root, args.posts, args.seed)


if __name__ == "__main__":
    main()
