"""chatbot orders list|show|export: the export is CSV for a Brazilian ERP (';', decimal comma,
UTF-8 with a BOM); a missing order or a bad date is one line and a non-zero exit."""
from __future__ import annotations

import csv
import io
import json

from chatbot.commands.main import cli
from support.servers import write_config
from support.configs import toml_of


def _config(tmp_path, cfg):
    return str(write_config(tmp_path / "c.toml", toml_of({"paths": {"state_dir": str(cfg.state_dir)},
                                                           "llm": {"enabled": False}})))


def test_list_show_export(tmp_path, cfg, shop, runner):  # noqa: F811
    path = _config(tmp_path, cfg)
    out = runner.invoke(cli, ["orders", "list", "--config", path])
    assert out.exit_code == 0 and out.output.startswith("0001 ") and "new" in out.output and "84.36" in out.output
    data = json.loads(runner.invoke(cli, ["orders", "list", "--json", "--config", path]).output)
    assert [o["number"] for o in data["orders"]] == [1]
    assert "no orders with status delivered" in runner.invoke(cli, ["orders", "list", "--status", "delivered",
                                                                   "--config", path]).output
    shown = runner.invoke(cli, ["orders", "show", "1", "--config", path])
    assert shown.exit_code == 0 and "Arroz Branco 5kg" in shown.output and "total 84.36" in shown.output
    missing = runner.invoke(cli, ["orders", "show", "9", "--config", path])
    assert missing.exit_code == 1 and missing.output.strip().endswith("no order 9")
    target = tmp_path / "pedidos.csv"
    done = runner.invoke(cli, ["orders", "export", "--output", str(target), "--config", path])
    assert done.exit_code == 0, done.output
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["pedido", "data", "situacao"] and len(rows) == 4
    first = dict(zip(rows[0], rows[1]))
    assert first["pedido"] == "0001" and first["produto"] == "Arroz Branco 5kg" and first["preco_unitario"] == "27,90"
    assert first["total"] == "84,36" and first["taxa_entrega"] == "6,00" and first["situacao"] == "Novo"
    bad = runner.invoke(cli, ["orders", "export", "--since", "ontem", "--config", path])
    assert bad.exit_code == 2 and "--since must be a date" in bad.output
    none = runner.invoke(cli, ["orders", "export", "--since", "2030-01-01", "--config", path])
    assert none.exit_code == 0 and none.output.count("\n") == 1
