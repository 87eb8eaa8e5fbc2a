"""The words and phrases that say what a customer wants, in normalized pt-BR
(no accents, abbreviations expanded, see text.py). Single words are stems
(text.stem) and are matched with typo tolerance; phrases are matched whole.

Kept apart from the classifier so the store's staff can read and extend them.
"""
import re

CUES: dict[str, tuple[set[str], list[str]]] = {
    # intent: ({stemmed words}, [phrases])
    "complaint": ({"reclamacao", "reclamar", "reclamo", "pessimo", "pessima", "horrivel", "absurdo",
                   "vergonha", "descaso", "estragado", "estragada", "vencido", "vencida", "podre", "procon",
                   "atrasado", "atrasada", "atrasou", "decepcionado", "decepcionada", "insatisfeito",
                   "insatisfeita", "ridiculo", "desrespeito", "enganado", "enganada", "estorno", "lixo",
                   "palhacada", "mofado", "mofada", "estragou", "bichado", "bichada", "caruncho", "mofo",
                   "quebrado", "quebrada", "amassado", "amassada", "rasgado", "defeito",
                   "resolvam", "cobrancas", "indignado", "indignada", "revoltado", "revoltada", "inaceitavel",
                   "lamentavel"},
                  ["mal atendido", "mal atendida", "fui mal", "cobraram errado", "cobrado errado",
                   "cobraram a mais", "cobranca indevida", "nunca mais", "nao chegou", "veio errado",
                   "veio errada", "veio faltando", "fora da validade", "propaganda enganosa", "reclame aqui",
                   "meu dinheiro de volta", "devolver meu dinheiro", "quero reclamar", "muito ruim",
                   "ninguem me responde", "ninguem responde", "ate agora nada", "quero uma solucao",
                   "ninguem resolve", "ninguem me atende", "ja liguei", "ninguem atende", "ninguem atendeu",
                   "faltaram", "faltou item", "faltou itens", "faltando item", "faltando itens", "deixou na chuva",
                   "largou na chuva",
                   "que leseira", "cheiro muito estranho", "tive que jogar fora", "jogar tudo fora",
                   "muito chateada", "muito chateado", "estava azedo", "estava azeda", "tava azedo", "tava azeda",
                   "veio azedo", "veio azeda", "com bicho", "tinha bicho", "cheio de bicho", "cheia de bicho",
                   "achei bicho", "bicho dentro", "bichinho dentro", "com bichinho", "tinha bichinho",
                   "passaram duas vezes", "cobraram duas vezes", "duas cobrancas", "ficou de vir",
                   "falta de respeito", "passou da validade", "nao veio", "cheiro ruim", "gosto ruim",
                   "cheiro estranho", "gosto estranho", "quero resolver", "nao deu pra usar", "nao deu para usar",
                   "veio cheia de", "veio cheio de", "veio estragad", "paguei caro e", "cobrada duas vezes",
                   "cobrado duas vezes", "cobrou duas vezes", "cobraram duas vezes", "paguei duas vezes",
                   "cobranca duplicada", "cobrado em dobro", "cobrada em dobro", "preciso que resolvam"]),
    "human_request": ({"atendente", "humano", "humana", "gerente", "operador", "operadora", "vendedor",
                       "vendedora", "supervisor", "cancelar", "cancelamento"},
                      ["falar com alguem", "falar com uma pessoa", "falar com o responsavel", "chama o responsavel",
                       "chamar o responsavel", "quem e o responsavel", "falar com pessoa", "pessoa de verdade",
                       "pessoa real", "atendimento humano", "falar com o atendimento", "me liga", "ligar para mim",
                       "falar com voces", "quero falar com", "preciso falar com", "alguem me atende",
                       "tem alguem ai", "tem alguem aqui", "tem alguem pra", "tem alguem para", "tem alguem atendendo",
                       "tem alguem online", "tem alguem que", "falar com gente", "meu pedido", "alterar o pedido",
                       "mudar o pedido"]),
    "hours": ({"horario", "hora", "abre", "abrem", "abrir", "abri", "aberto", "aberta", "abertura", "fecha",
               "fecham", "fechar", "fechado", "fechada", "funciona", "funcionam", "funcionamento", "funcionando",
               "expediente"},
              ["que hora", "ate que hora", "horario de atendimento", "estao atendendo", "esta atendendo",
               "voces ficam ate", "voces vao ate", "ficam abertos", "fica aberto", "loja fica ate"]),
    "location": ({"endereco", "localizacao", "localiza", "mapa", "maps", "telefone", "contato", "rua",
                  "referencia", "gps"},
                 ["onde fica", "onde ficam", "onde que fica", "onde e que fica", "onde que ficam", "onde voces ficam",
                  "onde e a loja", "onde e o mercado",
                  "onde voces estao", "fica onde", "ficam onde", "como chego", "como chegar", "loja fisica",
                  "qual a rua", "qual o numero", "numero de voces", "onde e", "ponto de referencia",
                  "como faco para ir", "qual o whatsapp"]),
    "delivery": ({"entrega", "entregam", "entregar", "entregador", "entregue", "delivery", "frete",
                  "motoboy", "tele"},
                 ["em casa", "levam em", "leva em", "leva ate", "levam ate", "mandam para", "manda para",
                  "levarem a compra", "levar a compra", "levarem as compras", "levar as compras", "levam para",
                  "mandarem a compra", "trazerem a compra", "mandarem as compras", "trazerem as compras",
                  "levarem a feira", "levar a feira", "mandar a feira", "trazer a feira", "entregar a feira",
                  "voces mandam", "voces levam",
                  "entregarem",
                  "mandam compra", "mandam as compras", "mandam a compra", "manda compra",
                  "levam la", "leva la", "mandam la", "trazem la", "traz la",
                  "pedido minimo", "compra minima", "valor minimo", "receber em casa", "traz em casa",
                  "trazem em casa", "levam compra", "levam as compras", "levam a compra", "ate la", "ate aqui",
                  "trazem aqui", "traz aqui", "levam pra mim", "levam aqui", "leva aqui", "entregam aqui",
                  "entregam la", "levam no", "levam na", "leva no", "leva na",
                  "trazem no", "trazem na", "mandam no", "mandam na", "atendem no", "atendem na", "atende no",
                  "mandar para", "da para mandar", "da para entregar", "da para levar",
                  "atende na", "cobram para levar", "cobra para levar", "cobram para entregar", "cobra para entregar",
                  "cobram para trazer", "cobra para trazer", "quanto e para levar", "quanto e para entregar"]),
    "payment": ({"pagamento", "pagar", "paga", "pago", "pix", "cartao", "credito", "debito", "dinheiro",
                 "especie", "vale", "ticket", "alelo", "sodexo", "boleto", "cheque", "parcela", "parcelar",
                 "parcelado", "parcelada", "parcelamento", "maquininha", "fiado", "crediario", "bandeira",
                 "visa", "mastercard", "master", "elo", "hipercard", "transferencia", "juro", "aceita",
                 "aceitam"},
                ["sem juros", "vale alimentacao", "vale refeicao", "de quantas vezes", "em quantas vezes",
                 "passa cartao", "passam cartao"]),
    "promotions": ({"promocao", "oferta", "desconto", "encarte", "liquidacao", "tabloide", "folheto",
                    "queima", "promocional", "ofertas"},
                   ["em conta", "mais barato", "black friday", "preco baixo", "precos baixos",
                    "esta barato", "saldao", "preco bom", "precos bons", "com preco bom", "precinho",
                    "preco baixado", "precos baixados", "remarcado", "remarcados"]),
    "wholesale": ({"atacado", "revenda", "revender", "revendo", "comerciante"},
                  ["caixa fechada", "pacote fechado", "em quantidade", "grande quantidade", "quantidade minima",
                   "compra muito", "compram muito", "comprar muito", "compra bastante", "comprar bastante",
                   "a partir de quanto", "a partir de quantos", "a partir de quantas", "se eu levar",
                   "se levar", "levando mais", "comprando mais", "mais barato se",
                   "preco de atacado", "no volume", "compra em quantidade", "varias unidades", "em diante",
                   "de quantos", "de quantas"]),
    "product_price": ({"preco", "valor", "custa", "custam", "custando", "vende", "vendem", "vendendo",
                       "quanto", "chegou", "chegaram"},      # "pinhão já chegou?": goods in season
                      ["quanto esta", "esta quanto", "quanto sai", "sai quanto", "sai por", "fica quanto",
                       "quanto fica", "quanto e", "e quanto", "voces tem", "tem ai", "tem o", "tem a",
                       "tem", "esta saindo", "ainda tem", "chegou"]),
    "greeting": ({"oi", "ola", "opa", "salve", "hey", "alo", "hello", "hi", "eae", "oie"},
                 ["bom dia", "boa tarde", "boa noite", "e ai", "tudo bem", "tudo bom"]),
    "thanks": ({"obrigado", "obrigada", "valeu", "agradeco", "grato", "grata", "thanks", "brigadao",
                "obrigadao", "agradecido", "agradecida"},
               ["muito obrigado", "muito obrigada", "deus abencoe"]),
    "goodbye": ({"tchau", "falou", "adeus", "beijo", "abraco", "xau", "tchauzinho"},
                ["ate mais", "ate logo", "ate amanha", "ate a proxima", "ate breve", "boa semana",
                 "bom fim de semana"]),
    "acknowledge": ({"ok", "blz", "beleza", "certo", "entendi", "combinado", "perfeito", "otimo", "show",
                     "massa", "joia", "tranquilo", "entendido"},
                    ["ta bom", "esta bom", "tudo certo", "pode ser"]),
    "smalltalk": ({"piada", "robo", "bot", "k", "kkk", "haha", "rsrs", "kkkk", "hahaha", "nome", "idade",
                   "inteligencia", "artificial", "chatgpt"},
                  ["como vai", "como voce esta", "quem e voce", "quem e vc", "voce e um robo", "voce e robo",
                   "voce e humano", "voce e de verdade", "seu nome", "qual e o seu nome", "tudo bem com voce",
                   "conta uma piada", "como voce se chama"]),
}

# Words that hint at an intent but also appear in questions about something else
# ("como funciona o atacado?"): they count half, and never add a second answer alone.
WEAK = {"funciona", "funcionam", "aceita", "aceitam", "paga", "pago", "pagar", "rua", "contato", "hora",
        "quanto", "valor", "vende", "vendem", "onde", "chegou", "chegaram"}

WEAK_PHRASES = {"a partir de quanto", "a partir de quantos", "a partir de quantas", "se eu levar", "se levar",
                "se eu comprar", "mais barato se", "mais barato", "em conta", "tem", "tem o", "tem a", "chegou",
                "onde e"}

# Phrases that look like one intent but are another ("quanto tempo" is delivery lead time).
OVERRIDES = [("quanto tempo", "delivery"), ("que hora chega", "delivery"), ("horario de entrega", "delivery"),
             ("horario da entrega", "delivery")]

DAYS = {"domingo": "sun", "segunda": "mon", "terca": "tue", "quarta": "wed", "quinta": "thu", "sexta": "fri",
        "sabado": "sat", "feriado": "holidays", "hoje": "today", "amanha": "tomorrow", "agora": "now",
        "ainda": "now"}
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
DAY_PHRASES = {"fim de semana": ("sat", "sun"), "final de semana": ("sat", "sun"),
               "dia de semana": _WEEKDAYS, "durante a semana": _WEEKDAYS, "dia util": _WEEKDAYS,
               "dias uteis": _WEEKDAYS,
               # "vocês já tão abertos?": open now
               "ja estao abertos": ("now",), "ja estao aberto": ("now",), "ja esta aberto": ("now",),
               "ja esta aberta": ("now",), "ja abriu": ("now",), "ja abriram": ("now",)}

DELIVERY_TOPICS = {
    "fee": ({"taxa", "frete", "custa", "valor", "cobra", "cobram"}, []),
    "free": ({"gratis", "gratuita", "gratuito", "free"}, ["de graca", "sem taxa", "frete gratis"]),
    "minimum": ({"minimo", "minima"}, []),
    "lead_time": ({"demora", "prazo", "rapido", "chega", "chegam", "demoram"},
                  ["quanto tempo", "mesmo dia", "que hora chega", "que horas chega"]),
    "areas": ({"bairro", "regiao", "area", "cidade", "onde", "quais", "lugar"}, []),
}

# a price asked, in normalized text ("qto" is "quanto" by then): intents, the checks and respond read it
PRICE_ASKED = re.compile(r"\b(?:quanto|preco|valor|custa|custam)\b")

# "vale" that is no voucher, in normalized text: a place or a brand ("o vinho tinto do vale", "Ouro do Vale"),
# a worth ("quanto vale", "vale a pena")
NOT_A_VOUCHER = re.compile(r"(?:(?<=\bdo )|(?<=\bda )|(?<=\bdos )|(?<=\bquanto ))vale\b|"
                           r"\bvale(?= d[oae]s? (?!alimentacao|refeicao)\w+)|"    # "o arroz vale do rio doce"
                           # "o preço de atacado vale a partir de quantas?": holds
                           r"\bvale(?= (?:a pena|a partir|pra|para|so|somente|tambem|ate|mais|menos|o mesmo|"
                           r"alguma|algum|algo|de algo)\b)")       # "a carteirinha ... vale alguma coisa?"

# "fechar" that closes a deal, not the store ("queria fechar uns kits pros funcionários", "fechar negócio")
CLOSING_A_DEAL = re.compile(r"\bfechar (?:uns|umas|um|uma|negocio|parceria|contrato|encomenda)\b")
# "a caixa fechada de ovo", "desculpa o horário": no hours asked (the words each drops from the reading)
NOT_THE_HOURS = ((re.compile(r"\b(?:caixa|fardo|pacote|saco|engradado|bandeja|lata)s? (fechad[oa]s?)\b",
                             re.IGNORECASE), 1),
                 (re.compile(r"\bdesculp\w* (?:o|a|pelo|pela) (hor[aá]rio|hora)\b", re.IGNORECASE), 1))


def without_other_hours(said: str) -> str:
    """The text without the words that ask no hours ("desculpa o horário", "caixa fechada")."""
    for pattern, group in NOT_THE_HOURS:
        said = pattern.sub(lambda m, g=group: m.group(0).replace(m.group(g), ""), said)
    return said

# What a customer may call a payment method -> words to look for in [payment] methods.
PAYMENT_WORDS = {
    "pix": ["pix"], "dinheiro": ["dinheiro"], "especie": ["dinheiro"], "debito": ["debito"],
    "credito": ["credito"], "cartao": ["cartao"], "vale": ["vale"], "ticket": ["vale", "ticket"],
    "alelo": ["vale", "alelo"], "sodexo": ["vale", "sodexo"], "boleto": ["boleto"], "cheque": ["cheque"],
    "fiado": ["fiado", "crediario"], "crediario": ["crediario"], "transferencia": ["transferencia", "ted"],
    "refeicao": ["refeicao"], "alimentacao": ["alimentacao"],
}
PAYMENT_NAMES = {"pix": "Pix", "dinheiro": "dinheiro", "especie": "dinheiro", "debito": "cartão de débito",
                 "credito": "cartão de crédito", "cartao": "cartão", "vale": "vale", "ticket": "Ticket",
                 "alelo": "Alelo", "sodexo": "Sodexo", "boleto": "boleto", "cheque": "cheque", "fiado": "fiado",
                 "crediario": "crediário", "transferencia": "transferência", "refeicao": "vale-refeição",
                 "alimentacao": "vale-alimentação"}
INSTALLMENT_WORDS = {"parcela", "parcelar", "parcelado", "parcelada", "parcelamento", "vezes", "juro", "divide",
                     "dividir", "dividido", "dividida", "parcelo", "parcelam"}

# Words after "no/na/em" that are not a neighbourhood ("entregam no mesmo dia?").
NOT_AREA = set("""mesmo dia hoje amanha domingo sabado segunda terca quarta quinta sexta feriado casa minha meu
minhas meus apartamento condominio predio trabalho endereco rua bairro cidade regiao horario
hora tempo final fim semana noite tarde manha cartao dinheiro pix loja entrega pedido voces entregar entregarem
entregam entregas horas que quando mercado supermercado atacarejo la aqui ai""".split())


# "tem alguém aí que entende alemão?", "tem alguém q ajuda a pôr as caixas na caçamba?": a service asked of the
# staff, not a person asked to take the conversation ("tem alguém aí?", "tem alguém que me atenda?")
SOMEONE_FOR = re.compile(r"\btem alguem (?:ai |aqui )?(?:q|que|pra|para) "
                         r"(?!(?:me |nos )(?:atend|fal|respond|convers|ajud)|(?:atend|fal|respond|convers)\w*"
                         r"(?: comigo| ai| aqui)?$|ajud\w* (?:com|no|na) (?:meu|o|a) (?:pedido|compra))"
                         r"(?=\w+ \w+)")


def someone_for_a_service(norm: str) -> str:
    """The text with a service asked of "alguém" said as "vocês têm quem ...": no person asked for."""
    return SOMEONE_FOR.sub("voces tem quem ", norm)

