"""The documentation shipped with the code: every link of the README and of docs/ leads to a page (and a heading)
that exists in the repository, and none leads outside it (users have no design folder beside their checkout)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_slug(line.lstrip("#")) for line in page.read_text().splitlines() if line.startswith("#")}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_link_stays_in_the_repository_and_resolves(page):
    broken = []
    for target in LINK.findall(page.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _hash, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if ROOT not in resolved.parents and resolved != ROOT:
            broken.append((target, "outside the repository"))
        elif not resolved.exists():
            broken.append((target, "missing"))
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append((target, "no such heading"))
    assert broken == []


def test_the_readme_points_at_the_docs_and_never_at_the_design_folder():
    readme = (ROOT / "README.md").read_text()
    assert "shared/design" not in readme and "STYLE.md" not in readme
    assert "](docs/README.md)" in readme
    for page in PAGES:
        assert "../shared" not in page.read_text(), page.name
