"""The layers hold: imports run one way (docs/architecture.md), Flask stays in server/,
and no module outgrows its seams."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
# sync/'s layers, lowest first: a module may import its own layer and those below.
LAYERS = {
    "sync.checks": 0,
    "sync.clock": 0,
    "sync.codes": 0,
    "sync.errors": 0,
    "sync.ids": 0,
    "sync.memory": 0,
    "sync.store": 1,
    "sync.access": 2,
    "sync.protocol": 3,
    "sync.records": 4,
    "sync.intake": 5,
    "sync.casework": 5,
    "sync.kinds": 5,
    "sync.push": 5,
    "sync.pull": 5,
    "sync.retention": 5,
    "sync.demo": 6,
}
PRODUCT = ("server", "sync", "routing", "schemas")
WEB = ROOT / "server" / "web"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module this file imports, wherever in it (inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def layer(name: str) -> int | None:
    for prefix, number in LAYERS.items():
        if name == prefix or name.startswith(prefix + "."):
            return number
    return None


def modules(package: str):
    return sorted((ROOT / package).rglob("*.py"))


def test_every_sync_module_has_a_layer():
    assert [module_name(p) for p in modules("sync") if layer(module_name(p)) is None] == ["sync"]


@pytest.mark.parametrize("path", modules("sync"), ids=module_name)
def test_sync_imports_run_one_way(path):
    mine = layer(module_name(path))
    if mine is None:
        return
    upward = sorted(
        name for name in imports(path) if (theirs := layer(name)) is not None and theirs > mine
    )
    assert not upward, f"{module_name(path)} (layer {mine}) imports upward: {upward}"


def test_only_server_imports_flask_and_nothing_imports_server():
    for package in ("sync", "routing", "schemas"):
        for path in modules(package):
            names = imports(path)
            assert not any(n == "flask" or n.startswith("flask.") for n in names), path
            assert not any(n == "server" or n.startswith("server.") for n in names), path
    for path in modules("routing"):
        assert not any(n.startswith(("sync", "schemas")) for n in imports(path)), path


def test_no_product_module_outgrows_its_seams():
    """500 lines at most (the append-only migrations excepted), the web apps too; tests
    700."""
    product = [path for package in PRODUCT for path in modules(package)]
    too_long = [
        (str(path.relative_to(ROOT)), n)
        for path in [*product, *WEB.rglob("*.js")]
        if path.name != "migrations.py" and (n := len(path.read_text().splitlines())) > 500
    ]
    too_long += [
        (str(path.relative_to(ROOT)), n)
        for path in modules("tests")
        if (n := len(path.read_text().splitlines())) > 700
    ]
    assert not too_long, too_long


def test_the_formatter_owns_the_layout():
    marked = [
        str(path.relative_to(ROOT))
        for package in (*PRODUCT, "tests", "bench")
        for path in modules(package)
        if "# fmt" + ": off" in path.read_text()
    ]
    assert not marked, marked
    skips = {
        package: sum(path.read_text().count("# fmt" + ": skip") for path in modules(package))
        for package in (*PRODUCT, "tests", "bench")
    }
    assert sum(skips[p] for p in PRODUCT) <= 10, skips
    assert skips["tests"] + skips["bench"] <= 20, skips
