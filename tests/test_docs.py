"""The docs keep up with the code: commands, code lists, import columns and tables."""

import re
from pathlib import Path

from server.cli import build_parser
from sync import codes, kinds
from sync.intake.kinds import KINDS
from sync.store.db import connect, migrate

ROOT = Path(__file__).resolve().parent.parent


def read(name: str) -> str:
    return (ROOT / name).read_text()


def test_every_cli_command_is_in_the_readme():
    readme = read("README.md")
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    for name in subparsers.choices:
        assert f"`doorstep {name}" in readme, name


def test_every_code_is_documented():
    data = read("docs/data.md")
    # Every code list in sync.codes: a new list without documentation fails here.
    lists = [
        v
        for name, v in vars(codes).items()
        if name.isupper() and isinstance(v, tuple | dict) and v and isinstance(next(iter(v)), str)
    ]
    assert len(lists) > 20
    for values in lists:
        for code in values:
            assert f"`{code}`" in data, code


def test_every_import_column_is_documented():
    formats = read("docs/import-formats.md")
    for name, kind in KINDS.items():
        section = formats.split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]
        for column in kind.row.fields:
            assert f"| `{column}` |" in section, (name, column)


def test_every_table_is_documented(tmp_path):
    db = connect(tmp_path / "d.db")
    migrate(db)
    data = read("docs/data.md")
    for table in db.table_names():
        if not table.startswith("_"):
            assert f"`{table}`" in data, table


def test_every_outbox_topic_is_declared_by_its_kind_and_documented():
    """The topics are the kinds' (sync.kinds); every event the code writes names one."""
    api = read("docs/api.md")
    declared = kinds.topics()
    for topic in declared:
        assert f"`{topic}`" in api, topic
    written = set()
    for path in (ROOT / "sync").rglob("*.py"):
        text = path.read_text()
        written |= set(re.findall(r'(?:event|outbox\.add)\([^"]*"([a-z]+\.[a-z_]+)"', text))
        written |= {f"promise.{s}" for s in ("kept", "broken") if 'f"promise.{status}"' in text}
    assert written and written <= set(declared), written - set(declared)


def test_every_document_is_linked_from_the_readme():
    readme = read("README.md")
    for doc in sorted((ROOT / "docs").glob("*.md")):
        assert f"(docs/{doc.name})" in readme, doc.name
