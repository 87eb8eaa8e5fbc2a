"""A message cut into its parts: each question or request, in the order written.

"qual a taxa? e quanto preciso comprar pra não pagar?" is two parts; so is
"quanto fica 2 arroz e 3 feijão, e entregam no Monte Castelo?". Cuts are made
at question marks and sentence ends, and before an "e"/", e" that opens a new
question ("... e vocês aceitam pix?"). Lines are not cut (a pasted shopping
list is one part), nor is "arroz e feijão".
"""
from __future__ import annotations

import re

from .. import text
from . import quantities, slots

MAX_PARTS = 6
_ENDS = re.compile(r"(?<=[?!])\s*|(?<=[a-zà-ú)])(?:\.+|…)\s+(?=\S)"   # "... derretendo... a goma"
                   r"|(?<=\d\d)\.\s+(?=[a-zà-ú])"       # "... na feira da 28. só falta o jambu"
                   # "me passa o telefone, e outra coisa: vcs aceitam alelo?"
                   r"|\s*,?\s*(?:e\s+)?(?:outra coisa|outra pergunta|outra duvida|outra dúvida|aproveitando)\s*[:,]\s*"
                   # "... fiquei sozinha com os 3 piá, mas enfim, quanto tá a farinha?": the story ends
                   r"|\s*,\s*(?:mas\s+)?enfim\s*[,:]?\s+",
                   re.IGNORECASE)
_EMOJI_END = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF][\uFE0F]?\s+(?=[a-zà-ú])", re.IGNORECASE)
# a laugh ("kkk", "rsrs") closes what was told before a price asked ("... cuidadosa com preço kkk o kg da X tá quanto?")
_LAUGH_END = re.compile(r"(?:\bk{3,}|\b(?:rs){2,}|\b(?:ha){2,}h?)\s+"
                        r"(?=[a-zà-ú][^?]*\b(?:quanto|qto|preco|preço|valor)\b)", re.IGNORECASE)
_ENDS_WITH_EMOJI = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF][\uFE0F]?\s*$")
LIST_LINES = 3       # a message of this many lines is a pasted list: the classifier reads it whole
MAX_CHARS = 600      # and so is a text this long
# words that open a question of their own after "e" ("e entregam no centro?")
OPENERS = frozenset("""quanto quanta quantos quantas qual quais como onde quando voces vcs vc aceita aceitam
entrega entregam entregar tem teria posso pode podem faz fazem montam parcela parcelam tambem queria pega pegam
gostaria domingo segunda terca quarta quinta sexta sabado feriado amanha hoje""".split())
# two words that open a question after "e": "e até que horas ...", "e a partir de quanto ..."
OPENING_PAIRS = frozenset({("ate", "que"), ("ate", "quando"), ("ate", "quantas"), ("ate", "qual"),
                           ("se", "eu"), ("se", "quiser"), ("se", "for"), ("da", "para"), ("da", "pra"),
                           ("a", "partir"), ("me", "diz"), ("me", "diga"), ("me", "fala"), ("me", "informa")})
SE_OPENERS = frozenset({"passa", "passam"})       # "... e se passa alelo"
# a long clause's question after a comma: "desculpa a hora, meu marido ..., quanto tá o café?"
ASKING = frozenset("quanto quanta quantos quantas qual quais voces vcs tem me diz diga".split())
LONG = 8
ASKING_ANYWHERE = frozenset("quanto preco valor custa custam".split())
WANTS_TO_KNOW = ("queria saber", "quero saber", "gostaria de saber", "preciso saber")
CONTINUES = frozenset("sai fica custa custam da vai e ou".split())    # "..., sai quanto a mais?": the same sentence
_AND = re.compile(r"(?:,\s*|\s+)e\s+(?=\S)", re.IGNORECASE)


def split(message: str) -> list[str]:
    """The parts of a message, as written (not normalized)."""
    out: list[str] = []
    if (message or "").strip().count("\n") >= LIST_LINES - 1 or len(message or "") > MAX_CHARS:
        return [message.strip()]
    for chunk in _ENDS.split(message or ""):
        if not chunk or not any(c.isalnum() for c in chunk):
            continue
        for piece in _split_on_and(chunk.strip()):
            said = text.normalize(piece).split()
            if out and (said[:1] == ["de"] or said[:1] in (["o"], ["a"], ["os"], ["as"]) and said[1:2] == ["de"]
                        or said[:1] == ["em"] and len(said) == 2 and said[1] not in QUESTION_OPENERS
                        # "preciso de leite desnatado ..., vcs trabalham com ele?": asked of what was just named
                        or len(said) <= 5 and said[-1:] in (["ele"], ["ela"], ["eles"], ["elas"])
                        or said[:1] in (["tamanho"], ["tam"], ["numero"]) and len(said) <= 3):    # "... tamanho G"
                # "tem açaí? de litro", "tem ração? a de 15kg", "tem vinho rosé? em garrafão": what was just asked
                out[-1] += " " + piece
            else:
                out.append(piece)
    if out and out[-1].rstrip().endswith("?") and not any("?" in p for p in out[:-1]):
        # "... sou péssima na cozinha 😅 o bolo de aipim de vcs sai por quanto?": the question after the
        # last emoji of a text that asks only at its end ("bom dia!" before it too)
        cut = list(_EMOJI_END.finditer(out[-1])) or list(_LAUGH_END.finditer(out[-1]))
        if cut and len(out[-1][cut[-1].end():].split()) >= 4 and len(out[-1][:cut[-1].start()].split()) >= 4:
            out[-1:] = [out[-1][:cut[-1].end()].strip(), out[-1][cut[-1].end():].strip()]
    return out[:MAX_PARTS] if len(out) > 1 else [message.strip()] if message and message.strip() else []


def told_before(pieces: list[str], message: str) -> bool:
    """Whether the first of two parts is what split() cut off at an emoji: said before the one question
    of the message, which asks only at its end."""
    return len(pieces) == 2 and "?" not in message.rstrip()[:-1] and _ENDS_WITH_EMOJI.search(pieces[0]) is not None


def _split_on_and(chunk: str) -> list[str]:
    """Cut before an "e" whose next word opens a question ("... e entregam no centro")."""
    if "\n" in chunk:
        return [chunk]
    pieces, start = [], 0
    for m in _AND.finditer(chunk):
        after = text.normalize(chunk[m.end():m.end() + 30]).split()
        opens = after and (after[0] in OPENERS or tuple(after[:2]) in OPENING_PAIRS
                           or after[0] == "se" and len(after) > 1 and after[1] in OPENERS | SE_OPENERS    # "e se passa"
                           # "quanto tá o litro do açaí e pluxee passa aí?": a way to pay, asked of
                           or len(after) > 1 and after[1] in TAKEN and after[0] not in text.STOPWORDS)
        if opens and not _list_continues(after):
            piece = chunk[start:m.start()].strip(" ,")
            if piece:
                pieces.append(piece)
            start = m.end()
    pieces.append(chunk[start:].strip(" ,"))
    return [q for p in pieces if p for q in _split_on_comma(p)]


# a question about the store after a list, cut off at its comma ("2 kg de tomate, vocês entregam na Aldeota?")
_STORE_QUESTION = re.compile(r",\s*(?:e\s+)?(?:(?:voces|vcs|vc|voce)\s+)?(?:entregam|entrega|levam|mandam|trazem|"
                             r"aceitam|aceita|fazem entrega|da (?:pra|para) (?:entregar|mandar|levar))\b",
                             re.IGNORECASE)


# ... and with no comma: "2 óleo e 1 fubá vocês levam aqui no Fundinho?"
_STORE_QUESTION_BARE = re.compile(r"\s(?:e\s+)?(?:voces|vcs|vc|voce)\s+(?:entregam|entrega|levam|mandam|trazem|"
                                  r"fazem entrega)\b", re.IGNORECASE)


def _split_on_comma(piece: str) -> list[str]:
    """The question at the end of a long chatty clause, cut off at its comma."""
    store = _STORE_QUESTION.search(piece) or _STORE_QUESTION_BARE.search(piece)
    # "deu uns 65 reais, vocês mandam entregar?": the amount is the question's, not a list's
    before = text.normalize(piece[:store.start()]) if store else ""
    if store and any(c.isdigit() for c in before) and slots.money(before) is None \
            and slots.time_of_day(before) is None:      # "pedindo às 17h30 vocês entregam ...?": one question
        return [piece[:store.start()].strip(), piece[store.start() + 1:].strip()]
    if len(piece.split()) <= LONG:
        return [piece]
    if "," not in piece and ":" not in piece:
        return _split_before_question(piece)
    cut = max(piece.rfind(","), piece.rfind(":"))       # "... mas antes queria saber: quanto tá ...?"
    head, tail = piece[:cut], piece[cut + 1:]
    words = text.normalize(tail).split()
    # the tail asks: it opens with a question word, or it is a question ending in "?" that asks a price
    # ("..., mas vamo lá: a manteiga da terra tá saindo por quanto?")
    wants_to_know = any(" ".join(words).startswith(w) for w in WANTS_TO_KNOW)    # "queria saber o preço da X"
    asks = words and (words[0] in ASKING or wants_to_know or tail.strip().endswith("?") and 3 <= len(words) <= MAX_TAIL
                      and set(words) & ASKING_ANYWHERE and words[0] not in CONTINUES
                      and not text.normalize(head).startswith("se "))
    if asks and len(head.split()) >= LONG and not any(c.isdigit() for c in head):
        return [head.strip(), tail.strip()]
    return _split_before_question(piece)


# the words that open the question a chatty message ends with ("... né 😂 quanto tá o pequi?")
QUESTION_OPENERS = frozenset("quanto quanta quantos quantas qual quais".split())
MAX_TAIL = 12
# a word before a question word that makes it part of the sentence it is in ("com quanto tempo", "a partir de qual")
INSIDE_A_QUESTION = frozenset("com de em por pra para a ate desde sem".split())
MIN_HEAD = 5         # words of chatter before the question ("acordei com vontade de pão, qto tá a manteiga?")


def _split_before_question(piece: str) -> list[str]:
    """A long chatty piece with no comma before its question: cut before the last question word,
    when what follows is a short question and what comes before says nothing with a number."""
    raw = piece.split()
    if len(raw) <= LONG:
        return [piece]
    for i in range(len(raw) - 1, MIN_HEAD - 1, -1):
        if text.normalize(raw[i]) in QUESTION_OPENERS:
            if text.normalize(raw[i - 1]) in INSIDE_A_QUESTION:
                break          # "tem que encomendar com quanto tempo de antecedência?": one question
            head, tail = " ".join(raw[:i]), " ".join(raw[i:])
            if 4 <= len(raw) - i <= MAX_TAIL and not _has_amount(head):
                return [head, tail]
            break
    return [piece]


def _has_amount(head: str) -> bool:
    """A number in the chatter that could be an amount of goods ("70 anos" is not one)."""
    toks = text.normalize(head).split()
    return any(t[:1].isdigit() and not (k + 1 < len(toks) and toks[k + 1] in quantities.NOT_GOODS)
               for k, t in enumerate(toks))


# a way to pay asked after the goods: "pluxee passa aí?", "o vr pega?"
TAKEN = frozenset("passa passam pega pegam aceita aceitam serve".split())


def _list_continues(words: list[str]) -> bool:
    """"... e tambem 2 óleos", "e tbm um óleo", "e tb meio kg de queijo" continue a list, not a question."""
    return words[0] == "tambem" and len(words) > 1 and (words[1][:1].isdigit() or words[1] in _COUNTS)


_COUNTS = frozenset(quantities.UNITS) | frozenset(quantities.TENS) | {"meio", "meia"}
