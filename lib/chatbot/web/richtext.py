"""WhatsApp's text formatting as staff see it on the pages: *negrito*,
_itálico_, ~riscado~ and ```monoespaçado```; line breaks kept (the bubbles'
CSS is ``white-space: pre-wrap``). The text is escaped first and only then
formatted, so nothing a customer writes can become markup.
"""
from __future__ import annotations

import re

from markupsafe import Markup, escape

# A marker opens before a non-space and closes after one, not inside a word
# ("2*3*4" and snake_case stay as they are), on one line.
_STYLES = [
    ("```", re.compile(r"```(.+?)```", re.S), "code"),
    ("*", re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])"), "strong"),
    ("_", re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])"), "em"),
    ("~", re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])"), "s"),
]


def whatsapp_html(text: str | None) -> Markup:
    if not text:
        return Markup("")
    html = str(escape(text))
    for marker, pattern, tag in _STYLES:
        if marker in html:          # most messages have none: no regex run
            html = pattern.sub(lambda m, t=tag: f"<{t}>{m.group(1)}</{t}>", html)
    return Markup(html)


def tel_href(wa_id: str) -> str:
    """A tap-to-call link for a WhatsApp number (digits only, international)."""
    return "tel:+" + "".join(ch for ch in wa_id if ch.isdigit())
