"""What an import did, counted and listed so nothing is dropped silently."""

from __future__ import annotations

from dataclasses import dataclass

from generator.errors import Problem
from generator.importers.siteyaml import SiteYamlChange
from generator.importers.writer import WriteOutcome


@dataclass(frozen=True)
class ImportReport:
    posts: int
    pages: int
    drafts: int
    scheduled: int
    comments: tuple[tuple[str, int], ...]
    skipped: tuple[tuple[str, int], ...]
    kept_html: tuple[str, ...]
    remote_media: tuple[str, ...]
    copied_media: int
    redirected_archives: tuple[str, ...]
    lost_archives: tuple[str, ...]
    warnings: tuple[Problem, ...]
    files: WriteOutcome
    site_yaml: SiteYamlChange
    dry_run: bool

    def lines(self) -> list[str]:
        """The report as the command prints it, most important first."""
        verb = "Would import" if self.dry_run else "Imported"
        comments = ", ".join(f"{count} {kind}s" for kind, count in self.comments) or "no comments"
        lines = [f"{verb} {self.posts} posts ({self.drafts} drafts, {self.scheduled} scheduled), "
                 f"{self.pages} pages, {comments}."]
        lines += [f"skipped: {count} {reason}" for reason, count in self.skipped]
        files = self.files
        lines.append(f"files: {len(files.created)} new, {len(files.updated)} updated, {len(files.unchanged)} unchanged, "
                     f"{len(files.kept_edited)} left alone because you edited them")
        lines += [f"kept your edited file: {rel}" for rel in files.kept_edited]
        change = self.site_yaml
        if change.added or change.replaced:
            lines.append(f"site.yaml: added {', '.join(change.added) or 'nothing'}"
                         + (f"; replaced {', '.join(change.replaced)}" if change.replaced else ""))
        if change.kept:
            lines.append(f"site.yaml: kept your {', '.join(change.kept)} (use --force to replace them)")
        if self.copied_media:
            lines.append(f"media: {self.copied_media} files copied from --uploads into content/static/")
        if self.remote_media:
            lines.append(f"media: {len(self.remote_media)} files left on the old server (pass --uploads to copy them):")
            lines += [f"  {url}" for url in self.remote_media]
        if self.redirected_archives:
            lines.append("archive addresses that change, redirected by `redirects` in site.yaml (with their feeds):")
            lines += [f"  {move}" for move in self.redirected_archives]
        if self.lost_archives:
            lines.append("archives no imported post uses any more (not redirected; old links to them will 404):")
            lines += [f"  {old}" for old in self.lost_archives]
        if self.kept_html:
            lines.append(f"kept as HTML or changed, worth a look ({len(self.kept_html)}):")
            lines += [f"  {note}" for note in self.kept_html]
        if self.dry_run:
            lines.append("dry run: nothing was written.")
        return lines
