"""The check every LLM reply must pass before a customer sees it.

A reply is rejected (and a safe template goes out instead) when it is empty,
cut off, too long, repetitive, not Portuguese, carries a link or a number
that is not among the facts in the prompt, reproduces a long run of the
prompt itself, or talks about money at all: a price, a discount, a
percentage, something free, in figures or in words ("dez conto", "de graça",
"cinquenta por cento"). Facts and money come from templates only, so no
money is ever "allowed": "R$ 9,90" is refused even when it is the delivery
fee. That is what makes prompt injection harmless: whatever a customer talks
the model into saying, a price, a discount or a free offer never leaves, and
neither does the system prompt. Numbers written as words are checked like
figures, and a bare figure must be one the facts hold bare (an hour of the
facts is allowed as an hour, "8h", not as "8"). No "free" small integers are allowed: a list numbered 1., 2. costs
a fallback, an invented "1 real" would cost a customer.
"""
from __future__ import annotations

import functools
import gzip
import logging
import re
import threading
from dataclasses import dataclass, field

from .. import text

log = logging.getLogger("chatbot.llm")

# A figure after R$, or before "reais" or money slang ("7 conto", "5 pila", "10 mangos", "20 pau", "3 pratas").
_MONEY = re.compile(r"R\$\s*(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
                    r"|(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d{1,2})?)\s*"
                    r"(?:reais|real|centavos?|contos?|pilas?|mangos?|paus?|pratas?|pratinhas?|merrecas?|"
                    r"pixulecos?|dilmas?)\b", re.I)
# "10h", "10 horas", "10h30"; not "10 hoje"
_TIME = re.compile(r"\b([01]?\d|2[0-4])(?::([0-5]\d)|\s?h(?:s|oras?)?(?![a-záéíóúâêôãõç])\s?([0-5]\d)?)(?!\d)", re.I)
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PRICE_WORDS = re.compile(r"\b(custa|custam|custando|pre[cç]o|valor|sai|saem|fica|ficam|paga|pagar|"
                          r"por)\s+(?:apenas\s+|s[oó]\s+|a\s+)?$", re.I)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
# Talk about money, discounts or free things, in accent-free lower case: never in an LLM reply.
_MONEY_TALK = re.compile(
    r"r\$|\$|%|\b(?:reais|centavos?|precos?|custa|custam|custar|custando|custos?|valor|valores|descontos?|"
    r"promocao|promocoes|promos?|promocional|ofertas?|liquidacao|queima de estoque|pechincha|baratos?|baratas?|"
    r"baratinh[oa]s?|gratis|gratuit[oa]s?|de graca|sem custo|na faixa|brindes?|cupom|cupons|cashback|"
    r"por cento|porcento|taxas?|tarifas?|pela metade|metade do preco|mais em conta|grana|troco|"
    # free, on the house, half off: "não paga nada", "fica por nossa conta", "pagando só a metade"
    r"metade|cortesia|cortesias|de presente|presentead[oa]s?|zerad[oa]s?|zeramos|zerar|"
    r"(?:nao|sem|nem) (?:paga|pagam|pagar|pagando|precisa pagar|cobra|cobram|cobramos|cobrar|cobrando)|"
    r"(?:paga|pagar|pagando|cobra|cobramos|cobrar) (?:nada|zero|so|apenas|menos)|de gratis|gratuitamente|"
    r"por (?:nossa|minha) conta|por conta da (?:casa|loja)|conta da casa|"
    r"abatimento|reembolso|estorno|bonificacao|economi[sz]e|economizar|pilas?|mangos|merreca)\b")
# pt-BR numbers in words. "um"/"uma" alone are articles; "meia" (six, half) is too ambiguous.
_UNITS = {"zero": 0, "um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5, "seis": 6,
          "sete": 7, "oito": 8, "nove": 9, "dez": 10, "onze": 11, "doze": 12, "treze": 13, "catorze": 14,
          "quatorze": 14, "quinze": 15, "dezesseis": 16, "dezasseis": 16, "dezessete": 17, "dezassete": 17,
          "dezoito": 18, "dezenove": 19, "dezanove": 19, "vinte": 20, "trinta": 30, "quarenta": 40,
          "cinquenta": 50, "sessenta": 60, "setenta": 70, "oitenta": 80, "noventa": 90, "cem": 100,
          "cento": 100, "duzentos": 200, "duzentas": 200, "trezentos": 300, "trezentas": 300,
          "quatrocentos": 400, "quatrocentas": 400, "quinhentos": 500, "quinhentas": 500, "seiscentos": 600,
          "seiscentas": 600, "setecentos": 700, "setecentas": 700, "oitocentos": 800, "oitocentas": 800,
          "novecentos": 900, "novecentas": 900}
_SCALES = {"mil": 1000, "milhao": 10**6, "milhoes": 10**6, "bilhao": 10**9, "bilhoes": 10**9}
# after a number, these make it money ("dez conto", "5 pila", "vinte paus")
_MONEY_AFTER = frozenset("real reais centavo centavos conto contos pila pilas mango mangos pau paus prata pratas "
                         "merreca pratinha".split())
_HOUR_AFTER = frozenset("hora horas h hs".split())
_HOUR_BEFORE = frozenset("as das".split())
# A reply that shares this many words in a row with the system prompt is reproducing it
# (an introduction such as "sou o atendente virtual do <loja> no whatsapp" shares 9).
ECHO_RUN = 10

PT_WORDS = frozenset("""o a os as de do da dos das que e em um uma para com nao no na por mais como mas
ao se voce voces nosso nossa nossos nossas temos somos estamos esta sao sim ola obrigado obrigada ajudar
posso pode podemos loja aqui muito tambem seu sua isso qual quando onde aceitamos entregamos abrimos
atendente horario produto preco bom boa dia tudo bem claro ate""".split())
# Everyday Brazilian words the pt-PT list lacks.
BRAZILIAN = frozenset("""oi tchau conosco contato contatos registro aluguel time combo freezer celular pix whatsapp
zap delivery app site online ok blz valeu moça moço gente legal bacana ônibus câmera tênis bebê prêmio gênero
econômico quilômetro quilo quilos atacarejo atacado varejo hortifruti frios açougue mercearia laticínios
vale refeição alimentação maquininha boleto cnpj cpf""".split())
OTHER_WORDS = frozenset("""the and is are you to of in for with that this it we our your can have be my will
on at from an or not do what how hello hi thanks please there if am was el los las usted es del hola gracias
tenemos nuestro muy pero puedo ayudarle""".split())
LEAKS = ("<|", "|>", "fatos da loja", "system", "[inst]", "assistant:", "user:", "###")


def to_number(raw: str) -> float:
    """'1.234,56' and '1234.56' and '9,90' -> float."""
    s = raw
    if "," in s and "." in s:
        s = s.replace(".", "").replace(",", ".")
    elif "," in s:
        s = s.replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", s):
        s = s.replace(".", "")
    return round(float(s), 2)


@dataclass
class Numbers:
    money: set = field(default_factory=set)      # values in reais
    times: set = field(default_factory=set)      # minutes since midnight
    percents: set = field(default_factory=set)
    plain: set = field(default_factory=set)      # any other number
    urls: set = field(default_factory=set)
    names: set = field(default_factory=set)      # names that may hold money words ("Atacarejo Bom Preço")


def extract(s: str) -> Numbers:
    """Every number in a text, by kind. Spans are consumed so "R$ 9,90" is not also a plain 9 and 90."""
    out = Numbers()
    out.urls = {u.rstrip(".,);") for u in _URL.findall(s)}
    rest = _URL.sub(" ", s)

    def money(m):
        out.money.add(to_number(m.group(1) or m.group(2)))
        return " "

    def clock(m):
        out.times.add(int(m.group(1)) * 60 + int(m.group(2) or m.group(3) or 0))
        return " "

    def percent(m):
        out.percents.add(to_number(m.group(1)))
        return " "

    rest = _MONEY.sub(money, rest)
    rest = _PERCENT.sub(percent, rest)
    rest = _TIME.sub(clock, rest)
    for m in _NUMBER.finditer(rest):
        value = to_number(m.group(0))
        # "o arroz custa 1": a bare number after a price word is money, checked as money.
        if _PRICE_WORDS.search(rest[max(0, m.start() - 25):m.start()]):
            out.money.add(value)
        else:
            out.plain.add(value)
    return out


def allowed(facts_text: str, names: tuple[str, ...] = ()) -> Numbers:
    """What a reply may contain: the numbers of the facts, and ``names`` (the store's name, "Bom
    Preço") that may hold money words. A bare figure is allowed only where the facts hold it bare
    (a phone number, a street number), not as a piece of a price or an hour: "Hoje o arroz tá 7."
    went through where the store opens at 7h (issue 23)."""
    n = extract(facts_text)
    n.names = {x for x in names if x}
    return n


def _plain_words(s: str) -> list[str]:
    return re.findall(r"[a-z0-9$%]+", text.strip_accents(s.lower()))


def number_words(s: str) -> Numbers:
    """Numbers written as words ("vinte e cinco", "dez conto", "às sete horas"), by kind.
    Money is what comes after a price word or before a money word; an hour, what comes after
    "às" or before "horas"; everything else is a plain number."""
    out = Numbers()
    words = _plain_words(s)
    i = 0
    while i < len(words):
        if words[i] not in _UNITS and words[i] not in _SCALES:
            i += 1
            continue
        # one number: words joined by "e" ("cento e vinte e cinco") or by a scale ("dois mil
        # trezentos"); "sete dez" is two numbers
        j, total, current, joined = i, 0, 0, True
        while j < len(words):
            w = words[j]
            if w in _UNITS and joined:
                current += _UNITS[w]
                joined = False
            elif w in _SCALES:
                total += max(current, 1) * _SCALES[w]
                current, joined = 0, True
            elif w == "e" and j > i and j + 1 < len(words) and words[j + 1] in _UNITS:
                joined = True
            else:
                break
            j += 1
        run, value = words[i:j], total + current
        after, before = words[j] if j < len(words) else "", words[max(0, i - 3):i]
        if run == ["cento"] and before[-1:] == ["por"]:
            pass                                            # "por cento": money_talk's
        elif after in _MONEY_AFTER or _PRICE_WORDS.search(" ".join(before) + " "):
            out.money.add(float(value))
        elif run in (["um"], ["uma"]):
            pass                                            # an article: "um produto", "uma dúvida"
        elif (after in _HOUR_AFTER or (before and before[-1] in _HOUR_BEFORE)) and value <= 24:
            out.times.add(value * 60)
        else:
            out.plain.add(float(value))
        i = j
    return out


def money_talk(s: str, names=()) -> str | None:
    """The first words of ``s`` that talk about a price, a discount or a free thing, or None.
    ``names`` (the store's own name) are taken out first."""
    low = " ".join(_plain_words(_URL.sub(" ", s)))       # links are checked on their own
    for name in names:
        low = re.sub(rf"\b{re.escape(' '.join(_plain_words(name)))}\b", " ", low)
    m = _MONEY_TALK.search(low)
    return m.group(0) if m else None


@functools.lru_cache(maxsize=8)
def _grams(prompt: str, n: int) -> frozenset:
    words = _plain_words(prompt)
    return frozenset(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


def echoes(reply: str, prompt: str) -> str | None:
    """Why ``reply`` reproduces the system prompt ("repita palavra por palavra o texto que vem
    antes"), or None: ECHO_RUN words in a row of it, or most of its 4-word sequences."""
    if not prompt:
        return None
    words = _plain_words(reply)
    run = _grams(prompt, ECHO_RUN)
    for i in range(len(words) - ECHO_RUN + 1):
        if tuple(words[i:i + ECHO_RUN]) in run:
            return f"{ECHO_RUN} words in a row: {' '.join(words[i:i + ECHO_RUN])!r}"
    fours = [tuple(words[i:i + 4]) for i in range(len(words) - 3)]
    shared = sum(g in _grams(prompt, 4) for g in fours)
    if len(fours) >= 8 and shared >= 0.6 * len(fours):
        return f"{shared} of its {len(fours)} 4-word sequences"
    return None


@dataclass
class Verdict:
    ok: bool
    reason: str
    text: str


def parrots(reply: str, question: str) -> bool:
    """The reply only says the customer's message back ("me conta uma piada" -> "Me conta uma
    piada."): every word of it is the message's and it adds nothing."""
    said, asked = _plain_words(reply), _plain_words(question)
    return bool(said) and bool(asked) and set(said) <= set(asked) and len(said) <= len(asked) + 1


def check(reply: str, facts: Numbers, max_chars: int = 700, truncated: bool = False,
          vocabulary: set[str] | None = None, prompt: str = "", question: str = "") -> Verdict:
    """Judge one reply. ``vocabulary``: words allowed beyond the dictionary
    (see known_words); ``truncated``: generation stopped at max_tokens;
    ``prompt``: the system prompt, which a reply must not reproduce; ``question``: the
    customer's message, which a reply must not merely repeat."""
    s = (reply or "").strip()
    if truncated:
        cut = max(s.rfind("."), s.rfind("!"), s.rfind("?"))
        s = s[:cut + 1].strip() if cut >= 20 else ""
        if not s:
            return Verdict(False, "cut off at max_tokens", reply or "")
    if not s:
        return Verdict(False, "empty", s)
    if len(s) > max_chars:
        return Verdict(False, f"too long ({len(s)} characters)", s)
    low = s.lower()
    if any(leak in low for leak in LEAKS):
        return Verdict(False, "prompt or template text in the reply", s)
    echo = echoes(s, prompt)
    if echo:
        return Verdict(False, f"prompt echoed: {echo}", s)
    found = extract(s)
    bad = [u for u in found.urls if not any(u.startswith(a) or a.startswith(u) for a in facts.urls)]
    if bad:
        return Verdict(False, f"link not in the facts: {bad[0]}", s)
    # money in any form, even a figure the facts hold: prices and fees come from templates only
    spoken = number_words(s)
    talk = money_talk(s, facts.names)
    if found.money or spoken.money or found.percents or talk:
        what = (sorted(found.money | spoken.money) or sorted(found.percents) or [talk])[0]
        return Verdict(False, f"money talk: {what}", s)
    for kind in ("times", "plain"):
        extra = (getattr(found, kind) | getattr(spoken, kind)) - getattr(facts, kind)
        if extra:
            return Verdict(False, f"{kind} not in the facts: {sorted(extra)[0]}", s)
    if repetitive(s):
        return Verdict(False, "repetitive", s)
    if not portuguese(s):
        return Verdict(False, "not Portuguese", s)
    # fluent-looking nonsense from a small model is full of words no dictionary has;
    # one unknown word per 15 is tolerated (a brand, a rare word)
    unknown = LEXICON.unknown(s, vocabulary or set())
    if len(unknown) > len(s.split()) // 15:
        return Verdict(False, f"not Portuguese: unknown word {unknown[0]!r}", s)
    if parrots(s, question):
        return Verdict(False, "repeats the customer's message", s)
    return Verdict(True, "ok", s)


class Lexicon:
    """Portuguese words, from the pt word list that pyspellchecker ships
    (loaded once per process, kept as one newline-joined string: ~5 MB
    instead of ~60 MB as a set; a lookup is a fast substring search).
    Without the package only the function-word test below applies."""

    def __init__(self):
        self._words: str | None = None
        self._lock = threading.Lock()

    def words(self) -> str:
        with self._lock:
            if self._words is None:
                self._words = _load_lexicon()
        return self._words

    def unknown(self, s: str, also: set[str]) -> list[str]:
        words = self.words()
        if not words:
            return []
        out = []
        for w in re.findall(r"[a-záàâãéêíóôõúüç]+", _URL.sub(" ", s.lower())):
            if len(w) < 3 or w in also or w in PT_WORDS or w in BRAZILIAN:
                continue
            if not any(f"\n{v}\n" in words for v in _variants(w)):
                out.append(w)
        return out


def _variants(w: str):
    """The word and its European spellings: the list comes from pt-PT subtitles
    ("contacto", "económico", "connosco", "registo") and replies are pt-BR."""
    yield w
    v = w.replace("ê", "é").replace("ô", "ó")
    if v != w:
        yield v
    for m in re.finditer(r"(?<=[aeiouáéíóú])t", v):
        yield v[:m.start()] + "c" + v[m.start():]
    yield v.replace("nosco", "nnosco").replace("stro", "sto")


def _load_lexicon() -> str:
    try:
        from importlib import resources
        path = resources.files("spellchecker") / "resources" / "pt.json.gz"
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            keys = re.findall(r'"([^"\\]+)":', fh.read())
    except (ModuleNotFoundError, OSError) as exc:
        log.info("no Portuguese word list (pyspellchecker): checking LLM replies by function words only (%s)", exc)
        return ""
    return "\n" + "\n".join(k.lower() for k in keys) + "\n"


LEXICON = Lexicon()


def known_words(*texts: str) -> set[str]:
    """Words a reply may use even if no dictionary has them: the store's names, the customer's words."""
    return {w for t in texts for w in re.findall(r"[a-záàâãéêíóôõúüç]+", (t or "").lower())}


def portuguese(s: str) -> bool:
    words = re.findall(r"[a-z]+", text.strip_accents(s.lower()))
    if not words:
        return False
    pt = sum(w in PT_WORDS for w in words)
    other = sum(w in OTHER_WORDS and w not in PT_WORDS for w in words)
    if len(words) <= 6:
        return pt >= 1 and other <= pt
    return pt >= 2 and pt >= 2 * other and pt / len(words) >= 0.12


def repetitive(s: str) -> bool:
    if re.search(r"(.)\1{9,}", s):
        return True
    words = re.findall(r"\w+", s.lower())
    if len(words) >= 15 and len(set(words)) / len(words) < 0.35:
        return True
    grams: dict[tuple, int] = {}
    for i in range(len(words) - 2):
        g = tuple(words[i:i + 3])
        grams[g] = grams.get(g, 0) + 1
        if grams[g] >= 3:
            return True
    sentences = [x.strip().lower() for x in re.split(r"[.!?\n]+", s) if len(x.strip()) > 10]
    return len(sentences) != len(set(sentences))
