"""What the worker hands the bot, and what the bot hands back."""
from __future__ import annotations

from dataclasses import dataclass, field

MAX_MESSAGE = 4096      # WhatsApp's limit for one text message


@dataclass
class Question:
    text: str
    phone_number_id: str = "sandbox"
    wa_id: str = "5500000000000"
    contact_name: str | None = None
    inbox_id: int | None = None
    location: tuple[float, float] | None = None     # a WhatsApp location pin (lat, lon)
    cart: tuple | None = None       # a WhatsApp native cart: ([(sku, quantity)], [items not read]) (orders)


@dataclass
class Reply:
    text: str | None                  # None: say nothing (a person is handling this customer)
    intent: str
    confidence: float = 1.0
    source: str = "template"          # template, cache, llm, fallback
    handoff: bool = False
    buttons: list[tuple[str, str]] = field(default_factory=list)   # (id, title), at most 3, on the last message
    follow_up: list[str] = field(default_factory=list)   # messages of their own after ``text`` (a Pix code)
    # A list message instead (when there are no buttons): [(section title, [(id, title, description)])],
    # at most 10 rows in all; the customer's pick comes back as its title (webhook.py reads list_reply).
    menu: list[tuple[str, list[tuple]]] = field(default_factory=list)
    menu_button: str = "Ver opções"
    tokens_in: int | None = None
    tokens_out: int | None = None
    llm_ms: float | None = None
    guard: str | None = None          # the LLM guard's verdict ("ok" or why the reply was replaced)

    def messages(self, limit: int = MAX_MESSAGE) -> list[str]:
        """The text as WhatsApp messages of at most ``limit`` characters, cut between lines
        and in order, so a quote's total (its last line) is in the last message; then each
        of ``follow_up`` as a message of its own."""
        if self.text is None:
            return []
        return self._cut(self.text, limit) + [m for f in self.follow_up for m in self._cut(f, limit)]

    @staticmethod
    def _cut(body: str, limit: int) -> list[str]:
        if len(body) <= limit:
            return [body]
        out, cur = [], ""
        for line in body.split("\n"):
            while len(line) > limit:          # a line longer than a message: cut it (never happens in a quote)
                if cur:
                    out.append(cur)
                    cur = ""
                out.append(line[:limit])
                line = line[limit:]
            if cur and len(cur) + 1 + len(line) > limit:
                out.append(cur)
                cur = line
            else:
                cur = f"{cur}\n{line}" if cur else line
        if cur:
            out.append(cur)
        return out

    def as_json(self) -> dict:
        return {"reply": self.text, "intent": self.intent, "confidence": round(self.confidence, 3),
                "source": self.source, "handoff": self.handoff}
