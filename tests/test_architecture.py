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


FEATURES = {"accounts", "inbound", "points", "referrals", "segments", "campaigns"}
SHARED = {  # the few modules every feature of a layer stands on
    "services": set(),
    "rules": {"clock"},
    "bot/api": {"auth", "errors", "openapi", "outputs", "routes", "types"},
}


@pytest.mark.parametrize("layer", sorted(SHARED))
def test_layers_are_rooms_by_feature(layer):
    """Each layer is a package per feature, named as the others are, plus its few shared modules."""
    root = ROOT / layer
    packages = {p.name for p in root.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in root.glob("*.py")} - {"__init__"}
    assert packages <= FEATURES, sorted(packages - FEATURES)
    assert modules <= SHARED[layer], sorted(modules - SHARED[layer])
