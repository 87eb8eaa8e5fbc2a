"""The cart and the checkout as one pure step function, in the style of ``ops/alerts.step``.

``step(state, message, now, shop) -> (new state, Turn | None)``: ``state`` is the customer's cart as
a dict (None: no cart), ``message`` what they wrote (or a quote, or a location pin), ``now`` the
clock, ``shop`` the store's facts and catalog (read only). A ``Turn`` is the reply; None means the
message is not about the cart, and the pipeline answers it as usual (``reminder`` then says where
the checkout stands, so a question in the middle of it does not lose it).

Stages: ``cart`` (a quote was priced), ``checkout`` (asking one thing at a time, skipping what the
customer already said: delivery or pickup, the address, the payment, the change), ``confirm`` (the
summary is out), ``placed`` (the order is recorded; a second "confirmar" makes no second order).
A Turn with ``action == "place"`` asks the caller to record the order and then call ``placed``.

Every figure is a line of ``quote.price_line`` (the quotes' own code, tiers recomputed on every
edit) or a sum of them, plus the delivery fee from the store's facts.
"""
from __future__ import annotations

import copy
import datetime as dt
import difflib
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ..bot import fmt, text
from ..bot.answering import quote
from ..bot.reading import lists, vocab
from ..bot.store.knowledge import Product, distance_km

MAX_ITEMS = 100                 # different products in one cart
MAX_QTY = Decimal(999)          # units (or kg) of one product
STAGES = ("cart", "checkout", "confirm", "placed")

BTN_ORDER, BTN_EDIT, BTN_HUMAN = "Fazer pedido", "Alterar", "Falar com atendente"
BTN_CONFIRM, BTN_CANCEL = "Confirmar pedido", "Cancelar"
QUOTE_BUTTONS = [("order:start", BTN_ORDER), ("order:edit", BTN_EDIT), ("handoff", BTN_HUMAN)]
SUMMARY_BUTTONS = [("order:confirm", BTN_CONFIRM), ("order:edit", BTN_EDIT), ("order:cancel", BTN_CANCEL)]
EDIT_HELP = ("Para mudar o carrinho, escreva por exemplo: _tira o óleo_, _aumenta o açúcar pra 10_, "
             "_coloca mais 2 leite_, _troca o café pelo pilão_ ou _pode tirar tudo_.")


@dataclass
class Message:
    text: str = ""
    location: tuple[float, float] | None = None      # a WhatsApp location pin (lat, lon)
    quote: list[tuple[str, Decimal]] | None = None    # a priced list just sent: (sku, quantity)


@dataclass
class Turn:
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)
    follow_up: list[str] = field(default_factory=list)    # messages of their own after ``text`` (a Pix code)
    prompt: str = ""          # what the buttons ask, in words too: under the text, or its own message if long
    action: str | None = None                             # "place": record the order, then call ``placed``
    intent: str = "order"


# -- words -----------------------------------------------------------------------

def norm(raw: str, clauses: bool = False) -> str:
    """Lower case, no accents; keeps digits, signs and decimal marks (text.normalize drops the minus).
    ``clauses``: a sentence comma becomes ";" (where an edit's clause ends) instead of a space."""
    low = text.strip_accents((raw or "").lower()).replace("ç", "c")
    low = re.sub(r"[^a-z0-9,.\-^+ ]+", " ", low)
    low = re.sub(r"(?<=[a-z0-9]),(?=\s)", " ; ", low) if clauses else low
    low = re.sub(r"(?<=[a-z])[,.](?=\s|$)|[,.](?=\s|$)", " ", low)       # sentence commas and full stops
    low = re.sub(r"\b(\d+(?:[.,]\d+)?)(kg|g|un)\b", r"\1 \2", low)      # "poe 2kg de cebola": 2 kg
    return re.sub(r"\s+", " ", low).strip()


def _has(n: str, *phrases: str) -> bool:
    return any(re.search(rf"(?<![a-z0-9]){re.escape(p)}(?![a-z0-9])", n) for p in phrases)


CONFIRM = ("confirmar", "confirmo", "confirma", "confirmado", "confirmar pedido", "pode confirmar", "sim",
           "isso", "fechado", "ok", "pode mandar", "pode fechar", "tudo certo", "ta certo", "esta certo")
START = ("fazer pedido", "fazer o pedido", "quero fazer o pedido", "quero fazer pedido", "fechar pedido",
         "fechar o pedido", "finalizar", "finalizar pedido", "quero pedir", "vou pedir", "pode entregar",
         "quero comprar", "quero esse", "quero esses", "quero levar", "fazer a compra", "pode separar",
         "manda pra mim")
SHORT_START = ("pedido", "comprar", "pode ser", "bora", "vamos")      # only as (nearly) the whole message
EDIT = ("alterar", "alterar pedido", "mudar", "quero mudar", "quero alterar", "editar")
CANCEL = ("cancelar", "cancela", "cancelar pedido", "desistir", "desisto", "nao quero mais", "esquece")
HANDOFF = ("atendente", "falar com atendente", "humano", "pessoa", "falar com alguem", "gerente")
PICKUP = ("retirar", "retiro", "retirada", "retira", "buscar", "busco", "vou buscar", "pegar na loja",
          "pego na loja", "passo ai", "vou ai", "retirar na loja", "na loja")
DELIVERY = ("entrega", "entregar", "entregam", "entregue", "delivery", "em casa", "manda pra", "mandar pra",
            "pode entregar", "receber em casa", "levar em casa", "mandar")
STREET = ("rua", "r", "av", "avenida", "travessa", "tv", "alameda", "al", "praca", "estrada", "rodovia",
          "conjunto", "quadra", "condominio", "ladeira", "beco", "vila", "loteamento")
PLACE_LEAD = re.compile(r"^(?:moro|fico|estou|to|sou|e|eh|endereco|meu endereco|entrega|entregar|manda|mandar)?"
                        r"\s*(?:e\s+)?(?:em|no|na|nos|nas|pro|pra|para o|para a|bairro|no bairro|na regiao de)\s+")
NO_CHANGE = ("sem troco", "nao precisa", "nao preciso", "nao", "dispenso", "trocado", "dinheiro certo",
             "valor certo", "exato", "certinho", "nao vou precisar")
QUESTION = re.compile(r"\?|^(?:que|qual|quais|quando|como|onde|quanto|quantos|voces|vcs|tem|aceita|aceitam|"
                      r"abre|abrem|fecha|fecham|ate que horas|posso)\b")

# Payment words -> a word the store's method must contain.
PAY_WORDS = {"pix": "pix", "dinheiro": "dinheiro", "especie": "dinheiro", "cash": "dinheiro",
             "debito": "debito", "credito": "credito", "vale": "vale", "va": "vale", "vr": "vale",
             "alimentacao": "vale", "refeicao": "vale", "ticket": "vale", "boleto": "boleto",
             "cheque": "cheque", "fiado": "fiado", "crediario": "crediario", "bitcoin": "bitcoin",
             "cripto": "bitcoin", "picpay": "picpay", "paypal": "paypal", "transferencia": "transferencia",
             "ted": "transferencia", "doc": "transferencia"}
NUMBER_WORDS = {"um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5, "seis": 6,
                "sete": 7, "oito": 8, "nove": 9, "dez": 10, "onze": 11, "doze": 12, "quinze": 15, "vinte": 20,
                "trinta": 30, "meia duzia": 6, "uma duzia": 12, "duzia": 12, "meio quilo": Decimal("0.5"),
                "meio kg": Decimal("0.5"), "meio": Decimal("0.5")}
_NUM = r"(?:-?\d+(?:[.,]\d+)?(?:\^\d+|e\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
V_REMOVE = r"tira|tirar|tire|remove|remover|retira|retirar|exclui|excluir|apaga|apagar|esquece|esqueca|esquecer|" \
    r"risca|riscar|" \
    r"desiste|desisti|desistir|" \
    r"corta(?!\s+(?:\w+\s+){0,4}?(?:em|no|na|pra|para|fatia\w*|fin\w*|bife\w*|cubo\w*|pedac\w*|rodela\w*|postas?)\b)"
V_SET = (r"aumenta|aumentar|diminui|diminuir|muda|mudar|altera|alterar|deixa|deixar|coloca|colocar|bota|botar|poe|"
         r"troca|sobe|subir|baixa|baixar|abaixa|abaixar|passa|passar")        # "passa o arroz pra 6"
V_ADD = r"coloca|colocar|bota|botar|poe|adiciona|adicionar|acrescenta|acrescentar|inclui|incluir|manda|mais"
V_SWAP = r"troca|trocar|substitui|substituir"
_ART = r"(?:(?:o|a|os|as|um|uma)\s+)?"
# what an amount in an edit is counted in: a measure, or the container it comes in
_MEASURE = r"kg|quilos?|kilos?|unidades?|un"
_CONTAINER = r"latinhas?|latas?|pacotes?|pcts?|garrafas?|caixas?|potes?|fardos?|duzias?|sacos?|bandejas?|vidros?|" \
    r"frascos?|tubos?|rolos?"
# the why said after an edit's amount ("diminui o fradinho pra 8, ficou muito", "o peixe faz 2 kg, somos mais gente")
_WHY = r"(?:que|q|pq|porque|pois|vai|vou|ja|ficou|ficando|ta|tava|somos|vamos|vem|veio)"
# One pattern a kind of edit. The duplicates tool pairs these with each other and with
# bot/answering/checks.py's tables: each is its own sentence shape, alike only in being a pattern.
R_CLEAR = re.compile(rf"^(?:{V_REMOVE}|limpa|limpar|esvazia|esvaziar|zera|zerar)\s+(?:tudo|o carrinho|carrinho|"
                     r"todos os itens|todos|tudo do carrinho)$")
R_SWAP = re.compile(rf"^(?:{V_SWAP})\s+{_ART}(.+?)\s+(?:pelo|pela|pelos|pelas|por)\s+{_ART}(.+)$")
# "picanha tá cara kkk troca por cupim": the item told of first, then what it is swapped for
R_SWAP_TOLD = re.compile(rf"^{_ART}(\w+(?:\s+\w+)?)\s+(?:ta|esta|ficou|tava|saiu)\b.*?\s(?:{V_SWAP})\s+"
                         rf"(?:por|pelo|pela|pelos|pelas)\s+{_ART}(.+)$")
R_SET = re.compile(rf"^(?:{V_SET})\s+{_ART}(.+?)\s+(?:pra|para|pro|em)\s+({_NUM})(?:\s+\w+)?"
                   rf"(?:\s+(?:so|somente|entao))?"
                   rf"(?:\s+{_WHY}\b.*)?$")
R_ADD = re.compile(rf"^(?:(?:{V_ADD})\s+)+(?:mais\s+)?({_NUM})\s+(?:de\s+)?(.+)$")
R_REMOVE = re.compile(rf"^(?:{V_REMOVE})\s+{_ART}(.+)$")
# "sem o tomate", "deixa a picanha de lado", "não quero mais o sabão": all of it out
R_WITHOUT = re.compile(rf"^(?:sem\s+(?!troco|pressa|problema){_ART}(.+)|deixa\s+{_ART}(.+?)\s+(?:de lado|de fora)\b.*"
                       rf"|nao (?:quero|precisa) mais (?:d[oa]s?\s+|{_ART})(.+))$")
# "dobra a coxinha": twice as much
# "bota 12 de cada", "faz 10 de cada um": every item to that amount
R_EACH = re.compile(rf"^(?:poe|bota|coloca|faz|faca|quero|deixa|sobe|aumenta|muda)\s+(?:tudo\s+pra\s+|pra\s+)?"
                    rf"({_NUM})\s+"
                    rf"(?:de\s+)?cada(?:\s+(?:um|uma|item|produto))?(?:\s+(?:entao|ai))?$")
R_DOUBLE = re.compile(rf"^(?:dobra|dobrar|duplica|duplicar)\s+{_ART}(.+)$")
R_DOUBLE_ALL = re.compile(r"^(?:dobra|dobrar|duplica|duplicar)\s+(?:tudo|todos|todas|todos os itens|o carrinho|a lista)"
                          r"|^(?:tudo|todos)\s+(?:em dobro|dobrado|vezes dois)")
# "faz só 12 molho", "são 6 arroz", "quero só 2 leite": a new amount, said before the item
R_SET_FIRST = re.compile(rf"^(?:(?:faz|faca)(?:\s+com)?|fica|ficam|sao|serao|vao ser|(?:poe|bota|coloca|deixa|quero)\s+"
                         rf"(?=so\b|somente\b|apenas\b)|(?=(?:so|somente|apenas)\s+{_NUM}))\s*(?:so\s+|somente\s+|apenas\s+)?({_NUM})\s*"
                         rf"(?:{_MEASURE}|{_CONTAINER})?\s+(?:de\s+)?(.+)$")
# "só vou querer 8 de café": only that many
R_ONLY = re.compile(rf"^so\s+(?:vou querer|quero|vou levar|levo|vou pegar|preciso de|preciso)\s+"
                    rf"({_NUM})\s*(?:{_MEASURE}|{_CONTAINER})?\s+"
                    rf"(?:(?:de|do|da)\s+)?(.+)$")
# "a banana coloca 2 kg": the item first, then the new amount
R_SET_AFTER = re.compile(rf"^(?!(?:{V_REMOVE}|{V_ADD}|{V_SWAP})\b){_ART}(.+?)\s+(?:(?:coloca|poe|bota|deixa|faz|faca|"
                         rf"muda|passa|aumenta|diminui|baixa|abaixa|sobe|desce|cai|reduz|(?:eu\s+)?quero|vai ser|"
                         rf"vao ser|pode ser|pode|vai|vao|"
                         rf"so|somente|apenas)\s+)+"
                         rf"(?:(?:pra|para)\s+)?({_NUM})\s*"
                         rf"(?:{_MEASURE}|{_CONTAINER})?"
                         rf"(?:\s+(?:entao|ai|mesmo|na verdade|na real|na vdd|ne|so|o resto|em vez|ao inves|no lugar|"
                         rf"{_WHY})\b.*)?$")
# "e o sabão em pó põe mais 4": the item first, then how many more
R_ADD_AFTER = re.compile(rf"^(?!(?:{V_REMOVE}|{V_ADD}|{V_SWAP})\b){_ART}(.+?)\s+(?:poe|bota|coloca|manda|acrescenta)\s+"
                         rf"mais\s+({_NUM})\s*(?:{_MEASURE}|{_CONTAINER})?$")
# "o sabonete pode deixar de lado", "o carvão pode tirar": the item first, then out
R_OUT_AFTER = re.compile(rf"^(?!(?:{V_REMOVE})\b){_ART}(.+?)\s+(?:pode\s+)?"
                         rf"(?:deixar de lado|deixa de lado|tirar|tira|remover|sair|"
                         rf"nao precisa(?: mais)?|nao quero mais|(?:eu )?nao quero|esquece|risca|"
                         rf"(?:eu\s+)?ja\s+tenho(?:\s+(?:em casa|aqui|sobrando))?)$")
# "..., pode deixar de fora": the item of the clause before, out
_OUT_AGAIN = re.compile(r"^(?:pode\s+)?(?:deixar|deixa|tirar|tira|remover|esquece|esqueca|risca)"
                        r"(?:\s+(?:de fora|de lado|ele|ela|fora))?$")
# "em vez das 10 barão me vê 8 da araucária": one item in place of another
R_INSTEAD = re.compile(r"^(?:em vez|ao inves|no lugar) d[eoa]s?\s+(.+?)\s+(?:me ve|me manda|quero|manda|poe|bota|"
                       r"coloca|leva|pode ser|vou querer)\s+(.+)$")
# "o vinho é o branco, o niágara": the item is another of its kind
R_IS_OTHER = re.compile(rf"^{_ART}(.+?)\s+(?:e|eh)\s+(?:o|a|os|as)\s+([a-z].*)$")
# "a picanha é só 1,5 kg": a new amount said as what the item is
R_IS = re.compile(rf"^(?!(?:{V_REMOVE}|{V_ADD}|{V_SWAP})\b){_ART}(.+?)\s+(?:e|sao|fica|ficam|vai ser|vao ser)\s+"
                  rf"(?:so|somente|apenas)?\s*({_NUM})"
                  rf"\s*(?:{_MEASURE}|{_CONTAINER})?(?:\s+(?:e\s+)?nao\s+{_NUM})?$")     # "a harina é 10 e não 4"
# "tira 1 kg da linguiça", "tira 2 do arroz": less of it, not all of it
R_LESS = re.compile(rf"^(?:{V_REMOVE}|diminui|diminuir)\s+({_NUM})\s*(?:{_MEASURE})?\s+"
                    r"(?:(?:de|do|da|dos|das)\s+)?(.+)$")
# "... em vez de 1" after an amount: what the cart had
_INSTEAD_OF = re.compile(rf"\s+(?:em vez|ao inves|no lugar) d[eoa]s?\s+{_NUM}$")
# "põe 12", "só que 12": an amount alone, of the item the clause before named
R_AMOUNT_ONLY = re.compile(rf"^(?:poe|bota|coloca|deixa|faz|so que|so q|mas|sao|quero|pra|so|somente|apenas)?"
                           rf"\s*({_NUM})\s*"
                           rf"(?:{_MEASURE}|{_CONTAINER})?$")
# "troca pra 12 latinhas": the item of that container, to that many
R_SET_TO_CONTAINER = re.compile(rf"^(?:troca|muda|passa|aumenta|faz)\s+(?:pra|para)\s+({_NUM})\s+({_CONTAINER})$")
# "... e o açúcar pra 10" after a new amount: another, its verb said once
R_SET_ELLIPTIC = re.compile(rf"^(?:o|a|os|as)\s+(.+?)\s+(?:pra|para|pro|em)\s+({_NUM})\s*(?:{_MEASURE}|{_CONTAINER})?$")
# "..., quero 7 guaraná então": after another edit, the amount wanted of an item
R_WANT = re.compile(rf"^(?:quero|vou querer)(?:\s+(?:so|somente|apenas))?\s+({_NUM})\s*(?:{_MEASURE}|{_CONTAINER})?"
                    rf"\s+(?:de\s+)?(.+?)"
                    rf"(?:\s+(?:entao|mesmo|ai))?$")
# "só a cajuína mesmo": the item kept, whose amount may follow
R_KEEP = re.compile(r"^(?:so|somente|apenas)\s+(?:o|a|os|as)\s+(.+?)\s+mesmo$")
# "... no total" after an amount: how many in all, not how many more
_IN_ALL = re.compile(r"\s+(?:no total|ao todo|no final|total)$")
# "... e 3 kg de linguiça" after an add: one more add with the same verb
_AND_NUM = re.compile(rf"\s+e\s+(?=(?:mais\s+)?{_NUM}(?:\s|kg\b|g\b))")      # "... e 2kg de repolho"
# said before an edit ("na verdade troca ...") and after it ("..., mesma quantidade")
_LEAD = re.compile(r"^(?:(?:na verdade|na real|na vdd|alias|opa|ah|ops|ixi|errei|pensando bem|pensando melhor|"
                   r"pera|perai|pera ai|espera|peraí|"
                   r"melhor|hmm+|hm+|hum+|"
                   r"entao|"
                   r"olha|dai|ai|(?:muda|altera)(?=\s+(?:sem|tira|tirar|troca|coloca|poe|bota|inclui|acrescenta)\b))"
                   r"(?:\s*;\s*|\s+))+")      # "muda: sem a paleta, ...": the verb of the edits that follow
# amounts said in grams or with a half, written as kilos for the patterns below ("pra 800g", "3 kg e meio")
_GRAMS = re.compile(r"\b(pra|para|faz|fica|so|quero|coloca|poe|bota|deixa|mais)\s+(\d{2,4})\s*(?:g|gr|grs|gramas)\b")
_AND_HALF = re.compile(r"\b(\d+(?:[.,]\d+)?)\s*(?:kg|quilos?)\s+e\s+(?:meio|meia)\b")
# where an item's name ends and the why or what-for begins ("risca a qboa q eu ainda tenho em casa",
# "põe mais um leite pra fechar a caixa", "são 6 arroz, esqueci que é pra minha mãe")
_NAME_END = re.compile(r"\s*(?:,|\b(?:q|que|pq|porque|pois|pra|para|ja|ta|sai|so o resto|eu|esqueci|leva|levo|fica|"
                       r"ficando|ficou|deixa|deixando|minha|meu|minhas|meus|so|mesmo|qto|quanto|kkk+)\b).*$")
# "... na mesma quantidade", "no lugar dele", "nessa lista", "no pedido": where or how the change goes, said
# after it; no item of its own
_WHERE_SAID = re.compile(r"\s+(?:(?:na )?(?:mesma|mesmo|msm) (?:quantidade|qtd|qtde|qnt)|"
                         r"no lugar(?: dele| dela| deles| delas)?|"
                         r"(?:nessa|nesta|na) (?:conta|lista)|(?:nesse|neste|no) (?:pedido|orcamento|carrinho)|"
                         # "coloca mais 300g de copa nisso", "bota mais 4 leite aí"
                         r"(?:ai )?(?:nisso|nessa|nesse|junto)|ai|pra mim|por favor|pfv|"
                         r"(?:aqui|ali|la) (?:pra|para|no|na|em) [a-z ]+|"     # "... 1 rapadura aqui pra vila nova"
                         # "a água pra 12 tb", "6 de arroz em vez de 5": the same change again, what it was
                         r"tb|tbm|tambem|(?:em vez|ao inves|no lugar) d[eo]s? \d+(?:[.,]\d+)?|"
                         # "troca por cupim, os mesmos 2 kg": the amount kept, said again
                         r"(?:(?:os|as|o|a)\s+)?(?:mesmos?|mesmas?|msm)\s+\d+(?:[.,]\d+)?\s*(?:kg|quilos?|unidades?)?)$")
_NOT_THAT = re.compile(r"(?:\s*[,;])?\s+(?:e\s+)?nao\s+\d+(?:[.,]\d+)?\s*(?:kg|quilos?|un|unidades)?$")
_INSTEAD = re.compile(r"\b(?:em vez|ao inves|no lugar) d[eo]s? \d")
# "põe 8 de arroz": so many of it, in all
_N_OF = re.compile(rf"^(?:poe|bota|coloca)\s+{_NUM}\s+de\s+")
# "..., o carvão deixa": a clause at the end that keeps an item as it is
_KEEP = re.compile(r"\s*[,;]?\s+(?:e\s+)?o resto (?:igual|mantem|mantém|fica igual|fica|continua|pode deixar)$|"
                   r"\s+(?:e\s+)?(?:o|a|os|as)\s+\w+(?:\s+\w+)?\s+(?:deixa|mantem|fica|continua|pode deixar)"
                   r"(?:\s+(?:assim|como esta|igual))?$")
_QTY_ONLY = re.compile(rf"^({_NUM})\s*(?:{_MEASURE}|{_CONTAINER}|sacos?|duzias?)?$")
# a new quantity with its unit in front of the product: "2kg de picanha", "12 latinhas de coca"
_QTY_FIRST = re.compile(rf"^({_NUM})\s*(?:{_MEASURE}|{_CONTAINER})?\s+(?:(?:de|da|do|das|dos)\s+)?(.+)$")
SPLIT = re.compile(rf"\s*;\s*|\s*(?:,|\be\b|\btambem\b)\s*(?=(?:(?:e|pode|tambem)\s+)?(?:{V_REMOVE}|{V_SET}|{V_ADD}|"
                   rf"{V_SWAP}|sem|dobra|faz\s+{_NUM}|faca\s+{_NUM})\b)|\s*(?:,\s*e|,|\be)\s+(?=(?:o|a|os|as)\s+\w+(?:\s+\w+)?\s+(?:coloca|poe|"
                   rf"bota|deixa|faz|pode|eu|quero|fica|vai|sai|tira|nao|muda|aumenta|diminui|sobe|passa|"
                   rf"(?:e|sao|so|pra|para)\s+{_NUM})\b)"
                   # "dobra o leite põe 12", "esquece a tiquira só a cajuína mesmo só q 12" (norm() drops the commas)
                   rf"|\s+(?=(?:poe|bota|coloca|deixa|faz|so que|so q)\s+{_NUM}\s*(?:{_MEASURE}|{_CONTAINER})?$)"
                   rf"|\s+(?=so\s+(?:o|a|os|as)\s+\w+(?:\s+\w+)?\s+mesmo\b)"
                   # "o arroz é o de 1kg 5 pacotes": an amount after a size
                   rf"|(?<=\d(?:kg|ml))\s+(?=\d+\s*(?:{_MEASURE}|{_CONTAINER})$)|(?<=\d[gl])\s+(?=\d+\s*(?:{_MEASURE}|{_CONTAINER})$)")
NOT_NAME = frozenset("de do da o a os as um uma pacote pacotes unidade unidades caixa caixas lata latas kg "
                     "quilo quilos garrafa garrafas mais item itens saco sacos fardo fardos".split())


# -- the state -------------------------------------------------------------------

def new_cart(now: float, shop) -> dict:
    return {"stage": "cart", "items": [], "fulfilment": None, "address": None, "area": None, "pin": None,
            "payment": None, "change_for": None, "ask": None, "order": None, "cart_id": uuid.uuid4().hex,
            "started_at": now, "touched_at": now, "expires_at": now + shop.cart_seconds}


def expired(state: dict | None, now: float) -> bool:
    return state is not None and now >= state["expires_at"]


def _touch(state: dict, now: float, shop) -> dict:
    state["touched_at"] = now
    state["expires_at"] = now + shop.cart_seconds
    return state


def priced(state: dict, shop) -> tuple[list[quote.Line], list[str]]:
    """The cart's lines at today's prices (the quotes' own code), and the names no longer sold."""
    lines, gone = [], []
    for it in state["items"]:
        p = shop.product(it["sku"])
        if p is None:
            gone.append(it["name"])
        else:
            lines.append(quote.price_line(p, Decimal(it["qty"])))
    return lines, gone


def totals(lines: list[quote.Line], state: dict, facts) -> tuple[Decimal, Decimal, Decimal]:
    """(subtotal, fee, total): the fee only for delivery, none from the free-delivery threshold up."""
    sub = sum((ln.total for ln in lines), Decimal(0))
    fee = Decimal(0)
    d = facts.delivery
    if state.get("fulfilment") == "delivery" and d.get("fee"):
        free = d.get("free_above")
        if not (free and sub >= quote.dec(free)):
            fee = quote.dec(d["fee"])
    return sub, fee, sub + fee


# -- the step ----------------------------------------------------------------------

def step(state: dict | None, msg: Message, now: float, shop) -> tuple[dict | None, Turn | None]:
    if msg.quote is not None:
        return _from_quote(msg.quote, now, shop)
    n = norm(msg.text)
    if expired(state, now):
        was_checkout = state["stage"] in ("checkout", "confirm")
        state = None
        if was_checkout and (_has(n, *CONFIRM, *START, *CANCEL, *PICKUP, *DELIVERY) or _edits_of(n)
                             or read_payment(n, shop.facts.payment.get("methods", [])) or msg.location):
            hours = int(shop.cart_seconds // 3600)
            return None, Turn(f"Seu carrinho expirou (ficou mais de {_plural(hours, 'hora', 'horas')} parado) e "
                              "o pedido não foi feito. Mande a lista de novo que eu monto outro. 🙂",
                              intent="order_expired")
    if state is None:
        # a command to a cart that is not there; "até que horas tenho que fazer o pedido pra chegar
        # hoje?" is a question for the bot, not a command
        if msg.location is not None or len(n.split()) <= 6 and _has(
                n, "confirmar", "confirmo", "confirmar pedido", "fazer pedido", "fazer o pedido", "finalizar",
                "fechar pedido"):
            return None, Turn("Você ainda não tem um carrinho. Mande a lista do que quer, por exemplo: "
                              "_2 arroz, 1 óleo e 3 leite_, que eu calculo o total e monto o pedido.",
                              intent="order_no_cart")
        return None, None
    if _has(n, *HANDOFF) and msg.location is None:
        return state, None                    # the pipeline hands over; the cart stays for the operator
    state = copy.deepcopy(state)
    if state["stage"] == "placed":
        if msg.location is not None:
            return state, Turn(f"📍 Recebi sua localização. Seu *Pedido {number_text(state['order'])}* já está "
                               "registrado; para mudar o endereço dele, digite *atendente*.", intent="order_duplicate")
        if _has(n, "confirmar", "confirmo", "confirma", "confirmado", "pode confirmar", "fazer pedido",
                "fazer o pedido", "fechar pedido", "finalizar") and not _edits_of(n):
            return state, Turn(f"Seu *Pedido {number_text(state['order'])}* já está registrado; não fiz outro. "
                               "Para saber como ele está, pergunte _cadê meu pedido?_", intent="order_duplicate")
        return state, None
    if state.get("ask") and msg.location is None:
        answered = _answer_ask(state, n, shop)
        if answered is not None:
            return _after_edit(_touch(state, now, shop), answered, shop)
    edits = _edits_of(norm(_packs_counted(msg.text), clauses=True))
    if edits and msg.location is None:
        notes = _apply(state, edits, shop)
        return _after_edit(_touch(state, now, shop), notes, shop)
    if _has(n, *CANCEL) or n == norm(BTN_CANCEL):
        return None, Turn("Pedido cancelado e carrinho esvaziado. Quando quiser, é só mandar uma nova lista. 🙂",
                          intent="order_cancelled_by_customer")
    if state["stage"] == "cart":
        if n == norm(BTN_EDIT) or _has(n, *EDIT):
            return _touch(state, now, shop), Turn(EDIT_HELP, intent="order_edit")
        if not (_has(n, *START) or len(n.split()) <= 3 and _has(n, *SHORT_START) or msg.location is not None
                or n.startswith(("pedido ", "fechar ", "finalizar "))):
            return state, None
        state["stage"] = "checkout"
        _absorb(state, n, msg, shop, stage_answer=False)
        return _next(_touch(state, now, shop), shop, now)
    # checkout or confirm
    if state["stage"] == "confirm" and (n == norm(BTN_CONFIRM) or _has(n, *CONFIRM)):
        return _confirm(_touch(state, now, shop), shop, now)
    if state["stage"] == "confirm" and (n == norm(BTN_EDIT) or _has(n, *EDIT)):
        return _touch(state, now, shop), Turn(
            EDIT_HELP + " Para mudar a entrega, o endereço ou o pagamento, escreva como quer (ex.: _vou retirar na "
            "loja_, _muda o endereço_, _vou pagar no cartão_).", intent="order_edit")
    if _has(n, "muda o endereco", "mudar o endereco", "outro endereco", "trocar o endereco", "troca o endereco"):
        state.update(address=None, area=None, street=None, pin=None, fulfilment="delivery")
        state["stage"] = "checkout"
        return _next(_touch(state, now, shop), shop, now)
    taken = _absorb(state, n, msg, shop, stage_answer=True)
    if taken is None:
        return state, None                      # a question in the middle: the pipeline answers it
    if isinstance(taken, Turn):
        return _touch(state, now, shop), taken
    state["stage"] = "checkout"
    return _next(_touch(state, now, shop), shop, now)


def reminder(state: dict | None, now: float, shop) -> str | None:
    """The question the checkout is waiting for, to add under an answer to something else."""
    if state is None or expired(state, now) or state["stage"] in ("cart", "placed"):
        return None
    pending = _pending(state, shop)
    if state["stage"] == "confirm" or pending is None:
        return "🛒 Seu pedido continua aberto: responda *confirmar*, *alterar* ou *cancelar*."
    return "🛒 Voltando ao seu pedido: " + pending[1]


# -- the cart from a quote or a native WhatsApp cart, and edits ----------------------------

def native_cart(payload: str | None) -> tuple[list[tuple[str, Decimal]], list[str]] | None:
    """A WhatsApp ``order`` message (the native cart) as (sku, quantity) lines and the items it could
    not read; None when the message is not one. ``payload`` is the message object as received."""
    import json
    try:
        order = json.loads(payload or "{}").get("order")
    except (ValueError, AttributeError):
        return None
    if not isinstance(order, dict):
        return None
    lines, bad = [], []
    for item in order.get("product_items") or []:
        sku = str(item.get("product_retailer_id") or "").strip() if isinstance(item, dict) else ""
        qty = item.get("quantity") if isinstance(item, dict) else None
        if sku and isinstance(qty, int) and not isinstance(qty, bool) and 0 < qty <= MAX_QTY:
            lines.append((sku, Decimal(qty)))
        else:
            bad.append(sku or "?")
    return lines, bad


def pin(payload: str | None) -> tuple[float, float] | None:
    """A WhatsApp ``location`` message's (lat, lon), or None. ``payload`` is the message object as received."""
    import json
    try:
        loc = json.loads(payload or "{}").get("location")
        lat, lon = float(loc["latitude"]), float(loc["longitude"])
    except (ValueError, AttributeError, KeyError, TypeError):
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def from_native(lines: list[tuple[str, Decimal]], unreadable: list[str], now: float, shop) -> tuple[dict | None, Turn]:
    """A native cart goes straight into the checkout (the customer already chose "fazer pedido")."""
    gone = [sku for sku, _ in lines if shop.product(sku) is None] + unreadable
    state, _ = _from_quote([(sku, q) for sku, q in lines if shop.product(sku) is not None], now, shop)
    note = (f"⚠️ {_plural(len(gone), 'item do carrinho não está', 'itens do carrinho não estão')} no nosso catálogo "
            f"agora ({', '.join(gone[:5])}) e {'ficou' if len(gone) == 1 else 'ficaram'} de fora." if gone else "")
    if state is None:
        return None, Turn((note + "\n" if note else "") + "Não consegui montar o pedido com esse carrinho. "
                          "Pode mandar "
                          "a lista por escrito (ex.: _2 arroz e 1 óleo_) ou digitar *atendente*.",
                          intent="order_native_empty")
    state["stage"] = "checkout"
    lines_priced, _ = priced(state, shop)
    st, turn = _next(state, shop, now)
    turn.text = "\n".join(([note, ""] if note else []) + cart_text(lines_priced, st, shop.facts) + ["", turn.text])
    turn.intent = "order_native_cart"
    return st, turn


# -- edits -----------------------------------------------------------------------------

def _from_quote(lines: list[tuple[str, Decimal]], now: float, shop) -> tuple[dict | None, Turn | None]:
    state = new_cart(now, shop)
    notes = []
    for sku, qty in lines:
        p = shop.product(sku)
        if p is None:
            continue
        if len(state["items"]) >= MAX_ITEMS:
            notes.append(f"⚠️ O carrinho guarda até {MAX_ITEMS} produtos diferentes: "
                         f"{_plural(len(lines) - MAX_ITEMS, 'item ficou', 'itens ficaram')} de fora. "
                         "Para uma lista maior, digite *atendente*.")
            break
        state["items"].append(_item(p, min(Decimal(qty), MAX_QTY)))
    if not state["items"]:
        return None, None
    prompt = "O que deseja fazer? Toque em um botão ou responda *pedido*, *alterar* ou *atendente*."
    return state, Turn("\n".join(notes), buttons=QUOTE_BUTTONS, prompt=prompt, intent="quote")


def _item(p: Product, qty: Decimal) -> dict:
    return {"sku": p.sku, "name": p.name, "qty": f"{qty.normalize():f}"}


def _packs_counted(message: str) -> str:
    """"põe 1 fardo de água 500ml, o de 12": the packs as the units they hold (lists.packs)."""
    words = vocab.load()
    # "aumenta o leite pra uma caixa de 12": the new amount is what one pack holds
    message = re.sub(rf"\b(pra|para)\s+(?:uma|um|1)\s+(?:{'|'.join(sorted(words.packs))})\s+(?:de|com)\s+(\d{{1,3}})\b",
                     r"\1 \2", message, flags=re.IGNORECASE)
    said = text.normalize(message).split()
    counted = any(p in words.packs and k and (said[k - 1].isdigit() or said[k - 1] in NUMBER_WORDS)
                  for k, p in enumerate(said))       # not "pra fechar a caixa de 12": a pack counted
    return lists.packs(message, words) if counted else message


def _edits_of(n: str) -> list[tuple]:
    """The edits a message asks for, in order: ("clear",), ("remove", words), ("set", words, qty),
    ("add", words, qty), ("put", words, qty) (so many in all when the cart has it, else added),
    ("swap", words, words), ("each", qty), or ("bad", clause) for a clause read as none."""
    if not n:
        return []
    # "na verdade coloca 6 do jesus", "bota 6 shoyu então": a correction, the new amount
    corrected = bool(re.match(r"(?:na verdade|na real|na vdd|alias|pensando bem)\b", n) or re.search(r"\bentao$", n))
    rest_kept = _KEEP.search(n) is not None   # "na vdd quero 12 skol, o resto igual": an edit, not a new list
    n = _KEEP.sub("", _LEAD.sub("", n))       # "na verdade troca a picanha por costela, o carvão deixa"
    n = _AND_HALF.sub(lambda m: f"{Decimal(m.group(1).replace(',', '.')) + Decimal('0.5')} kg", n)
    n = _GRAMS.sub(lambda m: f"{m.group(1)} {Decimal(m.group(2)) / 1000} kg", n)     # not "o café de 500g"
    n = re.sub(r"^(?:pode|por favor|favor|ai|entao|e)\s+", "", n)
    n = re.sub(r"\s+(?:refaz a conta|refaz|recalcula|me passa o total|qto fica|quanto fica)"
               r"(?:\s+(?:pra mim|pfv|por favor|ai|entao|ae|tudo))?(?=\s+\w+$|$)", "", n)
    n = re.sub(r"\s+(?:por favor|pfv|pf|entao)$", "", n)
    if _NOT_THAT.search(n):      # "na verdade é 3 kg de carne, não 2": the amount put right
        n = re.sub(r"^(?:(?:e|eh|sao|foi|era)\s+)?(?=\d)", "faz ", _NOT_THAT.sub("", n))
    clauses = [c for c in SPLIT.split(n) if c]
    out = []
    kept = None         # "só a cajuína mesmo": the item the next clause's bare amount is of
    for c in clauses:
        c = re.sub(r"^(?:pode|tambem|e)\s+", "", c).strip()
        if _INSTEAD.search(c):          # "coloca 6 de arroz em vez de 5": 6 in all, not 6 more
            c = re.sub(r"^(?:coloca|poe|bota|manda|adiciona|acrescenta)\b", "faz", c)
        c = _WHERE_SAID.sub("", " " + c).strip()
        if not c:
            continue          # "..., msm quantidade": how the change before it goes
        if _OUT_AGAIN.match(c) and out and out[-1][0] == "remove":
            continue          # "o carvão eu já tenho, pode deixar de fora"
        # "só a cajuína mesmo, só que 12", "dobra o leite, põe 12": the amount of the item just said
        if (m := R_AMOUNT_ONLY.match(c)) and kept:
            out.append(("set", kept, m.group(1)))
            kept = None
            continue
        if m and out and out[-1][0] in ("double", "set", "add", "put", "less", "bad"):
            # "o arroz, coloca 6", "em vez de 3 coco, põe 12" too
            item = re.sub(rf"^(?:(?:em vez|ao inves|no lugar) d[eoa]s?\s+)?(?:(?:{V_SET})\s+)?(?:{_NUM}\s+)?{_ART}", "",
                          out[-1][1])
            out[-1] = ("set", _name(item), m.group(1))
            continue
        if m and out and out[-1][0] == "swap":
            out.append(("set", out[-1][2], m.group(1)))      # "o arroz é o de 1kg, 5 pacotes": of the new one
            continue
        if m := R_SET_TO_CONTAINER.match(c):
            # "troca pra 12 latinhas": the item that comes in that container, to that many
            out.append(("set", _container_kind(m.group(2)), m.group(1)))
            continue
        if (m := R_SET_ELLIPTIC.match(c)) and out and out[-1][0] == "set" and not R_SET_AFTER.match(c):
            out.append(("set", _name(m.group(1)), m.group(2)))      # "muda o café pra 20 e o açúcar pra 10"
            continue
        if (m := R_WANT.match(c)) and (out or corrected or rest_kept):
            out.append(("set", _name(m.group(2)), m.group(1)))     # "tira as coca, quero 7 guaraná então"
            continue
        if m := R_KEEP.match(c):
            kept = _name(m.group(1))
            continue
        if R_CLEAR.match(c):
            out.append(("clear",))
        elif m := R_WITHOUT.match(c):
            out.append(("remove", _name(next(g for g in m.groups() if g))))
        elif R_DOUBLE_ALL.match(c):
            out.append(("double_all",))
        elif m := R_EACH.match(c):
            out.append(("each", m.group(1)))
        elif m := R_DOUBLE.match(c):
            out.append(("double", _name(m.group(1))))
        elif (m := R_SWAP_TOLD.match(c)) and not R_SWAP.match(c):
            out.append(("swap", _name(m.group(1)), _name(m.group(2))))     # "a picanha tá cara, troca por cupim"
        elif m := R_SWAP.match(c):
            old, new = _name(re.sub(rf"^{_NUM}\s+", "", m.group(1))), _name(re.sub(r"^mais\s+", "", m.group(2)))
            if re.match(r"(?:de|do|da)\s", new):
                new = f"{old.split()[0]} {new}"       # "troca a cuca de uva pela de banana"
            out.append(("swap", old, new))
        elif (m := R_INSTEAD.match(c)) and (only := R_AMOUNT_ONLY.match(m.group(2))):
            # "em vez de 3 coco põe 12": the same item, another amount
            out.append(("set", _name(re.sub(rf"^{_NUM}\s+", "", m.group(1))), only.group(1)))
        elif m := R_INSTEAD.match(c):
            out.append(("swap", _name(re.sub(rf"^{_NUM}\s+", "", m.group(1))), _name(m.group(2))))
        elif m := R_ONLY.match(c):
            out.append(("set", _name(m.group(2)), m.group(1)))
        elif m := R_SET_FIRST.match(c):
            out.append(("set", _name(m.group(2)), m.group(1)))
        elif m := R_ADD_AFTER.match(c):
            out.append(("add", _name(m.group(1)), m.group(2)))
        elif m := R_SET_AFTER.match(c):
            out.append(("set", _name(m.group(1)), m.group(2)))
        elif m := R_OUT_AFTER.match(c):
            out.append(("remove", _name(m.group(1))))
        elif m := R_SET.match(c):
            out.append(("set", m.group(1), m.group(2)))
        elif (m := R_ADD.match(c)) and not re.search(r"\bmais\b", c) and (corrected and len(clauses) == 1
                                                                         or _N_OF.match(c)):
            # "na vdd coloca 6 do jesus": a correction, the new amount; "põe 8 de arroz": so many of it;
            # "na vdd põe 6 águas e 2 guaraná": each
            first, *more = _AND_NUM.split(m.group(2))
            out.append(("set", _name(re.sub(r"^(?:do|da|dos|das)\s+", "", first)), m.group(1)))
            out += [("set", _name(a.group(2)), a.group(1)) for x in more if (a := R_ADD.match("poe " + x))]
        elif (m := R_ADD.match(c)) and (was := _INSTEAD_OF.search(m.group(2)) or _IN_ALL.search(m.group(2))):
            # "põe 2 licor em vez de 1", "bota 20 flocão no total": the new amount of an item the cart has
            out.append(("set", _name(m.group(2)[:was.start()]), m.group(1)))
        elif m := R_ADD.match(c):
            # "põe mais 1 kg de alcatra e 3 kg de linguiça": each amount is an add; "põe 12 leite" (no "mais")
            # is 12 in all of goods the cart has, 12 more of goods it lacks ("put")
            first, *more = _AND_NUM.split(m.group(2))
            put = not re.search(r"\bmais\b", c) and re.match(r"(?:poe|bota|coloca)\s", c) is not None and not more
            out.append(("put" if put else "add", _name(first), m.group(1)))
            out += [("add", a.group(2), a.group(1)) for x in more
                    if (a := R_ADD.match("mais " + re.sub(r"^(\d+(?:[.,]\d+)?)(kg|g)\b", r"\1 \2", x)))]
        elif (m := R_IS.match(c)) and out == [] and len(clauses) <= 3:
            out.append(("set", m.group(1), m.group(2)))
        elif (m := R_IS_OTHER.match(c)) and not re.match(rf"(?:so\s+)?{_NUM}\b", m.group(2)):
            kind = re.sub(r"\b(?:o|a|os|as)\b", " ", m.group(2))
            out.append(("swap", _name(m.group(1)), " ".join(f"{m.group(1)} {kind}".split())))
        elif m := R_LESS.match(c):
            out.append(("less", _name(m.group(2)), m.group(1)))
        elif m := R_REMOVE.match(c):
            if _has(m.group(1), "loja", "na loja"):      # "retirar na loja" is pickup, not an edit
                return []
            out.append(("remove", _name(m.group(1))))
        else:
            out.append(("bad", c))
    return out if any(e[0] != "bad" for e in out) else []


def _name(words: str) -> str:
    """An item's name without the reason or purpose said after it."""
    words = _INSTEAD_OF.sub("", words)        # "faz 6 omo em vez de 5": the old amount is no name
    name = re.sub(r"\s+(?:e|sao|fica|ficam)$", "", _NAME_END.sub("", words).strip())   # "o polvilho é só 1"
    return name or words


def read_qty(raw: str) -> tuple[Decimal | None, str | None]:
    """A quantity the customer wrote, or why it cannot be one."""
    raw = raw.strip()
    if raw in NUMBER_WORDS:
        return Decimal(NUMBER_WORDS[raw]), None
    if "^" in raw or re.search(r"\de\d", raw):
        return None, f"{raw} é grande demais: cada produto vai até {MAX_QTY} unidades."
    try:
        q = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        return None, f"não entendi a quantidade “{raw}”."
    if q < 0:
        return None, f"a quantidade não pode ser negativa ({raw}). Para tirar um item, escreva _tira o …_."
    if q == 0:
        return None, "quantidade 0: para tirar um item do carrinho, escreva _tira o …_."
    if q > MAX_QTY:
        return None, f"{raw} é grande demais: cada produto vai até {MAX_QTY} unidades."
    return q, None


def _name_words(words: str) -> list[str]:
    return [text.stem(w) for w in words.split()
            if w not in NOT_NAME and w not in text.STOPWORDS and not w[0].isdigit()]


def _product_words(it: dict, p: Product | None, brand: bool = True) -> set[str]:
    names = [it["name"]] + (list(p.aliases) + ([p.brand] if brand else []) if p else [])
    return {text.stem(w) for n in names for w in norm(n).split()}


def _in_cart(state: dict, words: str, shop) -> list[int]:
    """The cart's items the words name: by their names first, by their brands only when no name has them
    ("2 de açaí" is not the cupuaçu pulp of the brand "Açaí do Rio Branco")."""
    want = _name_words(words)
    if not want:
        return []
    for brand in (False, True):
        found = []
        for i, it in enumerate(state["items"]):
            have = _product_words(it, shop.product(it["sku"]), brand)
            if all(w in have or difflib.get_close_matches(w, have, 1, 0.85) for w in want):
                found.append(i)
        if found and brand and any(set(want) <= _product_words({"name": p.name}, p, False)
                                   for p in shop.find(words)):
            return []          # a product of the catalog has the words in its name: that one, not the brand's
        heads = [i for i in found if _name_words(norm(state["items"][i]["name"]))[:1] == want[:1]]
        if len(found) > 1 and len(heads) == 1:
            return heads       # "o queijo é só 1 kg" beside "Pamonha de Sal com Queijo": the one named so
        if len(found) > 1 and len(clear := shop.find(words)) == 1:
            named = [i for i in found if state["items"][i]["sku"] == clear[0].sku]
            if len(named) == 1:
                return named   # "mais 4 leite" beside the milk powder: the one "leite" alone names, as in the quote
        if found:
            return found
    return []


def _valid(p: Product, qty: Decimal) -> str | None:
    if not quote.sold_by_kg(p) and qty != qty.to_integral_value():
        return f"{p.name} é vendido por unidade: escreva um número inteiro."
    return None


def _apply(state: dict, edits: list[tuple], shop) -> list[str]:
    notes = []
    for e in edits:
        notes.append(_apply_one(state, e, shop))
        if state.get("ask"):
            break              # a question first; the rest waits
    return [x for x in notes if x]


def _apply_one(state: dict, e: tuple, shop, chosen: str | None = None) -> str | None:
    kind = e[0]
    items = state["items"]
    if kind == "bad":
        return f"❓ Não entendi “{e[1]}”. " + EDIT_HELP
    if kind == "clear":
        items.clear()
        return "🗑️ Tirei tudo do carrinho."
    if kind == "double_all":         # "dobra tudo"
        notes = [_set(items, i, Decimal(it["qty"]) * 2, shop) for i, it in enumerate(list(items))]
        return "\n".join(n for n in notes if n)
    if kind == "each":               # "bota 12 de cada"
        qty, why = read_qty(e[1])
        if why:
            return f"❓ {why[0].upper() + why[1:]}"
        notes = [_set(items, i, qty, shop) for i in range(len(items))]
        return "\n".join(n for n in notes if n)
    catalog = len(e) > 3 and e[3] == "catalog"
    idx = [] if catalog else [i for i, it in enumerate(items) if it["sku"] == chosen] if chosen else \
        _in_cart(state, e[1], shop)
    if len(idx) > 1:
        state["ask"] = {"edit": list(e), "options": [items[i]["sku"] for i in idx],
                        "names": [items[i]["name"] for i in idx]}
        return _choice_question(e[1], [items[i]["name"] for i in idx])
    if idx:
        i = idx[0]
        if kind == "double":
            return _set(items, i, Decimal(items[i]["qty"]) * 2, shop)
        if kind == "remove":
            gone = items.pop(i)
            return f"🗑️ Tirei {gone['name']}."
        if kind == "swap":          # the new product from the catalog, same quantity
            return _swap(state, i, e[2], shop)
        qty, why = read_qty(e[2])
        if why:
            return f"❓ {items[i]['name']}: {why}"
        if kind == "less":
            left = Decimal(items[i]["qty"]) - qty
            if left <= 0:
                return f"🗑️ Tirei {items.pop(i)['name']}."
            return _set(items, i, left, shop)
        return _set(items, i, Decimal(items[i]["qty"]) + qty if kind == "add" else qty, shop)     # "put": in all
    if kind in ("remove", "swap", "less", "double"):
        return f"❓ Não achei “{e[1]}” no seu carrinho."
    # set or add a product not in the cart: from the catalog (or the choice made for it)
    qty, why = read_qty(e[2])
    if why:
        return f"❓ {why[0].upper() + why[1:]}"
    if chosen:
        p = shop.product(chosen)
    else:
        found = shop.find(e[1])
        if not found:
            return f"❓ Não encontrei “{e[1]}” no catálogo. Pode escrever de outro jeito?"
        if len(found) > 1:
            state["ask"] = {"edit": [kind, e[1], e[2], "catalog"], "options": [p.sku for p in found[:5]],
                            "names": [p.name for p in found[:5]]}
            return _choice_question(e[1], [p.name for p in found[:5]])
        p = found[0]
    if p is None:
        return "❓ Esse produto não está mais à venda."
    bad = _valid(p, qty)
    if bad:
        return f"❓ {bad}"
    same = next((k for k, it in enumerate(items) if it["sku"] == p.sku), None)
    if same is not None:      # the goods already in the cart, named another way ("troca pra 12 latinhas"): one line
        return _set(items, same, Decimal(items[same]["qty"]) + qty if kind == "add" else qty, shop)
    if len(items) >= MAX_ITEMS:
        return f"❓ O carrinho guarda até {MAX_ITEMS} produtos diferentes; para mais, digite *atendente*."
    items.append(_item(p, qty))
    return f"➕ Coloquei {quote.qty_text(qty, p)} {p.name}."


def _set(items: list, i: int, qty: Decimal, shop) -> str:
    it = items[i]
    p = shop.product(it["sku"])
    if p is None:
        items.pop(i)
        return f"⚠️ {it['name']} não está mais à venda; tirei do carrinho."
    if qty > MAX_QTY:
        return f"❓ {it['name']}: cada produto vai até {MAX_QTY} unidades."
    bad = _valid(p, qty)
    if bad:
        return f"❓ {bad}"
    it["qty"] = f"{qty.normalize():f}"
    return f"✏️ {p.name}: agora {quote.qty_text(qty, p)}."


def _container_kind(word: str) -> str:
    """The container a word names, by its stem and not its diminutive: "latinhas" is a "lata"."""
    kind = text.stem(word)
    return next(iter(text.diminished(kind)), kind)


def _swap(state: dict, i: int, words: str, shop, chosen: str | None = None) -> str:
    """"troca o café pelo pilão" keeps the quantity; "troca as coca 2l por 12 coca lata" takes the new one."""
    items = state["items"]
    old = items[i]
    m = _QTY_ONLY.match(words) or _QTY_FIRST.match(words)
    if m and m.re is _QTY_FIRST and any(m.group(1) in text.normalize(f"{p.name} {p.brand}").split()
                                        for p in shop.find(words)):
        m = None           # "troca o café pelo 3 corações": a number of the new goods' name, no amount
    new_qty = read_qty(m.group(1))[0] if m else None
    if new_qty is not None and m.re is _QTY_ONLY:        # "troca o papel por 2 pacotes": the amount only
        return _set(items, i, new_qty, shop)
    if new_qty is not None:
        container = re.match(rf"{_NUM}\s*({_CONTAINER})\b", words)     # "12 latinha de coca": the can first
        words = m.group(2)
        if container:
            kind = _container_kind(container.group(1))
            words = f"{words} {kind}" if [p for p in shop.find(f"{words} {kind}") if p.sku != old["sku"]] else words
    if chosen:
        p = shop.product(chosen)
    else:
        found = [p for p in shop.find(words) if p.sku != old["sku"]]
        was = shop.product(old["sku"])
        alike = [p for p in found if was is not None and p.category == was.category]
        same = [p for p in alike if p.name == was.name]   # "troca o 3 corações pelo serra do periperi": its 500g
        # "troca o camarão fresco pelo salgado": the salted shrimp, of the goods' own kind
        kin = [p for p in found if was is not None and norm(p.name).split()[:1] == norm(was.name).split()[:1]]
        found = alike if len(alike) == 1 else same if len(same) == 1 else kin if len(kin) == 1 else found
        if not found:
            return f"❓ Não encontrei “{words}” no catálogo para trocar por {old['name']}."
        if len(found) > 1:
            state["ask"] = {"edit": ["swap_to", old["sku"], words], "options": [p.sku for p in found[:5]],
                            "names": [p.name for p in found[:5]]}
            return _choice_question(words, [p.name for p in found[:5]])
        p = found[0]
    if p is None:
        return "❓ Esse produto não está mais à venda."
    qty = new_qty if new_qty is not None else Decimal(old["qty"])
    if not quote.sold_by_kg(p) and qty != qty.to_integral_value():
        qty = max(qty.to_integral_value(), Decimal(1))
    there = next((k for k, it in enumerate(items) if it["sku"] == p.sku and k != i), None)
    if there is not None:          # "troca as 2 coca por mais 2 dolly" when the dolly is in the cart: one line
        items[there]["qty"] = f"{(Decimal(items[there]['qty']) + qty).normalize():f}"
        items.pop(i)
    else:
        items[i] = _item(p, qty)
    was = shop.product(old["sku"])
    if p.name == old["name"] and was is not None:       # the same goods of another brand: say the brands
        return f"🔁 Troquei {old['name']} {was.brand} por {p.name} {p.brand}."
    return f"🔁 Troquei {old['name']} por {p.name}."


def _choice_question(words: str, names: list[str]) -> str:
    opts = "\n".join(f"{k}. {name}" for k, name in enumerate(names, 1))
    return f"❓ “{words}”: qual deles?\n{opts}\nResponda com o número."


def _answer_ask(state: dict, n: str, shop) -> list[str] | None:
    ask = state["ask"]
    pick = None
    m = re.fullmatch(r"(?:o |a |numero |opcao )?(\d{1,2})", n)
    if m and 1 <= int(m.group(1)) <= len(ask["options"]):
        pick = ask["options"][int(m.group(1)) - 1]
    else:
        want = _name_words(n)
        hits = [sku for sku, name in zip(ask["options"], ask["names"])
                if want and all(w in {text.stem(x) for x in norm(name).split()} for w in want)]
        if len(hits) == 1:
            pick = hits[0]
    state["ask"] = None
    if pick is None:
        return None
    e = ask["edit"]
    if e[0] == "swap_to":
        idx = [i for i, it in enumerate(state["items"]) if it["sku"] == e[1]]
        return [_swap(state, idx[0], e[2], shop, chosen=pick)] if idx else []
    if e[0] == "swap":
        idx = [i for i, it in enumerate(state["items"]) if it["sku"] == pick]
        return [_swap(state, idx[0], e[2], shop)]
    return [_apply_one(state, tuple(e), shop, chosen=pick)]


def _after_edit(state: dict, notes: list[str], shop) -> tuple[dict | None, Turn]:
    if state.get("ask"):
        return state, Turn("\n".join(notes), intent="order_question")
    if not state["items"]:
        return None, Turn("\n".join(notes + ["Seu carrinho ficou vazio. Quando quiser, mande uma nova lista."]),
                          intent="order_edit")
    lines, _ = priced(state, shop)
    body = "\n".join(notes + [""] + cart_text(lines, state, shop.facts))
    if state["stage"] == "cart":
        return state, Turn(body, buttons=QUOTE_BUTTONS,
                           prompt="Quer fazer o pedido? Responda *pedido*, *alterar* ou *atendente*.",
                           intent="order_edit")
    if state["stage"] == "confirm":
        state["stage"] = "checkout"
    st, turn = _next(state, shop, None)
    turn.text = body + ("\n\n" + turn.text if turn.text else "")
    turn.intent = "order_edit"
    return st, turn


# -- the checkout's questions ----------------------------------------------------------

def _absorb(state: dict, n: str, msg: Message, shop, stage_answer: bool):
    """Take from the message whatever the checkout still needs. None: nothing in it is for the
    checkout (a question about something else); a Turn: the answer was wrong, say why."""
    facts = shop.facts
    took = False
    pending = _pending(state, shop)
    waiting = pending[0] if pending else None
    if msg.location is not None:
        state["fulfilment"] = "delivery"
        return _take_pin(state, msg.location, shop)
    asks = bool(QUESTION.search(n)) and "?" in (msg.text or "")
    if _has(n, *PICKUP) and not _has(n, "nao vou retirar", "nao posso retirar"):
        state["fulfilment"] = "pickup"
        took = True
    elif _has(n, *DELIVERY) and not (asks and waiting != "fulfilment" and state.get("fulfilment")):
        state["fulfilment"] = "delivery"
        took = True
    addr = read_address(msg.text, facts.delivery.get("areas", []))
    if addr["street"] or addr["area"] or (waiting == "address" and addr["place"] and not asks):
        if state.get("fulfilment") in (None, "delivery"):
            bad = _take_address(state, addr, facts)
            if bad is not None:
                return bad
            took = True
    elif waiting == "address" and stage_answer and not asks and not took:
        return Turn("Não entendi o endereço. Escreva a rua, o número e o bairro (ex.: _Rua das Flores, 120, "
                    f"{(facts.delivery.get('areas') or ['Centro'])[0]}_), ou envie sua localização pelo 📎.",
                    intent="order_address")
    pay = read_payment(n, facts.payment.get("methods", []))
    if pay is not None:
        kind, value = pay
        if kind == "ok":
            state["payment"] = value
            state["change_for"] = None
            took = True
        elif kind == "which":
            return Turn(f"No cartão: {fmt.join(value, 'ou')}?", intent="order_payment")
        else:
            return Turn(f"Não aceitamos {value}. Formas de pagamento aceitas: "
                        f"{fmt.join(facts.payment.get('methods', []), 'e')}. Qual prefere?", intent="order_payment")
    if waiting == "change" and not took:
        return _take_change(state, n, shop)
    if waiting == "fulfilment" and not took and stage_answer and not asks and _has(n, "sim", "pode", "ok", "tudo bem"):
        if not facts.delivery.get("available", True):
            state["fulfilment"] = "pickup"            # "Não fazemos entrega ... Tudo bem?" "sim"
            took = True
        else:
            return Turn(pending[1], intent="order_fulfilment")
    if took:
        return True
    if stage_answer and waiting == "payment" and not asks and n and not re.search(r"\d", n):
        # (a message with numbers is likely a new list: the pipeline prices it and it becomes the cart)
        return Turn(f"Não entendi a forma de pagamento. Aceitamos: {fmt.join(facts.payment.get('methods', []))}. "
                    "Qual prefere?", intent="order_payment")
    return None


def _take_pin(state: dict, pin: tuple[float, float], shop):
    s, d = shop.facts.store, shop.facts.delivery
    if s.get("lat") is None or s.get("lon") is None or not d.get("max_km"):
        return Turn("Recebi sua localização 📍, mas preciso do endereço escrito para a entrega: a rua, o número "
                    "e o bairro.", intent="order_address")
    km = distance_km(s["lat"], s["lon"], pin[0], pin[1])      # the one haversine (knowledge.py)
    if km > d["max_km"]:
        return Turn(f"Sua localização fica a {_km(km)} da loja, e entregamos até {_km(d['max_km'])}. 😕 "
                    f"Você pode retirar na loja ({s.get('address', '')}): responda *retirar*, ou mande outro "
                    "endereço.", intent="order_outside_area")
    state.update(pin=[round(pin[0], 6), round(pin[1], 6)], address=f"Localização enviada ({_km(km)} da loja)",
                 area=None)
    return True


def _take_address(state: dict, addr: dict, facts):
    d = facts.delivery
    areas = d.get("areas", [])
    if addr["area"] is None and addr["place"]:
        state["address"] = None
        return Turn(f"Infelizmente não entregamos em {addr['place']}. 😕 Entregamos em: {fmt.join(areas)}. "
                    f"Você pode retirar na loja ({facts.store.get('address', '')}): responda *retirar*, "
                    "ou mande outro endereço.", intent="order_outside_area")
    if addr["area"]:
        state["area"] = addr["area"]
    if addr["street"]:
        state["street"] = addr["street"]
    street, area = state.get("street"), state.get("area")
    if street and not addr["number"] and not re.search(r"\d|s n|sem numero", norm(street)):
        state["street"] = None
        return Turn(f"Faltou o número em “{street}”. Qual é a rua e o número?"
                    + ("" if area else " E o bairro?"), intent="order_address")
    if street and area:
        state["address"] = f"{street}, {area}"
    return None


def _take_change(state: dict, n: str, shop):
    lines, _ = priced(state, shop)
    total = totals(lines, state, shop.facts)[2]
    if _has(n, *NO_CHANGE):
        state["change_for"] = "none"
        return True
    m = re.search(r"(-?\d{1,3}(?:\.\d{3})*(?:,\d{1,2})?|-?\d+(?:[.,]\d{1,2})?)", n)
    if not m:
        return Turn(f"Troco para quanto? O total é {fmt.money(total)}. Se não precisar, responda *sem troco*.",
                    intent="order_change")
    raw = m.group(1)
    value = Decimal(raw.replace(".", "").replace(",", ".")) if "," in raw else Decimal(raw)
    if value < total:
        return Turn(f"Troco para {fmt.money(value)} não dá: o total é {fmt.money(total)}. Troco para quanto?",
                    intent="order_change")
    if value > total + 1000:
        return Turn(f"Troco para {fmt.money(value)}? Nosso troco vai até {fmt.money(total + 1000)}. "
                    "Troco para quanto?", intent="order_change")
    state["change_for"] = f"{value:.2f}"
    return True


def _pending(state: dict, shop) -> tuple[str, str] | None:
    """What the checkout asks next: (what, question); None when it has everything."""
    facts = shop.facts
    d = facts.delivery
    if state.get("fulfilment") is None:
        if not d.get("available", True):
            return "fulfilment", ("Não fazemos entrega; o pedido é para *retirar na loja*. Tudo bem? "
                                  "Responda *retirar*.")
        return "fulfilment", "É para *entrega* ou para *retirar na loja*?"
    if state["fulfilment"] == "delivery":
        if not d.get("available", True):
            return "fulfilment", ("Não fazemos entrega. 😕 Você pode retirar na loja "
                                  f"({facts.store.get('address', '')})"
                                  ": responda *retirar*.")
        lines, _ = priced(state, shop)
        sub = sum((ln.total for ln in lines), Decimal(0))
        minimum = quote.dec(d.get("min_order") or 0)
        if sub < minimum:
            return "fulfilment", (f"O pedido mínimo para entrega é {fmt.money(minimum)}; seu carrinho está em "
                                  f"{fmt.money(sub)} (faltam {fmt.money(minimum - sub)}). Você pode colocar mais "
                                  "itens (ex.: _coloca 2 arroz_) ou *retirar na loja*.")
        if not state.get("address"):
            if state.get("area") and not state.get("street"):
                return "address", f"Em {state['area']}, qual é a rua e o número?"
            if state.get("street"):
                return "address", f"Qual é o bairro de “{state['street']}”?"
            return "address", ("Qual o endereço de entrega? Escreva a rua, o número e o bairro, ou envie sua "
                               "localização pelo 📎.")
    if not state.get("payment"):
        return "payment", f"Como vai pagar? Aceitamos: {fmt.join(facts.payment.get('methods', []))}."
    if "dinheiro" in norm(state["payment"]) and state.get("change_for") is None:
        lines, _ = priced(state, shop)
        total = totals(lines, state, facts)[2]
        return "change", f"Troco para quanto? O total é {fmt.money(total)}. Se não precisar, responda *sem troco*."
    return None


def _next(state: dict, shop, now) -> tuple[dict, Turn]:
    pending = _pending(state, shop)
    if pending is not None:
        state["stage"] = "checkout"
        return state, Turn(pending[1], intent=f"order_{pending[0]}")
    state["stage"] = "confirm"
    return state, Turn("\n".join(summary_text(state, shop)), buttons=SUMMARY_BUTTONS,
                       prompt="Está tudo certo? Responda *confirmar*, *alterar* ou *cancelar*.",
                       intent="order_summary")


def _confirm(state: dict, shop, now: float) -> tuple[dict | None, Turn]:
    lines, gone = priced(state, shop)
    if gone:
        state["items"] = [it for it in state["items"] if it["name"] not in gone]
        note = f"⚠️ {fmt.join(gone)} não {'está' if len(gone) == 1 else 'estão'} mais à venda; tirei do carrinho."
        if not state["items"]:
            return None, Turn(note + " Seu carrinho ficou vazio; mande uma nova lista quando quiser.",
                              intent="order_item_gone")
        st, turn = _next(state, shop, now)
        turn.text = note + "\n\n" + turn.text
        turn.intent = "order_item_gone"
        return st, turn
    pending = _pending(state, shop)
    if pending is not None:
        state["stage"] = "checkout"
        return state, Turn(pending[1], intent=f"order_{pending[0]}")
    state["stage"] = "placed"
    return state, Turn("", action="place", intent="order_placed")


def placed(state: dict, number: int, shop, now: float) -> Turn:
    """The confirmation once the order is recorded as ``number``; the Pix code in a message of its own."""
    lines, _ = priced(state, shop)
    sub, fee, total = totals(lines, state, shop.facts)
    facts = shop.facts
    out = [f"✅ *Pedido {number_text(number)}* recebido! Total: *{fmt.money(total)}*."]
    if state["fulfilment"] == "delivery":
        out.append(f"🚚 Entrega em: {state['address']}.")
        if facts.delivery.get("lead_time"):
            out.append(f"⏱️ {facts.delivery['lead_time']}")
    else:
        out.append(f"🏪 Retirada na loja: {facts.store.get('address', '')}. Avisamos aqui quando estiver pronto.")
    closed = opening(facts.hours, shop.zone, now)
    if closed:
        out.append(f"🕐 Estamos fechados agora: seu pedido será atendido quando abrirmos, {closed}.")
    out.append("Você recebe aqui cada passo do pedido. Para saber dele, pergunte _cadê meu pedido?_")
    follow = []
    pay = facts.payment
    if "pix" in norm(state["payment"]):
        if pay.get("pix_key"):
            out.append(f"💠 Para pagar com Pix, copie o código da próxima mensagem (Pix copia e cola) no app do seu "
                       f"banco. Valor: {fmt.money(total)}.")
            from . import brcode
            follow.append(brcode.payload(pay["pix_key"], pay.get("pix_name") or facts.store.get("name", ""),
                                         pay.get("pix_city") or facts.store.get("city", ""), total,
                                         number_text(number)))
        else:
            out.append("💠 O Pix é feito na " + ("entrega." if state["fulfilment"] == "delivery" else "retirada."))
    return Turn("\n".join(out), follow_up=follow, intent="order_placed")


# -- texts -----------------------------------------------------------------------

def number_text(number: int) -> str:
    return f"{number:04d}"


def cart_text(lines: list[quote.Line], state: dict, facts) -> list[str]:
    out = ["🛒 *Seu carrinho:*"] + [quote.line_text(ln) for ln in lines]
    for ln in lines:
        if ln.unlock:
            q, price = ln.unlock
            each = "o kg" if quote.sold_by_kg(ln.product) else "cada"
            out.append(f"💡 {ln.product.name}: levando {q.normalize():f}, sai {fmt.money(price)} {each}.")
    out.append(f"💰 *Total: {fmt.money(sum((ln.total for ln in lines), Decimal(0)))}*")
    return out


def summary_text(state: dict, shop) -> list[str]:
    facts = shop.facts
    lines, _ = priced(state, shop)
    sub, fee, total = totals(lines, state, facts)
    out = ["📋 *Resumo do pedido*"] + [quote.line_text(ln) for ln in lines]
    out.append(f"Subtotal: {fmt.money(sub)}")
    if state["fulfilment"] == "delivery":
        out.append(f"Entrega: {fmt.money(fee)}" if fee else "Entrega: grátis 🎉")
        out.append(f"📍 Entregar em: {state['address']}")
    else:
        out.append(f"🏪 Retirar na loja: {facts.store.get('address', '')}")
    out.append(f"💰 *Total: {fmt.money(total)}*")
    out.append(f"💳 Pagamento: {payment_text(state)}")
    return out


def payment_text(state: dict) -> str:
    pay = state.get("payment") or ""
    change = state.get("change_for")
    if change and change != "none":
        return f"{pay} (troco para {fmt.money(Decimal(change))})"
    if change == "none":
        return f"{pay} (sem troco)"
    return pay


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _km(km: float) -> str:
    return f"{km:.1f} km".replace(".", ",")


# -- reading addresses and payment ---------------------------------------------------

def match_area(words: str, areas: list[str]) -> str | None:
    """The delivery area a piece of text names: accents, case and small misspellings forgiven."""
    n = norm(words)
    toks = n.split()
    by_norm = {norm(a): a for a in areas}
    for an, a in by_norm.items():
        if _has(n, an):
            return a
    for size in (3, 2, 1):
        for i in range(len(toks) - size + 1):
            gram = " ".join(toks[i:i + size])
            if len(gram) < 4:
                continue
            close = difflib.get_close_matches(gram, list(by_norm), 1, 0.82)
            if close and abs(len(close[0]) - len(gram)) <= 2:
                return by_norm[close[0]]
    return None


def read_address(raw: str, areas: list[str]) -> dict:
    """{"street": "Rua das Flores, 120" | None, "number": bool, "area": a delivery area | None,
    "place": a neighbourhood named that is not an area | None}."""
    out = {"street": None, "number": False, "area": None, "place": None}
    pieces = [p.strip() for p in re.split(r",|;| - |\n", raw or "") if p.strip()]
    for piece in pieces:
        n = norm(piece)
        n = PLACE_LEAD.sub("", n) if not n.startswith(STREET) else n
        toks = n.split()
        if not toks:
            continue
        street_at = next((i for i, t in enumerate(toks) if t in STREET and i + 1 < len(toks)), None)
        if street_at is not None:
            st_toks = toks[street_at:]
            number_in = next((i for i, t in enumerate(st_toks) if re.fullmatch(r"\d+[a-z]?", t)), None)
            area_tail = match_area(" ".join(st_toks[number_in + 1:]), areas) if number_in is not None else None
            if number_in is not None and area_tail:
                st_toks = st_toks[:number_in + 1]
                out["area"] = area_tail
            out["street"] = _title(" ".join(st_toks[:number_in] if number_in else st_toks))
            if number_in:
                out["street"] += ", " + " ".join(st_toks[number_in:])
            out["number"] = number_in is not None or _has(n, "s n", "sem numero")
            continue
        if re.fullmatch(r"(?:n|no|numero)?\s*\d+[a-z]?", n):
            if out["street"]:
                out["street"] += f", {n.split()[-1]}"
                out["number"] = True
            continue
        a = match_area(n, areas)
        if a:
            out["area"] = a
        elif 1 <= len(toks) <= 4 and not re.search(r"\d", n) and not _is_talk(n) and len(pieces) > 1 \
                or re.match(r"^(?:moro|fico|bairro)\b", norm(piece)):
            out["place"] = _title(PLACE_LEAD.sub("", n)) or out["place"]
    return out


def _is_talk(n: str) -> bool:
    """A piece of a message that is talk, not a place ("pode entregar", "vou pagar no pix")."""
    return _has(n, *DELIVERY, *PICKUP, *CONFIRM, "pagar", "pix", "dinheiro", "cartao", "quero", "obrigado",
                "por favor", "pedido", "troco")


def _title(s: str) -> str:
    small = {"de", "da", "do", "das", "dos", "e"}
    return " ".join(w if w in small else w[:1].upper() + w[1:] for w in s.split())


def read_payment(n: str, methods: list[str]) -> tuple[str, object] | None:
    """("ok", the store's method) | ("which", [methods]) for "cartão" with several | ("no", what) | None."""
    words = set(n.split())
    said = [PAY_WORDS[w] for w in n.split() if w in PAY_WORDS]
    if not said and "cartao" not in words:
        return None
    by = {m: norm(m) for m in methods}
    for key in said:
        hit = [m for m, mn in by.items() if key in mn.split() or key in mn]
        if hit:
            return "ok", hit[0]
    if "cartao" in words:
        cards = [m for m, mn in by.items() if "cartao" in mn]
        if len(cards) == 1:
            return "ok", cards[0]
        if cards:
            return "which", cards
        return "no", "cartão"
    names = {"debito": "cartão de débito", "credito": "cartão de crédito", "vale": "vale", "dinheiro": "dinheiro"}
    return "no", names.get(said[0], said[0])


# -- the store's hours -----------------------------------------------------------------

def opening(hours: dict, zone: str, now: float) -> str | None:
    """None while the store is open; otherwise when it opens next ("hoje às 7h", "amanhã (domingo) às 8h")."""
    from .. import clock
    here = dt.datetime.fromtimestamp(now, clock.store_zone(zone))
    if fmt.open_at(hours.get(fmt.day_key(here)), here):
        return None
    found = fmt.next_open(hours, here)
    if found is not None:
        ahead, day, start = found
        when = "hoje" if ahead == 0 else "amanhã" if ahead == 1 else fmt.DAY_NAMES[fmt.day_key(day)]
        when = f"{when} ({fmt.DAY_NAMES[fmt.day_key(day)]})" if ahead == 1 else when
        return f"{when} às {fmt.clock_time(start)}"
    return "no próximo dia de funcionamento"


# -- following an order --------------------------------------------------------------

STATUS_TEXT = {
    "new": "foi recebido e aguarda a confirmação da loja",
    "confirmed": "foi confirmado pela loja",
    "picking": "está sendo separado",
    "out_for_delivery": "saiu para entrega 🚚",
    "ready_for_pickup": "está pronto para retirar na loja 🏪",
    "delivered": "foi entregue ✅",
    "cancelled": "foi cancelado",
}


def status_text(order: dict) -> str:
    """The answer to "cadê meu pedido?" from the order's row."""
    line = f"📦 Seu *Pedido {number_text(order['number'])}* {STATUS_TEXT.get(order['status'], order['status'])}."
    if order["status"] == "cancelled" and order.get("status_reason"):
        line += f" Motivo: {order['status_reason']}."
    line += f" Total: {fmt.money(Decimal(order['total']))}."
    return line


def status_message(order: dict, facts) -> str:
    """The one message a customer gets when staff move their order."""
    n = number_text(order["number"])
    total = fmt.money(Decimal(order["total"]))
    return {
        "confirmed": f"✅ Seu *Pedido {n}* foi confirmado pela loja! Já vamos separar. Total: {total}.",
        "picking": f"🛒 Seu *Pedido {n}* está sendo separado.",
        "out_for_delivery": f"🚚 Seu *Pedido {n}* saiu para entrega! Total: {total} ({order['payment']}).",
        "ready_for_pickup": f"🏪 Seu *Pedido {n}* está pronto para retirar na loja: {facts.store.get('address', '')}. "
                            f"Total: {total} ({order['payment']}).",
        "delivered": f"📦 *Pedido {n}* entregue. Obrigado pela compra! 😊",
        "cancelled": f"❌ Seu *Pedido {n}* foi cancelado. Motivo: {order.get('status_reason') or 'não informado'}. "
                     "Se tiver alguma dúvida, digite *atendente*.",
    }[order["status"]]


def items_message(order: dict, line: dict, new_line) -> str:
    """What the customer reads when an item is missing or substituted: what changed and the new total."""
    n = number_text(order["number"])
    if new_line is None:
        what = f"⚠️ *Pedido {n}*: {line['name']} está em falta e saiu do pedido."
    else:
        what = (f"🔁 *Pedido {n}*: {line['name']} está em falta; no lugar vai "
                f"{quote.qty_text(new_line.qty, new_line.product)} {new_line.product.name} "
                f"({fmt.money(new_line.unit_price)} cada = {fmt.money(new_line.total)}).")
    fee = Decimal(order["fee"])
    tail = f" (com entrega de {fmt.money(fee)})" if fee else ""
    return f"{what}\nNovo total: *{fmt.money(Decimal(order['total']))}*{tail}. Se não concordar, digite *atendente*."
