"""Find the products a customer means, despite typos, plurals and missing accents.

Query words are first corrected against the index's own vocabulary
(``kb_products_vocab``, difflib), then FTS5 finds candidates and each is
scored by how much of the question it covers, with a bonus when the
question names the product's head word ("arroz" for "Arroz Branco Tipo 1
5kg") or one of its aliases. The caller decides what a partial match means.
"""
from __future__ import annotations

import contextlib
import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .. import text
from ..reading import quantities
from . import knowledge

# Words that say something about the question but never name a product.
NOT_PRODUCT = frozenset("""
loja mercado supermercado atacarejo produto item coisa marca promocao oferta desconto atacado varejo
entrega frete compra comprar levar leva pegar quero preciso procuro procurando encontrar acha achar
disponivel estoque voce voces levando comprando pegando levo compro pego cada quem muito muita bastante
aquele aquela aqueles aquelas fechada fechado dele dela deles delas desse dessa desses dessas algum alguma
precisando precisava precisar pfv pfvr pf porfavor diante nessa nesse quantidade
enfim alias afinal inclusive nossa olha tipo entao conta barato barata baratinho caro saindo custando entra entrar
trabalham trabalha
domingo segunda terca quarta quinta sexta sabado feriado
""".split())
# How a request for a price starts: "me passa o valor" names no "uva passa".
ASKING = re.compile(r"\b(?:me (?:passa|passe|manda|mande|fala|diz|diga|informa|ve)|passa (?:ai|pra mim)|"
                    r"manda (?:ai|pra mim)|"
                    # "ela mandou eu perguntar o preço da manteiga": who asks, not what
                    r"(?:(?:mandou|pediu|mandaram|pediram)(?: (?:eu|pra eu|para eu))? )?perguntar)\b")
# a size said in words: +1 the largest of the products found, -1 the smallest
SIZE_WORDS = {"grande": 1, "grandao": 1, "grandona": 1, "maior": 1, "pequeno": -1, "pequena": -1, "menor": -1,
              "pequenininho": -1, "pequenininha": -1, "pequenina": -1, "pequenino": -1,
              "latinha": -1, "latao": 1}      # "skol latinha" is the small can, "latão" the big one


def _size(p: knowledge.Product):
    """The weight or volume in a product's name, if any (for "grande"/"pequeno")."""
    return quantities.pack_size_kg(p.name) or quantities.pack_size_l(p.name)


# "pô, só preciso de ...": an exclamation at the start, not the "pó" of café em pó
INTERJECTION = re.compile(r"^po(?= (?:so|mas|cara|mano|que|eu|voces|ai|entao|serio|tipo|nao|sim|beleza|valeu|"
                          r"moco|moca|amigo|amiga|gente|ja|agora|desculpa)\b)")
# The customer's home, never the store's own brand "da Casa" ("tem freteiro aí q leva em casa?")
HOME = re.compile(r"\b(?:em|pra|para|ate|la em|aqui em|na minha|minha|lá em) casa\b")
# Packaging words: part of the question when some product has them, ignored otherwise.
SOFT = frozenset("unidade kg g l ml caixa caixinha pacote garrafa lata latinha fardo saco pote litro vidro vidrinho "
                 "frasco frasquinho bandeja saquinho copo copinho garrafinha potinho pacotinho tablete "
                 "tabletes".split())


NAMES = Path(__file__).resolve().parents[2] / "data" / "products_ptbr.toml"


@functools.lru_cache(maxsize=1)
def other_names() -> tuple[tuple[str, ...], ...]:
    """Groups of names one product has in different regions ("pão de sal", "cacetinho", "pão francês")."""
    with NAMES.open("rb") as fh:
        return tuple(tuple(text.normalize(n) for n in group) for group in tomllib.load(fh)["same"])


@functools.lru_cache(maxsize=1)
def other_words() -> dict[str, tuple[str, ...]]:
    """Each one-word name of other_names' groups, with the group's other one-word names ("imbu": "umbu")."""
    out: dict[str, tuple[str, ...]] = {}
    for group in other_names():
        single = [n for n in group if " " not in n]
        for n in single:
            out[n] = tuple(o for o in single if o != n)
    return out


def _base_of(word: str, vocab: frozenset | set) -> str | None:
    """The catalog word a diminutive is made of ("paozinho" -> "pao"), if any."""
    return next((b for b in text.diminished(word) if b in vocab), None)


@dataclass
class Match:
    product: knowledge.Product
    score: float
    covered: list[str]
    missing: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing


@dataclass
class Result:
    query: list[str]                      # the content words searched for (stemmed)
    matches: list[Match] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)   # words no product has
    corrected: dict = field(default_factory=dict)       # query word -> the catalog word it was read as

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


class Searcher:
    """Product search over one knowledge-base version (vocabulary cached)."""

    def __init__(self, conn):
        self.conn = conn
        self._vocab_version = -1
        self._vocab: tuple[str, ...] = ()
        self.pinned = False      # set while one message is answered: its searches share one version check
        self._vocab_set: frozenset[str] = frozenset()
        self._numbered: frozenset[str] = frozenset()
        self._numbered_version = -1

    @contextlib.contextmanager
    def one_version(self):
        """Many searches for one message (a 40-item list): the knowledge-base version read once."""
        self.vocab()
        self.pinned = True
        try:
            yield self
        finally:
            self.pinned = False

    def vocab(self) -> tuple[str, ...]:
        if self.pinned:
            return self._vocab
        v = knowledge.version(self.conn)
        if v != self._vocab_version:
            self._vocab = tuple(sorted(r[0] for r in self.conn.execute("SELECT term FROM kb_products_vocab")))
            self._vocab_set = frozenset(self._vocab)
            self._vocab_version = v
        return self._vocab

    def numbered(self) -> frozenset[str]:
        """A number in a product's name with the word after it ("3 coracoe", "tres coracoe"): such a
        number in a list is part of the name, not the count of a new item."""
        v = knowledge.version(self.conn)
        if self._numbered_version != v:
            pairs = set()
            for p in knowledge.products(self.conn, limit=1_000_000):
                toks = text.normalize(f"{p.name} {p.brand or ''}").split()
                pairs |= {f"{a} {text.stem(b)}" for a, b in zip(toks, toks[1:])
                          if a.isdigit() or a in quantities.UNITS or a in quantities.TENS}    # "tres coracoe"
            self._numbered, self._numbered_version = frozenset(pairs), v
        return self._numbered

    def query_words(self, message: str, drop: frozenset = frozenset()) -> list[str]:
        """The words of a message that could name a product."""
        self.vocab()
        out: dict[str, None] = {}      # ordered and deduplicated in linear time
        said = HOME.sub(" ", INTERJECTION.sub(" ", ASKING.sub(" ", text.normalize(message))))
        if "de " in said:       # "arroz de quilo", "açaí de litro": the 1 kg or 1 L size, when one is sold
            # "erva barão tem de meio quilo?": the 500 g size of goods named (not "10 pacote de meio quilo" alone)
            said = quantities.HALF_OF.sub(
                lambda m: m.group(0) if not any(w in self._vocab_set and w not in SOFT and w not in text.STOPWORDS
                                                for w in said[:m.start()].split())
                else "de 500g" if m.group(1) == "kg" else "de 500ml", said)
            said = quantities.ONE_OF.sub(
                lambda m: f"de 1{m.group(1)}" if f"1{m.group(1)}" in self._vocab_set else m.group(0), said)
        for w in text.content_words(said):
            if w.isdigit() and len(w) >= 3:       # "fruki 600", "amstel 350": a size said without its unit
                w = next((w + u for u in ("ml", "g") if w + u in self._vocab_set), w)
            if w in ("litro", "litrao") and "1l" in self._vocab_set and w not in self._vocab_set:
                w = "1l"                         # "cajuína de litro", "litrão": the 1 L one
            if w in NOT_PRODUCT or w in drop or w.replace(",", "").replace(".", "").isdigit():
                continue
            if len(w) <= 2 and w not in self._vocab_set:      # "po" (pó) is a word of the catalog
                continue
            out[w] = None
        return list(out)

    def search(self, message: str, limit: int = 5, drop: frozenset = frozenset(),
               fuzzy: int = text.MAX_FUZZY_WORDS) -> Result:
        """``fuzzy``: how many of the words no product has may be read as typos (text.fuzzy_words)."""
        result = self._search(message, limit, drop, fuzzy)
        if result.best is None or not result.best.complete:     # "pão de sal" where the store says "pão francês"
            return self._store_names(message, drop, limit, fuzzy) or self._other_unit(message, drop, limit, fuzzy) \
                or result
        return result

    def _other_unit(self, message: str, drop: frozenset, limit: int, fuzzy: int) -> Result | None:
        """"café de 500" read as 500 ml first (a drink's size); as 500 g when that is what finds the product."""
        for n in re.findall(r"(?<![\d,.])(\d{3})(?![\d,.]|\s*(?:ml|g|kg|l)\b)", message):
            if f"{n}g" in self._vocab_set:
                found = self._search(re.sub(rf"(?<![\d,.]){n}(?![\d,.])", f"{n}g", message), limit, drop, fuzzy)
                if found.best is not None and found.best.complete:
                    return found
        return None

    def _store_names(self, message: str, drop: frozenset, limit: int, fuzzy: int) -> Result | None:
        """The search with one of the message's names read as another of its group, when that finds
        a product the message as written does not."""
        norm = text.normalize(message)
        for group in other_names():
            said = next((n for n in group if n in norm and text.has_phrase(norm, n)), None)
            for ours in (n for n in group if said is not None and n != said):
                found = self._search(re.sub(rf"\b{re.escape(said)}\b", ours, norm), limit, drop, fuzzy)
                named = {text.stem(w) for w in ours.split() if len(w) > 2}
                if found.best is not None and found.best.complete and named <= set(found.best.covered):
                    return found        # every word of the other name is the product's, none dropped
        return None

    def _search(self, message: str, limit: int, drop: frozenset, fuzzy: int, size_dropped: bool = False) -> Result:
        words = self.query_words(message, drop)
        result = Result(query=words)
        if not words:
            return result
        vocab = self.vocab()
        typos = text.fuzzy_words([w for w in words if w not in self._vocab_set], fuzzy)
        corrected: dict[str, str] = {}
        # "omo grande", "água pequena": a size said in words, no word of the name found; the largest or
        # smallest of those found (a store's alias "água grande" may name one)
        said_size = next((w for w in words if w in SIZE_WORDS), None)
        sized = 0
        if said_size is not None and (said_size not in self._vocab_set or size_dropped):
            sized = SIZE_WORDS[said_size]
            words = [w for w in words if w != said_size]
            result.query = words
            if not words:
                return result
        for w in list(words):
            c = w if w in self._vocab_set else _base_of(w, self._vocab_set) or (
                text.correct(w, vocab) if w in typos else None)
            if c is None and len(w) >= 5 and w in typos:
                # "mussarela" for "mussarelas" before stemming, "biscoito" for "biscoit": try a prefix.
                c = next((t for t in vocab if t.startswith(w) and len(t) - len(w) <= 2), None)
            if c:
                corrected[w] = c
            elif w in SOFT:
                words.remove(w)
            else:
                result.unknown.append(w)
        if not corrected:
            return result
        result.query = words
        result.corrected = corrected
        terms = sorted(set(corrected.values()))
        fts = " OR ".join('"' + t.replace('"', "") + '"' for t in terms)
        rows = self.conn.execute(
            "SELECT rowid, bm25(kb_products_fts, 10.0, 8.0, 2.0, 1.0) AS rank FROM kb_products_fts"
            " WHERE kb_products_fts MATCH ? ORDER BY rank LIMIT 60", (fts,)).fetchall()
        if not rows:
            return result
        ids = [r["rowid"] for r in rows]
        rank = {r["rowid"]: r["rank"] for r in rows}
        found = knowledge.products(self.conn, f"id IN ({','.join('?' * len(ids))})", tuple(ids), len(ids))
        phrase = " ".join(corrected[w] for w in words if w in corrected)
        said_with = _with_or_without(message)
        for p in found:
            m = self._score(p, words, corrected, phrase, rank[p.id])
            if said_with and (against := _against(said_with, p)):
                # "água com gás" is not the "Água sem Gás", nor "manteiga sem sal" the "Manteiga com Sal"
                m.covered = [w for w in m.covered if w not in against]
                m.missing += against
                m.score -= 0.5
            result.matches.append(m)
        result.matches = [m for m in result.matches if m.covered
                          and not (result.unknown and set(m.covered) <= SOFT)]   # "heineken latinha": not any can
        result.matches.sort(key=lambda m: (-m.score, len(m.product.name), m.product.id))
        if sized and result.matches:
            top = result.matches[0]
            best = [m for m in result.matches if set(m.covered) == set(top.covered) and m.complete == top.complete
                    and _size(m.product) is not None]
            if len({_size(m.product) for m in best}) >= 2:
                best.sort(key=lambda m: -sized * _size(m.product))
                result.matches = best + [m for m in result.matches if m not in best]
        result.matches = result.matches[:limit]
        if said_size and not sized and not size_dropped and not any(m.complete for m in result.matches):
            again = self._search(message, limit, drop, fuzzy, size_dropped=True)    # "omo grande" of no alias
            if any(m.complete for m in again.matches):
                return again
        return result

    @staticmethod
    def _score(p: knowledge.Product, words, corrected, phrase: str, bm25: float) -> Match:
        name = text.search_text(p.name).split()
        # "manteiga de garrafa" is asked as "manteiga garrafa": an alias without its links
        aliases = [" ".join(w for w in text.search_text(a).split() if w not in quantities.LINKS) for a in p.aliases]
        alias_words = {w for a in aliases for w in a.split()}
        own = set(name) | alias_words | set(text.search_text(p.brand).split())
        category = set(text.search_text(p.category).split())
        covered, missing = [], []
        for w in words:
            c = corrected.get(w)
            if c and (c in own or c in category):
                covered.append(w)
            elif KILOS.fullmatch(w) and w == words[0] and (p.unit or "").lower() == "kg":
                continue             # "1 kg de picanha": an amount of goods sold by the kilo, said before them
            elif w not in SOFT:      # "unidades" need not be in the name
                missing.append(w)
        hard = [w for w in words if w not in SOFT] or words
        is_hard = set(hard)      # a set: a long message has hundreds of words, covered and hard alike
        hits = len([w for w in covered if w in is_hard])
        score = hits / len(hard) + 0.1 * (len(covered) - hits)
        if name and name[0] in corrected.values():
            score += 0.3     # the head noun: "leite" is Leite UHT before Doce de Leite
        if any(a and a == phrase for a in aliases):
            score += 0.4     # the store's own alias for it
        elif any(a and f" {a} " in f" {phrase} " for a in aliases):
            # an alias inside what was asked: less when it is one word of more ("leite" of "doce de leite")
            score += 0.4 if any(a and " " in a and f" {a} " in f" {phrase} " for a in aliases) else 0.15
        if covered and all(corrected[w] in category and corrected[w] not in own for w in covered):
            score -= 0.2     # only the category matched ("bebidas"): weaker than a name
        score += -min(bm25, 0) * 0.001   # FTS5 rank only breaks ties
        return Match(product=p, score=round(score, 4), covered=covered, missing=missing)


KILOS = re.compile(r"\d+(?:[.,]\d+)?kg")
_WITH = re.compile(r"\b(com|sem)\s+(\w+)")


def _with_or_without(message: str) -> dict[str, str]:
    """What a message says the goods come with or without ("água com gás": {"gas": "com"}), by stem."""
    return {text.stem(w): how for how, w in _WITH.findall(text.normalize(message)) if len(w) > 2}


def _against(said: dict[str, str], p: knowledge.Product) -> list[str]:
    """The words a product's name says the other way ("sem gás" for "com gás"), as the query has them."""
    name = text.normalize(p.name)
    return [w for w, how in said.items()
            for other, stem in _WITH.findall(name) if text.stem(stem) == w and other != how]
