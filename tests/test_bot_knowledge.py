"""The knowledge base: all-or-nothing import with every bad row reported,
the demo store, `chatbot kb show/search`, and search that forgives typos,
missing accents, plurals and aliases."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chatbot import db
from chatbot.bot.store import knowledge, search
from chatbot.commands.bot import kb
from support.configs import toml_of
from support.servers import run, write_config

STORE = Path(__file__).parent / "data" / "teststore"
SAMPLE = Path(__file__).parent / "data" / "store-sample"   # a real store's files (data/store-sample/README.md)
HEADER = "sku,name,brand,category,unit,price,promo_price,wholesale_price,wholesale_min_qty,aliases\n"


@pytest.fixture
def loaded(conn):
    knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml")
    return conn


def test_import_loads_everything_and_keeps_copies(conn, cfg):
    summary = knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml", sources_dir=cfg.kb_sources_dir)
    assert summary["products"] == 40 and summary["faq"] == 6 and summary["version"] == 1
    assert summary["store"] == "Atacarejo Bom Preço"
    kbase = knowledge.load(conn)
    assert kbase.hours["sun"] == "08:00-12:30" and kbase.hours["holidays"] == "closed"
    assert kbase.delivery["fee"] == 7.5 and "Ondina" in kbase.delivery["areas"]
    whisky = knowledge.products(conn, "sku=?", ("1033",))[0]
    assert (whisky.price, whisky.promo_price) == (1379.90, 1299.90)
    assert (cfg.kb_sources_dir / "catalog.csv").read_bytes() == (STORE / "catalog.csv").read_bytes()
    assert (cfg.kb_sources_dir / "store.toml").read_bytes() == (STORE / "store.toml").read_bytes()
    assert knowledge.import_kb(conn, STORE / "catalog.csv", STORE / "store.toml")["version"] == 2


def test_sample_store_imports(conn):
    summary = knowledge.import_kb(conn, SAMPLE / "catalog.csv", SAMPLE / "store.toml")
    assert summary["products"] == 30 and summary["store"] == "Novo Atacarejo"


def test_demo_files_are_the_sample_store():
    catalog, store = knowledge.demo_sources()
    assert catalog.read_bytes() == (SAMPLE / "catalog.csv").read_bytes()
    assert store.read_bytes() == (SAMPLE / "store.toml").read_bytes()


def test_bad_rows_are_all_reported_and_old_data_stays(loaded, tmp_path):
    bad = tmp_path / "catalog.csv"
    bad.write_text(HEADER +
                   "1,Arroz 5kg,Camil,Mercearia,pacote,27.90,,,,arroz\n"
                   "2,Feijão,Camil,Mercearia,pacote,abc,,,,\n"              # line 3: price
                   "1,Outro,X,Y,un,1.00,,,,\n"                               # line 4: sku repeats
                   "3,Óleo,Soya,Mercearia,garrafa,7.99,8.50,,,\n"           # line 5: promo not below
                   "4,Sal,Cisne,Mercearia,pacote,2.99,,2.59,,\n"            # line 6: tier half given
                   "5,,Cisne,Mercearia,pacote,2.99,,,,\n"                   # line 7: no name
                   "6,Açúcar,União,Mercearia,pacote,5.00,,4.00,1,\n",       # line 8: min qty < 2
                   encoding="utf-8")
    with pytest.raises(knowledge.KBImportError) as info:
        knowledge.import_kb(loaded, bad, STORE / "store.toml")
    errors = info.value.errors
    for line, words in [(3, "price 'abc'"), (4, "repeats line 2"), (5, "promo_price"), (6, "go together"),
                        (7, "name is empty"), (8, "wholesale_min_qty")]:
        assert any(f"line {line}:" in e and words in e for e in errors), (line, errors)
    assert len(errors) == 6
    assert knowledge.version(loaded) == 1
    assert len(knowledge.products(loaded)) == 40      # the previous catalog is still in force


def test_store_errors_are_reported(loaded, tmp_path):
    store = tmp_path / "store.toml"
    text = (STORE / "store.toml").read_text(encoding="utf-8")
    store.write_text(text.replace('sun = "08:00-12:30"', 'sun = "8 às 12"')
                         .replace("fee = 7.50", 'fee = "sete"')
                         .replace("[wholesale]", "[wholesale]\nminimo = 3"), encoding="utf-8")
    with pytest.raises(knowledge.KBImportError) as info:
        knowledge.import_kb(loaded, STORE / "catalog.csv", store)
    msg = str(info.value)
    assert "[hours] sun" in msg and "[delivery] fee" in msg and "unknown key 'minimo'" in msg
    store.write_text("[store\nname = 1", encoding="utf-8")
    with pytest.raises(knowledge.KBImportError, match="invalid TOML"):
        knowledge.import_kb(loaded, STORE / "catalog.csv", store)
    assert knowledge.version(loaded) == 1


def test_wrong_columns_are_named(conn, tmp_path):
    bad = tmp_path / "catalog.csv"
    bad.write_text("sku,nomme,price\n1,Arroz,2.00\n", encoding="utf-8")     # "nome" is a known name now
    with pytest.raises(knowledge.KBImportError, match="missing column.*unknown column"):
        knowledge.import_kb(conn, bad, STORE / "store.toml")


@pytest.mark.parametrize("query, sku", [
    ("feijao preto", "1004"),          # no accents
    ("fejao pretu", "1004"),           # typos
    ("FEIJÃO PRETO", "1004"),
    ("carne seca", "1022"),            # alias
    ("jaba", "1022"),                  # alias without its accent
    ("bananas", "1025"),               # plural
    ("linguicas calabresa", "1019"),
    ("mussarela", None),               # not sold here
    ("heineken", "1029"),              # brand
    ("oleo de cozinha", "1006"),
])
def test_search_forgives_how_people_write(loaded, query, sku):
    result = search.Searcher(loaded).search(query)
    if sku is None:
        assert not result.matches and result.unknown
    else:
        assert result.best.product.sku == sku and result.best.complete, result


def test_search_index_follows_reimport(loaded, tmp_path):
    s = search.Searcher(loaded)
    assert not s.search("tapioca").matches
    catalog = tmp_path / "catalog.csv"
    shutil.copy(STORE / "catalog.csv", catalog)
    with open(catalog, "a", encoding="utf-8") as fh:
        fh.write("1041,Goma de Tapioca 1kg,Da Terra,Mercearia,pacote,9.90,,,,tapioca|goma\n")
    knowledge.import_kb(loaded, catalog, STORE / "store.toml")
    assert s.search("tapioca").best.product.sku == "1041"


def test_kb_commands(runner, cfg, tmp_path):
    path = write_config(tmp_path / "chatbot.toml", toml_of({"paths": {"state_dir": str(cfg.state_dir)},
                                                            "llm": {"enabled": False}}))
    args = ["--config", str(path)]
    out = runner.invoke(kb, ["show", *args], catch_exceptions=False)
    assert out.exit_code == 1 and "no knowledge base loaded" in out.output
    out = runner.invoke(kb, ["import", "--demo", *args], catch_exceptions=False)
    assert out.exit_code == 0 and "imported 30 products" in out.output and "version 1" in out.output
    out = runner.invoke(kb, ["show", *args], catch_exceptions=False)
    assert "Novo Atacarejo" in out.output and "Domingo: das 7h às 13h" in out.output
    out = runner.invoke(kb, ["search", "fejao", "--json", *args], catch_exceptions=False)
    assert json.loads(out.output)["matches"][0]["name"] == "Feijão Carioca Tipo 1 1kg"
    out = runner.invoke(kb, ["import", "--catalog", str(tmp_path / "nope.csv"), "--store",
                             str(STORE / "store.toml"), *args], catch_exceptions=False)
    assert out.exit_code == 1 and "nope.csv: cannot read" in out.output and "Traceback" not in out.output
    out = runner.invoke(kb, ["import", "--catalog", str(STORE / "catalog.csv"), *args], catch_exceptions=False)
    assert out.exit_code == 2


def test_kb_import_command_as_a_process(tmp_path):
    """The real bin/chatbot: errors are lines with line numbers, exit 1, no traceback."""
    cfg_path = write_config(tmp_path / "chatbot.toml", toml_of({"paths": {"state_dir": str(tmp_path / "state")},
                                                                "llm": {"enabled": False}}))
    bad = tmp_path / "catalog.csv"
    bad.write_text(HEADER + "1,Arroz,X,Y,pacote,1,2,,,\n2,Feijão,X,Y,pacote,,,,,\n", encoding="utf-8")
    done = run("chatbot", cfg_path, "kb", "import", "--catalog", str(bad), "--store", str(STORE / "store.toml"))
    assert done.returncode == 1, done.stderr
    assert "catalog.csv line 2: promo_price" in done.stderr and "catalog.csv line 3: price is empty" in done.stderr
    assert "Traceback" not in done.stderr
    done = run("chatbot", cfg_path, "kb", "import", "--catalog", str(STORE / "catalog.csv"),
               "--store", str(STORE / "store.toml"))
    assert done.returncode == 0 and "imported 40 products" in done.stdout
    conn = db.connect(tmp_path / "state" / "chatbot.db")
    assert knowledge.version(conn) == 1
