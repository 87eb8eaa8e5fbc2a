"""Catalog files as stores really send them: an ERP's export with its own column names
in Windows-1252, and hostile workbooks (declared-dimension and unpack-size bombs)."""
from __future__ import annotations

import io
import zipfile

ERP_HEADER = "Código;Descrição;Marca;Seção;Un;Preço Venda;Preço Promoção;Preço Atacado;Qtd Atacado"
SECTIONS = ("Mercearia", "Bebidas", "Higiene e Perfumaria", "Açougue", "Hortifrúti", "Laticínios", "Limpeza")
BRANDS = ("Seleção", "Camil", "Tio João", "Nestlé", "Ypê", "Sadia", "Italac", "Pilão", "Omo", "Dona Benta")


def erp_rows(n: int, extra: str = "") -> list[str]:
    """``n`` products as the ERP writes them: ';', decimal commas, accents; every third on promotion."""
    out = []
    for i in range(n):
        price = 3 + (i * 37 % 9000) / 100
        promo = f"{price * 0.9:.2f}".replace(".", ",") if i % 3 == 0 else ""
        wholesale = f"{price * 0.93:.2f}".replace(".", ",") if i % 2 == 0 else ""
        qty = "12" if wholesale else ""
        out.append(f"789{i:010d};Produto Seleção Econômica Número {i} Embalagem Família Tradicional Pacote Grande 1kg;"
                   f"{BRANDS[i % len(BRANDS)]};{SECTIONS[i % len(SECTIONS)]};UN;{price:.2f}".replace(".", ",") +
                   f";{promo};{wholesale};{qty}{extra}")
    return out


def erp_catalog(n: int = 15_000, header: str = ERP_HEADER, extra: str = "") -> bytes:
    """The ERP's export: about 2 MB for 15,000 products, Windows-1252, CRLF."""
    return ("\r\n".join([header] + erp_rows(n, extra)) + "\r\n").encode("cp1252")


def small_xlsx(header: list, rows: list[list]) -> bytes:
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rewrite(data: bytes, member: str, change) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == member:
                body = change(body)
            dst.writestr(info.filename, body)
    return out.getvalue()


def dimension_bomb() -> bytes:
    """A tiny workbook whose sheet declares A1:XFD1048576 (16,384 columns by a million rows)."""
    import re
    data = small_xlsx(["sku", "name", "unit", "price"], [["1", "Arroz", "un", 5.5]])
    return _rewrite(data, "xl/worksheets/sheet1.xml",
                    lambda b: re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:XFD1048576"/>', b))


def unpack_bomb(megabytes: int = 100) -> bytes:
    """A workbook under 1 MB whose sheet unpacks to hundreds of MB (rows of empty cells)."""
    data = small_xlsx(["sku", "name", "unit", "price"], [["1", "Arroz", "un", 5.5]])
    row = b'<row r="3"><c r="A3"/><c r="B3"/><c r="C3"/><c r="D3"/></row>'
    filler = row * (megabytes * 1024 * 1024 // len(row))
    return _rewrite(data, "xl/worksheets/sheet1.xml", lambda b: b.replace(b"</sheetData>", filler + b"</sheetData>"))
