"""Quotes (orçamento): a shopping list priced line by line, then the total.

``read(message, searcher)`` returns a ``Quote`` when the message is one: two or
more products with at least one quantity, or one product with a quantity and
a question about the total ("quanto fica 3 pacotes de café"). ``render`` writes
it: quantity, product, unit price and line total per line, then the items not
found, what would unlock a wholesale price, and the total last.

Every figure is a catalog price or a catalog price times the customer's
quantity, or their sum: the unit price is the lowest the customer is entitled
to (``unit_price``), and nothing else is computed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .. import fmt, text
from ..reading import quantities
from ..store import knowledge
from ..store.knowledge import Product

CENT = Decimal("0.01")
# Words of a list that are not products ("me faz um orçamento", "qual o total").
ASKS = frozenset("quanto qto quantos quanta".split())
FILLER = frozenset("""orcamento orcar lista listinha total tudo compra compras pedido hoje fica ficaria ficam sai
saem saiu da dar daria custa custam custaria quanto quantos quanta valor preco soma somando junto juntos
levar levo quero queria preciso precisando pegar comprar mandar manda faz fazer faca calcula calcular
mais minha meu pra para o a os as um uma de do da por favor me mim e ai la cada gostaria seria separa separar
anota anotar bota botar deu ficou nessa nesse nessas nesses quantidade precisar vou""".split())
# Saying what one takes: with an amount and one product, a quote even beside a question ("... né? vou levar 8")
WANTS = ("quero levar", "queria levar", "vou levar", "vou querer", "quero", "me ve", "separa", "vou pegar", "manda",
         "preciso")
# A single product with a quantity is a quote only when the total is asked for.
TOTAL_PHRASES = ("quanto fica", "fica quanto", "quanto sai", "sai quanto", "quanto da", "da quanto",
                 "quanto e", "quanto vai dar", "quanto vai ficar", "quanto ficaria", "quanto custa",
                 "quanto custam", "qual o total", "valor total", "total", "orcamento", "quanto deu",
                 "quanto vou pagar", "vou pagar quanto", "quanto eu pago", "quanto pago", "quanto ficou",
                 "ficou quanto")


@dataclass
class Line:
    product: Product
    qty: Decimal             # units, or kg for products sold by the kilo
    unit_price: Decimal
    kind: str                # "promoção", "atacado" or "" (regular)
    total: Decimal
    unlock: tuple[Decimal, Decimal] | None = None   # (quantity, wholesale price) that would lower it


@dataclass
class Quote:
    lines: list[Line] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    unclear: list[str] = field(default_factory=list)   # found, but the amount makes no sense for it
    too_large: list[str] = field(default_factory=list)  # found, with more than quantities.MAX_AMOUNT

    @property
    def total(self) -> Decimal:
        return sum((ln.total for ln in self.lines), Decimal(0))


def dec(value) -> Decimal:
    return Decimal(str(value))


def unit_price(p: Product, qty: Decimal) -> tuple[Decimal, str]:
    """The lowest price the customer is entitled to: the promotion price, or the wholesale
    price once ``qty`` reaches the product's minimum, whichever is lower; else the regular one."""
    best, kind = dec(p.price), ""
    if p.promo_price is not None and dec(p.promo_price) < best:
        best, kind = dec(p.promo_price), "promoção"
    if p.wholesale_price is not None and p.wholesale_min_qty and qty >= p.wholesale_min_qty \
            and dec(p.wholesale_price) < best:
        best, kind = dec(p.wholesale_price), "atacado"
    return best, kind


def price_line(p: Product, qty: Decimal) -> Line:
    unit, kind = unit_price(p, qty)
    line = Line(p, qty, unit, kind, (unit * qty).quantize(CENT, ROUND_HALF_UP))
    if p.wholesale_price is not None and p.wholesale_min_qty and qty < p.wholesale_min_qty \
            and dec(p.wholesale_price) < unit:
        line.unlock = (Decimal(p.wholesale_min_qty), dec(p.wholesale_price))
    return line


def sold_by_kg(p: Product) -> bool:
    return p.unit.strip().lower() == "kg"


def units_for(p: Product, amount: quantities.Amount) -> Decimal | None:
    """The amount in the product's own unit: kg for products sold by the kilo, packs
    otherwise ("2 kg de feijão" of a 1 kg pack is 2); None when it does not fit."""
    if amount.dozens and "duzia" in text.normalize(f"{p.name} {p.unit}").split():
        return Decimal(amount.dozens)      # "uma dúzia de ostras" of a product sold by the dozen is 1
    if amount.volume:        # "2 litros de açaí" of a 1 L pack is 2; of a product sold by the litre, 2
        pack = quantities.pack_size_l(p.name) or (Decimal(1) if p.unit.strip().lower() in ("l", "litro") else None)
    elif sold_by_kg(p) or not amount.weight:
        q = amount.value
        return q if q > 0 and (sold_by_kg(p) or q == q.to_integral_value()) else None
    else:
        pack = quantities.pack_size_kg(p.name)
    if not pack:
        return None
    packs = amount.value / pack
    return packs if packs > 0 and packs == packs.to_integral_value() else None


def aliases(conn) -> dict[str, Product]:
    """The store's own names for products, normalized ("leite moca" -> Leite Condensado)."""
    out: dict[str, Product] = {}
    for p in knowledge.products(conn, limit=1_000_000):
        for a in p.aliases:
            out.setdefault(text.normalize(a), p)
    return out


# a dish to be made, said with its article ("vou fazer uma vaca atolada"): no goods counted
DISH = re.compile(r"\b(?:fazer|faco|preparar|cozinhar)\s+(?:um|uma)\s+\w")
# an amount of money, no count of goods ("pô, só vou gastar uns 70 reais")
MONEY_SAID = re.compile(r"\b(?:reais|real|conto|contos|pila|pilas|rs|gastar|gasto)\b")
DESCRIBED_AGAIN = re.compile(r"(?:desses|dessas|daqueles|daquelas|tudo|todos|todas)\b")
MORE_OF_IT = re.compile(r"mais\s+\S+")
# what a list is for, said in its first line over counted lines: "limpeza do mês 🧽", "churrasco de sábado"
TITLE_OF = re.compile(r"\b(?:do mes|da semana|da quinzena|do dia|de sabado|de domingo|do fim de semana)\b")
LIST_TITLE = re.compile(r"(?:minha |a |uma )?(?:lista|listinha|compras?|rancho)\b")


def read(message: str, searcher, drop: frozenset = frozenset(),
         alias_map: dict[str, Product] | None = None) -> Quote | None:
    """The quote a message asks for, or None when it is not a quote."""
    with searcher.one_version():
        return _read(message, searcher, drop, alias_map)


def _read(message, searcher, drop, alias_map) -> Quote | None:
    vocab = set(searcher.vocab())
    is_product = lambda t: t not in text.STOPWORDS and t not in FILLER and text.stem(t) in vocab  # noqa: E731
    items = [quantities.read_item(piece, is_product) for piece in quantities.split_items(message, searcher.numbered())]
    for item in items:     # "4 kg mandioca quanto fica esse trem tudo": the goods end where the question begins
        ask = next((k for k, w in enumerate(item.words) if w in ASKS and k), None)
        if ask is not None and any(is_product(w) for w in item.words[:ask]):
            item.words = item.words[:ask]
    norm = text.normalize(message)
    asks_total = any(text.has_phrase(norm, ph) for ph in TOTAL_PHRASES) \
        and (not text.has_phrase(norm, "cada") or text.has_phrase(norm, "total")
             or re.search(r"\b(?:o|a) \w+ (?:todo|toda|inteiro|inteira)\b", norm) is not None)   # "e o saco todo"
    if not any(item.amount is not None for item in items) and not asks_total:
        return None        # but "anota aí fubá sagu chimia de figo, quanto dá?" is one of each
    quote, counted, priced = Quote(), 0, 0
    listed = False         # goods named one after another, one of each
    wanted: dict[str, tuple[Product, Decimal]] = {}     # sku -> (product, quantity), in order of mention
    dozens_of: dict[str, bool] = {}           # sku -> whether it was last said in dozens
    named_only: set[str] = set()              # skus named with no amount: a count said later is theirs
    # "limpeza: 1 omo, 3 detergente", "pro tropeiro de sábado: ...": a heading, not an item
    headings = {h.strip().lower() for h in re.findall(r"(?:^|\n)([^:\n]{1,40}):", message)}
    lines = message.strip().splitlines()
    if len(lines) >= 2 and not any(c.isdigit() for c in lines[0]) \
            and re.match(r"(?:pro|pra|para|p/)\s", text.normalize(lines[0])):
        headings.add(lines[0].strip().lower())     # "pro cafe da tarde" over the list: what it is for
    if len(lines) >= 3 and not any(c.isdigit() for c in lines[0]) and (
            LIST_TITLE.match(text.normalize(lines[0])) or TITLE_OF.search(text.normalize(lines[0]))
            and sum(bool(re.match(r"\W*\d", line)) for line in lines[1:]) >= 2):
        headings.add(lines[0].strip().lower())     # "lista da limpeza", "limpeza do mês 🧽" over the list: its title
    head = None         # the first word of the last item's goods: "2 bolo de macaxeira e 1 de cupuaçu"
    unpriced = None     # the goods of the last item, named with no amount: "café princesa, 10 pacotes" counts them
    for item in items:
        words = _goods_words(item)
        if not words and item.amount is not None and unpriced is not None \
                and not MONEY_SAID.search(text.normalize(item.raw)) \
                and (qty := units_for(unpriced, item.amount)) is not None:
            wanted[unpriced.sku] = (unpriced, qty)
            named_only.discard(unpriced.sku)
            priced += 1
            unpriced = None
            continue
        unpriced = None
        if not words or item.amount is None and item.raw.strip().lower() in headings:
            if words and (hit := searcher.search(" ".join(item.words), drop=drop | FILLER).best) is not None \
                    and hit.complete:
                unpriced = hit.product       # "papel higiênico mili: quero 6": the goods, then how many
            continue
        if item.amount is not None and item.words[:1] == ["para"] and not wanted:     # normalized: "pra", "pro"
            continue     # "vou precisar de 15 pro meu ponto de suco": an amount, then what for; no goods named
        if item.amount is None and wanted and DESCRIBED_AGAIN.match(text.normalize(item.raw)):
            continue     # "um saco de laranja pera, desses de 50 laranjas", "tudo polpa": the goods, described again
        if item.amount is not None and wanted \
                and (MORE_OF_IT.match(text.normalize(item.raw)) or item.words[:1] == ["para"]) \
                and not _goods_before_purpose(item.words):
            p, before = list(wanted.values())[-1]      # "... e mais 2 pra minha vizinha": more of the goods before
            if (qty := units_for(p, item.amount)) is not None:
                wanted[p.sku] = (p, before + qty)
                priced += 1
            continue
        if item.amount is None and set(words) <= quantities.PACKS and wanted:
            continue     # "12 leite integral, qto sai a caixa?": the pack just counted, asked of, not one more
        if item.amount is not None and item.amount.value == 1 and not any(c.isdigit() for c in item.raw) \
                and DISH.search(text.normalize(item.raw)):
            continue     # "... a costela o kg, vou fazer uma vaca atolada": the dish made, no goods counted
        p = None
        if head and item.amount is not None and _ELLIPTIC.match(text.normalize(item.raw)):
            same = [m for m in searcher.search(" ".join([head] + item.words), drop=drop | FILLER).matches
                    if m.complete]
            p = same[0].product if same else None     # "1 de cupuaçu" after "2 bolo de macaxeira": a bolo
        said = item.words + [w for w in text.normalize(item.raw).split() if w in CANS | BOTTLES]  # "6 latinha de"
        alias = (alias_map or {}).get(" ".join(item.words))      # "leite moça": "moça" is no search word
        p = p or (alias if alias is not None and not _other_container(said, alias) else None)
        head = words[0]
        if p is None:
            res = searcher.search(" ".join(item.words), drop=drop | FILLER)
            complete = [m for m in res.matches if m.complete and not _other_container(said, m.product)]
            cut = _before_purpose(item.words) if item.amount is not None and not complete else None
            if cut:          # "2 kg de costela pra assar no domingo": the item ends where its purpose starts
                complete = [m for m in searcher.search(" ".join(cut), drop=drop | FILLER).matches if m.complete]
            if item.amount is None and (len(words) > 4 or any(w != c for w, c in res.corrected.items())):
                complete = []    # no amount, and only a typo away or many words: chatter ("to fazendo a compra")
            weighed = _each_weighs(item, searcher, drop) if not complete else None
            if weighed is not None:      # "1 tambaqui inteiro de uns 2 kg": 2 kg of goods sold by the kilo
                complete, item = [weighed[0]], weighed[1]
            run = _run_of_goods(item.words, is_product, searcher, drop) if not complete else None
            if run:        # "arroz de 1kg feijão preto café pilão açúcar": one of each, named one after another
                for p in run:
                    if p.sku not in wanted:
                        wanted[p.sku] = (p, Decimal(1))
                        counted += 1
                listed = True
                continue
            if not complete:
                if item.amount is not None and _chatter(item, words):
                    continue     # "vou juntar a galera pra um tereré e depois um churrasquinho": said, not asked
                if item.amount is not None:
                    quote.not_found.append(" ".join(words))
                    counted += 1
                continue
            p = complete[0].product
        if item.after and item.amount is not None and item.amount.weight and not sold_by_kg(p):
            item = quantities.Item(None, item.words, item.raw)      # "café santa clara 500g": its size, no amount
        amount = item.amount or quantities.Amount(1)
        if amount.value > quantities.MAX_AMOUNT:
            quote.too_large.append(p.name)
            counted += 1
            priced += 1
            continue
        qty = units_for(p, amount)
        if qty is None:
            quote.unclear.append(p.name)
            counted += 1
            priced += item.amount is not None     # "½ arroz": an amount was given, and is refused by name
            continue
        # The same product twice in a list is one line: its quantities add up, and
        # together they may reach the wholesale minimum.
        _, before = wanted.get(p.sku, (p, Decimal(0)))
        if before and qty == before and not amount.dozens and dozens_of.get(p.sku):
            continue         # "2 dúzia de milho verde, 24 espiga né": the dozens said again in units
        if p.sku in named_only and item.amount is not None:
            before = Decimal(0)      # "vou revender açaí, se eu levar 10 pacote do médio": the goods, then the count
            named_only.discard(p.sku)
        elif item.amount is None and p.sku not in wanted and any(not is_product(w) for w in words):
            named_only.add(p.sku)      # named in a sentence ("vou revender açaí"), not listed ("coca, arroz")
        dozens_of[p.sku] = bool(amount.dozens)
        unpriced = p if item.amount is None and p.sku not in wanted else None
        wanted[p.sku] = (p, before + qty)
        counted += 1
        priced += item.amount is not None
    quote.lines = [price_line(p, qty) for p, qty in wanted.values()]
    if listed and counted >= 2:
        return quote
    if not priced and not (quote.not_found and (len(quote.not_found) >= 2 or counted == 1)
                           and any(text.has_phrase(text.normalize(message), w) for w in WANTS + TOTAL_PHRASES)):
        return None       # numbers in chatter; but "me vê 2 kg de X, 1 kg de Y" of goods we lack is a list
    if not priced:
        return quote
    if counted >= 2 or quote.too_large:
        return quote
    asks_price = any(text.has_phrase(norm, w) for w in ("quanto", "valor", "preco"))
    told = norm
    for w in WANTS:
        told = told.replace(w, " ")      # "vou levar 8" says what is taken; "se levar 8 fica mais barato?" asks
    told = re.sub(r"\b\d+ (?:em )?cada\b", " ", told)      # "duas dúzias de ovo, 12 em cada": what each holds
    per_unit = any(text.has_phrase(told, w) for w in ("cada", "levando", "levar", "mais barato", "atacado"))
    amounts = [it.amount for it in items if it.amount is not None and _goods_words(it)]   # not "12 em cada"
    many = amounts and (amounts[0].value >= 2 or amounts[0].weight and amounts[0].value != 1)   # or "1,3 kg"
    if counted == 1 and priced == 1 and len(amounts) == 1 and many and quote.lines \
            and ("?" not in message or asks_price or any(text.has_phrase(norm, w) for w in WANTS)) and not per_unit:
        return quote      # "18 coca 2 litros", "12 polar", "quanto tá 12 água?": an amount and a product
    # "sai quanto cada?" asks the unit price; "quanto sai cada e o total?" asks both (asks_total)
    return quote if asks_total and quote.lines else None


def _run_of_goods(words: list[str], is_product, searcher, drop: frozenset) -> list[Product] | None:
    # "... óleo açúcar e café bocaina quanto dá tudo": "e" between two goods names neither, and the question
    # after the last goods is no part of them
    words = [w for k, w in enumerate(words) if not (w in JOINERS and 0 < k < len(words) - 1
                                                    and is_product(words[k - 1]) and is_product(words[k + 1]))]
    end = max((k for k, w in enumerate(words) if is_product(w) or quantities.SIZE.match(w)), default=-1)
    spans = spans_of_goods(words[:end + 1], is_product, searcher, drop)
    return [p for _, p in spans] if spans else None


JOINERS = ("e", "mais")


def spans_of_goods(words: list[str], is_product, searcher, drop: frozenset,
                   by_kg: bool = False, fewest: int = 3) -> list[tuple[str, Product]] | None:
    """Goods named one after another with nothing between them ("preciso de arroz de 1kg feijão preto café pilão
    açúcar"): the fewest spans of at most four words that each name one product whole, cut only between two
    product words (never at "de": "pão de queijo" is one thing); None when the words are not all such spans, or
    name fewer than two kinds of goods, two of one kind, or (unless ``by_kg``: prices asked, no amounts) anything
    sold by the kilo; with fewer than ``fewest`` product words, None too. Each span is given with the product it
    names."""
    start = next((k for k, w in enumerate(words) if is_product(w)), None)
    if start is None:
        return None
    words = words[start:]
    if len(words) < fewest or len(words) > 14 or sum(map(is_product, words)) < fewest:
        return None
    found: dict[tuple[int, int], Product | None] = {}

    def named(i: int, j: int) -> Product | None:
        if (i, j) not in found:
            matches = [m for m in searcher.search(" ".join(words[i:j]), drop=drop | FILLER).matches if m.complete]
            found[i, j] = matches[0].product if matches else None
        return found[i, j]

    best: list[list | None] = [[]] + [None] * len(words)     # best[j]: the fewest spans of words[:j]
    for j in range(1, len(words) + 1):
        if j < len(words) and not (is_product(words[j - 1]) and is_product(words[j])) \
                and not quantities.kilos(words[j - 1]):
            continue        # no cut here: "arroz de | ..." or "... | de feijão"
        for i in range(max(0, j - 4), j):
            if best[i] is None or not is_product(words[i]) or not quantities._alpha(words[i]) \
                    or (best[j] is not None and len(best[i]) + 1 >= len(best[j])):
                continue
            p = named(i, j)
            if p is not None and (by_kg or not sold_by_kg(p)):
                best[j] = best[i] + [(" ".join(words[i:j]), p)]
    run = best[len(words)]
    kinds = {text.normalize(p.name).split()[0] for _, p in run or []}
    # two of one kind is one thing described ("o 3 corações pequeno de 250g"), not a list
    return run if run and len(kinds) == len(run) >= 2 else None


def _goods_words(item: quantities.Item) -> list[str]:
    """The words of an item that may name goods: not the list's filler ("quanto", "cada") nor stopwords."""
    return [w for w in item.words if w not in FILLER and w not in text.STOPWORDS]


def _each_weighs(item: quantities.Item, searcher, drop: frozenset):
    """"1 tambaqui inteiro de 2 kg", "1 frango de uns 2 kg": a count of goods sold by the kilo, each of the weight
    said: (the match, the item as that many kilos), or None."""
    if item.amount is None or item.amount.weight:
        return None
    weights = [k for w in item.words if (k := quantities.kilos(w)) is not None]
    rest = [w for w in item.words if quantities.kilos(w) is None and w not in ABOUT]
    half = next((k for k in range(len(item.words) - 1) if item.words[k:k + 2] in (["meio", "kg"], ["meia", "kg"])),
                None)
    if half is not None and not weights:     # "1 mortadela de meio quilo": half a kilo of it
        weights, rest = [Decimal("0.5")], [w for w in item.words[:half] + item.words[half + 2:] if w not in ABOUT]
    if len(weights) != 1:
        return None
    found = [m for m in searcher.search(" ".join(rest), drop=drop | FILLER).matches if m.complete]
    if not found or not sold_by_kg(found[0].product):
        return None
    return found[0], quantities.Item(quantities.Amount(item.amount.value * weights[0], True), rest, item.raw)


# words of an approximate weight ("de uns 2 kg", "de mais ou menos 2 kg")
ABOUT = frozenset("de uns umas cerca mais ou menos aproximadamente quase".split())
# an item that names only what kind it is, its goods said by the item before ("e 1 de cupuaçu")
_ELLIPTIC = re.compile(r"^(?:\d+|um|uma|dois|duas|tres|quatro|cinco|meio|meia)\s+(?:de|do|da)\s+\w")
# Words after which an item says what it is for or when, not what it is ("costela pra assar no domingo").
PURPOSE_STARTS = frozenset("para pro pra que pq porque pois quando no na pro pros pras voces voce".split())


# A can is not a bottle: "24 coca lata" where only the 2 L bottle is sold is not found (the search
# counts packaging words as soft, so the bottle alone would match)
CANS = frozenset("lata latas latinha latinhas latao latoes".split())
BOTTLES = frozenset("garrafa garrafas garrafinha long pet".split())


def _other_container(words: list[str], p: Product) -> bool:
    own = set(text.normalize(f"{p.name} {p.unit} {' '.join(p.aliases)}").split())
    asked = set(words)
    return bool(asked & CANS and not own & CANS or asked & BOTTLES and own & CANS and not own & BOTTLES)


def _chatter(item: quantities.Item, words: list[str]) -> bool:
    """An item of several words that matches nothing, whose amount is an article ("um", "uma")."""
    return item.amount.value == 1 and len(words) >= 2 and not any(c.isdigit() for c in item.raw)


def _goods_before_purpose(words: list[str]) -> list[str]:
    """The words of an item that may name goods, before what it is for ("mais 2 pra minha vizinha": none)."""
    end = next((i for i, w in enumerate(words) if w in PURPOSE_STARTS), len(words))
    return [w for w in words[:end] if w not in FILLER and w not in text.STOPWORDS]


def _before_purpose(words: list[str]) -> list[str] | None:
    k = next((i for i, w in enumerate(words) if i and w in PURPOSE_STARTS), None)
    return words[:k] if k else None


# -- the reply -----------------------------------------------------------------

def qty_text(qty: Decimal, p: Product) -> str:
    shown = f"{qty.normalize():f}".replace(".", ",")
    return f"{shown} kg" if sold_by_kg(p) else f"{shown}x"


def line_text(ln: Line) -> str:
    p = ln.product
    name = p.name + (f" {p.brand}" if p.brand and p.brand.lower() not in p.name.lower() else "")
    each = "o kg" if sold_by_kg(p) else "cada"
    kind = f", {ln.kind}" if ln.kind else ""
    return f"• {qty_text(ln.qty, p)} {name}: {fmt.money(ln.unit_price)} {each}{kind} = {fmt.money(ln.total)}"


def render(quote: Quote) -> list[str]:
    """The reply as lines; the total is the last one."""
    out = ["🧾 *Seu orçamento:*"] + [line_text(ln) for ln in quote.lines]
    if quote.not_found:
        out.append(f"❓ Não encontrei no catálogo (não vendemos ou escreveu diferente): {fmt.join(quote.not_found)}.")
    if quote.unclear:
        out.append(f"❓ Não entendi a quantidade de: {fmt.join(quote.unclear)}.")
    if quote.too_large:
        limit = f"{quantities.MAX_AMOUNT.normalize():f}"
        out.append(f"❓ Quantidade grande demais para orçar por aqui (até {limit} por item): "
                   f"{fmt.join(quote.too_large)}. Para uma compra desse tamanho, digite *atendente*.")
    tips = []
    for ln in quote.lines:
        if ln.unlock:
            n, price = ln.unlock
            unit = f"{n.normalize():f} kg" if sold_by_kg(ln.product) else f"{n.normalize():f}"
            each = "o kg" if sold_by_kg(ln.product) else "cada"
            tips.append(f"💡 {ln.product.name}: levando {unit}, sai {fmt.money(price)} {each}.")
    out += tips
    if quote.lines:
        out.append(f"💰 *Total: {fmt.money(quote.total)}*" + (" (sem os itens não encontrados)"
                                                              if quote.not_found or quote.unclear or quote.too_large
                                                              else ""))
    elif quote.unclear:
        out.append("Pode escrever de novo com a quantidade em unidades (ou em kg, para o que vendemos por quilo)? "
                   "Se preferir, digite *atendente*.")
    elif not quote.too_large:
        out.append("Não encontrei nenhum desses produtos no catálogo. Pode escrever de outro jeito? "
                   "Se preferir, digite *atendente*.")
    return out
