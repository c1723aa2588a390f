"""The project carries everything it reads: no test, fixture, script or module reaches a path outside the
repository (a fresh clone has nothing beside it). Static: every `Path(__file__)` climb (`.parents[N]`,
`.parent.parent…`), every literal path handed to `Path`/`open`, and the build scripts are checked against
the repository root. `.ci/run` proves the same at run time by testing a copy with nothing beside it."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".venv", ".git", "node_modules", "staticfiles", "test-artifacts", ".hypothesis", "__pycache__"}
# Files whose `../` strings are hostile input for the code under test, never paths the project reads.
HOSTILE_INPUT = {"tests/fuzz/webforms.py", "tests/fuzz/strategies.py", "tests/security/test_uploads.py"}
THIS_FILE = "tests/test_self_contained.py"  # names ../shared in its own examples
PATH_CALLS = {"Path", "open", "PurePath", "read_text", "read_bytes"}


def python_files():
    for path in sorted(ROOT.rglob("*.py")):
        if not SKIP_DIRS.intersection(path.relative_to(ROOT).parts):
            yield path


def inside(path: Path) -> bool:
    return path.resolve().is_relative_to(ROOT)


def climbs(tree: ast.AST, source: Path):
    """(line, target) for each `Path(__file__)`-based climb: `.parents[N]` and chains of `.parent`."""
    inner_links = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) \
                and node.value.attr == "parents" and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, int):
            parents = source.resolve().parents
            yield node.lineno, parents[node.slice.value] if node.slice.value < len(parents) else Path("/")
        if isinstance(node, ast.Attribute) and node.attr == "parent" and id(node) not in inner_links:
            depth, inner = 0, node
            while isinstance(inner, ast.Attribute) and inner.attr == "parent":
                inner_links.add(id(inner))
                depth, inner = depth + 1, inner.value
            # `.resolve().parent…`: the call sits between the chain and `Path(__file__)`.
            if "__file__" in ast.unparse(inner):
                target = source.resolve()
                for _ in range(depth):
                    target = target.parent
                yield node.lineno, target


def literal_paths(tree: ast.AST):
    """(line, text) for each string literal passed to a path-opening call that climbs or is absolute."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if func not in PATH_CALLS:
            continue
        for arg in node.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                    and (arg.value.startswith("..") or "/../" in arg.value or arg.value.startswith("/work")):
                yield node.lineno, arg.value


@pytest.mark.parametrize("path", list(python_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_python_file_reads_outside_the_repository(path):
    rel = str(path.relative_to(ROOT))
    tree = ast.parse(path.read_text(), filename=rel)
    outside = [f"line {line}: climbs to {target}" for line, target in climbs(tree, path) if not inside(target)]
    if rel not in HOSTILE_INPUT:
        outside += [f"line {line}: literal path {text!r}" for line, text in literal_paths(tree)]
    text = "" if rel == THIS_FILE else path.read_text()
    outside += [f"names ../shared (line {text[:m.start()].count(chr(10)) + 1})"
                for m in re.finditer(r"\.\./shared|[\"']shared[\"']\s*/", text)]
    assert not outside, f"{rel} reaches outside the repository: " + "; ".join(outside)


@pytest.mark.parametrize("name", ["Makefile", ".ci/run", "pyproject.toml", "Dockerfile", "docker-compose.yml"])
def test_build_scripts_stay_inside_the_repository(name):
    text = (ROOT / name).read_text()
    # `cd "$(dirname "$0")/.."` in .ci/run climbs from .ci/ to the root, which is inside.
    allowed = {'"$(dirname "$0")/.."'}
    hits = [line for line in text.splitlines()
            if ("../" in line or "/.." in line) and not any(a in line for a in allowed)]
    assert not hits, f"{name} names a path outside the repository: {hits}"


def test_the_climb_check_finds_a_climb_out(tmp_path):
    """The checker itself: a file that reads ../shared is caught (so the tests above can fail)."""
    source = ROOT / "tests" / "partners" / "x.py"
    tree = ast.parse('SAMPLES = Path(__file__).resolve().parents[3] / "shared"\n'
                     'B = Path(__file__).parent.parent.parent.parent')
    targets = [target for _, target in climbs(tree, source)]
    assert targets and not any(inside(t) for t in targets)
    tree = ast.parse('open("../../shared/x.xml")')
    assert list(literal_paths(tree)) == [(1, "../../shared/x.xml")]
