"""Write a large, deterministic WordPress export for timing `deskpress import wordpress` and the build.

    python benchmarks/make_wxr.py OUT.xml [--posts 5000] [--comments 50000] [--seed 1]

The same arguments always give the same bytes. Posts mix classic-editor HTML (wpautop
paragraphs, lists, code, captions, more tags) with threaded comments and pingbacks.
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

WORDS = ("harbour quay tide berth crane survey silt dredge bollard fender pile concrete steel storm winter report "
         "office policy staff trust employer voice public social media opinion draft desk note week").split()
AUTHORS = ("rosa", "devi", "sam", "lee", "noor")
CATEGORIES = [f"Topic {n}" for n in range(20)]
TAGS = [f"tag-{n}" for n in range(100)]
HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>Benchmark Blog</title>
<link>https://bench.example.org</link>
<description>A generated export</description>
<language>en</language>
<wp:wxr_version>1.2</wp:wxr_version>
"""


def sentence(rng: random.Random, n: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def body(rng: random.Random, index: int) -> str:
    parts = [" ".join(sentence(rng) for _ in range(4)) for _ in range(rng.randint(3, 8))]
    parts.insert(1, "<!--more-->")
    if index % 5 == 0:
        parts.append("<ul>\n<li>" + "</li>\n<li>".join(sentence(rng, 5) for _ in range(4)) + "</li>\n</ul>")
    if index % 7 == 0:
        parts.append('[code language="python"]\nfor tide in range(3):\n    print(tide < 2)\n[/code]')
    if index % 11 == 0:
        parts.append('[caption id="attachment_1" align="alignright" width="300"]<img src="https://bench.example.org/'
                     f'wp-content/uploads/2015/01/photo-{index}.jpg" alt="Photo {index}" /> A caption[/caption]')
    return "\n\n".join(parts)


def comment(rng: random.Random, comment_id: int, when: datetime, parent: int) -> str:
    kind = "pingback" if rng.random() < 0.05 else ""
    approved = "spam" if rng.random() < 0.02 else "1"
    return f"""<wp:comment><wp:comment_id>{comment_id}</wp:comment_id><wp:comment_author><![CDATA[Reader {comment_id % 997}]]></wp:comment_author>
<wp:comment_author_email>reader{comment_id % 997}@example.net</wp:comment_author_email><wp:comment_author_url>https://reader{comment_id % 97}.example.net/</wp:comment_author_url>
<wp:comment_date>{when:%Y-%m-%d %H:%M:%S}</wp:comment_date><wp:comment_date_gmt>{when:%Y-%m-%d %H:%M:%S}</wp:comment_date_gmt>
<wp:comment_content><![CDATA[{sentence(rng, 20)}
{sentence(rng, 10)}]]></wp:comment_content><wp:comment_approved>{approved}</wp:comment_approved><wp:comment_type>{kind}</wp:comment_type><wp:comment_parent>{parent}</wp:comment_parent></wp:comment>
"""


def item(rng: random.Random, index: int, comments: int, next_comment: int) -> str:
    when = datetime(2010, 1, 1, 8, 0) + timedelta(hours=17 * index + rng.randint(0, 6))
    slug = f"post-{index}-{rng.choice(WORDS)}"
    terms = [f'<category domain="category" nicename="topic-{c}"><![CDATA[Topic {c}]]></category>'
             for c in sorted(rng.sample(range(20), 2))]
    terms += [f'<category domain="post_tag" nicename="{t}"><![CDATA[{t}]]></category>' for t in rng.sample(TAGS, 3)]
    threads, parents = [], []
    for n in range(comments):
        comment_id = next_comment + n
        parent = rng.choice(parents) if parents and rng.random() < 0.3 else 0
        threads.append(comment(rng, comment_id, when + timedelta(hours=n + 1), parent))
        parents.append(comment_id)
    return f"""<item>
<title>{escape(sentence(rng, 6)[:-1])}</title>
<link>https://bench.example.org/{when:%Y/%m/%d}/{slug}/</link>
<dc:creator><![CDATA[{AUTHORS[index % len(AUTHORS)]}]]></dc:creator>
<guid isPermaLink="false">https://bench.example.org/?p={index}</guid>
<content:encoded><![CDATA[{body(rng, index)}]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{index}</wp:post_id>
<wp:post_date>{when:%Y-%m-%d %H:%M:%S}</wp:post_date>
<wp:post_date_gmt>{when:%Y-%m-%d %H:%M:%S}</wp:post_date_gmt>
<wp:comment_status>open</wp:comment_status>
<wp:post_name>{slug}</wp:post_name>
<wp:status>publish</wp:status>
<wp:post_parent>0</wp:post_parent>
<wp:post_type>post</wp:post_type>
<wp:is_sticky>0</wp:is_sticky>
{"".join(terms)}
{"".join(threads)}</item>
"""


def write_export(out: Path, posts: int, comments: int, seed: int) -> None:
    """Spread `comments` over `posts` unevenly (some posts get none, a few get many), deterministically."""
    rng = random.Random(seed)
    weights = [rng.random() ** 3 for _ in range(posts)]
    total = sum(weights)
    counts = [int(comments * w / total) for w in weights]
    counts[0] += comments - sum(counts)
    next_comment = 1
    with out.open("w", encoding="utf-8") as handle:
        handle.write(HEAD)
        for login in AUTHORS:
            handle.write(f"<wp:author><wp:author_login><![CDATA[{login}]]></wp:author_login>"
                         f"<wp:author_display_name><![CDATA[{login.title()} Example]]></wp:author_display_name></wp:author>\n")
        for index in range(posts):
            handle.write(item(rng, index + 1, counts[index], next_comment))
            next_comment += counts[index]
        handle.write("</channel>\n</rss>\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--comments", type=int, default=50000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    write_export(args.out, args.posts, args.comments, args.seed)


if __name__ == "__main__":
    main()
