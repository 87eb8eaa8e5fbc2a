"""The import's reasons for refusing a row (English, shared with the CLI and the
logs) as store staff read them on /admin/catalog (pt-BR)."""
from __future__ import annotations

import re

from ..bot.store import catalog_file

FIELDS = {"price": "preço", "promo_price": "preço de promoção", "wholesale_price": "preço de atacado",
          "wholesale_min_qty": "quantidade mínima de atacado", "name": "nome", "unit": "unidade", "sku": "código (sku)",
          "promo_start": "início da promoção", "promo_end": "fim da promoção"}

_RULES = [
    (r"sku (.+) repeats line (\d+)", lambda m: f"código {m[1]} repetido (já aparece na linha {m[2]})"),
    (r"(\w+) is empty", lambda m: f"{_f(m[1])} vazio"),
    (r"(\w+) ('.*') is not a price .*", lambda m: f"{_f(m[1])} {m[2]} não é um preço (escreva 8,49)"),
    (r"(\w+) must be greater than zero", lambda m: f"{_f(m[1])} deve ser maior que zero"),
    (r"wholesale_min_qty ('.*') must be .*", lambda m: f"quantidade mínima de atacado {m[1]} deve ser um número"
                                                       " inteiro, 2 ou mais"),
    (r"promo_price (\S+) is not below price (\S+)", lambda m: f"preço de promoção {_m(m[1])} não é menor que o preço"
                                                              f" {_m(m[2])}"),
    (r"wholesale_price (\S+) is not below price (\S+)", lambda m: f"preço de atacado {_m(m[1])} não é menor que o"
                                                                  f" preço {_m(m[2])}"),
    (r"wholesale_price and wholesale_min_qty go together.*",
     lambda m: "preço de atacado e quantidade mínima vão juntos (preencha os dois ou nenhum)"),
    (r"promo_start and promo_end need a promo_price", lambda m: "datas de promoção sem preço de promoção"),
    (r"promo_end (\S+) is before promo_start (\S+)",
     lambda m: f"a promoção termina ({m[1]}) antes de começar ({m[2]})"),
    (r"(\w+) ('.*') is not a date .*", lambda m: f"{_f(m[1])} {m[2]} não é uma data (escreva 06/12/2026)"),
    (r"more fields than columns \(quote names that contain (.*)\)",
     lambda m: f"mais campos que colunas (ponha entre aspas os nomes que têm {m[1]})"),
    (r"fewer fields than columns", lambda m: "menos campos que colunas"),
    (r"the catalog has no products", lambda m: "o arquivo não tem nenhum produto"),
    (r"neither UTF-8 nor Windows-1252.*", lambda m: "o arquivo não é texto UTF-8 nem do Excel (Windows-1252):"
                                                    " salve como 'CSV UTF-8' ou como .xlsx"),
    (r"not a readable \.xlsx workbook.*", lambda m: "não é uma planilha .xlsx que dê para abrir"),
    (r"starts with a UTF-8 BOM but is not UTF-8.*", lambda m: "o arquivo diz ser UTF-8 mas não é: salve de novo"),
    (r"(?:line \d+: )?not a readable CSV file.*", lambda m: "não é um arquivo CSV legível"),
    (r"((?:missing|unknown) column\(s\) .*|a column name repeats.*)", lambda m: _columns(m[1])),
    (r"this is a PDF file, not a spreadsheet.*", lambda m: "este arquivo é um PDF, não uma planilha: exporte o"
                                                           " catálogo do sistema como CSV ou salve como .xlsx"),
    (r"this is an old Excel \.xls workbook.*", lambda m: "esta é uma planilha .xls antiga: no Excel, use"
                                                         " 'Salvar como' e escolha .xlsx ou CSV"),
    (r"this is a LibreOffice \.ods spreadsheet.*", lambda m: "esta é uma planilha do LibreOffice (.ods): salve"
                                                             " como .xlsx ou CSV"),
    (r"this is an image, not a spreadsheet.*", lambda m: "este arquivo é uma imagem, não uma planilha"),
    (r"this is a Word/RTF document.*", lambda m: "este arquivo é um documento de texto, não uma planilha"),
    (r"not a text file \(binary content\).*", lambda m: "este arquivo não é uma planilha nem um CSV: exporte o"
                                                          " catálogo do sistema como CSV ou salve como .xlsx"),
    (r"more than (\d+) rows.*", lambda m: f"o arquivo tem mais de {_n(m[1])} linhas: divida em partes"),
    (r"the workbook unpacks to .*", lambda m: "a planilha é grande demais depois de descompactada: salve como CSV"),
    (r"the workbook took more than .*", lambda m: "a planilha demorou demais para ser lida: salve como CSV"),
    (r"the workbook needs too much memory.*", lambda m: "a planilha precisa de memória demais: salve como CSV"),
    (r"the header has (\d+) columns.*", lambda m: f"o cabeçalho tem {m[1]} colunas (no máximo 200)"),
]
_COMPILED = [(re.compile(p + "$"), f) for p, f in _RULES]


def _n(digits: str) -> str:
    return f"{int(digits):,}".replace(",", ".")


def _columns(text: str) -> str:
    """The column problems with the names staff use (Código, Preço...), not the fields'."""
    labels = catalog_file.LABELS
    parts = []
    for part in text.split(" (")[0].split("; "):
        if part.startswith("missing column(s) "):
            names = [labels.get(f, f) for f in part.removeprefix("missing column(s) ").split(", ")]
            parts.append(("falta a coluna " if len(names) == 1 else "faltam as colunas ") + ", ".join(names))
        elif part.startswith("unknown column(s) "):
            names = part.removeprefix("unknown column(s) ").split(", ")
            parts.append(("coluna desconhecida: " if len(names) == 1 else "colunas desconhecidas: ")
                         + ", ".join(names))
        elif part.startswith("a column name repeats"):
            parts.append("há duas colunas com o mesmo nome")
    required = ", ".join(labels[f] for f in catalog_file.REQUIRED_FIELDS)
    optional = ", ".join(labels[f] for f in catalog_file.FIELDS if f not in catalog_file.REQUIRED_FIELDS)
    return f"{'; '.join(parts)} (obrigatórias: {required}; opcionais: {optional})"


def _f(key: str) -> str:
    return FIELDS.get(key, key)


def _m(value: str) -> str:
    return value.replace(".", ",")


def motivo(reason: str) -> str:
    for rx, render in _COMPILED:
        m = rx.match(reason)
        if m:
            return render(m)
    return reason
