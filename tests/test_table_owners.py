"""One owner per table, and the map says who: every SQL write (INSERT, UPDATE,
DELETE, REPLACE) in lib/chatbot is in the module docs/ARCHITECTURE.md's table
of owners names for that table; the retention deletes of ops/maintenance.py
are the one exception the page names. The page is read, not copied here."""
from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib" / "chatbot"
PAGE = ROOT / "docs" / "ARCHITECTURE.md"
# "DO UPDATE SET" is an upsert's clause, not a second statement.
WRITE = re.compile(r"(?<!DO )\b(INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM|REPLACE\s+INTO)"
                   r"\s+([\w{}]+)")
RETENTION = "ops/maintenance.py"


def owners(page: str) -> dict[str, str]:
    """table -> module, from the "Tables and their owners" section's markdown table."""
    section = page.split("## Tables and their owners", 1)[1].split("\n## ", 1)[0]
    out = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        modules = re.findall(r"`([\w/]+\.py)`", cells[1])
        assert len(modules) == 1, f"one owner per row: {line}"
        for table in re.findall(r"`(\w+)`", cells[0]):
            assert table not in out, f"{table} has two rows"
            out[table] = modules[0]
    return out


def writes(source: str) -> list[tuple[str, str]]:
    """(verb, table) of every SQL write in the string literals of ``source``
    ("{}" for a table named by an f-string's expression)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        else:
            continue
        found += [(m.group(1).split()[0], m.group(2)) for m in WRITE.finditer(text)]
    return found


@functools.cache
def _writes_in(path: Path) -> list[tuple[str, str]]:
    return writes(path.read_text(encoding="utf-8"))


def strays(page: str) -> list[str]:
    table_owner = owners(page)
    assert f"`{RETENTION}`" in page.split("## Tables and their owners", 1)[1].split("\n## ", 1)[0]
    out = []
    for path in sorted(LIB.rglob("*.py")):
        module = path.relative_to(LIB).as_posix()
        for verb, table in _writes_in(path):
            if verb == "DELETE" and module == RETENTION:
                continue
            if table_owner.get(table) != module:
                out.append(f"{module}: {verb} {table} (owner: {table_owner.get(table, 'none on the page')})")
    return out


def test_every_write_is_in_its_owner_s_module():
    assert strays(PAGE.read_text(encoding="utf-8")) == []


def test_every_table_the_migrations_create_has_an_owner():
    created = set()
    for sql in (LIB / "migrations").glob("*.sql"):
        created |= set(re.findall(r"CREATE (?:VIRTUAL )?TABLE (?:IF NOT EXISTS )?(\w+)", sql.read_text()))
    assert created - set(owners(PAGE.read_text(encoding="utf-8"))) == set()


def test_the_check_sees_a_write_outside_the_owner_and_a_table_with_no_row():
    page = PAGE.read_text(encoding="utf-8")
    assert writes('c.execute("UPDATE handoffs SET x=1")') == [("UPDATE", "handoffs")]
    assert writes('c.execute(f"DELETE FROM {t} WHERE 1")') == [("DELETE", "{}")]
    assert writes('c.execute("INSERT INTO a (x) VALUES (1) ON CONFLICT(x) DO UPDATE SET x=2")') == [("INSERT", "a")]
    moved = page.replace("| `conversations`, `handoffs` | `bot/handoff.py`",
                         "| `conversations`, `handoffs` | `operators.py`")
    assert any(s.startswith("bot/handoff.py: UPDATE handoffs") for s in strays(moved))
    unlisted = re.sub(r"\n\| `backups` \|[^\n]*", "", page)
    assert "ops/backup.py: INSERT backups (owner: none on the page)" in strays(unlisted)
