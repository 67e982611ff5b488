from tests.conftest import SiteFolder


def test_a_post_becomes_a_page_with_its_disclaimer(site: SiteFolder):
    site.post("2026-01-15-hello", title="Hello", category="Work")
    site.build()
    page = site.html("2026/01/15/hello/")
    assert page.find("h1").get_text() == "Hello"
    assert page.select_one(".disclaimer").get_text(strip=True) == "Views are Ana Author's own, not Acme Corp's."
