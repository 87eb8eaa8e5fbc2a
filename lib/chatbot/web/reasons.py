"""The import's reasons for refusing a row (English, shared with the CLI and the
logs) as store staff read them on /admin/catalog (pt-BR)."""
from __future__ import annotations

import re

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
    (r"(missing column\(s\) .*|unknown column\(s\) .*)",
     lambda m: "colunas erradas: " + m[1].replace("missing column(s)", "faltam").replace(
         "unknown column(s)", "desconhecidas").replace("a column name repeats", "uma coluna se repete")
         .replace("expected:", "esperadas:").replace("optional:", "opcionais:")),
]
_COMPILED = [(re.compile(p + "$"), f) for p, f in _RULES]


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
