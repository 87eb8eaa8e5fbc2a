"""Customer texts built to hurt the template path: what a careless or hostile
customer can paste into WhatsApp (4,096 characters at most). Shared by the
tests (tests/test_bot_hostile.py) and the benchmark (bench/bench_bot.py)."""
from __future__ import annotations

import random

WHATSAPP_MAX = 4096      # the longest text message WhatsApp delivers

_GROCERIES = ["arroz tio joão 1kg", "feijão preto", "feijao carioca", "óleo de soja", "café santa clara",
              "açúcar refinado", "farinha de mandioca", "macarrão parafuso", "sardinha", "extrato de tomate",
              "biscoito cream cracker", "leite integral", "leite moça", "queijo coalho", "mortadela",
              "margarina", "calabresa", "linguiça toscana", "carne de sol", "charque", "frango",
              "ovos", "banana prata", "tomate", "cebola", "cerveja brahma", "heineken long neck",
              "detergente", "sabão em pó", "papel higiênico", "água sanitária", "refrigerante 2l",
              "pão de forma", "manteiga", "iogurte", "batata", "cenoura", "alho", "sal", "vinagre"]
_NOTES = ["(se não tiver, pode ser outra marca)", "o mais barato", "bem maduro", "sem lactose",
          "de preferência", "marca tanto faz", "se tiver em promoção", "pequeno", "grande", "pra hoje"]
_UNITS = ["", "kg", "pct", "un", "cx", "fardo", "lata", "garrafa", "litros", "g", "dz"]


def _fit(text: str, n: int) -> str:
    return text[:n]


def repeated_a1(n: int = WHATSAPP_MAX) -> str:
    """The issue's case: one long word of letters and digits inside a price question."""
    head, tail = "quanto custa o ", "?"
    return head + ("a1" * n)[:n - len(head) - len(tail)] + tail


def spaced_words(n: int = WHATSAPP_MAX, seed: int = 1) -> str:
    """Hundreds of distinct made-up words (each one a typo candidate) in a price question."""
    rnd = random.Random(seed)
    words = []
    while sum(len(w) + 1 for w in words) < n:
        words.append("".join(rnd.choice("abcdefghijlmnopqrstuvxz") for _ in range(rnd.randint(3, 9))))
    return _fit("quanto custa o " + " ".join(words), n - 1) + "?"


def money_like(n: int = WHATSAPP_MAX, seed: int = 2) -> str:
    """Digits, prices, hours, sizes and percents run together and apart."""
    rnd = random.Random(seed)
    pieces = ["R$", "R$1,99", "10reais", "5 kg", "12h30", "1.234,56", "99%", "3x", "7:45", "0,5l", "R$ 9,90",
              "100", "2", "centavos", "real", "1kg", "reais", "$", "45,00", "8h", "20", "h", "1.000.000"]
    out = "quanto custa "
    while len(out) < n:
        out += rnd.choice(pieces) + rnd.choice(["", " ", "  ", ",", "\n"])
    return _fit(out, n)


def long_word(n: int = WHATSAPP_MAX, seed: int = 3) -> str:
    """One word of 4,000 letters, no spaces (a typo-correction and stemming worst case)."""
    rnd = random.Random(seed)
    head = "vcs tem "
    return head + "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n - len(head) - 1)) + "?"


def accents_emoji(n: int = WHATSAPP_MAX, seed: int = 4) -> str:
    """Accents, combining marks, emoji with skin tones and ZWJ, flags, other scripts."""
    rnd = random.Random(seed)
    pieces = ["ção", "feijão", "açúcar", "é", "ô", "ü", "ñ", "a\u0301", "e\u0303\u0301", "😀", "👍🏽", "👨‍👩‍👧",
              "🇧🇷", "🔥", "ß", "ﬁ", "Ⅻ", "①", "٣", "日本", "ا", "\u200b", "óleo", "promoção", "entrega",
              "pãããão", "KKKKKK", "😂😂😂"]
    out = "oi "
    while len(out) < n:
        out += rnd.choice(pieces) + rnd.choice(["", " ", " ", "\n"])
    return _fit(out, n)


def shopping_list(n: int = WHATSAPP_MAX, seed: int = 5, lines: int = 60) -> str:
    """A pasted list: a greeting, 60 lines of quantity, unit, product and a note, the question at the very end."""
    rnd = random.Random(seed)
    head, question = "Bom dia! Segue minha lista da semana:", "Quanto fica tudo? Vocês entregam no Rio Vermelho?"
    width = (n - len(head) - len(question)) // lines - 1
    rows = [head]
    for i in range(lines):
        row = f"{i + 1}. {rnd.randint(1, 12)} {rnd.choice(_UNITS)} {rnd.choice(_GROCERIES)}".replace("  ", " ")
        while len(row) < width:
            row += " " + rnd.choice(_NOTES)
        rows.append(row[:width].rstrip())
    rows.append(question)
    return "\n".join(rows)


def many_products(n: int = WHATSAPP_MAX, seed: int = 6) -> str:
    """Products joined by "e" and commas: each piece is searched on its own."""
    rnd = random.Random(seed)
    out = "qual o preço do "
    while len(out) < n:
        out += rnd.choice(_GROCERIES) + rnd.choice([" e ", ", ", " ou ", " mais ", "; "])
    return _fit(out, n - 1) + "?"


SHAPES = {
    "repeated \"a1\"": repeated_a1,
    "spaced words": spaced_words,
    "digits and money-like tokens": money_like,
    "one very long word": long_word,
    "accents and emoji": accents_emoji,
    "pasted 60-line shopping list": shopping_list,
    "products joined by e/ou/commas": many_products,
}
