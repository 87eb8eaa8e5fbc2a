"""The library's modules import each other in one direction: no cycles.

A cycle hides behind a function-level import until the day the order of
imports changes; every import is counted here, wherever it sits. And the
tests take their helpers from tests/support/, never from another test module.
"""
import ast
from pathlib import Path

LIB = Path(__file__).resolve().parents[1] / "lib"


def _modules() -> dict[str, Path]:
    found = {}
    for path in LIB.rglob("*.py"):
        parts = path.relative_to(LIB).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            # "from . import x" names a module; "from .m import f" names m.
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in modules else mod for a in node.names]
        else:
            continue
        out.update(t for t in targets if t in modules and t != name)
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert "chatbot.db" in graph["chatbot.web.db"]          # the walk sees imports at all
    assert cycles(graph) == []


def test_the_walk_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


TESTS = LIB.parent / "tests"


def imports_of_test_modules(folder: Path) -> list[str]:
    """Where a file under ``folder`` imports a test module (test_*). conftest's old names are
    tolerated until the branches written before tests/support/ are merged (see conftest.py)."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            found += [f"{path.relative_to(folder)}: {n}" for n in names
                      if n.split(".")[0].startswith("test_")]
    return found


def test_no_test_module_imports_another():
    """A helper two test modules need lives in tests/support/ (docs/ARCHITECTURE.md, "A test helper")."""
    assert imports_of_test_modules(TESTS) == []


def test_the_walk_finds_a_test_module_imported(tmp_path):
    (tmp_path / "test_a.py").write_text("def test_x():\n    from test_worker import FixedBot\n")
    (tmp_path / "test_b.py").write_text("from support.worker import FixedBot\nimport test_a\n")
    assert imports_of_test_modules(tmp_path) == ["test_a.py: test_worker", "test_b.py: test_a"]


ARCHITECTURE = LIB.parent / "docs" / "ARCHITECTURE.md"


def unlisted_bot_modules(page: str, bot: Path) -> list[str]:
    """The modules of bot/ and its rooms that docs/ARCHITECTURE.md's row for their room does not name."""
    rows = {}
    for line in page.splitlines():
        if line.startswith("| `bot/"):
            room, what = line[3:].split("` |", 1)
            rows[room.rstrip("/")] = what
    missing = []
    for path in sorted(bot.rglob("*.py")):
        if path.name == "__init__.py":
            continue
        room = "/".join(("bot",) + path.relative_to(bot).parent.parts)
        if f"`{path.name}`" not in rows.get(room, ""):
            missing.append(f"{room}/{path.name}")
    return missing


def test_every_module_of_the_bot_is_named_in_its_rooms_row():
    """bot/ is in rooms (reading, answering, the store's knowledge, the models); a module added to one
    is named in that room's row of docs/ARCHITECTURE.md, so the page says where things go."""
    assert unlisted_bot_modules(ARCHITECTURE.read_text(encoding="utf-8"), LIB / "chatbot" / "bot") == []


def test_a_module_missing_from_its_rooms_row_is_named(tmp_path):
    (tmp_path / "store").mkdir()
    for name in ("pipeline.py", "store/search.py", "store/new.py", "store/__init__.py"):
        (tmp_path / name).write_text("")
    page = "| `bot/` | `pipeline.py` |\n| `bot/store/` | finding products (`search.py`) |\n"
    assert unlisted_bot_modules(page, tmp_path) == ["bot/store/new.py"]
