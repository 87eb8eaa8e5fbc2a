"""Shopping lists and the quantities in them, as customers write them.

``split_items(message)`` cuts a message into list items: lines (bullets and
"1)" numbering dropped), then commas, semicolons, "+", sentence ends, and
"e" when what follows starts with a quantity ("arroz e feijão" stays one item;
"2 arroz e 3 feijão" is two). ``read_item(words, is_product_word)`` finds the
quantity of one item: digits ("10", "1,5"), words ("dez", "vinte e quatro",
"uma dúzia", "meia dúzia") and weights ("meio quilo", "1,5 kg", "500 g").

The quantity is the last one written before the first word that names a
product: in "me faz um orçamento: dez sabão em pó" it is "dez", and in
"2 arroz camil 5kg" the "5kg" is the product's size, not an amount.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .. import text

UNITS = {"um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5, "seis": 6, "sete": 7,
         "oito": 8, "nove": 9, "dez": 10, "onze": 11, "doze": 12, "treze": 13, "quatorze": 14, "catorze": 14,
         "quinze": 15, "dezesseis": 16, "dezessete": 17, "dezoito": 18, "dezenove": 19}
TENS = {"vinte": 20, "trinta": 30, "quarenta": 40, "cinquenta": 50, "sessenta": 60, "setenta": 70,
        "oitenta": 80, "noventa": 90}
HUNDREDS = {"cem": 100, "cento": 100, "duzentos": 200, "duzentas": 200, "trezentos": 300, "trezentas": 300,
            "quatrocentos": 400, "quatrocentas": 400, "quinhentos": 500, "quinhentas": 500, "seiscentos": 600,
            "seiscentas": 600, "setecentos": 700, "oitocentos": 800, "novecentos": 900}
DOZEN = ("duzia", "duzias")
# what a number counts when it is no amount of goods
NOT_GOODS = frozenset("graus grau anos ano dias dia horas hora minutos minuto vezes meses mes semanas km metros "
                      "andar andares filhos filho netos cachorro cachorros gato gatos caes pessoas aninho aninhos "
                      "mesinho mesinhos".split())
# Containers a count may come in ("10 pacotes de arroz"): read and dropped, never a product word.
PACKS = frozenset("""unidade unidades un pacote pacotes pacotinho pacotinhos lata latas latinha latinhas caixa
caixas caixinha caixinhas garrafa garrafas garrafinha fardo fardos bandeja bandejas pote potes frasco frascos
tubo tubos saco sacos sachet vidro vidros peca pecas kit kits embalagem embalagens""".split())
WEIGHT = {"kg": Decimal(1), "g": Decimal("0.001")}
# what a count after the goods may be said in, beside the packs: "2 pct", "3 molhos" of herbs, "2 maços"
COUNTED_IN = frozenset("pct pcts pc molho molhos maco macos".split())
VOLUME = {"l": Decimal(1), "ml": Decimal("0.001")}
LINKS = frozenset("de do da dos das".split())
_NUMBER = re.compile(r"^(\d{1,5})(?:[.,](\d{1,3}))?$")
_GLUED = re.compile(r"^(\d{1,5}(?:[.,]\d{1,3})?)(kg|g)$")
_GLUED_L = re.compile(r"^(\d{1,5}(?:[.,]\d{1,3})?)(l|ml)$")
# A line's bullet or its number: "- ", "• ", "* ", "1) ", "2. ", "3 - ".
_BULLET = re.compile(r"^\s*(?:[-–—•*·▪►✓✔☑✅➡>]+\s*|\d{1,2}\s*[).]\s+|\d{1,2}\s+-\s+)")
# Item separators inside a line; a comma or period between digits ("1,5 kg") is not one.
_SEPARATORS = re.compile(r",(?!\d)|(?<!\d),|[;+:?!]|\.(?:\s|$)|\s\|\s")
# A count no shopping list means ("1000000000000000000000 arroz"): read as what it is, then refused
# (quote.py answers that the amount is too large), never taken for "no amount" (1).
_LONG_NUMBER = re.compile(r"^\d{6,}$")
MAX_AMOUNT = Decimal(9999)      # units, or kg
# "½ arroz", "1½ kg", "1/2 kg": fractions as decimals before anything else reads the text (else
# "½" became "1 2" and was read as 2 units). Thirds round to 3 decimals.
_VULGAR = {"½": "1/2", "⅓": "1/3", "⅔": "2/3", "¼": "1/4", "¾": "3/4", "⅕": "1/5", "⅖": "2/5", "⅗": "3/5",
           "⅘": "4/5", "⅙": "1/6", "⅚": "5/6", "⅛": "1/8", "⅜": "3/8", "⅝": "5/8", "⅞": "7/8"}
_FRACTION = re.compile(r"(?<![\d/.,])(?:(\d{1,4})\s*)?([½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞])"
                       r"|(?<![\d/.,])(?:(\d{1,4})\s+)?(\d)\s*[/⁄]\s*(\d{1,2})(?![\d/])")


@dataclass
class Amount:
    value: Decimal          # a count, or kilograms when ``weight`` (litres when ``volume`` too)
    weight: bool = False
    words: int = 0           # how many tokens it took
    volume: bool = False     # "2 litros de açaí": a measure in litres, not kilograms
    dozens: int = 0          # "uma dúzia de ovos": said in dozens (12 units each)

    def __post_init__(self):
        self.value = Decimal(self.value)


@dataclass
class Item:
    amount: Amount | None
    words: list[str]        # the normalized tokens that name the product
    raw: str                 # the item as written
    after: bool = False      # the amount was said after the goods ("presunto meio kg", "café 500g")


def fractions(message: str) -> str:
    """"½ kg" -> "0,5 kg", "1½ kg" and "1 1/2 kg" -> "1,5 kg", "1/4 kg" -> "0,25 kg", "⅓" -> "0,333".
    A slash that is no proper fraction ("3/2", "12/10") is left as written."""
    def value(m: re.Match) -> str:
        if m.group(2):
            whole, (num, den) = m.group(1), map(int, _VULGAR[m.group(2)].split("/"))
        else:
            whole, num, den = m.group(3), int(m.group(4)), int(m.group(5))
            if not 0 < num < den:
                return m.group(0)
        return value_of(Decimal(int(whole or 0)) + Decimal(num) / den)
    if not any(c in message for c in "½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞/⁄"):
        return message
    return _FRACTION.sub(value, message)


def value_of(d: Decimal) -> str:
    return f"{d.quantize(Decimal('0.001')).normalize():f}".replace(".", ",")


# Words after which a count in digits belongs to the same item ("lata com 12", "pacote de 5")
_NOT_BEFORE_COUNT = frozenset("com de do da x por cada mais menos tipo fazer preparar pra para".split())
# Words after a number that make it no count of a new item ("24 fruki 600 quanto fica")
ASKING_AFTER = frozenset("quanto fica sai da custa".split())
# A size, in normalized text (one home for them: search, intents and answering/respond read these):
SIZE = re.compile(r"^\d+(?:[.,]\d+)?(?:ml|l|g|kg)$")                         # a word that is one: "500ml", "1kg"
SIZE_OF = re.compile(r"\bde (\d+(?:[.,]\d+)?(?:ml|l|g|kg))\b")              # "pacotinho de 1kg": not an amount
BARE_SIZE = re.compile(r"\bde (\d{3,4})\b(?!\s*(?:ml|l|g|kg|reais|real|rs|unidades))")     # "o de 500": no unit
HALF_OF = re.compile(r"\bde meio (kg|l)\b")                                  # "erva de meio quilo": 500 g
ONE_OF = re.compile(r"(?<![\d.,] )(?<!preco )(?<!valor )(?<!quanto )\bde (kg|l)\b")  # "arroz de quilo": 1 kg
# Words after a count that make it a size, not a new item ("coca 2 litros", "água 1,5 l")
PACKS_OF_SIZE = frozenset("l litro litros ml g gramas kg quilos kilos lt lts unidades unidade un".split())


_ENUMERATOR = re.compile(r"(?:^|(?<=\s))(\d{1,2})\s*\)\s+")


def enumerated(message: str) -> str:
    """"1) 4 leite integral 2) 2 manteiga 3) 1 kg cacetinho": a numbered list written on one line, put one
    item a line, as a list is sent. Only numbers in order (1), 2), 3)) are items' numbers."""
    if ")" not in message:
        return message
    lines = []
    for line in message.splitlines():
        nums = [int(m.group(1)) for m in _ENUMERATOR.finditer(line)]
        if len(nums) >= 2 and nums == list(range(nums[0], nums[0] + len(nums))):
            line = re.sub(r"\s+(?=\d{1,2}\s*\)\s)", "\n", line)
        lines.append(line)
    return "\n".join(lines)


def split_items(message: str, names: frozenset = frozenset()) -> list[str]:
    """The pieces of a message that may each be one list item (as written, not normalized).
    ``names``: the catalog's numbers with the word after them ("3 coracoe"), so a number that is part of a
    name ("café 3 Corações") is no count."""
    pieces: list[str] = []
    for line in fractions(message or "").splitlines():
        line = _BULLET.sub("", _IN_BRACKETS.sub(r" \1 ", line))      # "carne de sol (1,5 kg), ..."
        for piece in _SEPARATORS.split(line):
            if piece and piece.strip():
                pieces += _counts_after_each(piece.strip(), names) or _split_on_e(piece.strip(), names)
    return pieces


_UNIT_AFTER = frozenset("kg g gr gramas quilo quilos kilo kilos un unidade unidades".split())
_LEAD_WORDS = frozenset("quero queria preciso me ve manda mande so vou querer levar pega separa anota ai bota poe "
                        "coloca faz pra mim oi ola".split())
_SIZE_AFTER = frozenset("l litro litros ml".split())
_ASKED_AT_THE_END = frozenset("quanto qto quanta fica da sai vai deu total tudo".split())


def _counts_after_each(piece: str, names: frozenset) -> list[str] | None:
    """A list dictated with the count after each of its goods and nothing between them: "sabão omo 2 detergente 5
    papel higiênico 1 pasta de dente 3", "bergamota 3 kg aipim 2 kg e moranga 3 kg quanto vai dar?": one item a
    count (and its unit), or None when the text is not all such items."""
    words = piece.split()
    low = [text.normalize(w) for w in words]
    if len(words) < 4 or not _alpha(words[0]) or low[0] in _ASKED_AT_THE_END:
        return None
    items, start, k = [], 0, 0
    while k < len(words):
        w = low[k]
        if w in _ASKED_AT_THE_END and items:
            break            # "... quanto vai dar?": the question after the list
        unit = k + 1 < len(low) and low[k + 1] in _UNIT_AFTER
        decimal = _number(w) is not None and not w.isdigit() and not _alpha(w)          # "1,5"
        count = (w.isdigit() and (len(w) <= 2 or unit) or decimal) \
            and not (k + 1 < len(low) and low[k + 1] in _SIZE_AFTER)        # "coca 2 litros", "devassa 600": a size
        if count and k > start and f"{w} {text.stem(low[k + 1]) if k + 1 < len(low) else ''}" not in names:
            end = k + 1 + (k + 1 < len(low) and low[k + 1] in _UNIT_AFTER)
            if end < len(low) and not (_alpha(words[end]) or low[end] == "e"):
                return None
            said = low[start:k]
            if not any(_alpha(x) and x not in text.STOPWORDS and x not in _LEAD_WORDS and _number(x) is None
                       for x in said) or any(_number(x) is not None or x in ("um", "uma") for x in said):
                return None       # "quero 10 pacote de ...", "dois pacote de X e 1 Y": the counts before the goods
            items.append(" ".join(words[start:end]))
            start = k = end + (end < len(low) and low[end] == "e")
            continue
        k += 1
    # the list ends on a count: what follows it is the question, no goods ("... 1 açúcar quanto fica" counts before)
    tail = low[start:]
    goods_after = tail[:next((i for i, x in enumerate(tail) if x in _ASKED_AT_THE_END), len(tail))]
    if len(items) < 2 or any(x not in text.STOPWORDS for x in goods_after):
        return None
    return items + ([" ".join(words[start:])] if start < len(words) else [])


_IN_BRACKETS = re.compile(r"\(\s*(\d{1,4}(?:[.,]\d{1,3})?\s*(?:kg|g|gr|gramas|quilos?|kilos?|l|ml|litros?|un|unid|"
                         r"unidades?)?)\s*\)", re.IGNORECASE)


def _split_on_e(piece: str, names: frozenset = frozenset()) -> list[str]:
    """Cut "2 arroz e 3 feijão" at the "e" that starts a new quantity, not "vinte e quatro"; and
    "2 leite condensado 2 creme de leite" where a count in digits follows a word of the last item
    (not a size: "coca 2 litros")."""
    words = piece.split()
    out, start = [], 0
    for i, w in enumerate(words):
        if _count_starts_an_item(words, i, start, names):
            out.append(" ".join(words[start:i]))
            start = i
            continue
        if w.lower() == "com" and 0 < i + 1 < len(words) and _with_another(words, i, start):
            out.append(" ".join(words[start:i]))       # "1 kg e meio de carne de sol com 2 kg de macaxeira"
            start = i + 1
            continue
        if w.lower() != "e" or i == 0 or i + 1 >= len(words):
            continue
        prev, nxt = text.normalize(words[i - 1]), text.normalize(words[i + 1])
        if prev in TENS and nxt in UNITS:
            continue        # "vinte e quatro"
        if prev.endswith("kg") and (nxt in ("meio", "meia") or nxt in HUNDREDS or nxt.isdigit() and len(nxt) == 3
                                    or re.match(r"^\d{3}(?:g|gr|gramas)$", nxt)):
            continue        # "1 kg e meio", "um quilo e duzentos", "1kg e 200", "1 kg e 200g"
        count_after = (prev.isdigit() and len(prev) <= 2 or prev in UNITS) and i >= 2 and words[i - 2].isalpha() \
            and text.normalize(words[i - 2]) not in _NOT_BEFORE_COUNT and nxt.isalpha() and nxt not in PACKS_OF_SIZE
        # "... linguiça 2 kg e charque 1 kg": a weight said after the goods ends an item too
        weighed = prev in WEIGHT and i >= 3 and _number(text.normalize(words[i - 2])) is not None \
            and words[i - 3].isalpha() and text.normalize(words[i - 3]) not in _NOT_BEFORE_COUNT \
            or _GLUED.match(prev) and i >= 2 and words[i - 2].isalpha() \
            and text.normalize(words[i - 2]) not in _NOT_BEFORE_COUNT
        count_after = count_after or bool(weighed) and nxt.isalpha() and nxt not in PACKS_OF_SIZE
        # "6 guaraná pra mim e mais 2 pra minha vizinha": more of the same, counted apart
        more = nxt == "mais" and amount_at(text.normalize(" ".join(words[i + 2:i + 5])).split(), 0) is not None
        if count_after or more or amount_at(text.normalize(" ".join(words[i + 1:i + 4])).split(), 0) is not None:
            # "... sabonete 4 e pasta de dente 2": the count said after the goods ends an item too
            out.append(" ".join(words[start:i]))
            start = i + 1
    out.append(" ".join(words[start:]))
    return [p for p in out if p.strip()]


def _with_another(words: list[str], i: int, start: int) -> bool:
    """"com" between two items, each with its weight or packs ("... de carne de sol com 2 kg de macaxeira"),
    not the weight of the goods before ("1 frango com uns 2 kg") nor what a pack holds ("caixa com 12")."""
    before = text.normalize(" ".join(words[start:i])).split()
    if not any(amount_at(before, k) is not None for k in range(len(before))):
        return False
    after = text.normalize(" ".join(words[i + 1:i + 6])).split()
    a = amount_at(after, 0)
    if a is None or len(after) <= a.words:
        return False
    if not a.weight and after[a.words].isalpha() and after[a.words] not in LINKS | PACKS | PACKS_OF_SIZE \
            and (before[-1].isalpha() and not _number(before[-1]) or _GLUED.match(before[-1])):
        return True       # "3 goma de tapioca com 2 flocão": a count and the next goods
    if len(after) <= a.words + 1 or after[a.words] not in LINKS:
        return False
    return a.weight or after[a.words - 1] in PACKS


def _number(tok: str) -> Decimal | None:
    m = _NUMBER.match(tok)
    if not m:
        return None
    return Decimal(f"{m.group(1)}.{m.group(2)}" if m.group(2) else m.group(1))


def amount_at(toks: list[str], i: int) -> Amount | None:
    """The quantity that starts at token i, or None. Tokens are normalized (text.normalize)."""
    if i >= len(toks):
        return None
    t = toks[i]
    nxt = toks[i + 1] if i + 1 < len(toks) else ""
    glued = _GLUED.match(t)
    if glued:
        n = Decimal(glued.group(1).replace(",", "."))
        if not n:
            return None
        return _and_a_half(Amount(n * WEIGHT[glued.group(2)], True, 1), toks, i + 1)
    litres = _GLUED_L.match(t)
    if litres and float(litres.group(1).replace(",", ".")):
        n = Decimal(litres.group(1).replace(",", ".")) * VOLUME[litres.group(2)]
        return _and_a_half(Amount(n, True, 1, volume=True), toks, i + 1)
    if t in ("meio", "meia"):
        if nxt == "kg":
            return Amount(Decimal("0.5"), True, 2)
        if nxt in DOZEN:
            return Amount(6, False, 2)      # half a dozen: no whole dozen to count
        return None
    if t in DOZEN:
        return Amount(12, False, 1, dozens=1)
    if _LONG_NUMBER.match(t):
        return Amount(Decimal(t), False, 1)     # more than MAX_AMOUNT: the quote refuses it by name
    n = _number(t)
    used = 1
    if n is not None and not n:
        return None          # "0": no amount
    if n is None:
        n, used = _spelled(toks, i)
        if n is None:
            return None
    after = toks[i + used] if i + used < len(toks) else ""
    if after in NOT_GOODS:
        return None          # "40 graus", "2 anos", "3 dias": a number of something else
    if after in DOZEN:
        if toks[i + used + 1:i + used + 3] in (["e", "meia"], ["e", "meio"]):
            return Amount(n * 12 + 6, False, used + 3)       # "2 dúzias e meia": 30
        return Amount(n * 12, False, used + 1, dozens=int(n) if n == n.to_integral_value() else 0)
    if after in WEIGHT:
        return _and_a_half(Amount(n * WEIGHT[after], True, used + 1), toks, i + used + 1)
    if n != n.to_integral_value() and not after:
        return None
    return Amount(n, False, used)


def _and_a_half(a: Amount, toks: list[str], j: int) -> Amount:
    """"1 kg e meio" -> 1,5 kg; "um quilo e duzentos", "1kg e 200" -> 1,2 kg (grams after the kilos)."""
    if toks[j:j + 2] in (["e", "meio"], ["e", "meia"]):
        return Amount(a.value + Decimal("0.5"), True, a.words + 2, volume=a.volume)
    if a.volume or toks[j:j + 1] != ["e"] or j + 1 >= len(toks) or not toks[j - 1].endswith("kg"):
        return a
    glued = re.match(r"^(\d{3})(?:g|gr|gramas)$", toks[j + 1])      # "1 kg e 200g"
    grams, used = (Decimal(glued.group(1)), 1) if glued else \
        (_number(toks[j + 1]), 1) if _number(toks[j + 1]) is not None else _spelled(toks, j + 1)
    if not glued and j + 1 + used < len(toks) and toks[j + 1 + used] in ("g", "gr", "gramas"):
        used += 1                                                       # "1 kg e 200 g"
    nxt = toks[j + 1 + used] if j + 1 + used < len(toks) else ""
    if grams is not None and 100 <= grams < 1000 and grams % 50 == 0 and nxt not in PACKS:
        return Amount(a.value + grams / 1000, True, a.words + 1 + used)
    return a


def _spelled(toks: list[str], i: int) -> tuple[Decimal | None, int]:
    """"vinte e quatro" -> 24 (3 tokens); "cem" -> 100; "doze" -> 12."""
    t = toks[i]
    if t in HUNDREDS:
        return Decimal(HUNDREDS[t]), 1
    if t in TENS:
        if toks[i + 1:i + 2] == ["e"] and i + 2 < len(toks) and toks[i + 2] in UNITS and UNITS[toks[i + 2]] < 10:
            return Decimal(TENS[t] + UNITS[toks[i + 2]]), 3
        return Decimal(TENS[t]), 1
    if t in UNITS:
        return Decimal(UNITS[t]), 1
    return None, 0


def read_item(piece: str, is_product_word) -> Item:
    """The quantity and product words of one list item. ``is_product_word(token)`` says
    whether a normalized token names something in the catalog."""
    toks = text.normalize(fractions(piece)).split()
    first_product = next((k for k, t in enumerate(toks)
                          if t not in PACKS and t not in UNITS and t not in TENS and t not in DOZEN
                          and t not in WEIGHT and t not in LINKS and t not in ("meio", "meia", "e")
                          and not _number(t) and not _GLUED.match(t) and not _GLUED_L.match(t)
                          and not _LONG_NUMBER.match(t)
                          and is_product_word(t)), len(toks))
    amount, end = None, 0
    k = 0
    while k < first_product:
        a = amount_at(toks, k)
        if a is not None:
            amount, end = a, k + a.words
            k = end
        else:
            k += 1
    if amount is None:
        return _item_at_the_end(toks, piece, is_product_word) or _count_after(toks, piece, is_product_word) \
            or Item(None, toks, piece)
    if toks[end - amount.words] in ("um", "uma"):
        # "vou fazer uma faxina geral kkk vê pra mim 1 sabão em pó": an article in the chatter, then the item
        later = _item_at_the_end(toks[end:], piece, is_product_word)
        if later is not None:
            return later
    rest = toks[end:]
    while rest and (rest[0] in PACKS or rest[0] in LINKS):
        rest = rest[1:]
    return Item(amount, rest, piece)


# The words that lead into the item a chatty sentence ends with ("... e eu preciso de 2 kg de
# picanha", "vou passar aí amanhã pra pegar 3 pasta de dente").
LEADS = frozenset("de pegar levar levo quero queria preciso comprar compro ve manda separa mais e com".split())


def _item_at_the_end(toks: list[str], piece: str, is_product_word) -> Item | None:
    """The item after the chatter: an amount led in by a LEADS word or any word that names no product
    ("então anota aí 4kg de costela"; not "arroz 5 kg"), with a product after it."""
    for k in range(1, len(toks)):
        if toks[k - 1] == "de" and k >= 2 and is_product_word(toks[k - 2]):
            continue        # "papel higiênico de 12 rolos": the product's size, not an amount
        led = toks[k - 1] in LEADS or not (is_product_word(toks[k - 1]) or _number(toks[k - 1]))
        if led and amount_at(toks, k) is not None and any(is_product_word(t) for t in toks[k + 1:]):
            item = read_item(" ".join(toks[k:]), is_product_word)
            if item.amount is not None:
                return Item(item.amount, item.words, piece)
    return None


_TIMES_AFTER = re.compile(r"(?:^|\s)x\s?(\d{1,3})$")
# words before a number at the end of a piece that make it no count of goods ("moqueca pra 2", "número 3")
NOT_A_COUNT_AFTER = frozenset("n numero pra para p pras ate as".split())


def _count_after(toks: list[str], piece: str, is_product_word) -> Item | None:
    """The count or weight said after the goods, as a list is often dictated ("detergente 3", "arroz 5kg um",
    "feijão carioca dois", "presunto meio kg", "mortadela 300g"): an amount that ends the item, after a word
    of the catalog. A weight after packaged goods is their size, which quote.units_for counts in packs."""
    if len(toks) < 2:
        return None
    if len(toks) >= 3 and toks[-1] in PACKS | COUNTED_IN and (toks[-2].isdigit() and len(toks[-2]) <= 2
                                                              or toks[-2] in UNITS):
        toks = toks[:-1]          # "farinha 2 pct", "coentro 3 molhos": the count, then what it counts
    times = _TIMES_AFTER.search(" ".join(toks[-2:]))           # "omo 1,6 x2", "detergente x 6"
    if times:
        cut = len(toks) - (2 if toks[-2] == "x" else 1)
        first = next((k for k, t in enumerate(toks[:cut]) if is_product_word(t)), None)
        if first is not None:
            return Item(Amount(Decimal(times.group(1)), words=1), toks[first:cut], piece, after=True)
    last = toks[-1]
    bare = last.isdigit() and len(last) <= 2 or last in UNITS or last in TENS
    for at in range(len(toks) - 1, max(len(toks) - 4, 0), -1):
        amount = amount_at(toks, at)
        if amount is None or at + amount.words != len(toks):
            continue
        more = toks[at - 1] == "mais" and at >= 2 and is_product_word(toks[at - 2])   # "leite integral mais 6"
        if toks[at - 1] in _NOT_BEFORE_COUNT | NOT_A_COUNT_AFTER and not more:
            continue
        if at >= 1 and (longer := amount_at(toks, at - 1)) is not None and at - 1 + longer.words == len(toks):
            continue      # "2 dúzias", not "dúzias"
        if not (amount.weight and not amount.volume or amount.dozens or bare and at == len(toks) - 1):
            continue      # "ovos - 2 dúzias" too
        first = next((k for k, t in enumerate(toks[:at]) if is_product_word(t)), None)
        if first is not None and _PLACE_LEAD.search(" ".join(toks[max(0, first - 2):first])):
            return None      # "é perto da folha 28?": a place, numbered (Marabá's "folhas"), not 28 of the goods
        if first is not None:
            # "preciso de detergente 3": the goods on
            return Item(amount, toks[first:at - 1 if more else at], piece, after=True)
    return None


_PLACE_LEAD = re.compile(r"(?:^|\s)(?:perto|moro|mora|fica|rua|avenida|bairro|setor|quadra)(?: d[aoe]| n[ao])?$")
# words after "um"/"uma" that make it an article or a pronoun, not a count ("um pouco", "uma de 2 litros")
_ARTICLE_AFTER = frozenset("pouco pouquinho outro outra so mesmo mesma bom boa".split())
# counts in words that may open the next item of a run-on list ("um"/"uma" are articles too often)
COUNT_WORDS = frozenset(UNITS) - {"um", "uma"} | frozenset(TENS)


def _count_starts_an_item(words: list[str], i: int, start: int, names: frozenset) -> bool:
    """Word i is a count (digits or a number word) that opens the next item of a list without separators:
    after a word of the item begun at ``start`` (which has a count of its own), before a product
    word that is no size, question or part of a catalog name ("café 3 Corações")."""
    w = words[i]
    size_before = _GLUED.match(words[i - 1].lower()) or _GLUED_L.match(words[i - 1].lower()) \
        or i >= 2 and re.fullmatch(r"\d{3,4}", words[i - 1]) and (text.normalize(words[i - 2]) in LINKS
                                                                or words[i - 2].isalpha())
    # "açúcar de 5kg 4 leite", "água de 500 5 leite": a size, then the next item's count
    spelled = text.normalize(w) in COUNT_WORDS                # "dois pacotes de arroz três de feijão"
    # "três leite dois café um açúcar": "um" opens an item too, right before the goods and after goods counted
    spelled |= text.normalize(w) in ("um", "uma") and i + 1 < len(words) \
        and text.normalize(words[i + 1]) not in LINKS | PACKS_OF_SIZE | ASKING_AFTER | _ARTICLE_AFTER
    # "... três de canjiquinha um de farinha de mandioca": "um de" after an item said so, its packs unnamed
    spelled |= text.normalize(w) in ("um", "uma") and i + 2 < len(words) and text.normalize(words[i + 1]) == "de" \
        and start + 1 < len(words) and text.normalize(words[start + 1]) == "de" \
        and text.normalize(words[start]) in COUNT_WORDS | {"um", "uma"} | set(map(str, range(1, 100)))
    after = [text.normalize(x) for x in words[i + 1:i + 5]]
    # "2kg picanha 1kg e meio de linguiça", "... 1kg de dourado": a weight that leads into its product
    weight = bool(_GLUED.match(text.normalize(w))) and (after[:1] == ["de"] or after[:3] == ["e", "meio", "de"]) \
        or w.isdigit() and (after[:2] == ["kg", "de"] or after[:4] == ["kg", "e", "meio", "de"]   # "3 kg de costela"
                            or len(w) == 3 and after[:2] in (["g", "de"], ["gr", "de"], ["gramas", "de"])  # "500 g de"
                            or after[:1] == ["kg"] and len(after) > 1 and after[1].isalpha()
                            and after[1] not in LINKS | ASKING_AFTER | {"e"}                 # "2 kg banana"
                            and text.normalize(words[i - 1]) not in ("uns", "umas", "tipo"))  # not "de uns 3 kg"
    # "2kg de aipim 1kg tomate 3kg de bergamota": a weight glued to its number, right before the goods, after an
    # item weighed too (not "2 arroz 5kg feijão", where 5 kg is the rice's size)
    weight |= bool(_GLUED.match(text.normalize(w))) and bool(after) and after[0].isalpha() \
        and after[0] not in LINKS | ASKING_AFTER | PACKS_OF_SIZE | {"e"} \
        and any(_GLUED.match(text.normalize(x)) or text.normalize(x) in ("kg", "quilo", "quilos")
                for x in words[start:i - 1])
    half = text.normalize(w) in ("meio", "meia") and after[:2] == ["kg", "de"]     # "... meio kg de cebola"
    # "dez capeletti meia dúzia de sonho": a dozen, or half of one, opens the next item
    spelled |= text.normalize(w) in {"meia", "meio", "uma"} | COUNT_WORDS and after[:1] in (["duzia"], ["duzias"])
    counted = any(x.isdigit() or text.normalize(x) in COUNT_WORDS | {"meio", "meia"} or _GLUED.match(text.normalize(x))
                  or _number(text.normalize(x)) is not None for x in words[start:i - 1])     # "1,5 kg de picanha"
    # "um shampoo seda 2 creme dental": "um" opening the item is its count; "preciso de sabão omo 2 água
    # sanitária 4 detergente": the first goods, led in and uncounted, are one, when counts go on after
    counted = counted or text.normalize(words[start]) in ("um", "uma") and i - start >= 3 \
        or start == 0 and text.normalize(words[0]) in _LEAD_WORDS and w.isdigit() \
        and any(x.isdigit() and len(x) <= 2 for x in words[i + 2:]) and text.normalize(words[i + 1]) not in PACKS \
        and any(_alpha(x) and text.normalize(x) not in _LEAD_WORDS | text.STOPWORDS for x in words[:i])
    if not ((w.isdigit() and len(w) <= 2 or spelled or weight or half) and i - start >= 2 and i + 1 < len(words)
            and (_alpha(words[i - 1]) or size_before) and (_alpha(words[i + 1]) or weight) and counted):
        return False
    if weight or half:
        if text.normalize(words[i - 1]) == "e" and i >= 2 \
                and re.search(r"(?:kg|quilos?|kilos?)$", words[i - 2].lower()):
            return False        # "1 kg e 200g de queijo": the grams of the same weight
        return text.normalize(words[i - 1]) not in LINKS | _NOT_BEFORE_COUNT
    prev, nxt = text.normalize(words[i - 1]), text.normalize(words[i + 1])
    if spelled and (prev == "e" or prev in TENS):
        return False        # "vinte e quatro": one number
    return (nxt not in ASKING_AFTER and nxt not in PACKS_OF_SIZE and prev not in LINKS | _NOT_BEFORE_COUNT
            and f"{text.normalize(w)} {text.stem(nxt)}" not in names)


def _alpha(word: str) -> bool:
    """A word of letters, "d'água" and "pau-d'arco" too."""
    return re.sub(r"['’´`-]", "", word).isalpha()


def counted(norm: str) -> bool:
    """Whether a normalized text says a count, in digits or in words ("uma dúzia de cajuína", "três pacotes")."""
    return any(c.isdigit() for c in norm) or any(t in COUNT_WORDS or t in DOZEN for t in norm.split())


def kilos(token: str) -> Decimal | None:
    """The kilos a normalized token says ("2kg" -> 2, "500g" -> 0,5), or None."""
    m = _GLUED.match(token)
    return Decimal(m.group(1).replace(",", ".")) * WEIGHT[m.group(2)] if m else None


def pack_size_l(name: str) -> Decimal | None:
    """The volume in a product's name ("Açaí Grosso 1L" -> 1, "Água 500ml" -> 0,5), if any."""
    return _size_in(name, _GLUED_L, VOLUME)


def pack_size_kg(name: str) -> Decimal | None:
    """The weight in a product's name ("Feijão Carioca 1kg" -> 1, "Café 250g" -> 0,25), if any."""
    return _size_in(name, _GLUED, WEIGHT)


def _size_in(name: str, pattern: re.Pattern, units: dict[str, Decimal]) -> Decimal | None:
    for t in text.normalize(name).split():
        m = pattern.match(t)
        if m:
            return Decimal(m.group(1).replace(",", ".")) * units[m.group(2)]
    return None
