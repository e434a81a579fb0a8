# SPDX-License-Identifier: MIT
"""The repository explains itself: the README's Python examples run, every relative link in
README.md and docs/*.md points to a file of the repository (so it resolves in a fresh clone),
every ``#anchor`` to a heading of the page it names (GitHub's slugs), and the commands,
scripts, flags and records those pages and results/*.md quote exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)  # code is not markdown: `[ψ⋆f](R)`
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: the pages that quote commands and records: also the study reports and plans of results/
ALL_PAGES = [*PAGES, *sorted((ROOT / "results").glob("*.md"))]


def _slugs(page: Path) -> set[str]:
    """GitHub's anchors of the page's headings: lower case, punctuation dropped, spaces → '-'."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    heads = re.findall(r"^#+\s+(.*?)\s*$", text, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in heads}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    text = _CODE.sub("", page.read_text(encoding="utf-8"))
    links = [m for m in _LINK.findall(text) if "://" not in m]
    assert page.name != "README.md" or len(links) >= 3  # the image and the two docs pages
    split = [(link, *link.partition("#")[::2]) for link in links]  # (link, file, anchor)
    missing = [
        link for link, path, _ in split
        if path and not (page.parent / path).resolve().is_file()
    ]  # fmt: skip
    assert not missing, f"{page.name}: links to missing files {missing}"
    bad = [
        link for link, path, anchor in split
        if anchor and anchor not in _slugs((page.parent / path).resolve() if path else page)
    ]  # fmt: skip
    assert not bad, f"{page.name}: links to headings that do not exist {bad}"


def test_readme_points_to_the_design_and_the_map():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/design.md" in text and "docs/extending.md" in text


def _spec_classes() -> list[type]:
    from gconv.data import DataSpec
    from gconv.experiments import StudySpec, TaskSpec
    from gconv.experiments._spec import Arm, Budget
    from gconv.models import ModelSpec

    return [ModelSpec, DataSpec, TaskSpec, Arm, Budget, StudySpec]


@pytest.mark.parametrize("cls", _spec_classes(), ids=lambda c: c.__name__)
def test_extending_lists_every_field_of_the_registry_dataclasses(cls: type) -> None:
    """docs/extending.md quotes each spec as a dataclass block; a field added to the code and
    not to the page fails here."""
    import dataclasses

    text = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
    block = re.search(rf"class {cls.__name__}:.*?(?=\n\n|\nclass |\n```)", text, flags=re.S)
    assert block, f"docs/extending.md has no `class {cls.__name__}:` block"
    missing = [
        f.name for f in dataclasses.fields(cls) if not re.search(rf"\b{f.name}:", block.group(0))
    ]
    assert not missing, f"docs/extending.md's {cls.__name__} lacks the fields {missing}"


def _python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("index", range(len(_python_blocks(ROOT / "README.md"))))
def test_readme_python_examples_run(index: int) -> None:
    """The README's examples are programs: each runs as written, in a fresh namespace."""
    code = _python_blocks(ROOT / "README.md")[index]
    exec(compile(code, f"README.md python block {index}", "exec"), {"__name__": "readme"})  # noqa: S102


_RUNNABLE = "# runs as written"


@pytest.mark.parametrize("page", sorted((ROOT / "docs").glob("*.md")), ids=lambda p: p.name)
def test_docs_examples_marked_runnable_run(page: Path) -> None:
    """Examples in docs/ that open with ``# runs as written`` run as written, in a fresh
    namespace (the other blocks there are signatures or fragments)."""
    for index, code in enumerate(_python_blocks(page)):
        if code.startswith(_RUNNABLE):
            name = f"{page.name} python block {index}"
            exec(compile(code, name, "exec"), {"__name__": "docs"})  # noqa: S102


def test_extending_holds_a_runnable_example() -> None:
    assert any(c.startswith(_RUNNABLE) for c in _python_blocks(ROOT / "docs" / "extending.md"))


_SCRIPT = re.compile(r"`[^`]*?python3? ((?:scripts|benchmarks)/[\w./-]+\.py)([^`]*)`")


def test_quoted_scripts_exist_and_take_their_flags() -> None:
    """``python scripts/….py --flag …`` and ``benchmarks/…`` quoted in README, docs/ and
    results/*.md: the script exists and its source names every quoted flag."""
    seen = 0
    for page in ALL_PAGES:
        text = page.read_text(encoding="utf-8")
        for script, rest in _SCRIPT.findall(text):
            seen += 1
            path = ROOT / script
            assert path.is_file(), f"{page.name}: {script} does not exist"
            source = path.read_text(encoding="utf-8")
            for flag in re.findall(r"(?<!\S)(--[a-z][\w-]*)", rest):
                assert f'"{flag}"' in source or f"'{flag}'" in source, (
                    f"{page.name}: {script} takes no {flag}"
                )
    assert seen > 20


_RECORD = re.compile(
    r"`((?:results|docs|benchmarks|scripts)/[^`\s…*{}<>]+\.(?:txt|md|csv|json|png|py))`"
)


#: what a documented command would write, named before it ever ran (no CIFAR-10 copy here)
NOT_YET_WRITTEN = {"results/cifar10.csv", "results/cifar10.md"}


def test_quoted_records_exist() -> None:
    """Every record a page cites by its full path (``results/bench/….txt``, a curve CSV, a
    report) is committed: a figure's source can be opened."""
    paths = {(page.name, m) for page in ALL_PAGES for m in _RECORD.findall(page.read_text("utf-8"))}
    assert len(paths) > 50
    missing = sorted(
        (page, p) for page, p in paths if not (ROOT / p).exists() and p not in NOT_YET_WRITTEN
    )
    assert not missing, f"cited but not in the repository: {missing}"
    # records cited by file name alone (``spherical_ab-2026-12-01-ffbedb3.txt``): under results/
    dated = re.compile(r"`([\w.-]+-20\d\d-\d\d-\d\d[\w.-]*\.(?:txt|csv|json|md))`")
    names = {(page.name, m) for page in ALL_PAGES for m in dated.findall(page.read_text("utf-8"))}
    have = {p.name for p in (ROOT / "results").rglob("*")}
    assert names and not sorted(n for n in names if n[1] not in have), names - {
        n for n in names if n[1] in have
    }


def _documented_commands() -> list[tuple[str, str]]:
    """Every ``gconv …`` command quoted in the README, docs/ and results/*.md: (page, text)."""
    found = []
    for page in ALL_PAGES:
        for m in re.finditer(r"`(gconv [^`]*)`", page.read_text(encoding="utf-8")):
            found.append((page.name, " ".join(m.group(1).split())))
    return found


def test_every_documented_command_and_flag_exists() -> None:
    """The docs quote commands, often as fragments (``gconv study``): each names a command of
    ``build_parser`` and only flags that command takes (a renamed flag fails here)."""
    import argparse

    from gconv.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    commands = _documented_commands()
    assert len(commands) > 30
    for page, text in commands:
        words = text.split()[1:]
        if not words or words[0].startswith("-") or words[0] in ("...", "…"):
            continue  # gconv --help, gconv ...
        assert words[0] in sub.choices, f"{page}: {text!r}: no command {words[0]!r}"
        flags = {s for a in sub.choices[words[0]]._actions for s in a.option_strings}
        for w in words[1:]:
            if w.startswith("--"):
                assert w.split("=")[0] in flags, f"{page}: {text!r}: {words[0]} has no {w}"
