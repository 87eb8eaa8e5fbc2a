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
    "vc": "voce", "vcs": "voces", "oce": "voce", "ce": "voce",
    "qto": "quanto", "qnto": "quanto", "qt": "quanto", "qtd": "quantidade", "qtde": "quantidade",
    "qtos": "quantos", "qts": "quantos", "q": "que", "oq": "o que", "oque": "o que",
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


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Lower case, no accents, abbreviations expanded, stretched letters cut
    ("bommm diaaa" -> "bom dia"), punctuation gone; numbers keep , and ."""
    low = strip_accents((text or "").lower()).replace("ç", "c")
    low = low.replace("r$", " rs ").replace("wi-fi", "wifi").replace("e-mail", "email")
    low = low.replace("/", " ").replace("-", " ")
    words = []
    for w in _WORD.findall(low):
        if not w[0].isdigit():
            w = _STRETCH.sub(r"\1", w)
        words.append(ABBREVIATIONS.get(w, w))
    return _SIZE.sub(r"\1\2", " ".join(words))


def tokens(text: str) -> list[str]:
    return normalize(text).split()


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
""".split())


def content_words(text: str) -> list[str]:
    """Stemmed tokens without stopwords: what a product or FAQ question is about."""
    return [stem(t) for t in tokens(text) if t not in STOPWORDS]


@functools.lru_cache(maxsize=8192)
def _closest(word: str, vocab: tuple[str, ...], cutoff: float) -> str | None:
    found = difflib.get_close_matches(word, vocab, n=1, cutoff=cutoff)
    return found[0] if found else None


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
    return found if found and len(found) >= 4 else None


def has_phrase(norm: str, phrase: str) -> bool:
    """Whole-word phrase match in normalized text."""
    return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", norm) is not None


def original_span(original: str, normalized_phrase: str) -> str | None:
    """The customer's own spelling ("Boa Vista", "feijão preto") of content
    words found in normalized form, for echoing them back; the shortest span."""
    words = re.findall(r"[\w$]+(?:[.,]\d+)*", original)
    target = [stem(t) for t in normalized_phrase.split()]
    for length in range(1, len(words) + 1):
        for i in range(len(words) - length + 1):
            span = words[i:i + length]
            if [stem(t) for t in tokens(" ".join(span)) if t not in STOPWORDS] == target:
                return " ".join(span)
    return None
