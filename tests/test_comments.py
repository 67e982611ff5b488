"""Comments as files: threads, pings, hostile input, errors, reply invitations and `deskpress comment add`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from generator.cli import main
from generator.errors import SiteError
from generator.moderate import NewComment, add_comment
from tests.conftest import BASIC_CONFIG, SiteFolder

POST = "2026/01/15/hello/"
SECRET = "hidden.address@example.net"


def comment(site: SiteFolder, slug: str, key: str, body: str = "Nice post.", **meta) -> None:
    meta.setdefault("author", "Reader")
    meta.setdefault("date", "2026-01-16 09:00")
    lines = ["---"] + [f"{k}: {v}" for k, v in meta.items()] + ["---", body, ""]
    site.file(f"content/comments/{slug}/{key}.md", "\n".join(lines))


@pytest.fixture
def discussed(site: SiteFolder) -> SiteFolder:
    """A post with a thread, a reply to a reply, a pingback and a trackback (files named out of date order)."""
    site.post("2026-01-15-hello", title="Hello")
    comment(site, "hello", "z-first", "First!", author="Ann", date="2026-01-16 08:00", url="https://ann.example/",
            email=SECRET)
    comment(site, "hello", "a-second", "Second.", author="Ben", date="2026-01-17 08:00", url="ftp://ben.example/")
    comment(site, "hello", "reply", "Replying to Ann.", author="Cy", date="2026-01-18 08:00", in_reply_to="z-first")
    comment(site, "hello", "reply-2", "And to Cy.", author="Ann", date="2026-01-19 08:00", in_reply_to="reply")
    comment(site, "hello", "ping", "[…] as Ana wrote […]", author="Another blog", date="2026-01-20 08:00",
            url="https://other.example/post/", type="pingback")
    comment(site, "hello", "track", "An excerpt.", author="Third blog", date="2026-01-21 08:00",
            url="https://third.example/", type="trackback")
    return site


def test_header_counts_comments_and_threads_run_oldest_first(discussed: SiteFolder):
    discussed.build()
    page = discussed.html(POST)
    assert page.select_one("article header .comment-count").get_text(strip=True) == "6 comments"
    top = page.select("ol.comment-list > li.comment")
    assert [li["id"] for li in top] == ["comment-z-first", "comment-a-second"]
    first_reply = top[0].select_one("ol.replies > li.comment")
    assert first_reply["id"] == "comment-reply"
    assert first_reply.select_one("ol.replies > li.comment")["id"] == "comment-reply-2"
    for li in page.select("li.comment, li.ping"):
        assert li.select_one("a.comment-permalink")["href"] == f"#{li['id']}"


def test_author_links_only_to_web_urls_with_nofollow_ugc(discussed: SiteFolder):
    result = discussed.build()
    page = discussed.html(POST)
    ann = page.select_one("#comment-z-first .comment-author a")
    assert ann["href"] == "https://ann.example/" and ann["rel"] == ["nofollow", "ugc"]
    assert page.select_one("#comment-a-second .comment-author").find("a") is None
    assert page.select_one("#comment-a-second .comment-author").get_text(strip=True) == "Ben"
    assert any("a-second.md:4: warning: 'url' ignored" in str(p) for p in result.warnings)


def test_pingbacks_and_trackbacks_are_listed_apart_with_page_and_excerpt(discussed: SiteFolder):
    discussed.build()
    page = discussed.html(POST)
    assert not page.select("ol.comment-list #comment-ping, ol.comment-list #comment-track")
    pings = page.select("ol.ping-list > li.ping")
    assert [p["id"] for p in pings] == ["comment-ping", "comment-track"]
    link = pings[0].select_one(".ping-source a[rel]")
    assert (link["href"], link.get_text(), link["rel"]) == ("https://other.example/post/", "Another blog", ["nofollow", "ugc"])
    assert pings[0].select_one("blockquote.ping-excerpt").get_text(strip=True) == "[…] as Ana wrote […]"
    assert pings[1].select_one(".ping-source").get_text(" ", strip=True).startswith("Trackback: Third blog")


def test_comment_feeds_list_responses_newest_first(discussed: SiteFolder):
    discussed.post("2026-01-10-other", title="Other")
    comment(discussed, "other", "x", "Elsewhere.", author="Dee", date="2026-01-22 08:00")
    discussed.build()
    post_feed = discussed.feed(POST + "comments/atom.xml")
    assert [e.author for e in post_feed.entries] == ["Third blog", "Another blog", "Ann", "Cy", "Ben", "Ann"]
    assert post_feed.entries[0].title == "Trackback from Third blog on Hello"
    assert post_feed.entries[-1].link == f"https://blog.example.com/{POST}#comment-z-first"
    assert post_feed.feed.updated == "2026-01-21T08:00:00+00:00"
    everything = discussed.feed("comments/feed.xml")
    assert [e.author for e in everything.entries][:2] == ["Dee", "Third blog"]
    assert len(everything.entries) == 7
    assert len({e.id for e in everything.entries}) == 7


def test_the_email_is_never_published(discussed: SiteFolder):
    discussed.build()
    leaks = [rel for rel, data in discussed.files().items() if SECRET.encode() in data or b"hidden.address" in data]
    assert leaks == []


HOSTILE = """\
Hi <script>alert(1)</script> <img src=x onerror="alert(2)"> <iframe src="https://evil.example/"></iframe>
<style>body{display:none}</style> <a href="javascript:alert(3)" onclick="alert(4)">raw</a>
<span style="color:red">styled</span>

[md js](javascript:alert(5)) [md data](data:text/html;base64,PHNjcmlwdD4=) <javascript:alert(6)>
![img](data:image/png;base64,iVBORw0KGgo=) [fine](https://fine.example/) **bold**
"""


def assert_harmless(html: str) -> None:
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all(["script", "iframe", "style", "img", "object", "embed", "form"])
    for tag in soup.find_all(True):
        assert not [a for a in tag.attrs if a.startswith("on") or a == "style"], tag
        for attr in ("href", "src"):
            value = str(tag.get(attr, "")).strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), tag


def test_hostile_comments_are_harmless_in_page_and_feeds(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    comment(site, "hello", "evil", HOSTILE, author='"<script>alert(7)</script>"', url='"javascript:alert(8)"')
    comment(site, "hello", "evil-data", HOSTILE, author="<b>Data</b>", url='"data:text/html,hi"')
    comment(site, "hello", "evil-ping", HOSTILE, author="<i>Ping</i>", url="https://ping.example/", type="pingback")
    site.build()
    responses = site.html(POST).select_one("#responses")
    assert_harmless(str(responses))
    assert responses.select_one("#comment-evil .comment-author").get_text() == "<script>alert(7)</script>"
    assert responses.select_one("#comment-evil .comment-body strong").get_text() == "bold"
    assert responses.select_one('#comment-evil a[href="https://fine.example/"]')["rel"] == ["nofollow", "ugc", "noopener"]
    for rel in ("comments/atom.xml", "comments/feed.xml", POST + "comments/atom.xml", POST + "comments/feed.xml"):
        parsed = site.feed(rel)
        assert {e.author for e in parsed.entries} == {"<script>alert(7)</script>", "<b>Data</b>", "<i>Ping</i>"}
        root = ET.fromstring(site.read(rel))
        raw = [e.text for e in root.iter() if e.tag.endswith(("content", "description", "encoded")) and e.text]
        assert len(raw) >= 3
        for html in raw:
            assert_harmless(html)
        assert [e.text for e in root.iter() if e.tag.endswith("uri")] in ([], ["https://ping.example/"])


def problems_of(site: SiteFolder) -> list[str]:
    with pytest.raises(SiteError) as caught:
        site.build()
    return [str(p) for p in caught.value.problems if p.severity == "error"]


def test_comment_on_a_missing_post_is_a_located_error(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    comment(site, "nope", "a")
    assert problems_of(site) == ["content/comments/nope/a.md:1: comment on a post that does not exist: "
                                 "no post has the slug 'nope'"]


def test_thread_loops_and_unknown_parents_are_located_errors(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    comment(site, "hello", "a", in_reply_to="b")
    comment(site, "hello", "b", in_reply_to="a")
    comment(site, "hello", "c", in_reply_to="ghost")
    assert problems_of(site) == [
        "content/comments/hello/a.md:2: in_reply_to 'b' makes a reply loop",
        "content/comments/hello/b.md:2: in_reply_to 'a' makes a reply loop",
        "content/comments/hello/c.md:2: in_reply_to 'ghost': no such comment on this post",
    ]


def test_a_ping_names_its_linking_page_and_replies_to_nobody(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    comment(site, "hello", "c")
    comment(site, "hello", "d", type="trackback", in_reply_to="c", url="https://linking.example/")
    comment(site, "hello", "e", type="pingback")
    comment(site, "hello", "f", type="pingback", url="javascript:alert(1)")
    assert problems_of(site) == ["content/comments/hello/d.md:3: a trackback cannot reply to a comment: remove 'in_reply_to'",
                                 "content/comments/hello/e.md:1: a pingback needs the 'url' of the page that links here",
                                 "content/comments/hello/f.md:3: a pingback needs the 'url' of the page that links here"]


def test_missing_fields_are_errors_and_the_cli_prints_them_without_traceback(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    site.build()
    before = site.files()
    site.file("content/comments/hello/no-author.md", "---\ndate: 2026-01-16\n---\nHi\n")
    site.file("content/comments/hello/no-date.md", "---\nauthor: A\ntype: smoke-signal\n---\nHi\n")
    result = CliRunner().invoke(main, ["build", "--site", str(site.root)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "content/comments/hello/no-author.md:1: missing required field 'author'" in result.output
    assert "content/comments/hello/no-date.md:1: missing required field 'date'" in result.output
    assert "content/comments/hello/no-date.md:3: 'type' must be one of comment, pingback, trackback" in result.output
    assert site.files() == before


def test_two_names_with_one_permalink_are_an_error(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    comment(site, "hello", "thanks-ann")
    comment(site, "hello", "thanks_ann")
    assert problems_of(site) == ["content/comments/hello/thanks_ann.md:1: same permalink #comment-thanks-ann as "
                                 "content/comments/hello/thanks-ann.md: rename one file"]


def test_mailto_reply_prefills_the_subject_with_title_and_url(discussed: SiteFolder):
    discussed.config(BASIC_CONFIG + "comments:\n  reply: mailto:letters@example.com?cc=ed%40example.com\n")
    discussed.post("2026-01-15-hello", title="Hello & 'goodbye'?")
    discussed.build()
    link = discussed.html(POST).select_one(".reply a[href^='mailto:']")
    parts = urlsplit(link["href"])
    assert parts.path == "letters@example.com"
    assert parse_qs(parts.query) == {"cc": ["ed@example.com"],
                                     "subject": [f"Re: Hello & 'goodbye'? (https://blog.example.com/{POST})"]}


def test_form_reply_posts_the_fields_to_the_endpoint(discussed: SiteFolder):
    discussed.config(BASIC_CONFIG + "comments:\n  reply: https://forms.example.com/blog\n")
    discussed.build()
    form = discussed.html(POST).select_one(".reply form")
    assert (form["action"], form["method"]) == ("https://forms.example.com/blog", "post")
    assert sorted(field["name"] for field in form.select("input, textarea")) == ["author", "body", "email", "post", "url"]
    assert form.select_one("input[name=post]")["value"] == "hello"


def test_closed_posts_keep_their_comments_but_invite_no_reply(discussed: SiteFolder):
    discussed.config(BASIC_CONFIG + "comments:\n  reply: mailto:letters@example.com\n  close_after_days: 30\n")
    discussed.post("2026-05-20-recent", title="Recent", date="2026-05-20")
    discussed.post("2026-05-21-shut", title="Shut", date="2026-05-21", comments="closed")
    discussed.post("2026-05-22-quiet", title="Quiet", date="2026-05-22", comments="closed")
    discussed.post("2026-01-02-evergreen", title="Evergreen", date="2026-01-02", comments="open")
    comment(discussed, "shut", "kept", "Still here.", date="2026-05-21 12:00")
    discussed.build()
    by_age, by_flag = discussed.html(POST), discussed.html("2026/05/21/shut/")
    for page in (by_age, by_flag):
        assert page.select_one(".reply") is None and page.find(href=lambda h: h and h.startswith("mailto:letters@")) is None
        assert page.select_one(".comments-closed").get_text() == "Comments are closed."
    assert len(by_age.select("li.comment")) == 4 and by_flag.select_one("#comment-kept")
    assert discussed.html("2026/05/20/recent/").select_one(".reply a[href^='mailto:']")
    assert discussed.html("2026/01/02/evergreen/").select_one(".reply a[href^='mailto:']")
    assert (discussed.out / "2026/05/21/shut/comments/feed.xml").exists()
    assert not (discussed.out / "2026/05/22/quiet/comments/feed.xml").exists()
    assert discussed.feed("2026/05/20/recent/comments/atom.xml").entries == []
    discussed.build(now=datetime(2026, 1, 30, tzinfo=timezone.utc))
    assert discussed.html(POST).select_one(".reply a[href^='mailto:']")


def add(site: SiteFolder, *args: str, body: str = "Thanks for this.\n"):
    return CliRunner().invoke(main, ["comment", "add", "--site", str(site.root), *args], input=body)


def test_comment_add_round_trip(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    first = add(site, "hello", "--author", "Zoë: O'Neil", "--email", SECRET, "--url", "https://zoe.example/",
                "--date", "2026-01-16 10:30", body="Great **post**.\r\n\r\n<script>x</script>\n")
    assert first.exit_code == 0, first.output
    name = "content/comments/hello/2026-01-16-103000-zoe-o-neil.md"
    assert (site.root / name).exists()
    again = add(site, "hello", "--author", "Zoë: O'Neil", "--date", "2026-01-16 10:30")
    assert again.exit_code == 0 and (site.root / name.replace(".md", "-2.md")).exists()
    reply = add(site, "hello", "--author", "Ana", "--in-reply-to", "2026-01-16-103000-zoe-o-neil", "--date", "2026-01-17")
    ping = add(site, "hello", "--author", "A linking page", "--type", "pingback", "--url", "https://link.example/",
               "--date", "2026-01-18", body="[…] excerpt […]")
    assert reply.exit_code == ping.exit_code == 0
    site.build()
    page = site.html(POST)
    zoe = page.select_one("#comment-2026-01-16-103000-zoe-o-neil")
    assert zoe.select_one(".comment-author a")["href"] == "https://zoe.example/"
    assert zoe.select_one(".comment-author").get_text(strip=True) == "Zoë: O'Neil"
    assert zoe.select_one(".comment-body strong").get_text() == "post" and not zoe.find("script")
    assert zoe.select_one("ol.replies .comment-author").get_text(strip=True) == "Ana"
    assert page.select_one("li.ping .ping-excerpt").get_text(strip=True) == "[…] excerpt […]"
    assert page.select_one(".comment-count").get_text(strip=True) == "4 comments"
    assert not [rel for rel, data in site.files().items() if SECRET.encode() in data]


def test_comment_add_refuses_what_the_build_would_reject(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    before = sorted(site.root.rglob("*"))
    unknown = add(site, "nope", "--author", "A")
    assert unknown.exit_code == 1 and "Traceback" not in unknown.output
    assert "content/comments/nope: no post has the slug 'nope'" in unknown.output
    bad = add(site, "hello", "--author", "A", "--url", "javascript:alert(1)", "--in-reply-to", "ghost",
              "--date", "yesterday", body="  \n")
    assert bad.exit_code == 1
    for message in ("--url 'javascript:alert(1)' is not an http(s) URL", "--in-reply-to 'ghost': no such comment",
                    "body (read from standard input) is empty", "--date 'yesterday' is not a valid date"):
        assert message in bad.output
    ping = add(site, "hello", "--author", "A blog", "--type", "pingback")
    assert ping.exit_code == 1 and "a pingback needs --url, the page that links to the post" in ping.output
    escape = add(site, "../../posts", "--author", "A")
    assert escape.exit_code == 1 and "no post has the slug '../../posts'" in escape.output
    assert sorted(site.root.rglob("*")) == before


def test_comment_add_names_the_file_from_the_time_it_is_given(site: SiteFolder):
    site.config(BASIC_CONFIG.replace("timezone: UTC", "timezone: America/New_York"))
    site.post("2026-01-15-hello", title="Hello")
    now = datetime(2026, 2, 3, 4, 5, 6, 789, tzinfo=timezone.utc)
    path = add_comment(site.root, NewComment("hello", "Renée Ü", "Hi."), now)
    assert path == site.root / "content/comments/hello/2026-02-02-230506-renee-u.md"
    assert "date: '2026-02-02 23:05:06-05:00'" in path.read_text(encoding="utf-8")
    site.build()
    assert site.html(POST).select_one("#comment-2026-02-02-230506-renee-u time")["datetime"] == "2026-02-02T23:05:06-05:00"


def test_responses_to_unpublished_posts_stay_unpublished(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello")
    site.post("2026-01-20-draft", title="Draft", date="2026-01-20", draft="true")
    site.post("2026-07-01-later", title="Later", date="2026-07-01")
    comment(site, "draft", "a", "On a draft.", author="Early Bird")
    comment(site, "later", "b", "On a scheduled post.", author="Time Traveller")
    site.build()
    assert site.feed("comments/atom.xml").entries == []
    assert not [rel for rel, data in site.files().items() if b"Early Bird" in data or b"Time Traveller" in data]
