"""Reading a message into its parts and answering each from the facts.

``respond(message, kb, last, bot)`` returns a ``Read`` (the reply text, an
intent name for the records, the topic to remember) when reading answers the
message, or None when the classifier (intents.py) should answer it whole, as
before. What reading answers:

- yes/no questions about the facts, decided by code (checks.py): an amount
  against the installment threshold, free delivery or the minimum order; a
  payment brand or voucher against the list; a day and time against the
  hours; the time asked (or now) against the delivery cut-off; a day the
  delivery text excludes;
- several questions in one message (parts.py), each answered in the order
  asked, by a check or by the classifier and its templates (``bot.part``),
  each part the context of the next; chatter around them is not answered,
  and complaint words only hand over when they are about a problem;
- follow-ups on the last product, quote or topic of the customer (until
  ``[bot] context_idle_minutes`` of silence): a new quantity ("e se forem
  15?", "levando 4 sai mais barato?"), another size ("e o de 1kg?"), an edit
  of the last quote (asked again as a list until carts edit it);
- FAQ entries asked in other words ("tem onde deixar o carro?"), through the
  paraphrases in ``data/reading_ptbr.toml``; an entry about goods the store
  prepares through the words of its own question ("vocês tiram a casca do
  camarão?" is "A peixaria limpa o camarão?"), and a problem asked as a
  returns question through the returns policy;
- a variant the store lacks ("leite desnatado", "coca de 600ml", "água com
  gás") said so, with the variants it has named as such;
- promotions of two sections, or for an occasion ("pro café da manhã").

Nothing here knows a store: every name, number and threshold comes from the
knowledge base. Packs and run-on lists are spelled out first (reading/lists.py).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal

from .. import fmt, text
from ..reading import cues, intents, lists, parts, quantities, slots
from ..reading import vocab as vocab_mod
from ..store import knowledge, retrieval, search, sections
from . import checks, notsold, product_replies, quote, replies

PRODUCT_INTENTS = intents.PRODUCT_INTENTS    # one list of each, in reading/intents.py
PRICE_WORDS = re.compile(r"\b(?:preco|valor|custa|custam|quanto (?:custa|ta|esta|sai|fica|e))\b")
# a price asked again of goods just answered of ("... sai q horas? e tá qto a unidade?")
PRICE_AGAIN = re.compile(rf"{PRICE_WORDS.pattern}|\b(?:ta|esta) quanto\b|\bpor quanto\b")
PROMO_WORDS = re.compile(r"\b(?:promo\w*|oferta\w*|desconto\w*|liquidacao|encarte|precos? bons?|preco bom|precinho|"
                         r"o que (?:esta|ta) (?:barato|baratinho|em conta)|"      # "oq tá barato no hortifruti"
                         r"precos? baixados?|precos? baixos?|remarcad\w*)\b")
MAX_FOLLOW_UP_WORDS = 12
MAX_PART_WORDS = 40      # longer: a pasted list or text, which the classifier reads whole
# "polpa de maracujá vocês trabalham?": do you carry it; "preciso do seda de 700ml, chegou aí?"
ASKS_PRODUCT = re.compile(r"\b(?:tem|tens|teria|vende|vendem|voces tem|preco|valor|custa|custam|quanto|trabalham|"
                          r"trabalha|chegou|chegaram|preciso|procuro|procurando|queria|encontro|acho|"
                          r"vem (?:em|de|na|no)|rola)\b")
# promotions asked ("desconto" may be a policy: "idoso tem desconto?")
ON_SALE = re.compile(r"\b(?:promo\w*|oferta\w*|liquidacao|encarte|"
                     r"(?:o que|quais|qual) (?:\w+ )?(?:esta|ta|estao|tao|tem|que ta) (?:com|em) desconto)\b")
CHEAPER = re.compile(r"\b(?:mais barato|mais em conta|compensa|sai melhor|tem desconto|fica mais barato|diminui|"
                     r"(?:um |uns )?(?:precinho|preco|valor) melhor|faz (?:um )?(?:desconto|precinho)|"
                     r"da (?:um )?desconto|"
                     r"por menos|baixa|abaixa|cai o preco|fica menos|preco cai|valor cai|preco baixa|fica menor|"
                     r"(?:tem|sai|fica|e) (?:um |o )?(?:preco|valor) (?:diferente|melhor)|muda o (?:preco|valor)|"
                     r"melhora (?:o |no )?(?:preco|valor))\b")


@dataclass
class Read:
    text: str
    intent: str
    topic: dict = field(default_factory=dict)



# -- the reading -------------------------------------------------------------------

def respond(message: str, kb: knowledge.KB, last: dict | None, bot) -> Read | None:
    words = vocab_mod.load()
    now = fmt.store_now(bot.cfg.bot.store_timezone)
    norm = text.normalize(message)
    friendly = any(p in norm and text.has_phrase(norm, p) for p in words.not_complaint)
    if _asks_person(norm):
        return None
    complains = _complains(norm)
    venting = complains and _venting_then_asking(message)      # read once: the parts' complaints ask it again
    if complains and not friendly and not _reported(norm) and not _policy_in_general(message) and not venting:
        return _policy_of_a_problem(message, norm, kb, words, bot)
    if _only_thanks(message, norm):
        return Read(replies.social(intents.Intent("thanks", 0.9), kb, None)[0], "thanks")
    if any(p in norm.split() for p in words.packs):      # "2 fardos de guaraná? o fardo vem com 6": one pack
        message = lists.packs(message, words)
        norm = text.normalize(message)
    if not quantities.counted(norm) and any(text.has_phrase(norm, ph) for ph in quote.TOTAL_PHRASES) \
            and (listed := quote.read(message, bot.searcher, cues_words())) is not None and len(listed.lines) >= 2:
        return None          # "anota aí fubá sagu chimia de figo, quanto dá?": a list of one of each
    pieces = _joined_price_asks(parts.split(message), words)
    if len(pieces) <= 1:
        return _single(message, norm, kb, last, bot, now, words)
    answers: list[Read] = []
    greeting = False
    # "to organizando a festa da igreja ... quanto tá o pequi?": the last part asks; the telling before it
    # (no question mark, no number) is said, not asked
    last_words = text.normalize(pieces[-1]).split()
    asks_last = len(last_words) >= 4 and ("?" in pieces[-1] or last_words[0] in parts.QUESTION_OPENERS
                                          # "me diz o preço", "me fala as ofertas"
                                          or PRICE_WORDS.search(" ".join(last_words)) is not None
                                          or PROMO_WORDS.search(" ".join(last_words)) is not None)
    told = ""
    for k, piece in enumerate(pieces):
        if k:
            piece = pieces[k] = _there(piece, " ".join(pieces[:k]), kb)     # the same object when unchanged
        cooked = lists.COOKING.match(text.strip_accents(piece.lower()))
        if cooked and len(piece[cooked.end():].split()) >= 3:
            piece = piece[cooked.end():]      # "vou fazer uma tapioca pro lanche, quanto tá o queijo?"
        pnorm = text.normalize(piece)
        if PROMO_WORDS.search(pnorm) and not _occasion(pnorm, words) \
                and (said := _occasion(text.normalize(" ".join(pieces[:k])), words)):
            piece, pnorm = f"{piece} pra {said}", f"{pnorm} pra {said}"   # "vou fazer uma moqueca, tem promoção?"
        if asks_last and piece is not pieces[-1] and (_telling(piece, pnorm) or parts.told_before(pieces, message)
                                                      or _chatter_before_a_price(piece, pnorm, pieces[-1], bot)):
            told = piece
            continue
        if answers and piece is pieces[-1] and "?" not in piece and pnorm.split()[0] in WHY_AFTER \
                and not set(pnorm.split()) & parts.OPENERS and not PRICE_WORDS.search(pnorm) \
                and not _counts_goods(pnorm) and not ASKS_PRODUCT.search(pnorm):
            continue          # "... já dá pra entrar aí? quero chegar cedo antes do serviço": why, not a question
        if answers and answers[-1].intent in PRODUCT_INTENTS and piece is pieces[-1] and len(pnorm.split()) <= 5 \
                and (THAT_ONE.match(pnorm) or _described(pnorm)) and not any(c.isdigit() for c in pnorm):
            continue          # "tem ração de cachorro aí? aquela de saco grande", "... saco grande", "daqueles
            # vermelhinho": the goods asked, described (not "aquela que vem 12")
        if answers and answers[-1].intent in PRODUCT_INTENTS and CHEAPER.search(pnorm) and len(pnorm.split()) <= 5:
            continue          # "se eu pegar 6 compensa? fica mais em conta?": the same question again
        if answers and answers[-1].intent == "wholesale" and HOW_MANY_TAKEN.search(pnorm) and len(pnorm.split()) <= 5:
            continue          # "no atacado baixa pra qto? precisa levar quantas?": the minimum, just answered
        if len(pieces) > 1 and _only_thanks(piece, pnorm):
            continue          # "oi meninas do atendimento, vcs são um amor ❤️": praise, before what is asked
        if answers and answers[-1].intent == "promotions" and "?" not in piece and len(pnorm.split()) <= 5 \
                and not quantities.counted(pnorm) and not set(pnorm.split()) & parts.OPENERS \
                and not ASKED_IN_WORDS.search(pnorm) and not checks.OPEN.search(pnorm) \
                and not _section_again(pnorm, "promotions", bot):      # not "... e tb as de limpeza"
            continue          # "oq tem de bebida em oferta? refri, cerveja": examples of the promotions answered
        if answers and piece is pieces[-1] and "?" not in piece and PURPOSE_TOLD.match(pnorm) \
                and not ASKED_IN_WORDS.search(pnorm):
            continue          # "quanto sai 20 pacote de flocão? é pro cuscuz da lanchonete": what for, told
        if answers and piece is pieces[-1] and "?" in message and _telling(piece, pnorm) \
                and not ASKED_IN_WORDS.search(NO_WAY.sub(" ", pnorm)) and pnorm.split()[0] != "e":
            continue          # "tem promo na peixaria e no açougue? final de semana tem pescaria e churrasco": told
        if answers and answers[-1].intent in ("faq", "wholesale") \
                and (len(text.content_words(piece)) <= 1 or FAQ_DETAIL.match(pnorm)) \
                and not (PRICE_AGAIN.search(pnorm) and "R$" not in answers[-1].text) \
                and not _faq(pnorm, kb, words, named=True) \
                and not ((found := bot.searcher.search(pnorm).best) and found.complete):
            # "qual o mínimo?", "em quantos dias?" right after a policy: the policy says it ("e o matrinxã tá
            # quanto?" names goods)
            continue
        got = _section_again(pnorm, answers[-1].intent, bot) if answers else None   # "... e nas verduras?"
        got = got or _single(piece, pnorm, kb, last, bot, now, words)
        if got is None:
            got = bot.part(lists.rewrite(piece), kb, last)
        if piece is pieces[-1] and len(pieces) >= 2 and EACH_OF.search(pnorm) and not (got and got.topic.get("skus")):
            # "linguiça caseira e costela de boi, qual o preço do kg de cada?": the goods of the part before
            got = bot.part(lists.rewrite(f"quanto custa {pieces[-2]}?"), kb, last) or got
        if told and piece is pieces[-1] and REFERS_TO_TOLD.search(pnorm):
            # "domingo vai ter caldeirada de peixe lá em casa 🐟 o q tem de promoção pra isso?": asked of what was told
            got = bot.part(lists.rewrite(f"{told} {piece}"), kb, None, extras=False) or got     # not the turn before
        elif k and piece is pieces[-1] and PROMO_WORDS.search(pnorm) and REFERS_TO_TOLD.search(pnorm) \
                and (of := bot.part(lists.rewrite(" ".join(pieces[:k + 1])), kb, None, extras=False)) is not None \
                and of.intent == "promotions":
            got = of       # "sabão, detergente, essas coisa de limpeza... ta tendo desconto em algum?": of those, not
            # of the goods of the conversation before
        earlier = told or " ".join(pieces[:-1])
        if earlier and piece is pieces[-1] and _service_asked(pnorm, words)[0] \
                and (got is None or got.intent in PRODUCT_INTENTS) \
                and (service := _faq_of_goods(text.normalize(earlier + " " + piece), kb, words, bot, asks=True)):
            got = service      # "quero uma sopa paraguaia inteira pro aniversário, tem que avisar com quanto tempo?"
        elif got is not None and earlier and piece is pieces[-1] \
                and (not got.topic.get("skus") or _soft_only(pnorm, bot) or got.text.startswith("Não encontrei")) \
                and (got.intent == "product_price" or got.intent in FACTS and EACH_PRICE.search(pnorm)
                     # "o bolo pé de moleque de vcs é arretado ... vou levar um pra visita de domingo, ta quanto?":
                     # the price of the goods told of, not an entry a word of the question shares
                     or got.intent == "faq" and HOW_MUCH.search(pnorm) is not None     # not "um preço camarada"
                     and (got.topic.get("faq") is None or not _told_of(text.normalize(earlier), kb, got.topic["faq"]))):
            # "... ela pediu pra eu levar uns dois quanto tá cada um?": a price of goods, not the delivery
            # "... ta pedindo guariroba faz tempo kkk quanto tá o kg?": the product is in what was said before
            vocab = set(bot.searcher.vocab())
            toks = text.normalize(earlier).split()
            everything = text.normalize(" ".join(pieces[:-1])).split()        # "a costela tava ótima!! ... ela tá"
            goods = [w for w in everything if w in vocab and w not in text.STOPWORDS]
            heads = [w for w in reversed(goods[-3:]) if w in _head_words(bot)]    # "costela", not the "delícia" said
            several = None
            for said in ([w for w in toks[-TOLD_WORDS:] if w in vocab and w not in text.STOPWORDS],
                         [w for w in toks if w in vocab and w not in text.STOPWORDS][-3:],    # the goods named last
                         goods[-3:], *_runs_of_goods(toks, vocab), *([w] for w in heads)):
                named = bot.part(" ".join(said) + " " + piece, kb, last) if said else None
                found = named is not None and named.topic.get("skus") and not named.text.startswith("Não encontrei")
                if found and len(named.topic["skus"]) == 1:
                    break
                # "... como a que ela fazia no sítio. quanto tá o pote dele?": a brand word said last names a
                # list; the goods named before it, one product
                several = several or (named if found else None)
            else:
                named, found = several, several is not None
            got = named if found else got
        named = _faq(text.normalize(earlier + " " + piece), kb, words, named=True, bot=bot) \
            if earlier and piece is pieces[-1] and not PROMO_WORDS.search(pnorm) else None    # not the promotions asked
        entry = named.topic.get("faq") if named else None
        other = got is None or got.intent != "faq" or got.topic.get("faq") != entry
        priced = got is not None and got.intent in PRODUCT_INTENTS and bool(got.topic.get("skus")) \
            and cues.PRICE_ASKED.search(pnorm) is not None      # "... faltou troco ... a goiabada tá quanto?"
        checked_fact = got is not None and got.intent in FACTS and got.text.startswith(("Sim", "Não"))
        if named is not None and other and not priced and not checked_fact \
                and not (answers and answers[-1].text == named.text):    # not "domingo de tarde abrem? ... a feira"
            got = named        # "preciso de umas cestas pra firma ... qual a quantidade mínima?": the entry told of
        elif told and piece is pieces[-1] and (got is None or got.intent in FACTS or got.intent == "product_price"
                                               and got.text.startswith("Não encontrei")):
            # "queria encomendar um empadão ..., quanto tempo antes preciso avisar?": what was told says
            # which policy is asked
            whole = text.normalize(told + " " + piece)
            entry = _faq_of_goods(whole, kb, words, bot, asks=True) or _faq(whole, kb, words) \
                or bot.part(lists.rewrite(told + ", " + piece), kb, last)
            got = entry if entry is not None and entry.intent == "faq" and "faq" in entry.topic else got
        elif earlier and not answers and piece is pieces[-1] and got is not None and got.intent in FACTS \
                and FAQ_DETAIL.match(pnorm) and (entry := _entry_told(earlier, kb, bot)) is not None:
            # "queria fechar uns kits de alimento pros funcionário da firma, vcs fazem? qtos no mínimo?": a
            # detail of the entry the message began with, not the delivery's minimum
            got = entry
        if earlier and piece is pieces[-1] and (got is None or got.intent == "hours") \
                and (checked := checks.open_at(text.normalize(f"{earlier} {piece}"), kb, now)):
            # "na sexta eu saio do serviço 8 e 45 da noite... ainda pego vcs abertos?": the day and time told
            got = Read(checked, "hours")
        if got is not None and got.intent == "complaint" and friendly:
            # "... não tenho nenhuma reclamação kkk só queria saber o preço do pão": what follows is asked
            tail = _after_praise(pnorm, words)
            got = bot.part(lists.rewrite(tail), kb, last) if tail else got
        if got is None:
            continue
        if got.intent in HANDOFF:
            if got.intent == "complaint" and venting:
                continue           # "a vida tá difícil, a luz veio um absurdo ...": said, before the price asked
            if got.intent == "human_request" or (not friendly and not _reported(pnorm)):
                return None        # the classifier hands the whole message to a person
            continue               # "meu marido reclamou que eu esqueço o café": no problem to hand over
        if got.intent in cues_social():
            greeting |= got.intent == "greeting"
            continue
        chatter = "?" not in piece and piece is not pieces[-1]
        if answers and "?" not in piece and len(pnorm.split()) <= 3 and got.intent in FACTS \
                and not set(pnorm.split()) & (parts.OPENERS | _fact_words(got.intent)):
            continue          # "... é tratada? fico preocupada": a feeling after the question, not a question
        vague = (got.intent == "faq" and "faq" not in got.topic
                 or got.intent == "product_price"
                 and (not got.topic.get("skus") or got.text.startswith(("Não encontrei", "Encontrei estes"))))
        if chatter and vague:
            continue          # "to organizando o aniversário do meu filho": said, not asked
        if vague and got.intent == "product_price" and got.text.startswith("Não encontrei *") \
                and (hit := _entry_hit(message, kb, bot)) is not None \
                and set(retrieval.stem_words(piece)) & set(bot.classifier.retriever.tf[hit.index]):
            # "o punho da minha rede arrebentou 😩 vcs tem pra vender ai? quanto a de casal": no goods of the
            # catalog, and the whole message is about an entry that part names (not "tem carvão aí? preciso pro
            # churrasco" beside an entry on seasoning the meat for one)
            got, vague = Read(kb.faq[hit.index][1], "faq", {"faq": hit.index}), False
        if answers and answers[-1].text.startswith("Não encontrei") and "?" not in piece \
                and got.intent in ("wholesale", "promotions"):
            continue          # "vendem sacolé? queria pra revender": what for, of goods we lack
        if vague and answers and answers[-1].intent == "faq":
            continue          # "vocês pegam bateria velha? tenho umas 20, tem limite?": the entry answers both
        if all(got.text != a.text for a in answers) and not _said_already(got, answers):
            answers.append(got)
            last = {"intent": got.intent, **got.topic}     # "quanto tá o feijão? e no atacado?"
    if not answers:
        return None
    checked = " ".join(a.text.lower() for a in answers if a.intent == "hours" and a.text.startswith(("Sim", "Não")))
    if checked:
        # "hj vcs ficam abertos até tarde? se eu chegar umas 8 e meia ainda pego aberto?": the check of that day
        # says its hours (not "no sábado ..." beside "domingo abre?")
        answers = [a for a in answers if a.intent != "hours" or a.text.startswith(("Sim", "Não"))
                   or not ((day := HOURS_DAY.match(a.text.lower())) and day.group(1) in checked)]
    if len(answers) >= 2 and all(a.intent in PRODUCT_INTENTS for a in answers) and "?" not in message \
            and not all(a.intent == "promotions" for a in answers):      # not "as de bebida e tb as de limpeza"
        return None        # "2 arroz. 3 feijão.": one list, which the classifier reads whole
    quoted = next((a.topic["total"] for a in answers if a.intent == "quote" and a.topic.get("total")), None)
    if quoted and any(a.intent == "delivery" for a in answers):
        note = _below_minimum(Decimal(quoted), kb)
        answers += [Read(note, "delivery")] if note else []
    body = "\n\n".join(a.text for a in answers)
    if greeting:
        body = "Olá! 👋 " + body
    topic = {"skus": [s for a in answers for s in a.topic.get("skus", [])][:20]}
    quoted_lines = [a.topic["lines"] for a in answers if a.intent == "quote" and a.topic.get("lines")]
    if len(quoted_lines) == 1:
        topic["lines"] = quoted_lines[0]        # the cart of the one quote among the parts (pipeline._read)
    return Read(body, answers[0].intent, topic)


def _soft_only(norm: str, bot) -> bool:
    """The goods a part names only by a container or a measure ("quanto tá a garrafa?" is no "Manteiga de
    Garrafa"): the goods are in what was said before it."""
    best = bot.searcher.search(norm, drop=quote.FILLER | cues_words()).best
    return best is not None and bool(best.covered) \
        and all(w in search.SOFT | SIZE_SAID or quantities.SIZE.match(w) for w in best.covered)   # "o pacote de 1kg"


# how big, said of a container ("a garrafa grande tá quanto?"): no goods of its own
SIZE_SAID = frozenset("grande grandes pequena pequeno pequenas pequenos media medio maior menor".split())


def _head_words(bot) -> frozenset[str]:
    """The first word of every product's name ("costela" of "Costela Bovina kg"), normalized."""
    return frozenset(text.normalize(p.name).split()[0] for p in knowledge.products(bot.conn, limit=1_000_000)
                     if text.normalize(p.name))


# the words of a part that only asks the price of what the part before it named ("... ne? quanto tá o fardo")
PRICE_ONLY = frozenset("quanto qto quantos fica ficaria sai saem ta esta custa custam valor preco total da dar vai "
                       "o a os as e tudo isso entao ai me diz diga manda passa fechado fechada inteiro inteira "
                       "completo completa cada um uma kg quilo litro unidade de do da baixa abaixa diminui barato "
                       "barata compensa desconto".split())


# how a part that only adds a detail to the question before it starts ("abrem cedo? tipo umas 8 da manhã")
DETAIL = re.compile(r"^(?:tipo|umas|uns|la pelas|lá pelas|pelas|por volta|mais ou menos|sei la|digamos)\b")
# examples of what the question before meant ("tem promoção pro café? pão, queijo, essas coisas")
EXAMPLES = re.compile(r"\b(?:essas? coisas?|esse tipo de coisa|coisas? assim|e tal|etc)$")
# a question of its own, not a price: a price asked after it is another question
OTHER_ASKED = re.compile(r"\b(?:que horas?|q horas?|quando|que dia|qual dia|onde)\b")
# a part that only repeats that something is asked ("promoção de limpeza e higiene, tem alguma?")
ONLY_ASKS = frozenset("tem teria ha alguma algum alguns algumas ai hoje agora ne voces vcs".split())


EACH_OF = re.compile(r"\b(?:de cada|cada um|cada uma|dos dois|das duas|de ambos)\b")
# what the question refers back to ("... o q tem de promoção pra isso?"; not "falando nisso")
REFERS_TO_TOLD = re.compile(r"\b(?:pra isso|para isso|disso|pra ela|pra ele|para ela|para ele|em algum|em alguma|"
                            r"neles|nelas|nesses|nessas|deles|delas|desses|dessas)\b")
THAT_ONE = re.compile(r"(?:aquel[ea]s?|dess[ea]s?|daquel[ea]s?)\s+(?:de|do|da|que|q|com)\b")
HOW_MUCH = re.compile(r"\b(?:quanto|quanta|custa|custam)\b")     # an amount of money asked, not a discount
CHEAP_ASKED = re.compile(r"\bo que (?:esta|ta) (?:barato|baratinho|em conta)\b")
PURPOSE_TOLD = re.compile(r"^(?:e |eh |que e )?(?:para|pra|pro|pros|pras)\b|"
                          # "... ta qnto a unidade? mainha quer fazer cozida": who will cook it, told
                          r"^(?:e |que |q |pq |porque )?(?:(?:minha|meu|a|o) \w+ |mainha |painho |a gente |eu )?"
                          r"(?:quer|querem|vai|vao|vou|quero|vamos|tá querendo|ta querendo|to querendo) "
                          r"(?:fazer|preparar|cozinhar|assar|servir)\b")
HOURS_DAY = re.compile(r"(hoje|amanhã|no \w+|na \w+|nos feriados)\b")
DISCOUNT = re.compile(r"\b(?:desconto|descontos|abatimento|cashback|pontos)\b")
THERE = re.compile(r"\b(?:la|ca|aqui|ai)\b")
BRINGS = re.compile(r"\b(?:levam|entregam|entrega|mandam|trazem|leva|traz|manda|levarem|entregarem|mandarem|"
                    r"trazerem|vem|vai)\b")
REFERS_BACK = re.compile(r"\b(?:desse|deste|dessa|nesse|nessa|com esse|com essa) (?:tamanho|valor|jeito|total)\b|"
                         r"\bum pedido assim\b|\bassim mesmo\b|\bmesmo assim\b|\bso isso\b")


def _joined_price_asks(pieces: list[str], words) -> list[str]:
    """A part that only asks the price of what the part before named ("... né? quanto tá o fardo"), only
    adds a detail or examples to its question ("tipo umas 8 da manhã", "pão, queijo, essas coisas"), or
    only asks again ("tem alguma?"), is read with it."""
    out: list[str] = []
    for piece in pieces:
        norm = text.normalize(piece)
        said = norm.split()
        slot = slots.time_of_day(norm) is not None or slots.money(norm) is not None
        # "... abrem de tarde? queria passar aí umas 3h": a time said after the question, no question of its own
        detail = slot and (DETAIL.match(norm) and len(said) <= 6
                           or "?" not in piece and len(said) <= 10 and bool(out) and "?" in out[-1])
        # "só preciso de uns 80 reais de coisa, vocês entregam um pedido desse tamanho?": the amount said before
        before = text.normalize(out[-1]) if out else ""
        sized = bool(out) and (REFERS_BACK.search(norm) is not None
                               or len(said) <= 3 and BRINGS.search(norm) and not set(said) & {"no", "na", "em"}
                               # "o pedido deu 320 conto... a entrega sai de graça?": the amount told, then asked of
                               or "?" not in out[-1] and slots.money(norm) is None
                               and (checks.FREE.search(norm) or checks.INSTALLMENT.search(norm))) \
            and slots.money(before) is not None        # "... uns 50 reais, vcs levam?"
        # "a partir de quanto o frete é grátis? 300 reais já dá?": an amount checked against the rule just asked
        checked = bool(out) and slots.money(norm) is not None and len(said) <= 5 \
            and any(rule.search(before) for rule in (checks.FREE, checks.INSTALLMENT, checks.MINIMUM))
        # "moro no horto, pertinho da estátua ..., vcs entregam lá?": the place told, then asked of
        there = bool(out) and BRINGS.search(norm) is not None and THERE.search(norm) is not None \
            and intents.LIVES_IN.search(before) is not None
        if out and said and (detail or sized or checked or there or EXAMPLES.search(norm)
                             or len(said) <= 3 and set(said) <= ONLY_ASKS
                             or all(w in PRICE_ONLY or w in words.packs for w in said)
                             and not OTHER_ASKED.search(before)      # "o pão sai q horas? e tá qto?": two asked
                             and ("?" in out[-1] or any(c.isdigit() for c in out[-1])
                                  or set(before.split()) & set(quantities.DOZEN) or len(out[-1].split()) <= 8)):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def after_list(message: str, kb: knowledge.KB, last: dict | None, bot, total: Decimal | None = None) -> Read | None:
    """The question a pasted list ends with, on a line of its own ("Quanto fica tudo? Vocês entregam no
    Rio Vermelho?"): the store's facts it asks, answered after the quote; the total is the quote's."""
    lines = [ln for ln in (message or "").strip().splitlines() if ln.strip()]
    asked = list(re.finditer(r"\b(?:vcs|voces|vocês|vc|você)\b", lines[0], re.IGNORECASE)) if len(lines) == 1 else []
    if len(lines) == 1 and "," in lines[0] and not (asked and any(c.isdigit() for c in lines[0].rsplit(",", 1)[1])):
        # "quero 2 pct de café e 1 farofa, chega lá em deodoro?": the question after the list's last comma
        lines = [lines[0].rsplit(",", 1)[0], lines[0].rsplit(",", 1)[1]]
    elif asked and asked[-1].start() > 0:
        # "se eu pedir 10 flocão e 2 café vcs trazem no cabo branco?": the question from "vcs" on
        lines = [lines[0][:asked[-1].start()], lines[0][asked[-1].start():]]
    if len(lines) < 2 or "?" not in lines[-1] or any(c.isdigit() for c in lines[-1]):
        return _area_in_the_list(message, kb, bot, total)
    words = vocab_mod.load()
    now = fmt.store_now(bot.cfg.bot.store_timezone)
    answers: list[Read] = []
    for piece in parts.split(lines[-1]):
        piece = _there(piece, " ".join(lines[:-1]), kb)
        pnorm = text.normalize(piece)
        if any(text.has_phrase(pnorm, p) for p in quote.TOTAL_PHRASES):
            continue          # "..., quanto vou pagar?": the total, which the quote says
        got = _single(piece, pnorm, kb, last, bot, now, words) or bot.part(lists.rewrite(piece), kb, last)
        if got is not None and got.text and (got.intent in FACTS or got.intent == "faq" and "faq" in got.topic):
            answers.append(got)
    note = _below_minimum(total, kb) if any(a.intent == "delivery" for a in answers) else None
    answers += [Read(note, "delivery")] if note else []
    return Read("\n\n".join(a.text for a in answers), answers[0].intent, answers[0].topic) if answers else None


def _area_in_the_list(message: str, kb: knowledge.KB, bot, total: Decimal | None) -> Read | None:
    """"manda 2 café santa clara e 1 rapadura aqui pra vila nova? quanto fica": the goods sent to a served area
    named inside the list, answered after the quote (the fee, the minimum, the total against it)."""
    norm = text.normalize(message)
    if not (BRINGS.search(norm) or SENT_TO.search(norm)):
        return None
    area = next((a for a in kb.delivery.get("areas", []) if text.has_phrase(norm, text.normalize(a))), None)
    got = bot.part(f"vocês entregam em {area}?", kb, None) if area else None
    if got is None or got.intent != "delivery" or not got.text:
        return None
    note = _below_minimum(total, kb)
    return Read(got.text + (f"\n\n{note}" if note else ""), "delivery", got.topic)


# goods sent somewhere, in the words BRINGS lacks: "manda ... aqui pra vila nova", "conseguem trazer ..."
SENT_TO = re.compile(r"\b(?:mande|mandar|envia|enviar|levar|trazer|entregar)\b")


def _there(piece: str, before: str, kb) -> str:
    """"manda 6 coca, ... pra lagoa seca, qto fica tudo e vcs levam lá?": "lá" is the area said before."""
    pnorm = text.normalize(piece)
    if not (BRINGS.search(pnorm) and THERE.search(pnorm)):
        return piece
    said = text.normalize(before)
    place = next((a for a in kb.delivery.get("areas", []) if text.has_phrase(said, text.normalize(a))), None)
    return re.sub(r"\b(?:la|lá|ai|aí|aqui)\b", f"em {place}", piece, count=1, flags=re.IGNORECASE) if place else piece


def _below_minimum(total: Decimal | None, kb) -> str | None:
    """A quote asked beside a delivery question whose total is below the minimum order: said, with both."""
    minimum = kb.delivery.get("min_order")
    if total is None or not minimum or total >= Decimal(str(minimum)):
        return None
    return (f"⚠️ Este orçamento ({checks.money_text(total)}) ainda não chega ao pedido mínimo para entrega "
            f"({checks.money_text(Decimal(str(minimum)))}).")


HANDOFF = ("complaint", "human_request")
# a detail of the policy just answered ("... vocês fazem? qual a quantidade mínima?", "e quanto tempo antes?")
FAQ_DETAIL = re.compile(r"^(?:e\s+)?(?:qual|quais|quanto|quantos|quantas|com quanto|precisa)\b.{0,40}"
                        r"\b(?:minim\w*|tempo|antes|dias|prazo|antecedencia|custa|cobra\w*)\b")
TOLD_WORDS = 8       # of what was told before a question with no product, the words that may name it
# words that make a part a question even with no question mark ("qual a taxa de entrega e ...")
# a long sentence with no question mark before the question is told, whatever day it names ("minha vó faz
# 90 anos domingo e ela ama o bolo de vocês, ...")
LONG_TELLING = 12
# what the customer is about to do, told before the question ("vou fazer ...", "vamos receber ...")
PLAN_TOLD = re.compile(r"(?:eu )?(?:vou|vamos|vo|to indo|estou indo) (?:fazer|preparar|cozinhar|receber|dar|montar)\b|"
                       r"(?:\w+ ){0,2}vai ter\b")      # "domingo vai ter churrasco e pescaria aqui em casa"
# how a sentence after the question that only says why begins ("quero chegar cedo antes do serviço")
WHY_AFTER = frozenset("quero vou estou preciso tenho porque pois moro sou trabalho".split())
EACH_PRICE = re.compile(r"\bquanto (?:esta|sai|fica|custa|e)\b.*\b(?:cada|unidade|pote|pacote|kg)\b")
TELLING_NOT = parts.OPENERS - frozenset({"tem", "teria", "tambem", "queria", "gostaria", "faz", "fazem"})
MONEY = re.compile(r"R\$\s*\d[\d.]*,\d{2}")
FACTS = intents.FACT_INTENTS


@functools.lru_cache(maxsize=8)
def _fact_words(intent: str) -> frozenset[str]:
    """The words customers ask a kind of store fact with ("endereço", "horário"), normalized."""
    return frozenset(text.normalize(retrieval.FACT_WORDS.get(intent, "")).split())


def _said_already(got: Read, answers: list[Read]) -> bool:
    """A fact answer whose every figure an earlier answer of the same kind already gave ("qual a taxa? e
    quanto preciso comprar pra não pagar?": the fee's answer says when it is free), or whose words an earlier
    one of its kind said ("7 de setembro vcs abrem? é feriado né": "Não, nos feriados não abrimos.")."""
    def words_of(said: str) -> str:
        return " ".join(re.sub(r"[^\w\s]", " ", text.strip_accents(said.lower())).split())
    if got.intent in FACTS and any(a.intent == got.intent and words_of(got.text) in words_of(a.text) for a in answers):
        return True
    figures = set(MONEY.findall(got.text))
    if got.intent not in FACTS or not figures or got.text.startswith(("Sim", "Não")):
        return False
    before = {f for a in answers if a.intent == got.intent for f in MONEY.findall(a.text)}
    return figures <= before
# "quero reclamar", "minha reclamação": a complaint of the customer's own, not one reported
_OWN_COMPLAINT = re.compile(r"\b(?:quero|vou|preciso|gostaria de|queria) (?:fazer uma )?reclam|"
                            r"\b(?:minha|uma|tenho uma|fazer uma) reclamacao\b")


def _reported(norm: str) -> bool:
    """A complaint word only as reported speech ("meu marido reclamou que..."): every complaint
    word is of "reclamar", and none is the customer's own complaint."""
    words, phrases = cues.CUES["complaint"]
    toks = norm.split()
    if not any(t.startswith("reclam") for t in toks) or _OWN_COMPLAINT.search(norm):
        return False
    others = [t for t in toks if text.stem(t) in words and not t.startswith("reclam")]
    return not others and not any(p in norm and text.has_phrase(norm, p) for p in phrases)


def cues_social() -> tuple[str, ...]:
    return ("greeting", "thanks", "goodbye", "acknowledge", "smalltalk", "out_of_scope")


def _after_praise(norm: str, words: vocab_mod.Vocab) -> str:
    """The text after the last "no complaint" phrase, when it says something more."""
    end = max((norm.rfind(p) + len(p) for p in words.not_complaint if text.has_phrase(norm, p)), default=-1)
    tail = norm[end:].strip() if end > 0 else ""
    return tail if len(tail.split()) >= 2 and not _complains(tail) else ""


# an entry's question about returns: a problem asked as "vocês trocam?" gets the policy (and a person on request)
RETURNS = ("troc", "devol", "reembols")
GOODS_RETURNED = re.compile(r"\b(?:produt\w*|compras?|mercadorias?|devol\w*)\b")
ASK_A_PERSON = "Se quiser que uma pessoa veja o seu caso, digite *atendente*."


def _policy_of_a_problem(message: str, norm: str, kb, words, bot) -> Read | None:
    """A problem word in a question the store's FAQ answers: the service an entry describes with that very
    word ("vocês deixam o feijão quebrado?": the entry says it "sai quebrado"), or the returns policy asked
    of a problem ("o peixe tá com cheiro estranho, se eu voltar amanhã vocês trocam?"). Else None: a person."""
    if "?" not in message:
        return None
    entry = _faq_of_goods(norm, kb, words, bot, asks=True)
    said = {text.stem(t) for t in norm.split()} & cues.CUES["complaint"][0]
    if entry is not None and said and said <= {text.stem(t) for t in text.normalize(entry.text).split()}:
        return entry
    entry = _faq(norm, kb, words, bot=bot)
    if entry is None or "faq" not in entry.topic \
            or not any(r in text.normalize(kb.faq[entry.topic["faq"]][0]) for r in RETURNS):
        return None
    # the store's returns policy: of the entries that speak of exchanges, the one about goods bought ("Como
    # funciona a troca de produtos?"), not the gas cylinder swapped
    policies = [i for i, (q, _) in enumerate(kb.faq) if any(r in text.normalize(q) for r in RETURNS)]
    general = [i for i in policies if GOODS_RETURNED.search(text.normalize(kb.faq[i][0]))]
    best = general[0] if general else entry.topic["faq"]
    return Read(f"Sinto muito pelo problema. 😔 {kb.faq[best][1]}\n\n{ASK_A_PERSON}", "faq", {"faq": best})


# "vcs trocam produto com defeito até quantos dias depois?": the policy asked in general, no problem of the
# customer's told (not "o peixe tá com cheiro estranho, ...", "comprei um arroz que veio com bicho")
POLICY_ASKED = re.compile(r"\b(?:ate quantos dias|quantos dias|qual o prazo|como funciona|ate quando)\b")
PROBLEM_TOLD = re.compile(r"\b(?:comprei|peguei|levei|veio|vieram|chegou|chegaram|esta|estava|ta|tava|estao|tao|"
                          r"meu|minha|meus|minhas|aconteceu|deu)\b")


def _policy_in_general(message: str) -> bool:
    complaining = [p for p in parts.split(message) if _complains(text.normalize(p))]
    return bool(complaining) and all("?" in p and POLICY_ASKED.search(n := text.normalize(p)) is not None
                                     and PROBLEM_TOLD.search(n) is None for p in complaining)


# what a complaint about the store speaks of: its people, orders, goods and service
OF_THE_STORE = re.compile(r"\b(?:voces|loja|mercado|atendimento|atendente|funcionari\w*|caixa|pedido|entrega\w*|"
                          r"entregador|compra|comprei|produto|mercadoria|estragad\w*|vencid\w*|podre|cobra\w*|"
                          r"troco|nota|preco errado|aqui(?!\s+(?:na|no|em)\b))\b")     # not "aqui na lavoura"


def _venting_then_asking(message: str) -> bool:
    """"a vida tá difícil, o gás subiu, a luz veio um absurdo ... 🙏 o kg da linguiça tá saindo a quanto?": the
    complaint words are about life, in parts that say nothing of the store, and the last part asks a price."""
    pieces = parts.split(message)
    if len(pieces) < 2:
        return False
    last = text.normalize(pieces[-1])
    before = [text.normalize(p) for p in pieces[:-1]]
    return (PRICE_WORDS.search(last) is not None or "quanto" in last.split()) and not _complains(last) \
        and any(_complains(b) for b in before) and not any(OF_THE_STORE.search(b) for b in before)


def _complains(norm: str) -> bool:
    words, phrases = cues.CUES["complaint"]
    return any(text.stem(t) in words for t in norm.split()) or \
        any(p in norm and text.has_phrase(norm, p) for p in phrases)


def _asks_person(norm: str) -> bool:
    words, phrases = cues.CUES["human_request"]
    norm = intents.SUPPOSED_ORDER.sub(" ", norm)      # "se meu pedido der 260 reais": no order to see
    norm = cues.someone_for_a_service(norm)           # "tem alguém aí que entende alemão?": a service
    return any(text.stem(t) in words for t in norm.split()) or \
        any(p in norm and text.has_phrase(norm, p) for p in phrases)


def _single(piece: str, norm: str, kb, last, bot, now, words) -> Read | None:
    """One part answered by reading, or None (the classifier's turn): a question, not a pasted text."""
    if len(norm.split()) > MAX_PART_WORDS:
        return None
    rewritten = lists.rewrite(piece)
    if CHEAPER.search(norm) and (cheaper := _follow_up(rewritten, last, bot)) is not None:
        return cheaper       # "se eu pegar 4 broa o preço abaixa?" after the broa: whether 4 cost less each
    if quantities.counted(norm) and (listed := quote.read(rewritten, bot.searcher, cues_words())) is not None \
            and listed.lines:
        return None          # "vou passar aí amanhã pra pegar 3 pasta e 4 sabonete": a list, not the hours
    after = (last or {}).get("intent")
    split = _installments_of_last(norm, kb, last, bot)
    if split is not None:
        return split
    if CHEAP_ASKED.search(norm) and (cheap := _promotions(norm, bot, words)) is not None:
        return cheap          # "me manda oq tá barato no hortifruti e no açougue": their promotions
    policy = _faq(norm, kb, words, named=True, bot=bot)
    if policy is not None and checks.DELIVERY.search(norm) and intents.LIVES_IN.search(norm):
        return None            # "minha mãe mora em tucuns, da pra vcs levarem a feira dela?": a delivery there
    if policy is not None and not any(c.isdigit() for c in norm):
        # "se sobrar cerveja fechada da festa de casamento posso devolver?": an entry that tells of more of
        # what was said (the drinks for parties) than the one the paraphrase names (returns)
        goods = _faq_of_goods(norm, kb, words, bot, asks="?" in piece)
        if goods is not None and goods.topic.get("faq") != policy.topic.get("faq") \
                and _told_of(norm, kb, goods.topic["faq"]) > _told_of(norm, kb, policy.topic["faq"]) + 1:
            return goods
        # "se sobrar cerveja fechada do meu casamento posso devolver?": the entry the message is about by
        # meaning (drinks for parties), when it tells of more of it than the policy the paraphrase names
        meant = _entry_hit(norm, kb, bot)
        if meant is not None and meant.index != policy.topic.get("faq") and meant.met >= 3 \
                and meant.met > _told_of(norm, kb, policy.topic["faq"]) + 1:
            return Read(kb.faq[meant.index][1], "faq", {"faq": meant.index})
        return policy          # "dá pra dar um vale compras de vocês?": the store's gift card, before the vouchers
    paying = norm
    if DISCOUNT.search(norm) and slots.money(norm) is None:
        # "se eu pagar com banricompras tem algum desconto?": the store's entry on it, not whether the brand
        # is taken
        paid = words.brand_of(norm) or set(norm.split()) & set(cues.PAYMENT_WORDS)      # "no pix tem abatimento?"
        hit = _entry_hit(norm, kb, bot) if paid else None
        if hit is not None:
            return Read(kb.faq[hit.index][1], "faq", {"faq": hit.index})
        paying = ""
    for intent, check in (("payment", lambda: checks.installments(norm, kb)),
                          ("payment", lambda: checks.payment_brand(paying, kb, words)),
                          ("payment", lambda: checks.meal_voucher(paying, kb, words)),
                          ("delivery", lambda: checks.free_delivery(norm, kb, after == "delivery")),
                          ("delivery", lambda: checks.min_order(norm, kb)),
                          ("delivery", lambda: checks.lead_time(norm, kb, now)),
                          ("delivery", lambda: checks.delivery_day(norm, kb)),
                          ("hours", lambda: checks.open_at(norm, kb, now))):
        answer = check()
        if answer:
            day = slots.day(norm) if intent == "hours" else None
            return Read(answer, intent, {"days": [day]} if day in fmt.DAY_NAMES else {})
    if (again := _section_again(norm, (last or {}).get("intent"), bot)) is not None:
        return again
    return (_quote_edit(norm, last) or _follow_up(rewritten, last, bot) or _hours_follow_up(norm, kb, last, bot)
            or _wholesale_follow_up(norm, kb, last, bot) or _fee_follow_up(norm, kb, last, bot)
            or _faq_of_goods(norm, kb, words, bot, asks="?" in piece)
            or _faq_other_kind(norm, kb, bot, words)
            or _other_variant(norm, last, bot, words)
            or _faq(norm, kb, words, bot=bot) or _promotions(norm, bot, words) or _variant(piece, norm, bot, words))


def _installments_of_last(norm: str, kb, last: dict | None, bot) -> Read | None:
    """"Dá pra parcelar?" right after a product's price: that price (the first product shown) against the rule."""
    if not last or last.get("intent") not in PRODUCT_INTENTS or not last.get("skus") \
            or not checks.INSTALLMENT.search(norm) or slots.money(norm) is not None or len(norm.split()) > 6:
        return None
    products = knowledge.products(bot.conn, "sku = ?", (last["skus"][0],), 1)
    if not products:
        return None
    price, _ = quote.unit_price(products[0], Decimal(1))
    answer = checks.installments(norm, kb, price)
    return Read(answer, "payment", {}) if answer else None


# -- a variant the store lacks ------------------------------------------------------

def _variant(piece: str, norm: str, bot, words) -> Read | None:
    """"Tem leite desnatado?", "tem coca de 600ml?": the store has the product, not that size or
    kind. Said so, with the variants it has, never another variant's price as the one asked."""
    if not ASKS_PRODUCT.search(norm):
        return None
    needed = intents.goods_needed(norm)
    if needed and (hit := bot.searcher.search(needed).best) is not None and hit.complete:
        return None          # "preciso de carvão pra assar uma costela, tem?": the carvão is sold, whatever it is for
    named = [p for p in re.split(r",|\s(?:e|ou)\s", piece) if p.strip()]
    if len(named) >= 2 and len({b.product.sku for p in named if (b := bot.searcher.search(text.normalize(p)).best)
                                and b.complete and {w for w in b.covered if w not in search.SOFT
                                                    and not quantities.SIZE.match(w)}}) >= 2:
        return None          # "queijo coalho, manteiga da terra e nata, quanto tá cada?": several, each priced
    # "coca lata geladinha": how it is served is no kind of the goods
    norm = " ".join(t for t in norm.split() if not t.startswith("gelad"))
    res = bot.searcher.search(norm)
    complete = [m for m in res.matches if m.complete]
    bare = quantities.BARE_SIZE.search(norm)
    if complete and bare and not any(quantities.SIZE.match(t) and re.match(rf"{bare.group(1)}\D", t)
                                     for m in complete for t in text.normalize(m.product.name).split()):
        # "coca de 600 tem?" where only the 2 L is sold: a size said without its unit, which no product has
        return _not_this_one(product_replies._named(res.query + [bare.group(1)], piece),
                             [m.product for m in complete])
    lacked = _size_lacked(norm, complete)
    if lacked:
        # "vcs tem água de 5 litros?" where the 500 ml and the 1,5 L are sold: a size with its unit no product has
        kind = _size_value(lacked)[0]
        section = complete[0].product.category          # the water of the drinks, not the bleach ("água sanitária")
        sized = [m.product for m in complete if m.product.category == section
                 and any((v := _size_value(w)) and v[0] == kind for w in text.normalize(m.product.name).split())]
        return _not_this_one(product_replies._named(res.query + [lacked], piece), sized)
    if complete and all(_without(m) for m in complete):
        asked = product_replies._named(res.query, piece)      # "vendem gás?" is not "Água sem Gás"
        return Read(f"Não encontrei {asked} no nosso catálogo: não vendemos esse produto. 😕",
                    "product_price", {})
    opposite = [m for m in complete if _opposite(norm, m)]
    if complete and len(opposite) == len(complete):          # "água com gás" is not "Água sem Gás"
        toks = norm.split()
        at = [i for i, t in enumerate(toks) if text.stem(t) in set(opposite[0].covered)]
        asked = product_replies._named(toks[at[0]:at[-1] + 1] if at else res.query, piece)
        return _not_this_one(asked, [m.product for m in opposite])
    kinds = _kinds_asked(norm, words)
    lacking_kind = [m for m in complete if kinds and not kinds <= _own_words(m.product)
                    or quote._other_container(norm.split(), m.product)]     # "heineken latinha": only the bottle
    if complete and len(lacking_kind) == len(complete):      # "coca lata" where only the 2L is sold
        return _not_this_one(product_replies._named(res.query, piece), [m.product for m in complete])
    unsized = " ".join(t for t in norm.split() if not quantities.SIZE.match(t) and t not in search.SIZE_WORDS
                       and not t.isdigit())
    if kinds and not complete and unsized != norm:
        # "queria coca em lata, das pequena de 350": the goods are known without their size, not in that kind
        whole = [m for m in bot.searcher.search(unsized).matches if m.complete]
        if whole and all(not kinds <= _own_words(m.product) or quote._other_container(unsized.split(), m.product)
                         for m in whole):
            return _not_this_one(product_replies._named(res.query, piece), [m.product for m in whole])
    if not res.matches or complete or notsold.applies(res):
        return None        # a product asked whole, or one notsold.py already says we lack
    best = res.matches[0]
    by_kg = quote.sold_by_kg(best.product)       # "4 kg de linguiça" is an amount, not a size
    after = _modifiers(norm, set(best.covered), words)
    lacking = [w for w in best.missing if (quantities.SIZE.match(w) and not by_kg) or w in words.variants or w in after
               or w in search.SIZE_WORDS]      # "coca em lata, das pequena de 350": a size said in words too
    if not lacking or set(best.missing) - set(lacking) - set(res.unknown) or not notsold._anchored(best, res):
        return None
    same = [m.product for m in res.matches if set(best.covered) <= set(m.covered)
            and m.product.category == best.product.category]       # "água de 1,5 litro": no "água sanitária"
    known = all(quantities.SIZE.match(w) and not by_kg or w in words.variants or w in search.SOFT or w in PACKAGINGS
                for w in lacking)
    query = [w for w in res.query if not ASKS_PRODUCT.fullmatch(w)]       # not "*seda 700ml chegou*"
    return _not_this_one(product_replies._named(query, piece), same, priced=known or bool(PRICE_WORDS.search(norm)))




_SIZE_SAID = re.compile(r"^(\d+(?:[.,]\d+)?)(ml|l|g|kg)$")


def _size_value(tok: str) -> tuple[str, Decimal] | None:
    """A size as (volume or weight, in ml or g): "1,5l" is ("v", 1500)."""
    m = _SIZE_SAID.match(tok)
    if not m:
        return None
    n = Decimal(m.group(1).replace(",", "."))
    return ("v", n * (1000 if m.group(2) == "l" else 1)) if m.group(2) in ("l", "ml") \
        else ("w", n * (1000 if m.group(2) == "kg" else 1))


def _size_lacked(norm: str, complete: list) -> str | None:
    """The size said after the goods ("água de 5 litros", "feijão de 2kg") that none of the products found has,
    though they have sizes of that kind (their sizes, not amounts: goods sold by the kilo are weighed)."""
    if not complete or any(quote.sold_by_kg(m.product) for m in complete):
        return None
    toks = norm.split()
    for k, t in enumerate(toks):
        said = _size_value(t)
        if said is None or k == 0 or not (toks[k - 1] == "de" or toks[k - 1].isalpha() and toks[k - 1] not in
                                           ("quero", "levar", "mais", "uns", "umas", "com")):
            continue
        if any(toks[j].isdigit() for j in range(max(0, k - 3), k)):
            continue            # "2 pacotes de 5kg": the size of what is counted, an amount said beside it
        own = [v for m in complete for w in text.normalize(m.product.name).split() if (v := _size_value(w))]
        if any(v[0] == said[0] for v in own) and said not in own:
            return t
    return None


def _not_this_one(asked: str, others: list[knowledge.Product], priced: bool = True) -> Read:
    """"Não encontrei exatamente X": not sold, and the products of its kind the store has (three at most),
    with their prices when what is lacking is a size or a kind of the same goods ("coca lata"), by name
    only when it is something the vocabulary does not know ("azeite de dendê" is not an azeite de oliva)."""
    others = others[:3]
    out = f"Não encontrei exatamente {asked}: não vendemos esse produto. 😕"
    if others and priced:
        out += " Do mesmo tipo, temos:\n" + "\n".join(product_replies.line(p) for p in others)
    elif others:
        out += (" Do mesmo tipo, temos:\n" + "\n".join(f"• {product_replies.label(p)}" for p in others)
                + "\nQuer o preço de algum deles?")
    return Read(out, "product_price", {"skus": [p.sku for p in others]})


LINKS = frozenset("de do da sabor tipo em com cheiro aroma fragrancia perfume".split())


# the packaging a customer may ask by, as a kind of the product ("coca lata", "guaraná pet")
PACKAGINGS = frozenset("lata latinha garrafinha pet longneck refil sache".split())


def _kinds_asked(norm: str, words) -> set[str]:
    """The packaging words of the message that name a kind of product (variants of the vocabulary)."""
    return {t for t in norm.split() if t in PACKAGINGS and t in words.variants}


def _own_words(p: knowledge.Product) -> set[str]:
    """The words a product is known by: its name, brand, unit and aliases, normalized."""
    said = text.normalize(" ".join([p.name, p.brand, p.unit, *p.aliases]))
    own = set(said.split())
    if "long neck" in said:
        own.add("longneck")
    if own & {"lata", "latinha"}:
        own |= {"lata", "latinha"}
    return own


def _opposite(norm: str, m) -> bool:
    """The message asks "com X" and the product is "sem X" (or the other way round)."""
    name = text.normalize(m.product.name)
    for a, b in (("com", "sem"), ("sem", "com")):
        for w in re.findall(rf"\b{a} (\w+)", norm):
            if re.search(rf"\b{b} {re.escape(w)}", name):
                return True
    return False


def _without(m) -> bool:
    """Every word asked is in the product's name only after "sem" ("Água Mineral sem Gás")."""
    name = text.stems(m.product.name)
    hits = [i for i, s in enumerate(name) if s in {text.stem(w) for w in m.covered} or s in m.covered]
    return bool(hits) and all(i and name[i - 1] == "sem" for i in hits)


def _modifiers(norm: str, covered: set[str], words) -> set[str]:
    """Words right after a word that named the product ("farinha de mandioca", "guaraná kuat"):
    a kind the customer wants, unless the vocabulary says it is only said about it ("geladinha")."""
    stems = [text.stem(t) for t in norm.split()]
    out = set()
    for i, s in enumerate(stems):
        j = i - 1
        while j >= 0 and stems[j] in LINKS:
            j -= 1
        if j >= 0 and j < i and stems[j] in covered and s not in covered and s not in words.not_variant \
                and s not in text.STOPWORDS and not s[:1].isdigit():
            out.add(s)
    return out


# -- follow-ups --------------------------------------------------------------------

EDIT = re.compile(r"\b(?:tira|tirar|retira|remove|remover|aumenta|aumentar|diminui|diminuir|troca|trocar|muda|mudar|"
                  r"acrescenta|acrescentar|adiciona|adicionar|coloca mais|bota mais|poe mais|inclui|incluir)\b")
QUOTE_EDIT = ("Certo! Para mudar o orçamento, me mande a lista de novo já com as mudanças (por exemplo: "
              "8 arroz, 3 óleos) que eu refaço as contas. 🧾")


def _quote_edit(norm: str, last: dict | None) -> Read | None:
    """"tira o sabão e aumenta o arroz pra 8" right after a quote: an edit of that quote. Until carts
    (orders/) edit it, the customer is asked for the new list; never a price of a list half-read."""
    if not last or last.get("intent") != "quote" or not EDIT.search(norm):
        return None
    return Read(QUOTE_EDIT, "quote_edit", {"skus": list(last.get("skus") or [])})

def _follow_up(rewritten: str, last: dict | None, bot) -> Read | None:
    """"e se forem 15?", "e 3 kg dá quanto?", "levando 4 sai mais barato?" after a product: its quote.
    ``rewritten``: the part with its packs counted ("e levando uma caixa com 24?" is 24 of them)."""
    if not last or last.get("intent") not in PRODUCT_INTENTS or not last.get("skus"):
        return None
    norm = text.normalize(rewritten)
    toks = norm.split()
    if len(toks) > MAX_FOLLOW_UP_WORDS:
        return None
    amount, at = None, 0
    for i in range(len(toks)):
        amount, at = quantities.amount_at(toks, i), i
        if amount is not None:
            if (amount.weight or toks[i].isdigit() and len(toks[i]) >= 3) and i and toks[i - 1] in LINKS:
                return None        # "e o de 1kg?", "e o de 500?": another size (_other_variant), not an amount
            break
    whole = None        # "e se eu levar um de 3 quilos?" of fish sold by the kilo: one that weighs 3 kg
    if amount is not None and amount.value == 1 and not amount.weight:
        after = at + amount.words
        if after + 1 < len(toks) and toks[after] in LINKS:
            whole = quantities.amount_at(toks, after + 1)
            whole = whole if whole is not None and whole.weight else None
    if amount is None or (amount.value < 2 and not amount.weight and whole is None):
        return None
    rest = toks[:at] + toks[at + amount.words:]         # "e 2 kg e meio?": the amount's words are no product
    words_only = " ".join(t for t in rest if not quantities.SIZE.match(t) and not t[:1].isdigit()
                          and t not in quantities.PACKS)
    # "me corta 2 kg e meio então": the service asked of it names no product ("requeijão de corte")
    found = bot.searcher.search(words_only, drop=quote.FILLER | cues_words() | vocab_mod.load().services)
    if found.best and found.best.complete and found.best.product.sku != last["skus"][0]:
        return None          # a product of its own: the classifier's ("e se eu levar 5 sacos?" is the same one)
    products = knowledge.products(bot.conn, "sku = ?", (last["skus"][0],), 1)
    if not products:
        return None
    p = products[0]
    if whole is not None:
        if not quote.sold_by_kg(p):
            return None      # "e um de 1kg?" of a packaged product: another size (_other_variant)
        amount = whole
    qty = quote.units_for(p, amount)
    if qty is None:
        return None
    line = quote.price_line(p, qty)
    body = "\n".join(quote.render(quote.Quote(lines=[line])))
    if CHEAPER.search(norm):
        body = _cheaper(p, line) + "\n" + body
    return Read(body, "quote", {"skus": [p.sku]})


WHOLESALE_ASKED = re.compile(r"\b(?:atacado|a partir de quant\w*|quantos? (?:precisa|tenho que|tem que) levar|"
                             r"pra revender|para revender|levando bastante|em quantidade)\b")


def _wholesale_follow_up(norm: str, kb, last: dict | None, bot) -> Read | None:
    """"A partir de quantas garrafas entra no atacado?" after a product: that product's wholesale price, though
    a packaging word ("garrafas") names another product of the catalog."""
    if not last or last.get("intent") not in PRODUCT_INTENTS or len(last.get("skus") or []) != 1 \
            or not WHOLESALE_ASKED.search(norm) or len(norm.split()) > MAX_FOLLOW_UP_WORDS + 2:
        return None
    found = bot.searcher.search(norm, drop=quote.FILLER | cues_words())
    best = found.best
    if best is not None and best.complete and not set(best.covered) <= search.SOFT | {"atacado"} \
            and not set(best.covered) <= set(found.corrected):
        return None          # "e o atacado do arroz?": a product of its own (not "barraca" read as "barra")
    products = knowledge.products(bot.conn, "sku = ?", (last["skus"][0],), 1)
    return bot.part(f"preço de atacado do {products[0].name} {products[0].brand}", kb, None) if products else None


def _fee_follow_up(norm: str, kb, last: dict | None, bot) -> Read | None:
    """"E a taxa, quanto é?" after the delivery answer: the delivery fee, not an entry whose answer says "taxa"."""
    said = norm.split()
    fee = set(said) & cues.DELIVERY_TOPICS["fee"][0] or "quanto" in said and {"entrega", "frete"} & set(said)
    if (last or {}).get("intent") != "delivery" or len(said) > 8 or not fee:       # "e a entrega pra lá sai quanto?"
        return None
    return bot.part("qual a taxa de entrega?", kb, None)


UNTIL_WHEN = re.compile(r"^(?:e\s+)?(?:(?:ate|a partir de|de) )?(?:que horas?|quando|que hora)\b|"
                        r"^(?:e\s+)?(?:abre|fecha) (?:que|q) horas?\b")


def _hours_follow_up(norm: str, kb, last: dict | None, bot) -> Read | None:
    """"e até que horas?" after the hours of a day: that day's hours (not a FAQ that says "horas")."""
    days = [d for d in (last or {}).get("days", []) if d in fmt.DAY_NAMES]
    if (last or {}).get("intent") != "hours" or not days or not UNTIL_WHEN.search(norm) \
            or DELIVERY_WORDS.search(norm) or len(norm.split()) > MAX_FOLLOW_UP_WORDS \
            or slots.day(norm) is not None:
        return None      # "e q hora fecha na sexta?" after the holidays' hours: the day it names
    return bot.part("qual o horario de " + " e ".join(fmt.DAY_NAMES[d] for d in days), kb, None)


DELIVERY_WORDS = re.compile(r"\b(?:entreg\w*|delivery|frete|chega\w*|retir\w*|busca\w*)\b")


def _entry_hit(message: str, kb, bot) -> retrieval.Hit | None:
    """The FAQ entry a text is about, found by meaning (retrieval.py), when retrieval is sure enough."""
    if not kb.faq:
        return None
    bot.classifier._build(kb)
    hit = bot.classifier.retriever.best(message)
    return hit if hit is not None and hit.kind == "faq" and hit.confidence >= retrieval.THRESHOLD else None


def _entry_told(told: str, kb, bot) -> Read | None:
    """The FAQ entry a sentence told before a question is about."""
    hit = _entry_hit(told, kb, bot)
    return Read(kb.faq[hit.index][1], "faq", {"faq": hit.index}) if hit is not None else None


def _faq_other_kind(norm: str, kb, bot, words) -> Read | None:
    """"Vocês fazem cuca de chocolate?" where the entry says "Sim, ... cuca (banana, uva ou farofa)":
    a kind the entry's list leaves out is a no, never the entry's "Sim"."""
    kinds = [t for t in norm.split() if t in words.variants]
    if not kinds or not kb.faq:
        return None
    found = bot.searcher.search(norm).best
    if _names_goods_priced(found) or found is not None and found.covered and not _service_asked(norm, words)[0] \
            and text.normalize(found.product.name).split()[:1] == found.covered[:1]:
        return None       # "quanto é o tambaqui em posta", "tem ipa da vale europeu?", "tem açaí fino?": goods sold
    hit = _entry_hit(norm, kb, bot)
    if hit is None:
        return None
    answer = kb.faq[hit.index][1]
    said = text.normalize(answer)
    told = {text.stem(w) for w in said.split()}        # "postas" tells of "posta"
    if not said.startswith("sim") or not re.search(r"\(|\bou\b", answer) or any(text.stem(k) in told for k in kinds):
        return None
    rest = re.sub(r"^\s*sim[,!.]?\s*", "", answer, flags=re.IGNORECASE)
    return Read(f"Não de {kinds[0]}, infelizmente. 😕 {rest[:1].upper()}{rest[1:]}", "faq", {"faq": hit.index})


def _names_goods_priced(found, by_name: bool = False) -> bool:
    """A product the price asked is of: named whole, by two of its words ("... so falta o jambu, quanto tá o
    maço?" beside a story of the family's lunch), or by its own one-word name ("o valor do vazio")."""
    if found is None:
        return False
    if found.complete or len(found.covered) >= 2:
        return True
    if not by_name:
        return False
    # with ``by_name``: "me passa o valor do vazio, quero fazer no espeto": one word, the goods' own name
    return bool(intents.by_its_name(found))


def _cheaper(p: knowledge.Product, line: quote.Line) -> str:
    """"Levando 4 sai mais barato?": yes when that many reach a lower price than one."""
    one, _ = quote.unit_price(p, Decimal(1))
    shown = quote.qty_text(line.qty, p)
    if line.unit_price < one:
        since = f", a partir de {p.wholesale_min_qty} unidades" \
            if line.kind == "atacado" and p.wholesale_min_qty else ""
        return f"Sim! Levando {shown}, sai {money(line.unit_price)} {'o kg' if quote.sold_by_kg(p) else 'cada'} " \
               f"({line.kind}{since}), em vez de {money(one)}. ✅"
    if line.unlock:
        n, price = line.unlock
        return (f"Não, levando {shown} o preço é o mesmo ({money(line.unit_price)}). O atacado, "
                f"{money(price)} cada, começa em {n.normalize():f} unidades.")
    return f"Não, levando {shown} o preço é o mesmo: {money(line.unit_price)}."


def money(value: Decimal) -> str:
    return fmt.money(float(value))


def _other_variant(norm: str, last: dict | None, bot, words) -> Read | None:
    """"e o de 1kg?", "e a zero?" after a product: that product in the size or kind asked."""
    if not last or last.get("intent") not in PRODUCT_INTENTS or not last.get("skus"):
        return None
    vocab = set(bot.searcher.vocab())
    said = norm.split()
    toks = [next((t + u for u in ("g", "ml", "kg", "l") if t + u in vocab), t)      # "e o de 500?": the 500g
            if t.isdigit() and k and said[k - 1] == "de" else t for k, t in enumerate(said)]
    asked = [t for t in toks if quantities.SIZE.match(t) or text.stem(t) in words.variants]
    if not asked or len(toks) > 6 or not toks or toks[0] != "e" or checks.DELIVERY.search(norm):
        return None          # not "e vcs entregam na baixa verde?": a place, though "verde" is a kind
    products = knowledge.products(bot.conn, "sku = ?", (last["skus"][0],), 1)
    if not products:
        return None
    p = products[0]
    named = bot.searcher.search(" ".join(t for t in toks if t not in asked), drop=quote.FILLER | cues_words())
    if named.best and named.best.complete and named.best.product.sku != p.sku:
        return None          # "e a skol lata?" after the Heineken: another product, asked afresh
    kind = [t for t in text.normalize(p.name).split() if not quantities.SIZE.match(t)][:1]      # its head word
    brand = text.normalize(p.brand).split()
    # that product's kind and brand in the size asked; else ("e o de 250g?" of another brand) any brand's
    for query in (kind + brand + asked, kind + asked):
        res = bot.searcher.search(" ".join(query))
        full = [m for m in res.matches
                if m.complete and set(map(text.stem, asked)) <= set(text.stems(m.product.name))]
        if full:
            break
    if full:
        return Read(product_replies.detail(full[0].product), "product_price", {"skus": [full[0].product.sku]})
    same = [m.product for m in res.matches if m.covered and not set(m.missing) - set(asked)]
    shown = [p.name.split()[0].lower()] + ([p.brand] if p.brand else [])
    named = " ".join(shown + (["de"] if any(quantities.SIZE.match(a) for a in asked) else []) + asked)
    return _not_this_one(f"*{named}*", same)


def cues_words() -> frozenset:
    out = set()
    for ws, _ in cues.CUES.values():
        out |= ws
    return frozenset(out) | frozenset("forem for fosse sendo levando dar da quanto barato baixa abaixa diminui "
                                      "compensa desconto".split())


# -- FAQ by paraphrase ----------------------------------------------------------------

def _faq(norm: str, kb, words, named: bool = False, bot=None) -> Read | None:
    """The FAQ entry a paraphrase asks ("tem onde deixar o carro?"); with ``named``, only an entry whose
    question itself names the topic ("Vocês recebem óleo de cozinha usado?"), which is asked before
    the checks of the facts ("vale compras" is the gift card, not a meal voucher)."""
    if not kb.faq or ON_SALE.search(norm):
        return None         # "tem promoção no balcão de frios?": the promotions, not the entry about the counter
    priced = PRICE_AGAIN.search(norm) is not None     # a price asked: only an entry that states one answers it,
    if priced and named:
        return None
    # the goods named, searched once: here when a price is asked, below when a topic needs their section
    searched = priced and bot is not None
    found = bot.searcher.search(norm).best if searched else None
    if _names_goods_priced(found, by_name=True):
        return None                                    # and only when no product is named
    said = _folded(norm)
    # a topic weighs the words of the message its phrases say ("fila expressa", "pouca coisa": 4;
    # "mercadoria de volta" outweighs "quantos dias")
    topics = {t: n * (0.5 if t in GENERIC_TOPICS else 1)
              for t, phrases in words.paraphrases.items() if (n := _said_words(said, phrases))}
    if not topics or named and set(topics) <= GENERIC_TOPICS:
        return None        # "se eu avisar antes?" alone names no entry: any kind of order is asked so
    # the section of a product named: "mussarela fatiadinha" asks the entry about the deli ("frios")
    if not searched and bot is not None:
        found = bot.searcher.search(norm).best
    sections_named = set(_folded(text.normalize(found.product.category))) if found is not None and found.covered \
        else set()
    if found is not None and len(found.covered) >= 2:
        # "tem vinho colonial branco? de garrafão": the container the goods are sold in, not the entry on water
        # gallons
        own = set(_folded(text.normalize(found.product.unit)))
        topics = {t: n for t, n in topics.items() if not _topic_words(said, words.paraphrases[t]) <= own}
        if not topics:
            return None
    best, best_score, in_question = None, 0, False
    for i, (q, a) in enumerate(kb.faq):
        if priced and "R$" not in a:
            continue
        qw, aw = text.normalize(q).split(), text.normalize(a).split()
        asks = {t: _has(qw, t, words) for t in topics}
        score = sum(n * (2 * asks[t] + _has(aw, t, words)) for t, n in topics.items())
        if score:          # tie-breakers, no more: the section of the goods named, and the words the entry shares
            score += 0.5 * len(sections_named & set(_folded(" ".join(qw))))
            score += 0.1 * len(set(said) & set(_folded(" ".join(qw + aw))) - _common_folded())
        if score > best_score:
            best, best_score, in_question = i, score, any(asks.values())
    if best is None or named and not in_question:
        return None
    if slots.lacks_the_thing(norm, kb.faq[best]):
        return None       # "tem fralda geriátrica pra idoso aí?": goods the entry on parking for the elderly lacks
    if bot is not None:
        bot.classifier._build(kb)
        if bot.classifier._kind_lacked(norm, kb.faq[best], frozenset()):
            return None   # "queria um espumante rosé pra dar de presente, tem?": a kind the store lacks
        best = getattr(bot.classifier.retriever.outscores(norm, best), "index", best)
    return Read(kb.faq[best][1], "faq", {"faq": best})


def _faq_of_goods(norm: str, kb, words, bot, asks: bool) -> Read | None:
    """An FAQ entry about goods the store prepares or a service on them, asked in other words: the message
    names what the entry's question names ("sopa paraguaia", "camarão", "pinhão") and asks a service of it
    ("tiram a casca?", "vocês deixam pronto?", "com quanto tempo antes?", "cobra?"), not only its price;
    or, naming no product whole, asks about what the entry tells of ("a baiana do acarajé tá aí hoje?",
    "a juçara passa por tratamento de calor?")."""
    if not kb.faq or PROMO_WORDS.search(norm):
        return None
    norm = HOME_SAID.sub(" ", norm)      # "trazer as compras em casa": the customer's home, not an entry's "casas"
    needed = intents.goods_needed(norm)
    if needed and (hit := bot.searcher.search(needed).best) is not None and hit.complete \
            and not {text.stem(w) for w in hit.covered} \
            & {text.stem(x) for q, a in kb.faq for x in text.normalize(f"{q} {a}").split()}:
        return None       # "preciso de carvão pra assar uma costela, tem?": the charcoal, not the entry on the ribs
    if PRICE_WORDS.search(norm) and not _service_asked(norm, words)[0] and _several_goods(norm, bot):
        return None       # "quanto tá a mandioca o tomate a banana e a batata": their prices, not the entry on starch
    if any(text.has_phrase(norm, text.normalize(a)) for a in kb.delivery.get("areas", [])):
        return None       # "vcs fazem entrega lá no jardim itaipu?": the area, not an entry on the deliveries
    said = norm.split()
    asked_price = PRICE_AGAIN.search(norm) is not None
    # "quanto tempo leva pra ralar?", "qual dia da semana chega o caranguejo?": a service or a schedule asked
    service, hour_only = _service_asked(norm, words)
    delivery_asked = DELIVERY_ASKED.search(norm) is not None
    goods: set[str] = set()           # with no service asked: the goods the message names
    chatty = False                    # ... and a question with words beside them that no product has
    if not service:
        vocab = set(bot.searcher.vocab())
        beside = [w for w in said if len(w) > 3 and w not in text.STOPWORDS and w not in retrieval.STOP
                  and text.stem(w) not in vocab]
        best = bot.searcher.search(norm).best
        if best is not None and (best.complete or len(best.covered) >= 2 and len(beside) < OTHER_WORDS) \
                or not (asks or said[0] in parts.QUESTION_OPENERS):
            return None       # "leite de coco sococo tá quanto o vidrinho?": a product named, not the entry
        goods = {_folded(w)[0] for w in said if text.stem(w) in vocab and w not in text.STOPWORDS}
        chatty = not asked_price and len(beside) >= OTHER_WORDS
    stems = {_folded(w)[0] for w in said if w not in text.STOPWORDS and len(w) > 2}
    common = _common_in_questions()
    ranked = []
    for i, (q, a) in enumerate(kb.faq):
        anchors = _anchors(q)
        hit = _meets(anchors, stems - common) | anchors & stems
        told = _meets(_told(a) - anchors, stems) - words.services - common
        # a service asked of two things only the answer names: "fazem aqueles cortezinhos no pacu pra fritar?"
        # is the entry "A peixaria limpa o peixe?" whose answer tells of the pacu "com cortes para fritar"
        # or goods described, not named, as only one entry tells of them: "é vcs q vendem aquele caldo
        # amarelo com jambu e camarão na cuia?" is the entry "Vocês vendem tacacá?" (a "cuia" of it "com jambu")
        described = chatty and len(told) >= 2 and ASKS_PRODUCT.search(norm) is not None
        if not (hit or service and len(told) >= 2 or described) or asked_price and "R$" not in a:
            continue
        if hour_only and not hit - common:
            continue           # "sábado vocês vão até que hora?" names no goods: the store's hours
        if delivery_asked and not DELIVERS.search(text.normalize(f"{q} {a}")):
            continue           # "vocês fazem entrega lá no Alto do Moura?": delivery, not the entry about its crafts
        if not service and not (chatty and hit & goods and goods <= anchors | _told(a)
                                or len((hit - common) | told) >= 2):
            continue           # with no service asked, the entry tells of two things the message names
        if {t for t in said if text.stem(t) in words.variants or quantities.SIZE.match(t)} \
                - set(text.normalize(f"{q} {a}").split()) and not (described and not hit):
            continue           # "vocês fazem cuca de chocolate?", "cajuína de 2 litros": a kind or size unnamed
        # "horas" is in many; a tie goes to the entry that meets more of the words ("a carne e a farinha")
        ranked.append((2 * len(hit - common) + len(hit & common) + len(told), len(hit | told), i))
    ranked.sort(reverse=True)
    if not ranked or len(ranked) > 1 and ranked[0][:2] == ranked[1][:2]:
        return None
    best_entry = ranked[0][2]
    if slots.lacks_the_thing(norm, kb.faq[best_entry]):
        return None       # "tem farinha de milho pra fazer polenta?": the flour, not the polenta the bakery sells
    return Read(kb.faq[best_entry][1], "faq", {"faq": best_entry})


HOME_SAID = re.compile(r"\b(?:em casa|aqui de casa|daqui de casa)\b")
DELIVERY_ASKED = re.compile(r"\b(?:entrega|entregam|entregar|entregarem|fazem entrega|delivery|"
                            r"(?:levam|leva|levar|levarem|mandam|manda|mandar|mandarem|trazem|traz|trazer|trazerem) "
                            r"(?:as |a |minhas |minha )?"
                            r"compras?)\b")
DELIVERS = re.compile(r"\b(?:entreg\w*|despach\w*|frete|levamos|mandamos|enviamos|delivery)\b")


def _several_goods(norm: str, bot) -> bool:
    """Whether a message names two products or more whole, as a list of prices asked is read."""
    bot.classifier._build(bot.kb())
    return bot.classifier._names_several(norm, frozenset())


def _service_asked(norm: str, words) -> tuple[bool, bool]:
    """Whether a service or a schedule is asked of goods ("tiram a casca?", "que dia chega?", "que época
    tem?"), and whether only an hour is ("começa a sair que horas?"), which names no entry by itself."""
    if set(norm.split()) & words.services or any(p in norm for p in SCHEDULE_ASKED):
        return True, False
    hour_only = bool(HOUR_ASKED.search(norm)) and not STORE_HOURS.search(norm)
    return hour_only, hour_only


def _section_again(norm: str, before: str | None, bot) -> Read | None:
    """"e nas frutas e verduras?", "tb as de limpeza" right after promotions: the promotions of that section, asked
    again."""
    said = norm.split()
    if before != "promotions" or said[:1] not in (["e"], ["tambem"]) or len(said) > 8 or PROMO_WORDS.search(norm):
        return None
    category, _ = sections.find(text.stems(norm), sections.categories(bot.conn))
    if not category:
        return None
    body, shown = sections.promotions(category, bot.conn, True)
    return Read(body, "promotions", {"skus": shown[:20]})


def _runs_of_goods(toks: list[str], vocab: set[str]) -> list[list[str]]:
    """Names of goods said whole in a text, the last first: runs of two or more catalog words, joined by
    "de"/"com" ("o doce de abóbora com coco de vocês")."""
    runs, run = [], []
    for t in toks + [""]:
        if t in vocab and t not in text.STOPWORDS:
            run.append(t)
        elif t in ("de", "do", "da", "com") and run:
            continue
        else:
            if len(run) >= 2:
                runs.append(run)
            run = []
    return runs[::-1]


def _counts_goods(norm: str) -> bool:
    """A number in the text that may count goods: not "36 graus", "82 anos"."""
    toks = norm.split()
    return any(any(c.isdigit() for c in t) and (k + 1 >= len(toks) or toks[k + 1] not in quantities.NOT_GOODS)
               and not (k and toks[k - 1] in PLACE_BEFORE_NUMBER) for k, t in enumerate(toks))


# "na feira da 28", "moro na folha 16", "rua 7": a number that names a place
PLACE_BEFORE_NUMBER = frozenset("da do na no numero rua quadra folha lote setor".split())


# a question asked without its question mark ("... e até que horas tenho q pedir pra chegar no mesmo dia")
ASKED_IN_WORDS = re.compile(r"\b(?:que horas?|quando|qual|quais|quanto|quantos|quantas|onde|como|sera|da pra|"
                            r"consigo|pode|posso|podem|tem como|saber se|diz|diga|fala|fale|informa|informe|"
                            r"confirma|confirme|me passa|me passe|me manda|me mande)\b")
# "... e não tem como vir buscar": no "como" asked
NO_WAY = re.compile(r"\bnao (?:tem|tenho|temos|ha) como\b")
THANKS = re.compile(r"\b(?:obrigad[oa]s?|agradec\w*|valeu|grat[oa]|gratidao|parabens|amo voces|"
                    r"voces sao (?:um amor|demais|otimos|otimas|show|top|os melhores|as melhores))\b")
WANTS = re.compile(r"\b(?:quero|vou querer|vou levar|manda|mande|separa|me ve|gostaria|pedido|encomend\w*)\b")


def _only_thanks(message: str, norm: str) -> bool:
    """"so passando pra agradecer, o menino da entrega foi muito atencioso": thanks, with nothing asked or
    wanted, whatever the store's things it names (a brand "do Velho Chico", the delivery)."""
    if "?" in message or THANKS.search(norm) is None or any(c.isdigit() for c in norm):
        return False
    rest = re.sub(r"\b(?:queria|quero|gostaria de|vim|passando para)\s+(?=agradec|elogi)", " ", norm)   # to thank
    return not PRICE_WORDS.search(rest) and not ASKS_PRODUCT.search(rest) and not WANTS.search(rest) \
        and not set(rest.split()) & parts.QUESTION_OPENERS


# news told as a question that asks nothing: "cê acredita que ...?", "sabia que ...?", "já pensou ...?"
RHETORICAL = re.compile(r"(?:(?:oi|ola|gente|mano|amiga?o?)\s+)?(?:(?:voce|vc|ce|tu)\s+)?(?:acredita|acreditam|"
                        r"acreditas|sabia|sabiam|imagina|imaginam|ja pensou|ja pensaram)\s+(?:que|q)\b")


def _chatter_before_a_price(piece: str, pnorm: str, last: str, bot) -> bool:
    """A sentence with no question in it, before a last part that asks the price of goods it names: "sou caloura,
    moro numa república com mais 3 meninas ... o flocão sai por quanto?", "queria deixar um elogio pra moça do
    caixa 3 ... qto tá o sabão em barra?". Not a fact asked without its mark ("quero saber se vcs abrem domingo")."""
    lnorm = text.normalize(last)
    if "?" in piece or ASKED_IN_WORDS.search(NO_WAY.sub(" ", pnorm)) or FACT_WORDS.search(pnorm) \
            or not PRICE_AGAIN.search(lnorm) or len(pnorm.split()) < 4 \
            or quote.read(piece, bot.searcher, cues_words()) is not None:      # a list, not chatter
        return False
    found = bot.searcher.search(lnorm, drop=quote.FILLER | cues_words()).best
    return found is not None and found.complete


# words of a fact asked (delivery, hours, payment): a sentence with them may ask it without its question mark
FACT_WORDS = re.compile(r"\b(?:entreg\w*|frete|taxa|abre|abrem|aberto|fecha|fecham|horario|aceita\w*|pix|cartao|"
                        r"parcel\w*|vale|manda|mandam|levam|trazem)\b")
# how many to take for the wholesale price, asked again right after it
HOW_MANY_TAKEN = re.compile(r"\b(?:quantos|quantas)\b.*\b(?:levar|comprar|pegar)\b|"
                            r"\b(?:levar|comprar|pegar) (?:quantos|quantas)\b")


def _telling(piece: str, pnorm: str) -> bool:
    """A sentence told before the question, not asked: no question mark, no goods counted, more than five
    words, and long or with no price or question word ("to organizando a festa da igreja, ...")."""
    said = NO_WAY.sub(" ", pnorm).split()          # "... e não tem como vir": no "como" asked
    if RHETORICAL.match(pnorm) and len(said) >= 6:
        return True        # "cê acredita que minha fia passou no concurso?": news told, its mark no question
    if "?" in piece or _counts_goods(pnorm) or len(said) <= 5 or ASKED_IN_WORDS.search(" ".join(said[:3])):
        return False       # "até q horas posso fechar o pedido ..., e qual o mínimo?": asked, its mark left out
    if PLAN_TOLD.match(pnorm):
        return True        # "vou fazer cuscuz paulista pro almoço de domingo": a plan told, whatever day it names
    return len(said) >= LONG_TELLING or not PRICE_WORDS.search(pnorm) and not set(said) & TELLING_NOT


def _told_of(norm: str, kb, entry: int) -> int:
    """How many of a message's words an FAQ entry's question and answer tell of (common words aside)."""
    q, a = kb.faq[entry]
    return len(set(_folded(norm)) & set(_folded(text.normalize(f"{q} {a}"))) - _common_folded() - _common_in_questions()
               - _services_folded(vocab_mod.load().services))


@functools.lru_cache(maxsize=4)
def _services_folded(services: frozenset[str]) -> frozenset[str]:
    """The services asked of goods ("limpa", "corta"), folded as _folded does."""
    return frozenset(_folded(w)[0] for w in services)


def _meets(known: frozenset[str] | set[str], said: set[str]) -> set[str]:
    """The words said that are known, or begin one or are begun by one when both are long ("churras" is
    "churrasco")."""
    return {w for w in said if w in known or len(w) >= 5 and any(k.startswith(w) or w.startswith(k)
                                                                  for k in known if len(k) >= 6)}


@functools.lru_cache(maxsize=1024)
def _told(answer: str) -> frozenset[str]:
    return frozenset(_folded(w)[0] for w in text.normalize(answer).split())


@functools.lru_cache(maxsize=1024)
def _anchors(question: str) -> frozenset[str]:
    """What an FAQ question is about: its words that are neither common nor a service asked of it."""
    words = vocab_mod.load()
    return frozenset(_folded(w)[0] for w in text.normalize(question).split()
                     if len(w) > 2 and w not in text.STOPWORDS and w not in words.services
                     and w not in GENERIC_FAQ_WORDS)


SCHEDULE_ASKED = ("quanto tempo", "que dia", "qual dia", "dia da semana", "que epoca", "qual epoca", "que mes",
                  "qual mes", "quais meses", "epoca de", "epoca da", "epoca do")
# "o tacacá começa a sair que horas?": the hour of goods an entry names; not the store's ("que horas abre?")
HOUR_ASKED = re.compile(r"\b(?:(?:que|qual) horas?|comeca\w* a \w+)\b")
STORE_HOURS = re.compile(r"\b(?:abr\w*|fech\w*|funciona\w*|expediente|loja|mercado)\b")
# words of a message beside the goods it names that say it asks something other than the goods themselves
OTHER_WORDS = 3
# words of FAQ questions that say what is asked, not about what ("Vocês aceitam ...?", "Como funciona ...?")
GENERIC_FAQ_WORDS = frozenset("voces loja mercado clientes cliente aceitam aceita funciona funcionam vendem vende "
                              "tem podem posso pode produto produtos compra compras fazem faz existe existem "
                              "oferecem oferece algum alguma faco fazer consigo como".split())


@functools.lru_cache(maxsize=1)
def _common_in_questions() -> frozenset[str]:
    """Words any question about the store may have (what is asked, the store's facts), folded: no anchor."""
    return frozenset(_folded(w)[0] for w in retrieval.STOP | GENERIC_FAQ_WORDS | _fact_words("delivery")
                     | _fact_words("hours") | _fact_words("payment"))


@functools.lru_cache(maxsize=1)
def _common_folded() -> frozenset[str]:
    """Words too common to tell one entry from another, folded as _folded does."""
    return frozenset(_folded(w)[0] for w in text.STOPWORDS | {"voces", "loja", "fazem", "tem"} if w)


# topics every kind of order shares ("quanto tempo antes?"): they weigh half beside the thing ordered
GENERIC_TOPICS = frozenset({"encomenda"})


def _said_words(said: tuple[str, ...], phrases) -> int:
    """How many words of the message a topic's phrases cover (each word once)."""
    covered: set = set()
    present = set(said)
    for f in _folded_all(phrases):
        if not all(w in present for w in f if w != "&") or not _says(said, f):
            continue      # most phrases have a word the message lacks: rejected before looking for the order
        if "&" in f:
            covered |= {w for w in f if w != "&"}
        else:
            at = next(i for i in range(len(said) - len(f) + 1) if said[i:i + len(f)] == f)
            covered |= set(range(at, at + len(f)))
    return len(covered)


def _topic_words(said: tuple[str, ...], phrases) -> set[str]:
    """The words of the message a topic's phrases cover."""
    present = set(said)
    return {w for f in _folded_all(phrases) if all(w in present for w in f if w != "&") and _says(said, f)
            for w in f if w != "&"}


@functools.lru_cache(maxsize=256)
def _folded_all(phrases: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(_folded(p) for p in phrases)


@functools.lru_cache(maxsize=4096)
def _folded(phrase: str) -> tuple[str, ...]:
    """A normalized phrase's words without plural, diminutive or gender ("cachorrinha" and "cachorros"
    are "cachorr"), so a paraphrase is found however it is inflected."""
    out = []
    for w in phrase.split():
        w = text.stem(next(iter(text.diminished(w)), w) if len(w) >= 7 else w)
        out.append(w[:-1] if len(w) > 4 and w[-1] in "ao" else w)
    return tuple(out)


def _says(said: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """The phrase in the words said; "ostra & abre" is both words anywhere."""
    if "&" in phrase:
        return all(w in said for w in phrase if w != "&")
    n = len(phrase)
    return any(said[i:i + n] == phrase for i in range(len(said) - n + 1)) if n else False


def _has(entry: list[str], topic: str, words) -> bool:
    """An FAQ entry's words name a topic: its word ("estacionamento") or one of the ways it is said."""
    key = topic[:5]
    if any(w.startswith(key) for w in entry):
        return True
    said = _folded(" ".join(entry))
    return any(_says(said, _folded(p)) for p in words.paraphrases[topic])


# -- promotions of several sections or an occasion -------------------------------------

def _promotions(norm: str, bot, words) -> Read | None:
    if not PROMO_WORDS.search(norm):
        return None
    norm = SHOPPING.sub(" ", norm)      # "tô fazendo a feira do mês": the shopping, not the produce section
    known = sections.categories(bot.conn)
    found: list[str] = []
    for s in text.stems(norm):
        category, _ = sections.find([s], known)
        if category and category not in found:
            found.append(category)
    if len(found) == 1 and (two := _two_asked(norm, bot, known)):
        # "o que tem em oferta de carne e de cerveja?": a section and goods, each asked
        got = [r for w in two if (r := _promotions(f"promocao de {w}", bot, words) or _on_sale_named(w, bot))]
        bodies = list(dict.fromkeys(r.text for r in got))
        if len(got) == 2 and len(bodies) == 2:
            shown = [x for r in got for x in r.topic.get("skus", [])]
            return Read("\n\n".join(bodies), "promotions", {"skus": shown[:20]})
    occasion_said = _occasion(norm, words)
    besides = [c for s in text.stems(norm.replace(occasion_said, " ")) if (c := sections.find([s], known)[0])] \
        if occasion_said else []
    if len(found) >= 2 or besides:
        # "churrasco no sábado, o que tem de carne em oferta?": the section asked, not the whole occasion
        bodies, skus = [], []
        for category in found:
            body, shown = sections.promotions(category, bot.conn, sections.asks_whether(norm) and not bodies)
            bodies.append(body)
            skus += shown
        return Read("\n\n".join(bodies), "promotions", {"skus": skus[:20]})
    occasion = occasion_said
    if occasion is None:
        goods = _promotions_of_goods(norm, bot, known, found)
        best = bot.searcher.search(norm).best
        own = text.search_text(" ".join((best.product.name, *best.product.aliases))).split() if best else []
        if goods is None and len(found) == 1 and not (best and best.complete and any(
                text.stem(w) in own for w in best.covered if sections.find([text.stem(w)], known)[0] is None)):
            # the section asked, though a brand word was said before it ("vai ter marabaixo na rua, ...")
            body, shown = sections.promotions(found[0], bot.conn, sections.asks_whether(norm))
            return Read(body, "promotions", {"skus": shown[:20]})
        return goods
    # the occasion's goods, and those the message names for it ("café da manhã: pão, bolo, manteiga e café")
    vocab = set(bot.searcher.vocab())
    told = [w for w in text.normalize(norm.replace(occasion, " ")).split()
            if w not in text.STOPWORDS and text.stem(w) in vocab and not PROMO_WORDS.fullmatch(w)]
    # the goods named, when some are ("vou fazer x-caboquinho pro café da manhã, tem promo de tucumã ou queijo
    # coalho?"): those; else every kind of goods the occasion has
    on_sale = knowledge.products(bot.conn, "promo_price IS NOT NULL", (), 2000)
    named = [p for p in on_sale if any(text.has_phrase(text.normalize(" | ".join((p.name, *p.aliases))), g)
                                       for g in told)]
    kinds = [p for p in on_sale if any(text.has_phrase(text.normalize(p.name), g) for g in words.occasions[occasion])]
    # "pão, queijo, essas coisas": examples of the occasion's goods, not the only ones
    promos = named + [p for p in kinds if p not in named] if not named or EXAMPLES.search(norm) else named
    place = words.occasion_names[occasion]
    if not promos:
        return Read(f"No momento não temos promoções para {place}. 😕 Posso ver o preço de algum produto?",
                    "promotions", {})
    lines = [sections.promo_line(p) for p in promos[:MAX_OCCASION]]
    return Read(f"🔥 Promoções para {place}:\n" + "\n".join(lines), "promotions",
                {"skus": [p.sku for p in promos[:MAX_OCCASION]]})


SHOPPING = re.compile(r"\b(?:fazer|fazendo|faco|faz) (?:a |minha |a minha )?feira\b|\bfeira do mes\b")
MAX_OCCASION = 10     # an occasion spans sections: more lines than one section's list
_TWO = re.compile(r"\b(?:de|da|do|das|dos|na|no|nas|nos|em)\s+(\w+)\s+(?:e|ou)\s+(?:(?:tb|tbm|tambem)\s+)?"
                  r"(?:(?:as|os|a|o)\s+(?=de|da|do|das|dos|na|no|nas|nos|em))?"      # "de bebida e tb as de limpeza"
                  r"(?:(?:de|da|do|das|dos|na|no|nas|nos|em)\s+)?(\w+)\b")


def _on_sale_named(word: str, bot) -> Read | None:
    """The products on promotion a word names ("cerveja": the Brahma can), or that none is."""
    named = [p for p in knowledge.products(bot.conn, "promo_price IS NOT NULL", (), 2000)
             if text.has_phrase(text.normalize(" | ".join((p.name, p.category, *p.aliases))), word)]
    if not named:
        return Read(f"Não: no momento nenhum produto de *{word}* está em promoção. 😕", "promotions", {})
    lines = [sections.promo_line(p) for p in named[:MAX_OCCASION]]
    return Read("🔥 Em promoção:\n" + "\n".join(lines), "promotions", {"skus": [p.sku for p in named[:MAX_OCCASION]]})


def _two_asked(norm: str, bot, known) -> list[str] | None:
    """The two things "de carne e de cerveja", "na padaria e nos laticínios" name: sections or goods."""
    vocab = set(bot.searcher.vocab())
    for m in _TWO.finditer(norm):
        two = list(m.groups())
        if all(w not in text.STOPWORDS and (sections.find([text.stem(w)], known)[0] or text.stem(w) in vocab)
               for w in two):
            return two
    return None


def _occasion(norm: str, words) -> str | None:
    """The occasion a text names, the longest when several are ("festa junina" before "festa")."""
    said = [o for o in words.occasions if o in norm and text.has_phrase(norm, o)]
    return max(said, key=len) if said else None


def _names_goods(word: str, bot) -> bool:
    """Whether a word names goods (a product's name or alias has it), not only a brand ("vai ter marabaixo na
    rua, o que tá em promoção nas bebidas?" where a brand is "Casa do Marabaixo")."""
    stem = text.stem(word)
    return any(stem in text.search_text(" ".join((m.product.name, *m.product.aliases))).split()
               for m in bot.searcher.search(word).matches)


def _promotions_of_goods(norm: str, bot, known: dict, sections_named: list[str]) -> Read | None:
    """"Tem algum peixe ou camarão em oferta?": the promotions among the goods named (and the section
    named with them), when goods are named beside the section or more than one of them is on promotion."""
    vocab = set(bot.searcher.vocab())
    named = [w for w in dict.fromkeys(text.content_words(norm))
             if w in vocab and w not in search.NOT_PRODUCT and not PROMO_WORDS.fullmatch(w)]
    goods = [w for w in named if sections.find([text.stem(w)], known)[0] is None and _names_goods(w, bot)]
    if not goods:
        return None       # a section alone: the classifier's answer for the section
    res = bot.searcher.search(" ".join(named), limit=20)
    complete = [m for m in res.matches if m.complete]
    if len(complete) >= 3 and not sections_named:
        # "tem promoção de cerveja?": a kind of goods many products are; those of them on promotion
        promos = [m.product for m in complete if m.product.promo_price]
        if not promos:
            return Read(f"No momento nenhum produto de *{' '.join(goods)}* está em promoção. 😕 Posso ver o preço "
                        "de algum?", "promotions", {"skus": [m.product.sku for m in complete[:5]]})
    elif complete:
        return None       # "tem promoção de carne de sol?": one product, whose answer says if it is on promotion
    else:
        promos = [p for p in knowledge.products(bot.conn, "promo_price IS NOT NULL", (), 2000)
                  if p.category in sections_named
                  or set(goods) & set(text.content_words(text.normalize(f"{p.name} {' '.join(p.aliases)}")))]
        if not promos and not sections_named:     # "tem promoção de leite ou de iogurte?" where neither is
            return Read(f"Não: no momento nenhum produto de {' ou '.join(f'*{g}*' for g in goods)} está em "
                        "promoção. 😕 Posso ver o preço de algum?", "promotions",
                        {"skus": [m.product.sku for m in res.matches[:5]]})
    if not promos or len(promos) < 2 and len(goods) + len(sections_named) < 2 and len(complete) < 3:
        return None
    lines = [sections.promo_line(p) for p in promos[:MAX_OCCASION]]
    return Read("🔥 Em promoção:\n" + "\n".join(lines), "promotions", {"skus": [p.sku for p in promos[:MAX_OCCASION]]})


def _described(pnorm: str) -> bool:
    """A few words that only describe the goods just asked of: their pack and size ("saco grande"), or which of
    them ("daqueles vermelhinho")."""
    said = pnorm.split()
    return len(said) <= 3 and (said[0] in ("daqueles", "daquelas", "daquele", "daquela", "desses", "dessas")
                               or all(w in quantities.PACKS or w in search.SIZE_WORDS for w in said))
