"""Slots of a message part, read from its normalized text: an amount of money
("se eu gastar 300", "compra de R$ 150,50"), a time of day ("às 7", "19h30",
"meio-dia", "7 da noite"), the day meant ("amanhã", "sábado", "feriado") and the thing asked for
("tem X?")."""
from __future__ import annotations

import re
from decimal import Decimal

from ..store import retrieval


_NUM = r"(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:,\d{1,2})?)"
# money: "rs 300", "300 reais", "300 conto", or a number after a spending verb
_MONEY = re.compile(rf"\brs\s*{_NUM}|{_NUM}\s*(?:reais|real|conto|contos|pila|pilas)\b|"
                    # "com 300 eu ainda pago a taxa?": an amount, by what follows it
                    rf"\bcom\s+(?:uns\s+)?{_NUM}(?=\s+(?:eu|ja|ainda|pago|paga)\b)|"
                    rf"\b{_NUM}\s+(?:de|em) compras?\b|"
                    rf"\b(?:gastar|gasto|gastando|gastei|compra de|compras de|comprar|compro|comprando|pedido de|"
                    rf"pedir|peco|valor de|total de|acima de|mais de|ate|der|dar|fechar|fechando|passar de|"
                    rf"compra der|conta de|(?:compra|conta|pedido|total) (?:da|deu|vai dar|fica|ficou|sai|saiu))"
                    rf"\s+(?:em\s+)?(?:uns\s+|umas\s+)?(?:rs\s*)?{_NUM}"
                    rf"(?!\s*(?:h\b|horas?\b|kg\b|g\b|"
                    rf"unidades|pacotes|caixas|fardos|latas|garrafas|x\b|vezes|dias?\b|minutos))")
_TIME = re.compile(r"\b(?:as|a|pelas|umas|la pelas|lá pelas)?\s*(\d{1,2})(?:h|:|\s*horas?\b)\s*(\d{2})?\b|"
                   r"\b(?:as|pelas|umas|tipo)\s+(\d{1,2})\b(?!\s*(?:reais|kg|unidades))|"
                   # "6 e meia da manhã", "9 e pouco da noite"
                   r"\b(\d{1,2})(?=\s+(?:e (?:meia|pouco|pouquinho)\s+)?da (?:manha|tarde|noite)\b)|"
                   # "amanhã 7 e meia já tem gente atendendo?": an hour and a half, said alone
                   r"\b(\d{1,2})(?=\s+e meia\b)")
_CLOCK = re.compile(r"\b([01]?\d|2[0-3]) (?:e )?([0-5][05])\b(?!\s*(?:reais|real|kg|g|unidades|pacotes|x\b))")
# a part of the day without an hour: "segunda de manhã", "sábado à noite" (minutes from, to)
_PARTS_OF_DAY = ((re.compile(r"\b(?:de|pela|na|a|essa|nessa) manha\b"), (6 * 60, 12 * 60)),
                 (re.compile(r"\b(?:de|pela|na|a|essa|nessa) tarde\b"), (12 * 60, 18 * 60)),
                 (re.compile(r"\b(?:de|pela|na|a|essa|nessa) noite\b"), (18 * 60, 23 * 60)))
_MIDDAY = re.compile(r"\bmeio\s*dia\b")
_MIDNIGHT = re.compile(r"\bmeia\s*noite\b")
# "7 da noite", "à noite, tipo 7h" (not "às 10 ... chega à tarde": the part of the day right before the hour)
_PM = re.compile(r"\bda (?:tarde|noite)\b|\bdepois do almoco\b|"
                 r"\b(?:a|de|na|pela) (?:tarde|noite),?\s+(?:tipo\s+|umas\s+|as\s+|la pelas\s+|pelas\s+)?\d")
# the morning meant: "às 5 e meia vocês já estão abertos? queria passar antes do trabalho"
_AM = re.compile(r"\b(?:da manha|de manha|da madrugada|de madrugada|cedo|cedinho|antes do (?:trabalho|servico|serviço)|"
                 r"ja (?:esta|estao) abert\w*|ja abriu|ja abriram|ja abre|ja abrem)\b")
_HALF = re.compile(r"\s+e meia\b")
_LITTLE_AFTER = re.compile(r"\s+e (?:pouco|pouquinho)\b")      # "9 e pouco da noite": after the hour
# The national holidays, by date or name ("7 de setembro vocês abrem?", "dia de finados"): the holidays' hours
HOLIDAY = re.compile(r"\b(?:(?:1o?|primeiro) de (?:janeiro|maio)|21 de abril|7 de setembro|12 de outubro|"
                     r"(?:2|15|20) de novembro|25 de dezembro|tiradentes|finados|dia do trabalh\w*|"
                     r"dia da independencia|proclamacao da republica|consciencia negra|nossa senhora aparecida|"
                     r"sexta feira santa|sexta santa|sexta da paixao|corpus christi|dia de natal|dia de ano novo)\b")
_DAYS = {"domingo": "sun", "segunda": "mon", "terca": "tue", "quarta": "wed", "quinta": "thu", "sexta": "fri",
         "sabado": "sat", "feriado": "holidays", "feriados": "holidays"}


def money(norm: str) -> Decimal | None:
    """The amount of money a normalized text names, or None."""
    m = _MONEY.search(norm)
    if not m:
        return None
    raw = next(g for g in m.groups() if g)
    return Decimal(raw.replace(".", "").replace(",", "."))


def time_of_day(norm: str) -> int | None:
    """Minutes after midnight of a time named ("às 7" -> 420, "7 da noite" -> 1140), or None."""
    if _MIDDAY.search(norm):
        return 12 * 60
    if _MIDNIGHT.search(norm):
        return 0
    clock = _CLOCK.search(norm)          # "21:30" is "21 30" once normalized
    m = clock or _TIME.search(norm)
    if not m:
        return None
    if clock:
        hour, minute = int(clock.group(1)), int(clock.group(2))
    else:
        hour = int(m.group(1) or m.group(3) or m.group(4) or m.group(5))
        minute = int(m.group(2) or 0) or (30 if _HALF.match(norm, m.end()) else 0)     # "às 5 e meia"
        minute = minute or (10 if _LITTLE_AFTER.match(norm, m.end()) else 0)
    if hour > 24 or minute > 59:
        return None
    if hour < 12 and _PM.search(norm) or 1 <= hour <= 5 and not _AM.search(norm):
        hour += 12          # "às 3" in a shop's day is three in the afternoon
    return hour % 24 * 60 + minute


def part_of_day(norm: str) -> tuple[str, tuple[int, int]] | None:
    """("de manhã", (360, 720)) for "segunda de manhã vocês abrem?"; None when no part of the day is named."""
    for pattern, span in _PARTS_OF_DAY:
        m = pattern.search(norm)
        if m:
            return m.group(0), span
    return None


def day(norm: str) -> str | None:
    """The day meant: a day key (mon..sun, holidays), "today", "tomorrow" or "now"; None when none is named."""
    words = norm.split()
    if HOLIDAY.search(norm) or {"feriado", "feriados"} & set(words):
        return "holidays"        # "segunda que vem é feriado, vcs abrem?": the holidays' hours
    if "depois de amanha" in norm:
        return "after_tomorrow"
    for w in words:
        if w in _DAYS:
            return _DAYS[w]
    if "amanha" in words:
        return "tomorrow"
    if "agora" in words:
        return "now"
    if "hoje" in words:
        return "today"
    return None


# "tem X?", "vocês vendem X?": the thing asked for, which an entry answering it must name
ASKS_FOR = re.compile(r"^(?:(?:voces|vc|ai)\s+)?(?:tem|vende|vendem|teria|trabalham com)\s+"
                      r"(?:(?:a|o|um|uma|algum|alguma|aquele|aquela|uns|umas)\s+)?(\w+)")
NOT_A_THING = frozenset("onde como lugar jeito quem que algum alguma alguem desconto promocao vaga vagas dia dias hora "
                        "horas horario vez chance possibilidade problema".split())


def lacks_the_thing(norm: str, entry: tuple[str, str]) -> bool:
    """Whether a message asks for a thing an FAQ entry does not name, for a use the entry is not asked about:
    "tem fralda geriátrica pra idoso?" beside the entry on parking, whose answer keeps spaces for the elderly
    (not "tem fila expressa pra quem leva pouca coisa?", whose words the entry's synonyms meet, nor "tem
    brinquedoteca pras crianças brincarem?" beside an entry asked about the children)."""
    thing = ASKS_FOR.match(norm)
    if not thing or thing.group(1) in NOT_A_THING or "para" not in norm.split():
        return False
    before, after = re.split(r"\bpara\b", norm[thing.start(1):], maxsplit=1)
    question, answer = entry
    told = set(retrieval.stem_words(f"{question} {answer}"))
    if any(g & told for g in retrieval.stem_groups(before)):
        return False
    asked = set(retrieval.stem_words(question))
    return not any(g & asked for g in retrieval.stem_groups(after))
