"""The floor plan, kept true: dependencies point down.

    demo/, bench/                           may import anything; nothing imports them
    opac/ tools/ integrations/ reports/     features: may import the sides and what is below
    borrowing/ lending/                     sides: register themselves in illdesk.sides (borrowing may use
                                            lending's inventory, never the other way round)
    partners/ letters/                      services: import only the core, never a side
    illdesk/                                core: imports no app of ours

Imports are read with `ast` (top level and inside functions alike), and so are `import_module("…")` calls;
migrations are history and are not checked. Between apps there is no circle."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE, SERVICES, SIDES = {"illdesk"}, {"partners", "letters"}, {"borrowing", "lending"}
FEATURES = {"opac", "tools", "integrations", "reports"}
TOP = {"demo", "bench"}
APPS = CORE | SERVICES | SIDES | FEATURES | TOP

ALLOWED = {
    **{app: set() for app in CORE},
    **{app: CORE | (SERVICES - {app}) for app in SERVICES},
    "borrowing": CORE | SERVICES | {"lending"},
    "lending": CORE | SERVICES,
    **{app: CORE | SERVICES | SIDES | (FEATURES - {app}) for app in FEATURES},
    **{app: APPS - {app} for app in TOP},
}


def imported_apps(path: Path) -> set[tuple[str, int]]:
    """(our app, line) for every absolute import in the file, and every import_module("…") of ours."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) \
                == "import_module" and node.args and isinstance(node.args[0], ast.Constant):
            names = [str(node.args[0].value)]
        for name in names:
            app = name.split(".")[0]
            if app in APPS:
                found.add((app, node.lineno))
    return found


def app_files(root: Path = ROOT):
    for app in sorted(APPS):
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield app, path


def violations(root: Path = ROOT) -> list[str]:
    bad = []
    for app, path in app_files(root):
        for other, line in sorted(imported_apps(path)):
            if other != app and other not in ALLOWED[app]:
                bad.append(f"{path.relative_to(root)}:{line} imports {other}")
    return bad


def app_graph(root: Path = ROOT) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {app: set() for app in APPS}
    for app, path in app_files(root):
        graph[app] |= {other for other, _line in imported_apps(path) if other != app}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append([*trail[trail.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    return found


def side_branches(root: Path = ROOT) -> list[str]:
    """`if side == "borrowing"`-style tests in the core and the services: they ask the registry instead."""
    bad = []
    for app, path in app_files(root):
        if app not in CORE | SERVICES:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                constants = [c.value for c in (node.left, *node.comparators) if isinstance(c, ast.Constant)]
                if SIDES & set(constants):
                    bad.append(f"{path.relative_to(root)}:{node.lineno} tests a side by name")
    return bad


def test_the_core_and_the_services_never_branch_on_a_side():
    assert not side_branches(), "\n".join(side_branches())


def test_dependencies_point_down():
    assert not violations(), "imports against the floor plan:\n" + "\n".join(violations())


def test_no_circle_between_apps():
    assert not circles(app_graph()), circles(app_graph())


@pytest.mark.parametrize(("app", "planted", "caught"), [
    ("illdesk", "from borrowing.models import BorrowingRequest\n", "imports borrowing"),
    ("partners", "def f():\n    from lending import actions\n", "imports lending"),
    ("letters", "import importlib\nimportlib.import_module('borrowing.views')\n", "imports borrowing"),
    ("lending", "from opac.actions import open_requests\n", "imports opac"),
])
def test_the_check_fails_on_a_forbidden_import(tmp_path, app, planted, caught):
    for name in APPS:
        (tmp_path / name).mkdir()
    (tmp_path / app / "planted.py").write_text(planted)
    assert any(caught in v for v in violations(tmp_path))


def test_the_check_finds_a_side_branch(tmp_path):
    for name in APPS:
        (tmp_path / name).mkdir()
    (tmp_path / "letters" / "planted.py").write_text("def f(side):\n    return 1 if side == 'lending' else 2\n")
    assert side_branches(tmp_path) == ["letters/planted.py:2 tests a side by name"]


def test_the_check_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
