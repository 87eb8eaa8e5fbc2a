"""What the customer wants: rules over normalized pt-BR, typo-tolerant.

``Classifier.classify(message, kb, last)`` returns an ``Intent``: its name,
a confidence, and what the replies need (days asked about, products found,
payment method named, neighbourhood, FAQ entry, quantity). ``last`` is the
previous turn's topic (context.py), so "e a calabresa?" after a price
question is a price question.

Rules, not a model: every decision can be read and tested, and the facts in
the answer never depend on a guess. The LLM only gets what no rule claims.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import text
from ..answering import quote
from ..store import knowledge, retrieval, search, sections
from . import cues, quantities, slots, vocab

FACT_INTENTS = ("hours", "location", "delivery", "payment")
PRODUCT_INTENTS = ("product_price", "promotions", "wholesale", "quote")
SOCIAL = ("greeting", "thanks", "goodbye", "acknowledge")
FOLLOW_UP = set(FACT_INTENTS) | set(PRODUCT_INTENTS)
AREA_FILLERS = frozenset("o a os as de do da dos das e em no na por favor voces aqui ai ali la que se distrito".split())
NOT_IN_A_PLACE = frozenset("mim eu voce voces ele ela ou tenho tem quero vou posso pode abrir comprar levar "
                           "pegar fazer ser estar trazer entregar mandar buscar levarem trazerem confianca fora longe "
                           "outra outro interior leve levem leva traga tragam traz "
                           # "é pra casa de mainha": whose house, not where
                           "mainha mae painho pai vo avo vovo sogra sogro tia tio filha filho irma irmao ca "
                           "pessoal galera turma".split())
# "pão de queijo pra assar em casa": what the goods are for, not a delivery home
AT_HOME = re.compile(r"\b(?:pra|para|p/) (?!entreg|lev|mand|traz)\w+(?:ar|er|ir) (?:em|la em|aqui em) casa\b",
                     re.IGNORECASE)      # not "a taxa pra entregar em casa"
# "tô sem dinheiro esse mês": telling, not asking whether cash is taken
WITHOUT_MONEY = re.compile(r"\b(?:to|tô|estou|fiquei|ando|tamo|estamos|eu)\s+sem\s+(?:dinheiro|grana|cartao|cartão)\b",
                           re.IGNORECASE)
SUPPOSED_ORDER = re.compile(r"\b(?:se|caso|quando) (?:(?:eu )?(?:mandar|fizer|fechar|enviar|passar|confirmar) )?"
                            r"(?:o )?meu pedido\b|"
                            # "meu pedido vai dar uns 320, o frete sai de graça?": an amount, no order to see
                            r"\bmeu pedido (?:vai dar|vai ficar|deu|da|fica|ficou|vai sair|sai) (?:em )?(?:uns |umas )?"
                            r"(?:rs )?\d|"
                            # "meu pedido só vou conseguir fechar depois do meio dia": an order not made yet
                            r"\bmeu pedido (?:so )?(?:vou|vai|consigo|devo)(?: conseguir)? "
                            r"(?:fechar|fazer|mandar|confirmar)\b")
SELLS = re.compile(r"\b(?:vende|vendem|vendes|vendendo|voces vendem|tem pra vender)\b")
POINTING = frozenset("esta ele ela eles elas esse essa esses essas dele dela isso tambem mesmo".split())
_AREA = re.compile(r"\b(?:no|na|nos|nas|em|para|ate)\s+(?:(?:o|a|os|as)\s+)?"
                   r"(?:(?:bairro|cidade|regiao)\s+(?:de\s+|do\s+|da\s+)?)?([a-z][a-z ]*)$")
# the goods needed, before what they are for: "tô precisando de carvão pra assar uma carne"
NEEDED_FOR = re.compile(r"\b(?:preciso|precisando|precisava|quero|queria|procuro|procurando)\s+(?:de\s+)?"
                        r"(?:um |uma |uns |umas |o |a )?((?:\w+\s+){0,2}\w+)\s+(?:pra|para|pro)\s+\w")
# goods named by a head word and what they are of or for: "ração de peixe", "ração pra cachorro"
HEAD_OF = re.compile(r"\b(?:tem|tens|vende|vendem)\s+(?:a |o |um |uma )?(\w+)\s+(?:de|do|da|pra|para|pro)\s")
DOING = frozenset("passar ir vir ver saber fazer comprar levar pegar buscar dar chegar ligar falar montar preparar "
                  "assar cozinhar encomendar pedir mandar tirar trocar pagar".split())


def goods_needed(norm: str) -> str | None:
    """The goods a message says are needed, before what they are for ("tô precisando de carvão pra assar uma
    carne" is "carvao"), or None; never a visit ("queria passar cedo pra comprar carne de sol")."""
    m = NEEDED_FOR.search(norm)
    return m.group(1) if m and not set(m.group(1).split()) & DOING else None


def by_its_name(found) -> set[str]:
    """The words of a match that are the product's own one-word name (an alias, or its name's first word)."""
    p = found.product
    own = {text.stem(a) for a in map(text.normalize, p.aliases) if " " not in a}
    own.add(text.stem(text.normalize(p.name).split()[0]))
    return {retrieval._stem(w) for w in found.covered if w in own}


# "aqui em casa", "lá em casa": where the customer is
AT_HOME_HERE = re.compile(r"\b(?:aqui|la)\s+(?:em|de)\s+casa\b|\b(?:tenho|temos|crio|criamos)\b[^?]{0,30}\bem casa\b")
BRINGING = re.compile(r"\b(?:traz\w*|lev[ae]\w*|mand[ae]\w*|entreg\w*|delivery|frete)\b")
# whether the store has goods ("tem X?", "vcs vendem X?"), which a list of prices is not asked with
AVAILABILITY = re.compile(r"\b(?:tem|tens|teria|vende|vendem|trabalham|trabalha)\b")
# the place said before the delivery asked of it: "e pra ferradas vcs levam?"
PLACE_THEN_DELIVERY = re.compile(r"\b(?:para|no|na|nos|nas|em)\s+(?:(?:o|a|os|as)\s+)?"
                                 r"([a-z]+(?:\s+(?!voces\b)[a-z]+){0,2})\s+(?:voces\s+)?"
                                 r"(?:levam|entregam|mandam|trazem|fazem entrega|chega|chegam)\b")
# the store's opening asked of a day: "domingo vai até que horas?", "que horas fecha no sábado?"
STORE_OPEN_ASKED = re.compile(r"\b(?:vai ate que hora|vao ate que hora|ate que horas?|(?:abre|abrem|fecha|fecham) "
                              r"(?:que|q) horas?|que horas? (?:abre|abrem|fecha|fecham))\b")
# what the goods are for, the customer's own or a business: "pro meu ponto de suco", "comprando pra bodega"
FOR_ONES_OWN = re.compile(r"\b(?:pro|pra|para|pros|pras)\s+(?:o |a )?(?:meu|minha|nosso|nossa)\s+\w+(?:\s+de\s+\w+)?|"
                          r"\b(?:pro|pra|para)\s+(?:a |o )?(?:bodega|boteco|lanchonete|restaurante|mercadinho|"
                          r"comercio|barraca|quitanda|taberna|taberninha|revenda)\b")
# the place right after the delivery asked, with the question going on: "entrega pro mutirão vcs fazem?"
DELIVERY_TO = re.compile(r"\b(?:entrega|entregam|levam|mandam)\s+(?:para|no|na|em|ate)\s+(?:(?:o|a)\s+)?"
                         r"([a-z]+(?:\s+(?!voces\b|fazem\b|faz\b|tem\b)[a-z]+){0,2}?)"
                         r"(?=\s+(?:voces|fazem|faz|tem)\b)")
# where the customer lives, said anywhere ("moro em itapuã perto do farol, chega entrega aqui?"): the name
# runs to a word that says where near it or what is asked
LIVES_IN = re.compile(r"\b(?:(?:moro|moramos|resido|mora|moram|to|estou)\s+"
                       r"(?:la\s+|aqui\s+|ali\s+|(?:pra|para)\s+fora\s+)?(?:no|na|nos|nas|em)|"
                       r"(?:sou|somos)\s+(?:no|na|nos|nas|em|de|do|da))\s+"
                       r"(?:(?:bairro|distrito|vila|povoado|comunidade)\s+(?:de\s+|do\s+|da\s+)?)?"
                       r"([a-z]+(?:\s+(?!perto|pertinho|proximo|ao|do\s+lado|atras|chega|entrega|entregam|voces|e\b|"
                       r"mas|ai\b|aqui|la\b|que|tem|faz|fazem|da\b|pra|para|o\b|a\b)[a-z]+){0,2})\b"
                       r"(?=\s+(?:perto|pertinho|proximo|ao|do lado|"
                       r"atras|chega|entrega|entregam|voces|e|mas|ai|aqui|la|que|tem|faz|fazem|da|pra|para|o|a)\b|$)")
MAX_SEVERAL = 10     # pieces of "o feijão, o arroz e o óleo" searched one by one
PIECE_TYPOS = 4      # words of each piece that may be read as typos (a whole question has 7 at most)
_QTY = re.compile(r"\b(?:levar|levando|comprar|comprando|compro|levo|pegar|pegando|quero)\s+(?:umas?\s+|uns\s+)?"
                  r"(\d{1,4})\b|(?<!de )\b(\d{1,4})\s+(?:unidades|pacotes|caixas|latas|garrafas|fardos|kg)\b")


@dataclass
class Intent:
    name: str
    confidence: float
    original: str = ""                # the message as the customer wrote it
    extra: list[str] = field(default_factory=list)   # other fact intents in the same message
    days: tuple[str, ...] = ()
    products: search.Result | None = None
    context_skus: list[str] = field(default_factory=list)   # products carried over from the last turn
    several: list[search.Result] = field(default_factory=list)   # one result per product named ("feijão e arroz")
    several_skipped: int = 0          # pieces of a long list beyond MAX_SEVERAL, not searched
    several_lacking: list[str] = field(default_factory=list)   # pieces named that no product matches
    quantity: int | None = None
    payment: list[str] = field(default_factory=list)
    installments: bool = False
    delivery_topics: set[str] = field(default_factory=set)
    area: str | None = None           # a served neighbourhood named in the message
    other_area: str | None = None     # a place named that is not served
    faq: int | None = None
    greeting: bool = False
    from_context: bool = False
    scores: dict = field(default_factory=dict)
    quote: quote.Quote | None = None  # a shopping list to price (quote.py)
    section: str | None = None        # a catalog category asked about ("ofertas do açougue")
    meaning: retrieval.Hit | None = None   # the FAQ entry or store fact by meaning (retrieval.py)


def _variants() -> frozenset[str]:
    """The words that name a kind of a product ("preto", "zero"), from reading's vocabulary."""
    return vocab.load().variants


class Classifier:
    def __init__(self, conn, searcher: search.Searcher | None = None):
        self.conn = conn
        self.searcher = searcher or search.Searcher(conn)
        self._built_for = -1
        cue_words = set()
        for words, _ in cues.CUES.values():
            cue_words |= words
        for words, _ in cues.DELIVERY_TOPICS.values():
            cue_words |= words
        cue_words |= set(cues.DAYS) | set(cues.PAYMENT_WORDS) | cues.INSTALLMENT_WORDS
        # Only longer cue words are typo targets: "vista" must not become "visa".
        self.cue_vocab = tuple(sorted(w for w in cue_words if len(w) >= 5))
        self.cue_set = frozenset(cue_words)
        self._cue_stems = frozenset(s for w in cue_words for s in retrieval.stem_words(w))

    def _build(self, kb: knowledge.KB) -> None:
        """Per knowledge-base version: the FAQ index and the known words."""
        if kb.version == self._built_for:
            return
        self.retriever = retrieval.Retriever(kb)
        self._product_words = frozenset(self.searcher.vocab())
        self.categories = sections.categories(self.conn)
        self.aliases = quote.aliases(self.conn)
        self.area_vocab = tuple(sorted({a for area in kb.delivery.get("areas", []) for a in text.stems(area)}))
        # the store's city: "que calorão hoje em Itajaí" is the weather, not the brand "Vale do Itajaí"; but
        # "a linguiça blumenau" names the goods
        city = text.normalize(str(kb.store.get("city", "")).split(" - ")[0]).split()
        named = {w for p in knowledge.products(self.conn, limit=1_000_000) for w in text.normalize(p.name).split()}
        # (a one-word name only: "verde" of "Rio Verde" is a word of goods too, "espiga verde")
        self.city_words = frozenset(w for w in city if len(city) == 1 and w not in named)
        faq_words = {w for q, _ in kb.faq for w in text.content_words(q)}
        self.known = (self.cue_set | text.STOPWORDS | set(self.searcher.vocab()) | faq_words
                      | {w for a in kb.delivery.get("areas", []) for w in text.stems(a)})
        self._built_for = kb.version

    # -- the words -----------------------------------------------------------
    def _words(self, message: str) -> tuple[list[str], str, str]:
        """Stems with typos of cue words corrected, the corrected normalized text, and the uncorrected one."""
        toks = text.tokens(message)
        fuzzy = text.fuzzy_words([t for t in toks if t not in self.known and len(t) >= 5 and not t[0].isdigit()])
        out_toks, out_stems = [], []
        for t in toks:
            s = text.stem(t)
            if t in fuzzy and s not in self.known:
                c = text.correct(s, self.cue_vocab, 0.85)
                if c and abs(len(c) - len(s)) <= 1:     # a typo; "entrar" is not "entregar" misspelt
                    t = s = c
            out_toks.append(t)
            out_stems.append(s)
        return out_stems, " ".join(out_toks), " ".join(toks)

    @staticmethod
    def _score(stems: list[str], norm: str, words: set, phrases: list, raw: str = "") -> float:
        score = sum(0.5 if s in cues.WEAK else 1.0 for s in stems if s in words)
        # the substring test first: a long shopping list would otherwise run every phrase's regex
        score += sum(0.5 if p in cues.WEAK_PHRASES else 1.0 for p in phrases
                     if (p in norm and text.has_phrase(norm, p)) or (raw and p in raw and text.has_phrase(raw, p)))
        return score

    # -- the decision --------------------------------------------------------
    def classify(self, message: str, kb: knowledge.KB, last: dict | None = None) -> Intent:
        self._build(kb)
        message = cues.without_other_hours(AT_HOME.sub(" ", message))     # "desculpa o horário", "caixa fechada"
        stems, norm, raw = self._words(WITHOUT_MONEY.sub(" ", message))
        for _ in cues.NOT_A_VOUCHER.finditer(norm):      # "o vinho tinto do vale": no payment asked
            stems.remove("vale") if "vale" in stems else None
        for _ in cues.CLOSING_A_DEAL.finditer(norm):     # "queria fechar uns kits": no hours asked
            stems.remove("fechar") if "fechar" in stems else None
        first = ("complaint", "human_request")
        scores = {name: self._score(stems, norm, *cues.CUES[name], raw) for name in first}
        if cues.SOMEONE_FOR.search(norm):     # "tem alguém aí que entende alemão?": a service, not a person
            person = cues.someone_for_a_service(norm)
            scores["human_request"] = self._score(person.split(), person, *cues.CUES["human_request"])
        if scores["complaint"] == 1 and any(p in norm and text.has_phrase(norm, p) for p in vocab.load().not_complaint):
            scores["complaint"] = 0       # "sou péssima na cozinha 😅 o bolo de aipim sai por quanto?": no problem
        if scores["human_request"] and SUPPOSED_ORDER.search(norm):
            scores["human_request"] -= 1      # "se meu pedido der 260 reais ...": a supposed order, no order to see
        it = Intent(name="out_of_scope", confidence=0.3, original=message, scores=scores)
        if scores["complaint"] > 0:
            it.meaning = self.retriever.best(message)
            # "se vier com defeito, tenho quantos dias?": a problem supposed ("se ..."), the policy asked
            supposed = norm.startswith("se ") or " caso " in f" {norm} "
            policy = (it.meaning is not None and it.meaning.kind == "faq" and "?" in message
                      and scores["complaint"] <= 1 and it.meaning.confidence >= (0.5 if supposed else 0.75))
            if not policy:     # "devolver com defeito?" asks the store's policy
                return self._set(it, "complaint", 0.9)
        if scores["human_request"] > 0:
            return self._set(it, "human_request", 0.95)
        drop = (self.cue_set | frozenset(cues.DAYS)) - frozenset(self.searcher.vocab()) | self.city_words
        # a shopping list: read before anything else looks at it (and costs a long list its time)
        it.quote = quote.read(message, self.searcher, drop, self.aliases)
        if it.quote is not None:
            return self._set(it, "quote", 0.9)
        scores.update({name: self._score(stems, norm, w, p, raw) for name, (w, p) in cues.CUES.items()
                       if name not in first})
        # "o gás aqui em casa acabou, vcs vendem botijão?", "tenho uns 3 leitão em casa": where the customer is, no
        # delivery asked, and no words of the delivery's for the meaning either
        at_home = AT_HOME_HERE.search(norm) is not None and not BRINGING.search(norm)
        meant = AT_HOME_HERE.sub(" ", norm) if at_home else message
        if scores["delivery"] and at_home:
            here = self._words(meant)
            scores["delivery"] = self._score(here[0], here[1], *cues.CUES["delivery"], here[2])
        if it.meaning is None:
            it.meaning = self.retriever.best(meant)
        asks_entry = it.meaning is not None and it.meaning.kind == "faq" \
            and it.meaning.confidence >= retrieval.THRESHOLD
        for phrase, intent in cues.OVERRIDES:
            # "quanto tempo antes preciso encomendar o empadão?" asks the FAQ, not the delivery time
            if text.has_phrase(norm, phrase) and not asks_entry:
                scores[intent] += 2
                scores["product_price"] = 0
                scores["hours"] = 0 if intent == "delivery" else scores["hours"]
        it.days = days = self._days(stems, norm)
        it.greeting = scores["greeting"] > 0
        if it.meaning is None:
            it.meaning = self.retriever.best(meant)

        # cue words are not product words, unless the catalog uses them ("Vale", "Tele")
        it.products = self.searcher.search(FOR_ONES_OWN.sub(" ", norm), drop=drop)
        it.products = self._not_its_purpose(norm, it.products, drop)
        it.section, section_words = sections.find(stems, self.categories)
        if it.section:
            best = it.products.best
            if best and not set(best.covered) <= section_words and (best.complete or not scores["promotions"]):
                it.section = None             # "promoção de carne de sol", "tem pierogi de carne?": the product
            elif it.products.unknown and scores["product_price"] > 0 and not scores["promotions"] \
                    and not scores["wholesale"]:
                it.section = None                         # "tem carvão pra churrasco?": a product we may lack
            else:
                it.products = search.Result(query=[])    # "ofertas de bebidas": the section, not a product
        sure = it.meaning is not None and it.meaning.confidence >= retrieval.THRESHOLD
        if sure and it.meaning.kind == "faq" and it.products.matches and it.products.query \
                and all(w in self._product_words for w in it.products.query):
            sure = False      # "tem arroz de 1kg?" names a product, though an entry speaks of "bolo de arroz"
        if sure and it.meaning.kind == "faq" and cues.PRICE_ASKED.search(norm) \
                and {text.stem(t) for t in norm.split()} & _variants() \
                and self._shares_only_goods(norm, kb.faq[it.meaning.index][0]):
            sure = False      # "o feijão preto tá quanto?" asks a price, though an entry prepares the feijão fradinho
        if sure and it.meaning.kind == "faq" and cues.PRICE_ASKED.search(norm) and it.products.best \
                and it.products.best.complete and self._shares_only_goods(norm, kb.faq[it.meaning.index][0]):
            sure = False      # "quanto tá o vidro do pequi?": goods priced, though an entry shells the pequi
        if sure and it.meaning.kind == "faq" and it.products.best \
                and self._only_kinds_shared(norm, kb.faq[it.meaning.index][0], it.products.best):
            sure = False      # "polpa de maracujá vocês trabalham?": goods, though an entry names "Flor do Maracujá"
        if sure and it.meaning.kind == "faq" and it.meaning.confidence < 0.9 and SELLS.search(norm):
            sure = False      # "vocês vendem gás de cozinha?" asks for goods, though an entry "cozinha" the pinhão
        best_found = it.products.best
        if sure and it.meaning.kind == "faq" and it.meaning.confidence < 0.9 and best_found \
                and len(best_found.covered) >= 2 \
                and [w for w in best_found.missing if w not in retrieval.STOP and w not in self._cue_stems]:
            sure = False      # "tem erva de tereré sabor abacaxi?": goods named, of a kind the store lacks
        if sure and it.meaning.kind == "faq" and it.meaning.words <= 1 and cues.PRICE_ASKED.search(norm) \
                and not self._shared(norm, kb.faq[it.meaning.index][0]):
            sure = False      # "quanto sai o copinho?": one word of an entry's answer ("copo de 500ml"), a price
        if sure and it.meaning.kind == "faq" and self._kind_lacked(norm, kb.faq[it.meaning.index], drop):
            sure = False      # "tem café melitta? qto tá": coffee of a brand the store lacks, not its café
        if sure and it.meaning.kind == "faq" and cues.PRICE_ASKED.search(norm) and best_found is not None \
                and by_its_name(best_found) - set(retrieval.stem_words(" ".join(kb.faq[it.meaning.index]))):
            sure = False      # "me passa o valor do vazio, quero fazer no espeto": the cut named, not the galeto
        if sure and it.meaning.kind == "faq" and cues.PRICE_ASKED.search(norm) and self._names_several(norm, drop):
            sure = False      # "quanto tá a mandioca o tomate a banana e a batata?": prices, not the entry on starch
        if sure and it.meaning.kind == "faq" and set(quantities.SIZE_OF.findall(norm)) \
                - set(text.normalize(" ".join(kb.faq[it.meaning.index])).split()):
            sure = False      # "arroz pacotinho de 1 quilo tem?": a size of goods, not the entry about rice cakes
        if sure and it.meaning.kind == "faq" and it.meaning.words <= 1 and days:
            sure = False      # "e no domingo?" after the hours: the day, not an entry that names it
        if sure and it.meaning.kind == "faq" and days and STORE_OPEN_ASKED.search(norm) \
                and not (it.products.best and it.products.best.complete):
            sure = False      # "e domingo vai até q horas?": the store's hours that day, not the bakery's batches
        if sure and it.meaning.kind != "faq" and it.meaning.confidence < 0.6 and cues.PRICE_ASKED.search(norm) \
                and it.products.best and it.products.best.score >= 0.5:
            sure = False      # "... chegou aqui em casa 😅 o tucupi tá quanto o litro?": a price, in chatter
        if sure and it.meaning.kind in FACT_INTENTS and it.meaning.met <= 1 and scores["product_price"] > 0 \
                and {"vende", "vendem", "vendes"}.intersection(norm.split()) and not scores[it.meaning.kind]:
            sure = False      # "o gás aqui de casa acabou, vcs vendem botijão?": goods asked for, not the delivery
        if sure and it.meaning.words <= 1 and any(scores[x] for x in SOCIAL):
            sure = False      # "vlw" is thanks, not the "vale" of vale-refeição
        if sure and not (it.products.best and it.products.best.complete) and not it.section:
            it.products = search.Result(query=[])    # a question about the store, not look-alike products
            others = max((scores[i] for i in FACT_INTENTS if i != it.meaning.kind), default=0)
            if it.meaning.kind in FACT_INTENTS and (others < 1 or it.meaning.confidence >= 0.75):
                # "e no domingo vocês ficam até quando?" is the hours, though "vocês ficam" reads as the address
                scores[it.meaning.kind] = max(scores[it.meaning.kind], 1)
            scores["product_price"] = 0
        found = it.products.best
        if found and not found.complete:
            pieces = [p for p in re.split(r"[,;/+\n]|\s(?:e|ou|mais)\s", message.lower()) if p.strip()]
            if cues.PRICE_ASKED.search(norm) and not AVAILABILITY.search(norm):
                # "quanto tá a mandioca o tomate a banana": prices asked of goods named without commas
                fewest = 2 if len(pieces) >= 2 else 3      # "manteiga requeijão e leite de caixinha": a list's piece
                pieces = [sub for p in pieces[:MAX_SEVERAL] for sub in self._goods_in(p, drop, fewest)] \
                    + pieces[MAX_SEVERAL:]
            # one per line of a pasted list too; a search each, so a list is read up to
            # MAX_SEVERAL pieces (the reply says so)
            it.several_skipped = max(len(pieces) - MAX_SEVERAL, 0)
            searched = [self._piece_of_goods(text.normalize(p), drop) for p in pieces[:MAX_SEVERAL]]
            parts = [r for r in searched if r.best and r.best.complete]
            # "quanto tá a picanha e a linguiça?" where no linguiça is sold: the one found, the other said
            lacking = [re.sub(r"^(?:(?:o|a|os|as|do|da|dos|das|de)\s+)+|[?!.]+$", "", p.strip())
                       for p, r in zip(pieces, searched) if not r.matches and r.unknown and len(r.query) <= 3
                       and not set(r.query) & self._cue_stems]
            lacking = lacking if not re.search(r"[,;\n]", message) else []     # "oii, voltei de SP ...": chatter
            if len(parts) >= 2 or parts and lacking and len(searched) <= 4 and scores["product_price"] > 0:
                it.several, found = parts, parts[0].best
                it.several_lacking = lacking
        it.quantity = self._quantity(norm)
        self._payment(it, stems, norm)
        self._delivery(it, stems, norm, kb)
        if PLACE_THEN_DELIVERY.search(norm):
            scores["delivery"] = max(scores["delivery"], 1)     # "e pra ferradas vcs levam?": a delivery asked
        if it.payment and scores["payment"] == 0:
            scores["payment"] = 1
        it.faq, faq_score = None, 0.0
        # "delivery" says it already, unless the store wrote an entry asked just so ("aceitam vale-alimentação?")
        if sure and it.meaning.kind == "faq" and not (found and found.complete) \
                and not slots.lacks_the_thing(norm, kb.faq[it.meaning.index]) \
                and not self._area_beside_the_entry(it, kb, scores["delivery"] >= 1) \
                and (max((scores[i] for i in FACT_INTENTS), default=0) < 1
                     or it.meaning.confidence >= 0.9 and it.meaning.words >= 2
                     or it.meaning.confidence >= 0.6 and self._names_the_entry(message, kb, it.meaning.index)):
            it.faq, faq_score = it.meaning.index, max(0.75, it.meaning.confidence)
        c = _Case(it=it, scores=scores, facts={i: scores[i] for i in FACT_INTENTS if scores[i] > 0},
                  found=found, faq_score=faq_score, stems=stems, days=days,
                  anaphoric=bool(stems) and stems[0] == "e" and len(stems) <= 10,
                  last_intent=(last or {}).get("intent"), last_skus=(last or {}).get("skus") or [])
        for rule in DECISION:
            outcome = rule(c)
            if outcome is None:
                continue
            if isinstance(outcome, Intent):
                return outcome
            return self._product_intent(c, outcome)
        return it

    def _not_its_purpose(self, norm: str, found: search.Result, drop: frozenset) -> search.Result:
        """"tô precisando de carvão pra assar uma carne, tem aí?": the goods are what is needed, not what it is
        for: the search of the goods alone, when they name a product whole and the message does not, or when the
        product found is named only after "pra"/"para" (then it finds nothing, or not all of the goods)."""
        head = HEAD_OF.search(norm)
        if found.best is not None and head and (word := text.stem(head.group(1))) in found.unknown \
                and word not in found.best.covered:
            # "vcs tem ração de peixe pra tanque?": the goods are the ração, which no product is; not the fish
            return self.searcher.search(head.group(1), drop=drop)
        goods = goods_needed(norm)
        if goods is None or found.best is None:
            return found          # "queria passar cedo pra comprar carne de sol": a visit, not goods needed
        needed = self.searcher.search(goods, drop=drop)
        if needed.best is not None and needed.best.complete:
            return found if found.best.complete else needed    # "preciso de carvão pra assar uma costela": the carvão
        if not needed.query or set(found.best.covered) & set(needed.query):
            return found
        return needed

    def _kind_lacked(self, norm: str, entry: tuple[str, str], drop: frozenset) -> bool:
        """Goods asked for by their own name with a kind, brand or size the store lacks, which the entry does not
        tell of either: "tem café melitta? qto tá", "o café galinha choca de 500g tá qto?", "queria um espumante
        rosé pra dar de presente, tem?" (the goods needed, before what they are for). A short question, or the
        goods needed, only: a dish described ("aquele ensopado de pintado com mandioca") is the entry's."""
        if not (AVAILABILITY.search(norm) or cues.PRICE_ASKED.search(norm)):
            return False
        named = goods_needed(norm) or (norm if len(norm.split()) <= 8 else None)
        if named is None or re.search(r"\baquel[ea]s?\b", norm):
            return False
        found = self.searcher.search(named, drop=drop).best
        if found is None or not found.covered or not by_its_name(found):
            return False
        told = set(retrieval.stem_words(" ".join(entry)))
        return any(w not in retrieval.STOP and w not in self._cue_stems and retrieval._stem(w) not in told
                   and not quantities.SIZE.match(w) or quantities.SIZE.match(w) and w not in " ".join(entry).lower()
                   for w in found.missing)

    def _names_several(self, norm: str, drop: frozenset) -> bool:
        """Whether a message names two products or more whole, as a list of prices asked is read (not "tem X?":
        "o café santa clara vcs tem o pacote de 1 quilo?" is one product of a size the store may lack)."""
        if AVAILABILITY.search(norm):
            return False
        pieces = [p for p in re.split(r",|\s(?:e|ou)\s", norm) if p.strip()]
        fewest = 2 if len(pieces) >= 2 else 3      # "manteiga requeijão e leite de caixinha": a list's piece
        named = {r.best.product.sku for p in pieces for x in self._goods_in(p, drop, fewest)
                 if (r := self.searcher.search(x, drop=drop)).best is not None and r.best.complete}
        return len(named) >= 2

    def _piece_of_goods(self, norm: str, drop: frozenset) -> search.Result:
        """One piece of a list of goods searched; without what it is for when that names none ("... e do biscoito
        de polvilho pra levar de lanche pra viagem")."""
        found = self.searcher.search(norm, drop=drop, fuzzy=PIECE_TYPOS)
        cut = re.sub(r"\spara\s.*$", "", norm)      # normalized: "pra" and "pro" are "para" here
        if (found.best is None or not found.best.complete) and cut != norm:
            alone = self.searcher.search(cut, drop=drop, fuzzy=PIECE_TYPOS)
            if alone.best is not None and alone.best.complete:
                return alone
        return found

    def _goods_in(self, piece: str, drop: frozenset, fewest: int = 3) -> list[str]:
        """A piece naming several goods with no comma between them, cut into one piece each: "a mandioca o tomate
        a banana" at its articles, "picanha linguiça toscana carvão" where each span names one product whole;
        the piece itself otherwise (or when it names one product whole)."""
        norm = text.normalize(piece)
        whole = self.searcher.search(norm, drop=drop, fuzzy=PIECE_TYPOS)
        if whole.best is None or whole.best.complete:
            return [piece]
        subs = [x for x in re.split(r"\s(?:o|a|os|as|do|da|dos|das)\s", f" {norm} ") if x.strip()]
        if len(subs) >= 2:
            # a piece no product has a word of ("manda o preço do leite ..."): what is asked, not goods
            named = [(x, r) for x in subs if (r := self.searcher.search(x, drop=drop, fuzzy=PIECE_TYPOS)).query
                     and r.matches and any(w not in quantities.PACKS and not quantities.SIZE.match(w) for w in r.query)]
            # two products, not one described twice: "a tubaína a coca" are two sodas, as the whole names neither
            skus = {r.best.product.sku for _, r in named if r.best}
            if len(named) >= 2 and len(skus) == len(named) and all(r.best and r.best.complete for _, r in named):
                return [x for x, _ in named]
        is_product = lambda t: t not in text.STOPWORDS and t not in drop and text.stem(t) in self._product_words  # noqa: E731
        spans = quote.spans_of_goods(norm.split(), is_product, self.searcher, drop, by_kg=True, fewest=fewest)
        return [x for x, _ in spans] if spans and len(spans) >= fewest else [piece]

    def _shared(self, norm: str, question: str) -> set[str]:
        """The words (stems) the message shares with an entry's question, beyond stopwords and cue words."""
        return ({text.stem(t) for t in norm.split()} & {text.stem(t) for t in text.normalize(question).split()}) \
            - text.STOPWORDS - self._cue_stems

    def _only_kinds_shared(self, norm: str, question: str, best) -> bool:
        """The message names goods the entry does not ask about, and shares with the entry's question only a
        word that says what kind of goods they are (a flavour, a variant)."""
        shared = self._shared(norm, question)
        return bool(shared) and shared <= _variants() and bool(set(best.covered) - shared)

    def _shares_only_goods(self, norm: str, question: str) -> bool:
        """Every word the message shares with an entry's question is a word of the catalog's goods."""
        shared = self._shared(norm, question)
        return bool(shared) and shared <= self._product_words

    def _names_the_entry(self, message: str, kb: knowledge.KB, index: int) -> bool:
        """The message names what the entry is about, beyond cue words: "a peixaria abre as ostras?"
        and "o pessoal abre a ostra pra mim?" share "ostra", not only "abre" (the hours' cue)."""
        asked = set(retrieval.stem_words(kb.faq[index][0]))
        return bool((set(retrieval.stem_words(message)) & asked) - self._cue_stems)

    def _product_intent(self, c: _Case, name: str) -> Intent:
        """A product intent: which products it is about ("e no atacado?" means the
        last one; "tem promoção?" alone asks for the list), and how sure we are."""
        it = c.it
        if name == "quote" and it.quote is None:
            name = "product_price"    # "tira o sabão" after a quote: no new list to price (never a quote of nothing)
        # "a partir de quantos pacotes fica mais em conta?" right after a product: that product's tier
        pointing = c.anaphoric or any(s in POINTING for s in c.stems) or c.scores["product_price"] >= 1 \
            or name == "wholesale" and c.last_intent in PRODUCT_INTENTS \
            and len([s for s in c.stems if s not in text.STOPWORDS]) <= 10
        if not (c.found or it.products.unknown) and c.last_skus and (name == "product_price" or pointing):
            it.context_skus, it.from_context = list(c.last_skus), True
        it.extra = [i for i in FACT_INTENTS if c.facts.get(i, 0) >= 1][:2]
        conf = 0.9 if (c.found and c.found.complete) or it.context_skus else 0.75 if c.found else 0.6
        return self._set(it, name, conf - (0.15 if it.from_context else 0))

    @staticmethod
    def _area_beside_the_entry(it: Intent, kb, delivery: bool) -> bool:
        """"Vocês levam no Farol?" names a neighbourhood: delivery, though an entry says "levam as compras até
        o carro"; unless the entry names the place itself ("Vocês entregam no interior?"). A place the store
        does not serve counts only beside a delivery word ("tem estacionamento pra carro?" names no place)."""
        place = it.area or delivery and it.other_area
        if not place or it.meaning is None or it.meaning.index is None:
            return False
        q, a = kb.faq[it.meaning.index]
        entry = text.normalize(f"{q} {a}")
        if not text.has_phrase(entry, text.normalize(place)):
            return True
        # the entry names the place but is not about taking goods there ("as artesãs de Olivença montam a banca"
        # beside "to de veraneio em Olivença, vocês levam as compras até aqui?"): delivery, when it is asked
        words, phrases = cues.CUES["delivery"]
        return delivery and not (any(text.stem(t) in words or t in words for t in entry.split())
                                 or any(text.has_phrase(entry, ph) for ph in phrases))

    @staticmethod
    def _set(it: Intent, name: str, confidence: float) -> Intent:
        it.name, it.confidence = name, confidence
        return it

    # -- details the replies need -------------------------------------------
    @staticmethod
    def _days(stems: list[str], norm: str) -> tuple[str, ...]:
        found: list[str] = []
        for phrase, keys in cues.DAY_PHRASES.items():
            if text.has_phrase(norm, phrase):
                found += keys
        for s in stems:
            key = cues.DAYS.get(s)
            if key and key not in found and not (key == "sat" and "sun" in found and "sat" in found):
                found.append(key)
        return tuple(dict.fromkeys(found))

    @staticmethod
    def _quantity(norm: str) -> int | None:
        m = _QTY.search(norm)
        if not m:
            return None
        n = int(m.group(1) or m.group(2))
        return n if n >= 2 else None

    def _payment(self, it: Intent, stems: list[str], norm: str) -> None:
        named = [s for s in stems if s in cues.PAYMENT_WORDS]
        if "vale" in named and ("refeicao" in named or "alimentacao" in named):
            named.remove("vale")
        if "cartao" in named and ("debito" in named or "credito" in named):
            named.remove("cartao")
        it.payment = list(dict.fromkeys(named))
        it.installments = any(s in cues.INSTALLMENT_WORDS for s in stems) or text.has_phrase(norm, "sem juros")

    def _delivery(self, it: Intent, stems: list[str], norm: str, kb: knowledge.KB) -> None:
        for topic, (words, phrases) in cues.DELIVERY_TOPICS.items():
            if self._score(stems, norm, words, phrases):
                it.delivery_topics.add(topic)
        present = set(stems)
        typos = {a for s in text.fuzzy_words([s for s in stems if len(s) >= 5])
                 for a in text.similar(s, self.area_vocab, 0.85)}
        for area in kb.delivery.get("areas", []):
            area_stems = text.stems(area)
            if area_stems and all(a in present or (len(a) >= 5 and a in typos) for a in area_stems):
                it.area = area
                return
        # "passo dareia" for "Passo d'Areia", "vila ipiranga" for "Vila Ipiranga": the words run together
        for area in kb.delivery.get("areas", []):
            whole = text.compact(text.stems(area))
            k = len(text.stems(area))
            if len(whole) >= 8 and k >= 2 and any(
                    text.is_typo_of(text.compact(stems[i:i + n]), whole)
                    for n in (k - 1, k) for i in range(max(len(stems) - n + 1, 0))):
                it.area = area
                return
        # the place runs to the end of the text in letters and spaces: look only in that tail
        # (a search from every "no"/"em" of a long text would scan to its end each time)
        tail = len(norm)
        while tail and (norm[tail - 1] == " " or "a" <= norm[tail - 1] <= "z"):
            tail -= 1
        for m in (_AREA.search(norm, tail), LIVES_IN.search(norm), PLACE_THEN_DELIVERY.search(norm),
                  DELIVERY_TO.search(norm)):
            # a place is a name: "pra mim ou tenho que abrir em casa" has pronouns and verbs in it, no place
            if m and not set(m.group(1).split()) & NOT_IN_A_PLACE:
                words = [w for w in m.group(1).split() if w not in cues.NOT_AREA and w not in AREA_FILLERS
                         and w not in self.cue_set]
                if words and len(words) <= 4:
                    it.other_area = " ".join(words)
                    return


# -- the decision, as an ordered table of rules ---------------------------------
# After the early exits (complaint, a person, a shopping list), ``classify``
# tries these in order; the first that applies decides. A rule returns None
# (not mine), the name of a product intent (the products and the confidence
# are then settled in ``_product_intent``), or the finished Intent.

@dataclass
class _Case:
    it: Intent
    scores: dict
    facts: dict              # fact intents with a score: hours, location, delivery, payment
    found: search.Match | None
    faq_score: float
    stems: list
    days: tuple
    anaphoric: bool          # "e ...?" short follow-up
    last_intent: str | None
    last_skus: list

    @property
    def strong_fact(self) -> bool:
        return max(self.facts.values(), default=0) >= 1


def _wholesale(c: _Case):
    """Wholesale cue words, or a quantity that reaches the product's minimum."""
    s, it, found = c.scores["wholesale"], c.it, c.found
    if s >= 1 or (s > 0 and not c.strong_fact) or (it.quantity and found and found.product.wholesale_price
                                                   and it.quantity >= found.product.wholesale_min_qty):
        return "wholesale"
    return None


PROMO_NOUNS = frozenset("promocao promocoes oferta ofertas encarte tabloide folheto liquidacao".split())


def _promotions(c: _Case):
    s = c.scores["promotions"]
    m = c.it.meaning
    if s <= 1 and m is not None and m.kind == "faq" and m.confidence >= 0.6 and not PROMO_NOUNS.intersection(c.stems):
        return None      # "vocês pegam o casco e descontam na compra?": a policy, not the promotions
    return "promotions" if s >= 1 or (s > 0 and not c.strong_fact) else None


def _product_found(c: _Case):
    """A product of the catalog, asked about (or nothing else asked)."""
    if not (c.found and (c.scores["product_price"] > 0 or not c.facts) and c.faq_score < 0.75):
        return None
    place = c.it.area or c.it.other_area
    if place and c.facts.get("delivery") and set(c.found.covered) <= set(text.normalize(place).split()):
        return None        # "minha mãe mora em pedra preta, dá pra vcs levarem lá?": a place, not the brand
    if not c.facts and c.scores["product_price"] == 0 and c.last_intent in PRODUCT_INTENTS:
        c.it.from_context = True
        return c.last_intent               # "e a calabresa?" after a price question
    return "product_price"


def _faq(c: _Case):
    if c.it.faq is not None and (c.faq_score >= 0.75 or max(c.facts.values(), default=0) <= 1):
        return Classifier._set(c.it, "faq", min(0.6 + c.faq_score / 2, 0.95))
    return None


def _facts(c: _Case):
    """The strongest fact asked about; the next two strong ones are answered too."""
    if not c.facts:
        return None
    order = sorted(c.facts, key=lambda i: (-c.facts[i], FACT_INTENTS.index(i)))
    c.it.extra = [i for i in order[1:3] if c.facts[i] >= 1]
    return Classifier._set(c.it, order[0], 0.9 if c.facts[order[0]] >= 1 else 0.7)


def _product_not_sold(c: _Case):
    """A price question about something we do not sell."""
    if c.scores["product_price"] > 0 and (c.it.products.query or not c.last_skus):
        return "product_price"
    return None


def _product_follow_up(c: _Case):
    if c.last_skus and c.last_intent in PRODUCT_INTENTS and (c.anaphoric or c.scores["product_price"] > 0):
        c.it.from_context = True
        return c.last_intent
    return None


def _hours_follow_up(c: _Case):
    """"e domingo?" after the hours, or a day alone."""
    if c.days and (c.last_intent == "hours" or c.anaphoric or len(c.stems) <= 3) \
            and not any(c.scores[x] for x in SOCIAL):
        c.it.from_context = c.last_intent == "hours"
        return Classifier._set(c.it, "hours", 0.7)
    return None


def _delivery_follow_up(c: _Case):
    if c.last_intent == "delivery" and c.anaphoric and (c.it.area or c.it.other_area):
        c.it.from_context = True
        return Classifier._set(c.it, "delivery", 0.7)
    return None


def _social(c: _Case):
    """Greetings and thanks (unless there is small talk in it), then small talk."""
    for social in SOCIAL:
        if c.scores[social] > 0 and c.scores["smalltalk"] == 0:
            return Classifier._set(c.it, social, 0.9)
    if c.scores["smalltalk"] > 0:
        return Classifier._set(c.it, "smalltalk", 0.6)
    return None


def _thanks(c: _Case):
    """"Obrigada mana, vocês são pai d'égua": thanks or a goodbye with nothing asked, though a word names a
    product ("Maná", "maninho")."""
    if (c.scores["thanks"] or c.scores["goodbye"]) and not c.scores["product_price"] and not c.facts \
            and "?" not in c.it.original and not c.it.quantity:
        return Classifier._set(c.it, "thanks" if c.scores["thanks"] else "goodbye", 0.9)
    return None


DECISION = (_thanks, _wholesale, _promotions, _product_found, _faq, _facts, _product_not_sold, _product_follow_up,
            _hours_follow_up, _delivery_follow_up, _social)
