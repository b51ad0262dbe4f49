"""README.md and docs/*.md: relative links, anchors and images resolve; pages link both ways."""

from __future__ import annotations

from pathlib import Path
import re
import unicodedata

import pytest

REPO = Path(__file__).parents[1]
README = REPO / "README.md"
DOCS = REPO / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]

FENCE = re.compile(r"^(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+).*?\1")
# [text](target) and ![alt](target); the text may hold one level of brackets (a badge's image).
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks (a ``# comment`` in YAML is no heading)."""
    lines: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        if match := FENCE.match(line.lstrip()):
            marker = match[1][0] * 3
            fence = None if fence == marker else fence or marker
            continue
        if fence is None:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading (github-slugger).

    Lower case, punctuation dropped, each space a hyphen.
    """
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts by its text
    kept = "".join(
        char for char in text.lower() if char in " -_" or unicodedata.category(char)[0] in "LNM"
    )
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of ``page``; repeated headings numbered as GitHub does (``-1``…)."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for line in _prose_lines(page.read_text()):
        if match := HEADING.match(line):
            base = slug(match[2])
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[str]:
    """The targets of the links and images of ``page``, outside code."""
    return [
        target
        for line in _prose_lines(page.read_text())
        for target in LINK.findall(INLINE_CODE.sub("", line))
    ]


def broken_links(page: Path, root: Path = REPO) -> list[str]:
    """Each relative link of ``page`` whose file or heading anchor is missing, and why."""
    broken: list[str] = []
    for target in links(page):
        if EXTERNAL.match(target):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page.resolve()
        if root.resolve() not in file.parents:
            broken.append(f"{target}: outside the repository")
        elif not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and (file.suffix != ".md" or anchor not in anchors(file)):
            broken.append(f"{target}: no heading #{anchor} in {file.name}")
    return broken


def test_github_slugs() -> None:
    """Anchors as GitHub made them for the README's former table of contents."""
    assert slug("Météo-France observations") == "météo-france-observations"
    assert slug("Did shedding work?") == "did-shedding-work"
    assert slug("Wiring: normally open, normally closed") == "wiring-normally-open-normally-closed"
    assert slug("What it does, exactly") == "what-it-does-exactly"
    assert slug("Action `delestage.linky_import_history`") == "action-delestagelinky_import_history"
    assert slug("See [the RTE page](rte.md) (v5)") == "see-the-rte-page-v5"


def test_checker_finds_what_is_broken(tmp_path: Path) -> None:
    """The checker reports a missing file, anchor or image; not a link inside code."""
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other\n\n## Known limitations\n\n## Known limitations\n")
    page.write_text(
        "# Page\n\n"
        "[ok](other.md#known-limitations-1) [ok](#page) [web](https://example.org/x)\n"
        "[gone](missing.md) [bad anchor](other.md#nowhere) ![shot](shots/none.png)\n"
        "`[in code](nowhere.md)`\n\n```md\n[in a fence](nowhere.md)\n# not a heading\n```\n"
        "[not a heading](#not-a-heading)\n"
    )
    assert anchors(tmp_path / "other.md") == {"other", "known-limitations", "known-limitations-1"}
    assert broken_links(page, root=tmp_path) == [
        "missing.md: no such file",
        "other.md#nowhere: no heading #nowhere in other.md",
        "shots/none.png: no such file",
        "#not-a-heading: no heading #not-a-heading in page.md",
    ]
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "page.md").write_text("[up](../../secret.md)\n")
    assert broken_links(tmp_path / "inner" / "page.md", root=tmp_path) == [
        "../../secret.md: outside the repository"
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_links_resolve(page: Path) -> None:
    """Every relative link and image of the page exists, and every ``#anchor`` names a heading."""
    assert links(page), f"{page.name} links nowhere"
    assert broken_links(page) == []


@pytest.mark.parametrize("page", PAGES[1:], ids=lambda page: page.name)
def test_docs_page_links_back_to_the_readme(page: Path) -> None:
    assert "../README.md" in links(page)


def test_readme_links_every_docs_page() -> None:
    """No docs page is an orphan: the README's documentation table reaches each one."""
    linked = {(REPO / target.partition("#")[0]).resolve() for target in links(README)}
    assert [page.name for page in PAGES[1:] if page.resolve() not in linked] == []
