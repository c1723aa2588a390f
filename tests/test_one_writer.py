"""One writer of status: `illdesk.workflow.run_transition` is used by the sides' actions and nothing else.

Staff pages, bulk, the scan station, the jobs, the OPAC, the ISO step engine and the demo reach a status
change through a side's action (`sides.of(req).transition` or a named action such as
`lending.actions.scheduled.auto_reject`), so each does what a staff action does: the lock, the history
row, the item and fulfilment released, the partner told. Any mention of the name counts — a call, an
import, a function passed around — so it cannot be smuggled in under another name."""

import ast
from pathlib import Path

from tests.test_layers import APPS, ROOT, app_files

WRITERS = {
    "illdesk/workflow.py",     # defines it
    "borrowing/actions.py",
    "borrowing/locate.py",     # the locate process is borrowing's action too
}
WRITER_PACKAGES = ("lending/actions/",)


def uses(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Name) and node.id == "run_transition" \
                or isinstance(node, ast.Attribute) and node.attr == "run_transition" \
                or isinstance(node, ast.alias) and node.name == "run_transition" \
                or isinstance(node, ast.Constant) and node.value == "run_transition":
            lines.append(getattr(node, "lineno", 0))
    return lines


def outside_writers(root: Path = ROOT) -> list[str]:
    bad = []
    for _app, path in app_files(root):
        rel = path.relative_to(root).as_posix()
        if rel in WRITERS or rel.startswith(WRITER_PACKAGES):
            continue
        bad += [f"{rel}:{line} uses run_transition" for line in uses(path)]
    return bad


def test_only_the_sides_actions_write_status():
    assert not outside_writers(), "status written outside the sides' actions:\n" + "\n".join(outside_writers())


def test_the_check_catches_a_call_an_import_and_an_alias(tmp_path):
    for name in APPS:
        (tmp_path / name).mkdir()
    (tmp_path / "tools" / "a.py").write_text("from illdesk import workflow\nworkflow.run_transition(x, 'y', by=None)\n")
    (tmp_path / "opac" / "b.py").write_text("from illdesk.workflow import run_transition as go\n")
    (tmp_path / "integrations" / "c.py").write_text("f = getattr(workflow, 'run_transition')\n")
    (tmp_path / "lending" / "actions").mkdir()
    (tmp_path / "lending" / "actions" / "ok.py").write_text("run_transition(x, 'y', by=None)\n")
    assert sorted(outside_writers(tmp_path)) == [
        "integrations/c.py:1 uses run_transition",
        "opac/b.py:1 uses run_transition",
        "tools/a.py:2 uses run_transition",
    ]
