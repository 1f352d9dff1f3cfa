"""Customer-facing Chinese uses full-width punctuation (，：；！？（）), never , : ; ! ? ( ) next to a
Chinese character: the chat replies and messages in rules/ and bot/ (not the console or the API), and
the customer H5 templates."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HALF = re.compile(r"[\u3400-\u9fff][,:;!?()]|[,:;!?()][\u3400-\u9fff]")
PYTHON = ("rules", "bot/handlers", "bot/h5", "bot/dispatch.py", "bot/views.py")
TEMPLATES = ROOT / "templates" / "h5"
SKIPPED: set[str] = set()  # none: every customer template is held to it
PATTERN_CALLS = {"compile", "command", "match", "search", "fullmatch"}  # what a customer types, not reads


def unread(tree: ast.AST) -> set[int]:
    """Strings no customer reads: docstrings and the patterns their messages are matched with."""
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in PATTERN_CALLS:
                found |= {id(sub) for arg in node.args for sub in ast.walk(arg)}
    return found


def python_files() -> list[Path]:
    out: list[Path] = []
    for name in PYTHON:
        path = ROOT / name
        out += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return out


def half_width(source: str) -> list[tuple[int, str]]:
    """(line, string) of each string in the source a customer reads with half-width punctuation."""
    tree = ast.parse(source)
    skip = unread(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and HALF.search(node.value)
    ]


def customer_templates() -> list[Path]:
    return [
        p
        for p in sorted(TEMPLATES.rglob("*.html"))
        if "console" not in p.relative_to(TEMPLATES).parts
        and not any(p.relative_to(TEMPLATES).match(skip) for skip in SKIPPED)
    ]


def test_chat_replies_and_messages_use_full_width_punctuation() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in python_files()
        for line, text in half_width(path.read_text())
    ]
    assert found == []


@pytest.mark.parametrize("path", customer_templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_customer_templates_use_full_width_punctuation(path: Path) -> None:
    lines = path.read_text().splitlines()
    assert [f"{n}: {line.strip()}" for n, line in enumerate(lines, 1) if HALF.search(line)] == []


def test_the_scan_finds_half_width_punctuation() -> None:
    source = (
        '"""文档,不算。"""\nimport re\nOK = "签到成功，已连续 3 天"\nBAD = f"补签成功({n}),消耗"\n'
        'PATTERN = re.compile(r"^(积分|我的积分)$")\n'
    )
    assert [line for line, _ in half_width(source)] == [4, 4]  # the f-string's two parts
    assert {p.name for p in customer_templates()} >= {"invite.html", "campaign.html", "_follow.html"}
    assert {"member.html", "catalogue.html", "base.html"} <= {p.name for p in customer_templates()}
