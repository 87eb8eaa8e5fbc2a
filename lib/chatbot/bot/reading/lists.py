"""A message spelled out before the classifier reads it.

``rewrite(message)`` spells out packs ("2 fardos de refrigerante (de 6)" is
"12 refrigerante"), cuts run-on lists into items ("e também 2 óleos") and
drops what a list is for ("pro almoço de domingo"); the message is unchanged
otherwise. ``packs`` is the first of these alone (answering/respond.py reads
a pack asked about, "2 fardos de guaraná? o fardo vem com 6", as one part).
Nothing here knows a store: the pack and purpose words are the pt-BR
vocabulary's (data/reading_ptbr.toml).
"""
from __future__ import annotations

import functools
import re

from .. import text
from . import quantities
from . import vocab as vocab_mod

_RUN_ON = re.compile(r"\s*(?:,\s*)?\b(?:(?:ah\s+)?e\s+(?:tamb[eé]m|tbm?|tmb|ainda|mais)|tamb[eé]m|tbm?|tmb|mais"
                     r"|al[eé]m de|ah e)\s+"
                     r"(?!\d{1,3}[ \t]*(?:\n|\Z|[,;.!?]))"      # "leite integral mais 6": the count of the goods said
                     r"(?=(?:\d|um |uma |dois |duas |tres |três |quatro |cinco |seis |sete |oito |nove |dez |doze "
                     r"|meia |meio ))",
                     re.IGNORECASE)




@functools.lru_cache(maxsize=8)
def written_packs(packs: frozenset[str]) -> frozenset[str]:
    """The pack words and how they are written short ("cx" for "caixa"), which normalize spells out."""
    return frozenset(packs) | {a for a, full in text.ABBREVIATIONS.items() if full in packs}


def rewrite(message: str) -> str:
    """Packs counted as units and run-on lists cut into items; the message unchanged otherwise."""
    words = vocab_mod.load()
    out = _RUN_ON.sub(", ", quantities.enumerated(message))
    low = text.strip_accents(out.lower())
    cooked = COOKING.match(low) if len(low) == len(out) else None
    if cooked and len(out[cooked.end():].split()) >= 3:
        out = out[cooked.end():]        # "to querendo fazer um cuscuz, o flocão tá quanto?": the dish is no item
        low = low[cooked.end():]
    if any(p in low for p in written_packs(words.packs)):
        out = packs(out, words)
    if any(c.isdigit() for c in out) or quantities.counted(text.normalize(out)):   # normalized only when needed
        out = _purposes(out, words)
    return out


def _purposes(message: str, words: vocab_mod.Vocab) -> str:
    """A list without what it is for: "pro café da tarde vou levar 1 kg de pão" is "vou levar 1 kg de pão",
    "1 açúcar pro almoço de domingo que a família vem" is "1 açúcar"."""
    low = text.strip_accents(message.lower())      # same length as the message: spans carry over
    if len(low) != len(message):
        return message
    lead_pattern, tail_pattern = _purpose_patterns(words.purposes)
    lead = lead_pattern.match(low) or COOKING.match(low)
    if lead and any(c.isdigit() for c in low[lead.end():]):
        message, low = message[lead.end():], low[lead.end():]
    return _cut(message, low, tail_pattern)


# what the customer will cook, before the list: "vou fazer uma lasanha e um arroz pro almoço, então me vê 2 kg..."
COOKING = re.compile(r"\s*(?:(?:oi|ola|bom dia|boa tarde|boa noite)\W+)?(?:eu\s+)?(?:vou|vamos|vo|to|tou|estou)\s+"
                      r"(?:querendo\s+|pensando em\s+|a ?fim de\s+|com vontade de\s+)?"
                      r"(?:fazer|preparar|fazendo|preparando|cozinhar|cozinhando)\b[^,;:\n\d]{0,120}[,;:]\s*"
                      r"(?:(?:entao|ai|dai|e)\s+)?")


# the verbs that lead into a list: what comes after them is the list, never its purpose
_LEADING = r"(?:vou|vamos|quero|queria|preciso|precisar|precisando|me ve|manda|separa|levar|leva|anota|ve)"


@functools.lru_cache(maxsize=4)
def _purpose_patterns(purposes: tuple[str, ...]) -> tuple[re.Pattern, re.Pattern]:
    purpose = "|".join(re.escape(p) for p in sorted(purposes, key=len, reverse=True))
    lead = re.compile(rf"\s*(?:pro|pra|para)\s+(?:o\s+|a\s+)?(?:{purpose})\b[^\d,;:\n]{{0,80}}?\s+"
                      rf"(?=(?:vou|vamos|quero|queria|preciso|me ve|manda|separa|levar|leva)\b)")
    # the purpose ends where the list is led in: "pro almoço lá em casa então vou precisar de 2 kg de ..."
    tail = re.compile(rf"\s+(?:pro|pra|para|p)\s+(?:o\s+|a\s+)?(?:{purpose})\b[^\d,;:?!.\n]*?"
                      rf"(?=\s+(?:(?:entao|ai|dai|e)\s+)?(?:eu\s+)?{_LEADING}\b|\s*[\d,;:?!.\n]|\s*$)")
    return lead, tail


def _cut(message: str, low: str, pattern: re.Pattern) -> str:
    out, last = [], 0
    for m in pattern.finditer(low):
        out.append(message[last:m.start()])
        last = m.end()
    return "".join(out) + message[last:]


def _count(word: str) -> int | None:
    w = text.strip_accents(word.lower())
    if w.isdigit():
        return int(w)
    return 1 if w in ("a", "o") else quantities.UNITS.get(w)


def packs(message: str, words: vocab_mod.Vocab) -> str:
    """Packs counted as units: "2 fardos de refrigerante (de 6)", "3 caixas de leite com 12", "um fardo
    de 12 águas", "uma caixa de itaipava latão, com 12 latas", "1 fardo de arroz 5kg (vem 6 pacote)":
    a count of packs, then, in the same clause, how many each holds (never a size: "de 350", "2 litros").
    A pack described first and counted after ("o fardo de skol vem com 12, quero 3 fardos") is the count
    times what the description says it holds."""
    head, inner = _pack_patterns(words.packs)
    message = _WHICH_ONE_AFTER.sub(r"? vem \1", message)       # "... o fardo da coca? o de 6 garrafas"
    packs_again = re.compile(rf"\s*(?:{'|'.join(words.packs)})\b", re.IGNORECASE)
    out, last = [], 0
    described: tuple[int, str] | None = None        # (how many it holds, the product) of "o fardo de X com 12"
    for m in head.finditer(message):
        if m.start() < last:
            continue
        explicit = bool(m.group(1)) and m.group(1).lower() not in ("o", "a")
        n = _count(m.group(1)) if m.group(1) else 1
        end = _clause_end(message, m.end())
        each = inner.search(message, m.end(), end)
        if not each and end < len(message) and message[end] == "," and re.search(r"fechad[oa]", message[m.end():end]):
            # "um saco de flocão fechado, 24 pacotes de 500g": a closed pack, then what it holds
            each = inner.match(message, end + 1 + len(message[end + 1:]) - len(message[end + 1:].lstrip()))
            end = each.end() if each else end
        said_after = False
        if not each and end < len(message) and message[end] == "?":
            # "quanto sai 2 fardos de guaraná? o fardo vem com 6": how many it holds, said after
            told = _DESCRIBED.match(message, end + 1)
            if told and (told.group(1) is None or packs_again.match(told.group(1))):
                each = inner.search(message, told.start(1) if told.group(1) else told.start(2) - 4, told.end() + 24)
                said_after = each is not None      # "... 2l? vem 6 em cada": the pack not named again
        if not each and explicit and n and described:
            per, product = described          # "... quero 3 fardos": the fardo described before
            out.append(message[last:m.start()] + f"{n * per} {product} ")
            last = m.end()
            continue
        if each and m.group(0).split()[-1].lower() in words.weak_packs and not _HOLDS.match(each.group(0)) \
                and not _THOSE_OF.search(message, 0, each.start()) \
                and not re.search(r"fechad[oa]", message[m.end():each.start()]):     # "um saco ... fechado, 24"
            each = None        # "1 saco de arroz de 5": a bag is one of the goods unless it is said to hold some
        if not n or not each:
            continue
        per = int(each.group(1) or each.group(2))
        dozens = re.search(r"d[uú]zias?\b", each.group(0), re.IGNORECASE) is not None     # "com 5 dúzias cada"
        before = re.sub(r"^\s*(?:de|do|da)\s+", " ", message[m.end():end if said_after else each.start()])
        if said_after:
            before += "?"
        before = re.sub(r"[\s,(]*(?:aquel[ea]s?|tipo|sabe)?[\s,(]*$", "", before)    # ", aquelas com 12"
        before = re.sub(r"[\s,(]+(?:o|a)$", "", before)          # ", o de 12"
        lead = message[last:m.start()]
        named = _named_before(lead)      # (where, what): the goods named before the pack
        if named and not re.sub(r"\b\d+(?:[.,]\d+)?\s*(?:kg|g|l|ml|litros?)\b|\W", "", before, flags=re.IGNORECASE):
            # "carvão brasa, o fardo com 5 sacos de 4kg": the product named before the pack
            lead, before = lead[:named[0]], named[1] + " " + before
        later = not explicit and re.search(rf"\b(?:\d{{1,3}}|uma|um|dois|duas|tr[eê]s|quatro|cinco|seis|dez)\s+"
                                           rf"(?:{'|'.join(words.packs)})\b", message[each.end():], re.IGNORECASE)
        size = re.match(r"\s*(?:de\s+)?\d+(?:[.,]\d+)?\s*(?:l|ml|kg|g|litros?)\b", message[each.end():],
                        re.IGNORECASE)
        if later and before.strip() and not said_after:
            # counted later in the message, and said there with its size: "... 6 garrafas de 2l, vou levar 2 fardos"
            described = (per, before.strip() + (" " + size.group(0).strip() if size else ""))
            out.append(lead)
            last = each.end() + (size.end() if size else 0)
            continue
        goods = (" duzias de" if dozens else "") + (" " + before.strip() if before.strip() else "")
        out.append(lead + f"{n * per}" + goods + " ")
        last = each.end()
        # "vem 6 pacotes de 12 rolos", "10 pacotes de 1kg": the size of each, which the product's name says
        each_size = _EACH_SIZE.match(message, last)
        last = each_size.end() if each_size else last
        # "12 latas cada caixa": the pack named again after how many it holds
        again = packs_again.match(message[last:])
        last += again.end() if again else 0
    text_out = "".join(out) + message[last:]
    # the lines of a list stay lines ("- 1 fardo de guaraná (6 garrafas)\n- 2 kg de macaxeira")
    text_out = re.sub(r"[ \t]+\n", "\n", re.sub(r"[ \t]{2,}", " ", text_out))
    return re.sub(r"[ \t]+([?!.,])", r"\1", text_out).strip() if out else message


_NAMED_BEFORE = (re.compile(r"(?:^|[.!?:;]\s*)([^.!?:;,]{3,70})[,:]\s*(?:o|a|aquel[ea]s?)?\s*$"),
                 # "o leite italac vem na caixa com 12", "detergente ypê na caixa fechada de 24"
                 re.compile(r"(?:^|[.!?:;,]\s*)([^.!?:;,]{3,70}?)\s+(?:(?:que\s+)?vem\s+(?:na|em|numa|no)|na|numa|no|"
                            r"em|a|o)?\s*$"))
_WANTED = re.compile(r".*\b(?:levar|levando|comprar|pegar|pegando|quero|vou|queria)\b", re.IGNORECASE)


def _named_before(lead: str) -> tuple[int, str] | None:
    """Where the goods a pack is of are named before it, and how: "carvão, o fardo com 5", "omo de 1,6kg a
    caixa vem com 6" (a comma between digits is no clause), "vou levar coca pra festa: dois fardos" (the goods
    after what is wanted); none in "e se eu levar a caixa com 12" (the last product)."""
    masked = re.sub(r"(?<=\d),(?=\d)", "\0", lead)
    m = _NAMED_BEFORE[0].search(masked) or _NAMED_BEFORE[1].search(masked)
    if m is None or re.match(r"\s*(?:e|se)\b", m.group(1), re.IGNORECASE):
        return None
    start, end = m.start(1), m.end(1)
    wanted = _WANTED.match(masked, start, end)
    if wanted:
        start = wanted.end()
        start += len(masked[start:end]) - len(masked[start:end].lstrip())
    return (start, lead[start:end]) if end - start >= 3 else None


_PACK_UNITS = (r"unidades|unidade|un|garrafas|garrafa|garrafinhas|latas|lata|latinhas|latinha|latões|latoes|caixinhas|"
               r"caixinha|cxinhas|pacotes|"
               r"pacote|pcts?|rolos|potes|saquinhos|sacos|saches|sachês|sachets|copos|vidros|frascos|barras|"
               r"tabletes|bandejas|vidrinhos|vidrinho|potinhos|potinho|copinhos|copinho|garrafinha|frasquinhos|vidro|tubos|tubo|"
               r"pote|frasco|rolo|duzias|duzia|dúzias|dúzia|em cada|cada|dentro|nela|nele")


# how a bag, a packet or a small box is said to hold several of the goods ("aquele q vem 10 pacotes", "com 12
# unidades", "que vem com 6 tubos")
_HOLDS = re.compile(r"\(?\s*(?:d?aquel[ea]s?\s+(?:que\s+|q\s+|fechad[oa]s?\s+)?|(?:que|q)\s+|cada\s+\w+\s+)?"
                    r"(?:vem\s+com|vem|com|c/|tem)\s+\d|\(?\s*d(?:ess|aquel)[ea]s?\s+de\s+\d", re.IGNORECASE)
# "um saco de laranja, desses de 50 laranjas": the kind of bag that holds that many
_THOSE_OF = re.compile(r"\bd(?:ess|aquel)[ea]s?\s*$", re.IGNORECASE)
_EACH_SIZE = re.compile(r"\s*de\s+\d+(?:[.,]\d+)?\s*(?:rolos|kg|g|l|ml|litros?|gramas|metros|m)\b", re.IGNORECASE)
_WHICH_ONE_AFTER = re.compile(r"\?\s*(?:o|a)\s+de\s+(\d{1,2})\b(?!\s*(?:ml|l|g|kg|litros?|quilos?)\b)", re.IGNORECASE)
_DESCRIBED = re.compile(r"\s*(?:e\s+)?(?:(?:o|a|cada)\s+(\w+)\s+)?(?:vem\s+com|vem|tem|sao|são)\s+()", re.IGNORECASE)


def _clause_end(message: str, start: int) -> int:
    """Where the clause of a pack ends: a question mark, a new line, or the next item ("e 3 ...")."""
    m = re.compile(rf"[?;\n]|\s(?:e|mais)\s+\d|(?<!\d),\s*\d(?!\d*\s*(?:{_PACK_UNITS})\b)").search(
        message, start, start + 90)
    return m.start() if m else min(len(message), start + 90)


@functools.lru_cache(maxsize=4)
def _pack_patterns(packs: frozenset[str]) -> tuple[re.Pattern, re.Pattern]:
    words = "|".join(sorted(written_packs(packs), key=len, reverse=True))
    # "a caixa de leite com 12", "o fardo de água com 12": one of them
    count = r"(\d{1,3}|um|uma|dois|duas|tr[eê]s|quatro|cinco|seis|sete|oito|nove|dez|a|o)"
    # no count is one: "caixa do óleo c/ 20 garrafas quanto fica", "display de sabonete (12 unidades)"
    head = re.compile(rf"(?:\b{count}\s+)?\b(?:{words})\b(?:\s+(?:fechad[oa]s?|grandes?|pequen[oa]s?|lacrad[oa]s?|"
                      rf"de papel[aã]o))?", re.IGNORECASE)
    # how many each holds: "com 12", "de 6", "(vem 6 em cada)", "(fardo com 12)", "12 latas"; not a size
    not_size = r"(?!\d|[.,]\d|\s?(?:ml|l|g|kg|litros?|lts?|quilos?)\b)"
    inner = re.compile(rf"\(?\s*(?:d?aquel[ea]s?\s+(?:que\s+|q\s+|fechad[oa]s?\s+)?|(?:que|q)\s+)?"
                       rf"(?:cada\s+(?:um|uma|{words})\s+|cada\s+)?"
                       rf"(?:(?:{words})\s+(?:fechad[oa]s?\s+)?)?"
                       rf"(?:vem\s+com|vem|tem|com|de|c/|c)\s+(\d{{1,2}}){not_size}(?:\s*(?:{_PACK_UNITS}))*\s*\)?"
                       rf"|\(?(?:cada\s+(?:{words})\s+(?:[eé]\s+|eh\s+)?)?\b(\d{{1,2}}){not_size}\s*(?:{_PACK_UNITS})\b"
                       rf"(?:\s*(?:{_PACK_UNITS}))*\s*\)?",             # "cada fardo 12 latas"
                       re.IGNORECASE)
    return head, inner
