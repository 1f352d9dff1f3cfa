"""The never-arrows: which package may import which (STYLE.md §2)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STDLIB_ONLY = {"rules"}
FORBIDDEN = {
    "rules": {
        "flask",
        "redis",
        "rq",
        "sqlalchemy",
        "wechatpy",
        "models",
        "services",
        "bot",
        "tasks",
        "wechat",
    },
    "models": {"flask", "redis", "rq", "wechatpy", "services", "bot", "tasks", "wechat"},
    "services": {"flask", "redis", "rq", "wechatpy", "bot", "tasks", "wechat"},
    "tasks": {"flask", "bot"},
    "wechat": {"flask", "bot", "services", "tasks", "models"},
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_never_imports_what_it_must_not(package):
    files = list((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    for path in files:
        bad = imported_roots(path) & FORBIDDEN[package]
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_rules_import_the_standard_library_only():
    import sys

    allowed = set(sys.stdlib_module_names) | {"rules", "__future__"}
    for path in (ROOT / "rules").rglob("*.py"):
        extra = imported_roots(path) - allowed
        assert not extra, f"{path.relative_to(ROOT)} imports {sorted(extra)}"
