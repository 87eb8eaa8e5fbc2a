"""What the worker hands the bot, and what the bot hands back."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Question:
    text: str
    phone_number_id: str = "sandbox"
    wa_id: str = "5500000000000"
    contact_name: str | None = None
    inbox_id: int | None = None


@dataclass
class Reply:
    text: str | None                  # None: say nothing (a person is handling this customer)
    intent: str
    confidence: float = 1.0
    source: str = "template"          # template, cache, llm, fallback
    handoff: bool = False
    buttons: list[tuple[str, str]] = field(default_factory=list)   # (id, title), at most 3
    tokens_in: int | None = None
    tokens_out: int | None = None
    llm_ms: float | None = None
    guard: str | None = None          # the LLM guard's verdict ("ok" or why the reply was replaced)

    def as_json(self) -> dict:
        return {"reply": self.text, "intent": self.intent, "confidence": round(self.confidence, 3),
                "source": self.source, "handoff": self.handoff}
