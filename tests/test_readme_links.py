"""The README's headings have unique anchors, and every link to one (#anchor in the README, README.md#anchor
in the other Markdown files) names a heading that exists, slugged as GitHub does."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.M | re.S)
LINK = re.compile(r"\]\(([^)\s]*)#([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: inline markup dropped, lower case, punctuation other than '-' and '_'
    removed, each space a '-' (so "Kubernetes: Zero to JupyterHub" -> "kubernetes-zero-to-jupyterhub")."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # [text](url) -> text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").lower().strip()
    text = re.sub(r"[^\w\- ]", "", text)  # \w keeps letters and digits of every script, as GitHub does
    return text.replace(" ", "-")


def headings(markdown: str) -> list[str]:
    return [m.group(2).strip() for m in re.finditer(r"^(#{1,6})\s+(.+?)\s*#*\s*$", FENCE.sub("", markdown), re.M)]


def test_the_slug_follows_github():
    assert slug("Kubernetes: Zero to JupyterHub") == "kubernetes-zero-to-jupyterhub"
    assert slug("A tour of `mlp`") == "a-tour-of-mlp"
    assert slug("Deployment: one path per audience") == "deployment-one-path-per-audience"
    assert slug("Grading a class: collecting, grading and returning feedback") == \
        "grading-a-class-collecting-grading-and-returning-feedback"
    assert slug("E(θ) and σ′") == "eθ-and-σ"


def test_every_heading_of_the_readme_has_its_own_anchor():
    anchors = Counter(slug(h) for h in headings(README.read_text()))
    assert anchors, "no headings found in the README"
    twice = sorted(a for a, n in anchors.items() if n > 1)
    assert not twice, f"headings with the same anchor (GitHub would number them -1, -2, and links would miss): {twice}"


@pytest.mark.parametrize("path", [README] + sorted(p for p in ROOT.glob("*.md") if p != README), ids=lambda p: p.name)
def test_every_link_to_a_readme_anchor_finds_its_heading(path):
    anchors = {slug(h) for h in headings(README.read_text())}
    text = FENCE.sub("", path.read_text())
    targets = [(target, anchor) for target, anchor in LINK.findall(text)
               if (target == "" and path == README) or target in ("README.md", "./README.md")]
    if path == README:
        assert targets, "the README links none of its own sections: is LINK still right?"
    missing = sorted({f"{target}#{anchor}" for target, anchor in targets if anchor not in anchors})
    assert not missing, f"{path.name} links anchors that no heading of the README has: {missing}"
