"""How customers write, made comparable: accents, case, abbreviations,
stretched letters, plurals and typos.

Everything that matches text (intents, product search, FAQ, delivery areas)
goes through ``normalize``/``tokens`` so the index side and the query side
agree: "qto ta o feijão??" and "quanto esta o feijao" give the same tokens.
"""
from __future__ import annotations

import difflib
import functools
import re
import unicodedata

# Internet pt-BR -> the word it stands for (after accents are stripped).
ABBREVIATIONS = {
    "vc": "voce", "vcs": "voces", "oce": "voce", "ce": "voce", "ces": "voces",
    "qto": "quanto", "qnto": "quanto", "qt": "quanto", "qtd": "quantidade", "qtde": "quantidade",
    "qtos": "quantos", "qts": "quantos", "qtas": "quantas", "qnts": "quantos", "qntas": "quantas",
    "amn": "amanha", "qnt": "quanto", "qntos": "quantos", "qro": "quero", "jd": "jardim", "jdm": "jardim",
    "vl": "vila", "conj": "conjunto", "cj": "conjunto", "resid": "residencial",
    "q": "que", "oq": "o que", "oque": "o que",
    "tb": "tambem", "tbm": "tambem", "tmb": "tambem", "pq": "porque", "hj": "hoje",
    "td": "tudo", "tds": "todos", "blz": "beleza", "obg": "obrigado", "obgd": "obrigado",
    "obgda": "obrigada", "brigado": "obrigado", "brigada": "obrigada", "vlw": "valeu", "vlww": "valeu",
    "msm": "mesmo", "n": "nao", "nn": "nao", "cmg": "comigo", "p": "para", "pra": "para",
    "pro": "para o", "pros": "para os", "pras": "para as", "ta": "esta", "tao": "estao",
    "kd": "cade", "qdo": "quando", "qndo": "quando", "qnd": "quando", "sab": "sabado", "dom": "domingo",
    "seg": "segunda", "qua": "quarta", "sex": "sexta", "fds": "fim de semana", "end": "endereco",
    "tel": "telefone", "fone": "telefone", "zap": "whatsapp", "wpp": "whatsapp", "whats": "whatsapp",
    "vlr": "valor", "cx": "caixa", "cxs": "caixas", "un": "unidade", "und": "unidade", "unid": "unidade",
    "pct": "pacote", "pcte": "pacote", "pcts": "pacotes", "kilo": "kg", "quilo": "kg", "kilos": "kg",
    "quilos": "kg", "kgs": "kg", "litro": "l", "litros": "l", "lt": "l", "lts": "l", "gramas": "g",
    "grama": "g", "gr": "g", "d": "de", "c": "com", "aki": "aqui", "aq": "aqui", "agr": "agora",
    "dps": "depois", "mt": "muito", "mto": "muito", "mts": "muitos", "mta": "muita", "ngm": "ninguem",
    "pfv": "por favor", "pf": "por favor", "pfvr": "por favor", "eh": "e",
    "deb": "debito", "cred": "credito", "vdd": "verdade", "to": "estou",
    "flw": "falou", "bjs": "beijos", "bj": "beijo", "eae": "e ai", "eai": "e ai", "iai": "e ai",
    "refri": "refrigerante", "promo": "promocao", "promos": "promocoes", "info": "informacao",
    "hr": "hora", "hrs": "horas", "min": "minutos", "ctg": "contigo", "sm": "sem",
    "smp": "sempre", "sla": "sei la", "tava": "estava", "tamo": "estamos",
    "mercadinho": "mercado",
}

_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*|\$")
_STRETCH = re.compile(r"([a-z])\1{2,}")
# "5 kg", "1,5 l", "500 gramas" -> "5kg", "1,5l", "500g": sizes are one token, as in product names.
_SIZE = re.compile(r"\b(\d+(?:[.,]\d+)?)\s+(kg|g|ml|l)\b")


class _CombiningMarks(dict):
    """str.translate table dropping combining marks: code point -> None (drop) or itself.
    Filled as code points are met (translate runs in C; a generator over a 4,096-character
    text ran in Python), and emptied past a bound so odd texts cannot grow it without end."""

    def __missing__(self, code: int) -> int | None:
        if len(self) > 20_000:
            self.clear()
        keep = None if unicodedata.combining(chr(code)) else code
        self[code] = keep
        return keep


_COMBINING = _CombiningMarks()


def strip_accents(text: str) -> str:
    return unicodedata.normalize("NFKD", text).translate(_COMBINING)


@functools.lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Lower case, no accents, abbreviations expanded, stretched letters cut
    ("bommm diaaa" -> "bom dia"), punctuation gone; numbers keep , and ."""
    low = strip_accents((text or "").lower()).replace("ç", "c")
    low = low.replace("r$", " rs ").replace("wi-fi", "wifi").replace("e-mail", "email")
    low = low.replace("/", " ").replace("-", " ")
    words = _WORD.findall(low)
    if _STRETCH.search(low):        # one search of the text saves a substitution per word
        words = [w if w[0].isdigit() else _STRETCH.sub(r"\1", w) for w in words]
    out = _SIZE.sub(r"\1\2", " ".join([ABBREVIATIONS.get(w, w) for w in words]))
    # "segunda feira" is the day, never the "feira" (the produce market) an entry or a section is about
    return _WEEKDAY.sub(r"\1\2", out) if "feira" in out else out


_WEEKDAY = re.compile(r"\b(segunda|terca|quarta|quinta|sexta)(s?) feiras?\b")


def tokens(text: str) -> list[str]:
    return normalize(text).split()


@functools.lru_cache(maxsize=16384)
def stem(word: str) -> str:
    """A light Portuguese plural stemmer: enough that "feijoes", "limoes",
    "paes", "papeis" and "bananas" meet their singular in the catalog."""
    if len(word) <= 3 or word[0].isdigit():
        return word
    for suffix, repl in (("oes", "ao"), ("aes", "ao"), ("eis", "el"), ("ais", "al"), ("ns", "m"),
                         ("res", "r"), ("zes", "z"), ("les", "l")):
        if word.endswith(suffix):
            return word[: -len(suffix)] + repl
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def stems(text: str) -> list[str]:
    return [stem(t) for t in tokens(text)]


@functools.lru_cache(maxsize=8192)
def search_text(text: str) -> str:
    """The form stored in the full-text index and used for queries."""
    return " ".join(stems(text))


# Words that carry no meaning for matching products, areas or FAQ entries.
STOPWORDS = frozenset("""
a o as os um uma uns umas de do da dos das no na nos nas em para por pelo pela com sem e ou que
se eu me meu minha voce voces ele ela eles elas nos gente isso isto esse essa aquele aquela ai ali
aqui la qual quais quanto quantos quanta quantas como onde quando porque sim nao ja mais menos muito
pouco tambem so ate esta estao estou estava foi ser sao era tem tenho temos tinha ter ha vai vou
favor por oi ola bom boa dia tarde noite tudo bem obrigado obrigada moca moco amigo amiga senhor
senhora queria quero gostaria saber preciso pode poderia consegue sabe diz dizer me fala informa
hoje agora ainda entao lo la le rs real reais preco precos valor custa custam sai fica ficar vende
vendem vendendo tipo coisa algum alguma nenhum nenhuma ne ok certo beleza pfv por favor e ai
cada partir barato barata caro cara saem quantidade ta to kg quilo quilos semana mes
mano mana maninho maninha mainha painho querido querida parceiro parceira irmao mermao chefe patrao
patroa galera pessoal vei veia cumpadi compadre comadre brother vem mesmo
vixe vish eita oxe oxente afe poxa putz opa
""".split())


def content_words(text: str) -> list[str]:
    """Stemmed tokens without stopwords: what a product or FAQ question is about."""
    return [stem(t) for t in tokens(text) if t not in STOPWORDS]


# A WhatsApp text has at most 4,096 characters, some 700 words. Exact matching (sets,
# whole-word phrases, the FTS index) is linear and reads all of it. Typo correction
# (difflib against a vocabulary) made a pasted text cost seconds, so each step corrects at
# most MAX_FUZZY_WORDS distinct words of a message: the first and the last ones, because the
# question of a long text sits at its start or its end ("segue a lista: ... quanto fica
# tudo?"). A question of ordinary length has fewer candidates than that (in the evaluation
# sets, 7 at most) and is corrected in full, as before.
MAX_FUZZY_WORDS = 16


def fuzzy_words(candidates: list[str], limit: int = MAX_FUZZY_WORDS) -> set[str]:
    """Which of a message's words (in order) get typo correction: all of them, or the
    first and the last of a long text's distinct words, ``limit`` in all."""
    distinct = list(dict.fromkeys(candidates))
    if len(distinct) <= limit:
        return set(distinct)
    head = limit // 2
    return set(distinct[:head] + distinct[len(distinct) - (limit - head):])


@functools.lru_cache(maxsize=8192)
def _closest(word: str, vocab: tuple[str, ...], cutoff: float) -> str | None:
    near = _near(word, vocab, cutoff)
    found = difflib.get_close_matches(word, near, n=len(near), cutoff=cutoff) if near else []
    return next((v for v in found if is_typo_of(word, v)), None)


def max_typos(word: str) -> int:
    """How many slips a typed word may have: one in a short word, two from seven letters,
    three from eleven."""
    return 1 if len(word) <= 6 else 2 if len(word) <= 10 else 3


def is_typo_of(word: str, target: str) -> bool:
    """``word`` is ``target`` with at most ``max_typos`` slips (a letter left out, added,
    changed, or two swapped). difflib's ratio alone reads "carro" as "arroz" and "pilha" as
    "pilao" (both 0.8): two slips in five letters is another word, not a typo."""
    limit = max_typos(word)
    if abs(len(word) - len(target)) > limit or word[:1] != target[:1]:
        return False          # a slip seldom hits the first letter: "vinho" is no typo of "pinho"
    # optimal string alignment distance, row by row, stopping once a row is past the limit
    before, row = None, list(range(len(target) + 1))
    for i, a in enumerate(word, 1):
        nxt = [i] + [0] * len(target)
        for j, b in enumerate(target, 1):
            cost = a != b
            nxt[j] = min(row[j] + 1, nxt[j - 1] + 1, row[j - 1] + cost)
            if before is not None and i > 1 and j > 1 and a == target[j - 2] and word[i - 2] == b:
                nxt[j] = min(nxt[j], before[j - 2] + 1)
        if min(nxt) > limit:
            return False
        before, row = row, nxt
    return row[-1] <= limit


def _near(word: str, vocab: tuple[str, ...], cutoff: float) -> list[str]:
    """The vocabulary words that could reach the cutoff; only these go to difflib (the same
    answers, several times sooner). difflib's ratio is 2*M/(a+b) for lengths a and b, and M,
    the letters matched, is at most each word's length less the letters it has that the other
    lacks (at least one per distinct missing letter: a bit mask each). A 4,000-letter "word"
    is settled here too, before difflib indexes its letters (1.5 ms a call)."""
    n, mask = len(word), _letters(word)
    return [v for v, size, m in _profiles(vocab)
            if 2 * min(n - (mask & ~m).bit_count(), size - (m & ~mask).bit_count()) >= cutoff * (n + size)]


def _letters(word: str) -> int:
    mask = 0
    for c in set(word):
        mask |= 1 << (ord(c) & 63)      # two letters may share a bit: the bound only gets looser
    return mask


_PROFILES: dict[int, tuple] = {}


def _profiles(vocab: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """(word, length, letter mask) of a vocabulary, kept while the tuple lives."""
    if len(vocab) < 8:
        return [(v, len(v), _letters(v)) for v in vocab]
    held = _PROFILES.get(id(vocab))
    if held is None or held[0] is not vocab:
        if len(_PROFILES) > 32:
            _PROFILES.clear()
        held = _PROFILES[id(vocab)] = (vocab, [(v, len(v), _letters(v)) for v in vocab])
    return held[1]


def similar(word: str, vocab: tuple[str, ...], cutoff: float = 0.8) -> set[str]:
    """Every vocabulary word ``correct`` would accept for ``word`` if it were the only one
    offered: one pass over the vocabulary instead of one call per pair."""
    exact = {word} if word in vocab else set()
    if len(word) < 5 or word[0].isdigit():
        return exact
    near = _near(word, vocab, cutoff)
    found = difflib.get_close_matches(word, near, n=len(near), cutoff=cutoff) if near else []
    return {v for v in found if len(v) >= 4 and is_typo_of(word, v)} | exact


def diminished(word: str) -> list[str]:
    """The words a diminutive may be made of: "saquinho" -> "saco", "paozinho" -> "pao",
    "temperadinha" -> "temperada", "cervejinha" -> "cerveja"."""
    out = []
    for end, put in (("zinhos", ""), ("zinhas", ""), ("zinho", ""), ("zinha", ""), ("quinho", "co"),
                     ("quinha", "ca"), ("guinho", "go"), ("inho", "o"), ("inha", "a")):
        if word.endswith(end) and len(word) - len(end) >= 3:
            out.append(word[:-len(end)] + put)
    return out


def compact(words: list[str]) -> str:
    """Words run together: "passo areia" and "passo dareia" then differ by one slip (is_typo_of)."""
    return "".join(w for w in words if len(w) > 1)


def correct(word: str, vocab: tuple[str, ...], cutoff: float = 0.8) -> str | None:
    """The vocabulary word a typo stands for ("feijao" for "fejao"), or None.

    Short words are not corrected: at 3 or 4 letters an edit is often another
    word ("diga" is one letter from "dia").
    """
    if word in vocab:
        return word
    if len(word) < 5 or word[0].isdigit():
        return None
    found = _closest(word, vocab, cutoff)
    if found and word.startswith(found) and len(word) - len(found) >= 2:
        return None          # "barraca" is a word of its own, not "barra" mistyped
    return found if found and len(found) >= 4 else None


def has_phrase(norm: str, phrase: str) -> bool:
    """Whole-word phrase match in normalized text. str.find, not a regex: a pattern that
    starts with a look-behind is tried at every position, 0.1 ms for each of the ~300
    cue phrases over a 4,096-character text."""
    if not phrase:
        return False
    start, size = norm.find(phrase), len(phrase)
    while start != -1:
        end = start + size
        if (start == 0 or not _alnum(norm[start - 1])) and (end == len(norm) or not _alnum(norm[end])):
            return True
        start = norm.find(phrase, start + 1)
    return False


def _alnum(c: str) -> bool:
    return "a" <= c <= "z" or "0" <= c <= "9"


_ORIGINAL_WORD = re.compile(r"[\w$]+(?:[.,]\d+)*")
_SIZE_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?$")
_SIZE_UNITS = frozenset(("kg", "g", "ml", "l"))
# Spans checked per call: each check normalizes a few words, so the work stays
# linear in the message however often the phrase's words repeat in it.
MAX_SPAN_CHECKS = 32


def original_span(original: str, normalized_phrase: str) -> str | None:
    """The customer's own spelling ("Boa Vista", "feijão preto") of content
    words found in normalized form, for echoing them back; the shortest span.

    Linear in the message: each word is normalized once, the phrase is looked
    for in the sequence of content stems (Knuth-Morris-Pratt), and only the
    spans found there are checked the way the old exhaustive search checked
    every span (normalizing the span's words joined)."""
    target = [stem(t) for t in normalized_phrase.split()]
    words = _ORIGINAL_WORD.findall(original)
    if not target or not words:
        return None
    per_word = [tokens(w) for w in words]
    spans = set()
    # "5 kg" is one token when both words are in the span and two when the span ends or
    # starts between them: look for the phrase both ways, the check below decides.
    for join_sizes in (True, False):
        content = _content_stems(per_word, join_sizes)
        seq = [c[0] for c in content]
        spans.update((content[end - len(target) + 1][1], content[end][2]) for end in _find_all(seq, target))
    for a, b in sorted(spans, key=lambda ab: (ab[1] - ab[0], ab[0]))[:MAX_SPAN_CHECKS]:
        span = words[a:b + 1]       # the shortest first, then the leftmost
        if [stem(t) for t in tokens(" ".join(span)) if t not in STOPWORDS] == target:
            return " ".join(span)
    return None


def _content_stems(per_word: list[list[str]], join_sizes: bool) -> list[tuple[str, int, int]]:
    """(stem, first word, last word) of every non-stopword token, in order."""
    toks: list[tuple[str, int, int]] = []
    for k, word_tokens in enumerate(per_word):
        for t in word_tokens:
            prev = toks[-1] if toks else None
            if join_sizes and prev and t in _SIZE_UNITS and prev[2] == k - 1 and _SIZE_NUMBER.search(prev[0]):
                toks[-1] = (prev[0] + t, prev[1], k)        # as normalize's _SIZE does
            else:
                toks.append((t, k, k))
    return [(stem(t), a, b) for t, a, b in toks if t not in STOPWORDS]


def _find_all(seq: list[str], pattern: list[str]) -> list[int]:
    """End positions of every occurrence of ``pattern`` in ``seq`` (Knuth-Morris-Pratt: linear)."""
    fail = [0] * len(pattern)
    k = 0
    for i in range(1, len(pattern)):
        while k and pattern[i] != pattern[k]:
            k = fail[k - 1]
        if pattern[i] == pattern[k]:
            k += 1
        fail[i] = k
    out, k = [], 0
    for i, x in enumerate(seq):
        while k and x != pattern[k]:
            k = fail[k - 1]
        if x == pattern[k]:
            k += 1
        if k == len(pattern):
            out.append(i)
            k = fail[k - 1]
    return out
