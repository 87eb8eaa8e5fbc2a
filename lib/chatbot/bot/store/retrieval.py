"""Questions by meaning: which FAQ entry or store fact a message asks about.

Okapi BM25 over small documents, one per FAQ entry (its question and answer)
and one per kind of store fact (location, hours, delivery, payment: the
facts themselves plus the words customers ask them with), on words reduced by
the Snowball Portuguese stemmer (``snowballstemmer``): "estacionar" meets
"estacionamento", "devolver" meets "devolvo", "contratando" meets "contratar".
A few synonyms customers use for what the store calls otherwise ("carro" for
the car park, "internet" for the wi-fi) are added to the query.

``Retriever.best(message)`` returns the best document and a confidence in
[0, 1]: the share of the query's weight (IDF) that the document matches,
shrunk when the runner-up is close. Below ``THRESHOLD`` the caller must not
answer from it. Chosen over the rule-based FAQ matcher and over BM25 with the
light plural stemmer by measuring on the held-out sets (README, "Questions by
meaning").
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import snowballstemmer

from .. import fmt, text
from . import search

THRESHOLD = 0.5
TYPO_MIN_LETTERS = 8
# The weight against the confidence of a query word no document is asked with ("lugar", "banheiro"):
# about that of a word half of ten documents share ("lugar pra deixar o carro": the car decides).
OOV_WEIGHT = 0.7
# A word matched only in a document's answer, not in what it answers, counts this much.
ANSWER_ONLY = 0.5
K1, B = 1.2, 0.75
# A document far ahead of every other (DOMINANCE times the runner-up's score), on DOMINANT_WORDS words of the
# message or more, is what it asks even when chatter or the customer's own words for it ("sou motorista de
# carreta ... posso encostar o caminhão aí e tomar um banho?") leave its share under THRESHOLD.
DOMINANCE = 2.0
DOMINANT_WORDS = 2
# ... and over an entry a rule picked, on this many words of the message, asked more of them.
OUTSCORE_WORDS = 3
_STEMMER = snowballstemmer.stemmer("portuguese")

# How customers ask for each kind of store fact (the facts' own words are added from the store data).
FACT_WORDS = {
    "location": "endereço onde fica localização local cidade bairro rua número telefone ligar mapa maps "
                "chegar lá loja fisica de onde são vocês ficam situado",
    "hours": "horário hora abre abrem fecha fecham funcionamento aberto fechado expediente dias semana",
    "delivery": "entrega entregam delivery frete taxa entregar casa bairros atendidos pedido mínimo chega prazo",
    "payment": "pagamento pagar formas de pagamento aceita aceitam cartão crédito débito dinheiro pix parcelar "
               "parcela vezes bandeira",
}
# customer's word (normalized) -> words the store's texts use for it
SYNONYMS = {
    "carro": "estacionamento", "carros": "estacionamento", "estacionar": "estacionamento",
    "moto": "estacionamento", "garagem": "estacionamento", "internet": "wifi", "wi": "wifi",
    "rede": "wifi", "funcionario": "contratando curriculo", "funcionarios": "contratando curriculo",
    "emprego": "contratando curriculo", "trabalhar": "contratando curriculo", "trabalho": "contratando curriculo",
    "contratam": "contratando", "cupom": "nota fiscal", "notinha": "nota fiscal", "defeito": "trocar devolver",
    "devolucao": "devolver", "troca": "trocar", "cidade": "endereco", "fone": "telefone", "celular": "telefone",
    "whatsapp": "telefone", "zap": "telefone", "cesta": "cesta basica", "buscar": "retirar retirada",
    "empresa": "cnpj", "firma": "empresa cnpj", "lanchonete": "empresa cnpj",
    "kit": "cesta basica", "kits": "cesta basica", "parar": "estacionamento", "estaciono": "estacionamento",
    "vazia": "casco retornavel", "vazias": "casco retornavel", "vazio": "casco retornavel",
    "vazios": "casco retornavel", "garrafa": "casco", "garrafas": "casco", "retornavel": "casco",
    "retornaveis": "casco", "sacar": "caixa eletronico saque", "saque": "caixa eletronico",
    "saquinho": "sacola", "saquinhos": "sacola", "sacolinha": "sacola", "sacolinhas": "sacola",
    "busco": "retirar retirada", "cestas": "cesta basica", "freteiro": "carreto carreteiro frete",
    "freteiros": "carreto carreteiro frete", "carreteiro": "carreto", "carreteiros": "carreto",
    "abatimento": "desconto", "caminhonete": "carro", "espaco": "vagas", "cel": "celular telefone",
    "bateria": "carregador", "amolam": "afiam afiar", "amolar": "afiar", "amola": "afia", "amolador": "afiar",
    "amoladas": "afiar", "madeira": "lenha", "destrocar": "trocar", "destroca": "troca", "frio": "inverno",
    "friozinho": "inverno", "gelado": "inverno",
    "tomada": "carregador", "castelhano": "espanhol",
    "embalam": "embrulham", "embala": "embrulha", "lembrancinha": "presente", "presentinho": "presente",
    "achocolatado": "chocolate", "luz": "energia", "panela": "tacho", "panelao": "tacho",
    "porquinho": "leitao leitoa", "leitao": "leitoa", "leitoa": "leitao", "leitaozinho": "leitao leitoa",
    "fila": "caixa", "expressa": "rapido", "expresso": "rapido", "especial": "preferenciais",
    "idoso": "preferenciais", "idosa": "preferenciais", "gestante": "preferenciais", "prioridade": "preferenciais",
    "fidelidade": "pontos clube", "cashback": "pontos clube", "documento": "cpf", "nfp": "nota fiscal paulista",
    "cortam": "fatia", "fatiar": "fatia", "fatiado": "fatia", "fatiada": "fatia", "fornada": "fornadas",
    "quentinho": "fornadas", "fresquinho": "fornadas", "preparam": "fazem", "salgadinho": "salgados",
    "salgadinhos": "salgados", "empacotador": "curriculo", "empacotadora": "curriculo",
}
# A message that asks to buy or sell something names a product, not what the synonyms stand
# for: "vocês vendem carro?" is not a question about the car park.
SALE_WORDS = frozenset("vende vendem vendes vendo venda vendas vendendo comprar preco precos quanto valor".split())
# Words too common in questions to say what they are about.
STOP = text.STOPWORDS | frozenset("voces loja mercado tem ter cliente clientes posso pode aquela aquelas aquele "
                                  "aqueles daquele daqueles daquela daquelas faz fazem fazer todo toda todos todas "
                                  "antes mim pessoal gente coisa coisas compra compras levar".split())


@functools.lru_cache(maxsize=16384)
def _stem(word: str) -> str:
    if len(word) > 5 and word.endswith("oes"):
        word = word[:-3] + "ao"         # "caminhões" is "caminhão" (the stemmer makes "caminho" and "caminha")
    return _STEMMER.stemWord(word)


# A question is a sentence or two; in a long text (a pasted list, a rant) what it
# asks sits at its start or its end. Stemming every word of 4,096 characters costs
# tens of milliseconds (most words of such a text are unique, so the cache misses).
EDGE_WORDS = 24


def stem_groups(message: str) -> list[set[str]]:
    """One set per distinct word of the message (its first and last EDGE_WORDS):
    the word's stem and the stems of its synonyms."""
    tokens = text.tokens(message)
    words = list(dict.fromkeys(t for t in tokens if t not in STOP and len(t) > 2))
    if len(words) > 2 * EDGE_WORDS:
        words = words[:EDGE_WORDS] + words[-EDGE_WORDS:]
    synonyms = {} if SALE_WORDS.intersection(tokens) else SYNONYMS
    regional = search.other_words()      # "já tá na época do imbu?" asks the entry about the umbu
    # "não tenho carro, tem algum freteiro?": what the customer lacks is no place to park it
    lacked = {t for k, t in enumerate(tokens) if tokens[max(0, k - 2):k] in (["nao", "tenho"], ["nao", "tem"])
              or k and tokens[k - 1] == "sem"}
    out = []
    for tok in words:
        said = synonyms.get(tok, "") if tok not in lacked else ""
        group = {_stem(w) for w in (tok + " " + said + " " + " ".join(regional.get(tok, ()))).split()}
        if len(tok) >= 7 and tok[-4:] in ("inho", "inha"):      # "temperadinha" is "temperada"
            group |= {_stem(b) for b in text.diminished(tok)}
        if group not in out:
            out.append(group)
    return out


def stem_words(message: str) -> list[str]:
    return [w for g in stem_groups(message) for w in sorted(g)]


@dataclass
class Hit:
    kind: str            # "faq" or a fact intent ("location", "hours", "delivery", "payment")
    index: int | None    # the FAQ entry, for kind "faq"
    confidence: float
    score: float
    words: int = 0       # how many words (groups of synonyms) of the message were looked up
    met: int = 0         # how many of them the document has


class Retriever:
    def __init__(self, kb):
        self.docs: list[tuple[str, int | None]] = []
        bags: list[list[str]] = []
        self.asked: list[set[str]] = []     # the words of what each document answers (its question)
        for i, (q, a) in enumerate(kb.faq):
            self.docs.append(("faq", i))
            bags.append(stem_words(f"{q} {q} {a}"))      # the question counts twice: it is what is asked
            self.asked.append(set(stem_words(q)))
        store = kb.store or {}
        facts = {
            "location": " ".join(str(store.get(k, "")) for k in ("address", "city", "phone")),
            "hours": " ".join(fmt.DAY_NAMES.values()),
            "delivery": " ".join(kb.delivery.get("areas", [])) + " " + kb.delivery.get("lead_time", ""),
            "payment": " ".join(kb.payment.get("methods", [])) + " " + kb.payment.get("installments", ""),
        }
        for kind, words in FACT_WORDS.items():
            self.docs.append((kind, None))
            bags.append(stem_words(words + " " + facts.get(kind, "")))   # a kind with no facts in the store file
            self.asked.append(set(stem_words(words)))
        # the words the documents are written with, and the customers' words for them: a word of
        # the message that is none of these may be a typo of one ("estacionamneto")
        written = [q + " " + a for q, a in kb.faq] + list(FACT_WORDS.values()) + list(facts.values())
        self.surface = tuple(sorted({t for doc in written for t in text.tokens(doc) if len(t) >= 5}
                                    | {w for w in SYNONYMS if len(w) >= 5}))
        self._surface_set = frozenset(self.surface)
        self.tf = [{} for _ in bags]
        df: dict[str, int] = {}
        for tf, bag in zip(self.tf, bags):
            for w in bag:
                tf[w] = tf.get(w, 0) + 1
            for w in tf:
                df[w] = df.get(w, 0) + 1
        self.len = [len(b) for b in bags]
        self.avg = sum(self.len) / max(len(bags), 1)
        n = len(bags)
        self.idf = {w: math.log(1 + (n - d + 0.5) / (d + 0.5)) for w, d in df.items()}
        self.oov = OOV_WEIGHT
        self.asked_any = set().union(*self.asked) if self.asked else set()

    def scores(self, words: list[str]) -> list[float]:
        out = []
        for tf, dl in zip(self.tf, self.len):
            s = 0.0
            for w in set(words):
                f = tf.get(w)
                if f:
                    s += self.idf[w] * f * (K1 + 1) / (f + K1 * (1 - B + B * dl / self.avg))
            out.append(s)
        return out

    def _share(self, groups: list[set[str]], doc: int) -> float:
        """The share of the query's words (one per group of synonyms, weighted by IDF) that a
        document has, in what it answers rather than only in its answer."""
        matched = weight = 0.0
        for g in groups:
            asked = [w for w in g if w in self.asked_any]
            # a word no document is asked with ("lugar", "deixar", "banheiro") weighs OOV_WEIGHT
            w_idf = max(self.idf[w] for w in asked) if asked else self.oov
            weight += w_idf
            if any(w in self.asked[doc] for w in g):
                matched += w_idf
            elif any(w in self.tf[doc] for w in g):
                matched += ANSWER_ONLY * w_idf
        return matched / weight if weight else 0.0

    def outscores(self, message: str, index: int) -> Hit | None:
        """The confident FAQ entry of a message when it scores DOMINANCE times the entry ``index`` a rule
        picked ("encomendar uma bandeja com salame, queijo e copa ... vcs fazem isso?" is the entry of the
        cold-cuts board, not the one whose question shares "fazem" and "encomenda")."""
        hit = self.best(message)
        if hit is None or hit.kind != "faq" or hit.index == index or hit.confidence < THRESHOLD \
                or hit.met < OUTSCORE_WORDS:
            return None
        groups = stem_groups(self.corrected(message))
        scores = self.scores(list(dict.fromkeys(w for g in groups for w in g)))
        ahead = self._share(groups, hit.index) > self._share(groups, index)
        return hit if ahead and hit.score >= DOMINANCE * scores[index] else None

    def corrected(self, message: str) -> str:
        """The message with its typos of the documents' words put right (text.correct's rules)."""
        toks = text.tokens(message)
        # long words only: a short one is often another word one slip away ("carvao" is not "cartao")
        odd = text.fuzzy_words([t for t in toks if len(t) >= TYPO_MIN_LETTERS and t not in self._surface_set
                                and t not in STOP and not t[0].isdigit()])
        if not odd:
            return message
        return " ".join((text.correct(t, self.surface) or t) if t in odd else t for t in toks)

    def best(self, message: str) -> Hit | None:
        groups = stem_groups(self.corrected(message))
        words = list(dict.fromkeys(w for g in groups for w in g))
        if not words or not self.docs:
            return None
        scores = self.scores(words)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        if scores[order[0]] <= 0:
            return None
        # of the best few by BM25, the one that asks what the message asks: "vocês dão nota fiscal?"
        # is the entry asked "emitem nota fiscal?", not the one whose answer mentions the receipt
        share = {i: self._share(groups, i) for i in order[:3]}
        near = [i for i in order[:3] if scores[i] >= 0.8 * scores[order[0]]]
        top = max(near, key=lambda i: (share[i], scores[i]))
        # "qual a taxa pra entregar em casa?": the document asked with every word of the message (the
        # delivery) over an entry that scores higher on them with words of its own ("casas de praia")
        whole = [i for i in order[:3] if scores[i] >= 0.5 * scores[top] and share[i] >= 0.999]
        if whole and top not in whole and len(groups) >= 2:
            top = whole[0]
        confidence = share[top]
        if any(i != top and scores[i] > 0.9 * scores[top] for i in order[:2]):
            confidence *= 0.8        # two documents nearly tie: less sure
        met = [g for g in groups if any(w in self.tf[top] for w in g)]
        runner = max((scores[i] for i in order[:2] if i != top), default=0.0)
        if confidence < THRESHOLD and scores[top] >= DOMINANCE * runner and len(met) >= DOMINANT_WORDS:
            confidence = THRESHOLD
        kind, index = self.docs[top]
        return Hit(kind, index, round(confidence, 3), round(scores[top], 3), len(groups), len(met))
