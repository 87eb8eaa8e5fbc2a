"""What the bot does with a message that is not typed text: a photo, a voice
note, a location, a contact card, a catalog order.

``read`` turns a message into either words to answer as if they were typed
(a caption, a voice note's transcript) or a reply of its own (an honest
"I can't see images", the delivery facts for a location). Reactions and
stickers never get here: the worker closes them without a reply.
"""
from __future__ import annotations

import logging

from ...whatsapp import media, message
from .. import fmt
from ..llm import transcribe
from ..store import knowledge
from ..types import Reply

log = logging.getLogger("chatbot.bot")

TYPE_TO_TALK = "Se preferir, digite *atendente* para falar com uma pessoa."
NO_CAPTION = {
    "image": "Recebi sua foto, mas eu não consigo ver imagens. 🙈 Pode me escrever o que precisa?",
    "video": "Recebi seu vídeo, mas eu não consigo assistir vídeos. 🙈 Pode me escrever o que precisa?",
    "document": "Recebi seu arquivo, mas eu não consigo abrir documentos. Pode me escrever o que precisa?",
}
AUDIO_NO_ENGINE = ("Recebi seu áudio, mas por enquanto eu não consigo ouvir mensagens de voz. 🙏 "
                   "Pode digitar sua dúvida?")
AUDIO_FAILED = "Não consegui entender seu áudio agora. 🙏 Pode digitar sua dúvida?"
AUDIO_TOO_LONG = ("Seu áudio é longo demais para eu ouvir (até {limit}). "
                  "Pode digitar sua dúvida, ou mandar um áudio curto?")
LOCATION_ASK = ("Recebi sua localização, mas sem as coordenadas. Em qual bairro você está? "
                "Assim eu digo se entregamos aí.")
LOCATION_BAD = "Essa localização não parece válida. 🤔 Em qual bairro você está? Assim eu digo se entregamos aí."
CONTACTS = "Recebi o contato, obrigado! Eu só consigo ler mensagens de texto: pode me escrever o que precisa?"
ORDER = ("Recebi seu carrinho com {items}. 🛒 Para fechar o pedido, digite *atendente* "
         "e uma pessoa da equipe confirma com você.")
NOT_TEXT = "Por enquanto eu só consigo ler mensagens de texto. Pode escrever sua dúvida?"
NOT_TEXT_REPLY = NOT_TEXT + " " + TYPE_TO_TALK


def slow(msg, tcfg) -> bool:
    """A voice note the engine will transcribe: the worker's slow lane takes it."""
    return msg["msg_type"] == "audio" and tcfg.enabled and not (msg["body"] or "").strip()


def read(conn, cfg, client, msg) -> tuple[str | None, Reply | None]:
    """(words to answer like text, None) or (None, the reply to send).
    Raises ``media.NotYet`` when a voice note's file may come on a retry."""
    body = (msg["body"] or "").strip()
    if body:
        return body, None
    kind = msg["msg_type"]
    if kind in NO_CAPTION:
        return None, _canned(NO_CAPTION[kind] + " " + TYPE_TO_TALK, "media_no_caption")
    if kind == "audio":
        return _voice(conn, cfg, client, msg)
    d = message.describe(kind, msg["payload"])
    if kind == "location":
        return None, location(conn, d, message.payload_of(msg["payload"]).get("location"))
    if kind == "contacts":
        return None, _canned(CONTACTS + " " + TYPE_TO_TALK, "contacts")
    if kind == "order":
        n = len(d["order"]["items"])
        return None, _canned(ORDER.format(items="1 item" if n == 1 else f"{n} itens"), "order")
    return None, _canned(NOT_TEXT_REPLY, "unsupported_type")


def _canned(text: str, intent: str, confidence: float = 1.0) -> Reply:
    return Reply(text=text, intent=intent, confidence=confidence, source="template")


def _voice(conn, cfg, client, msg) -> tuple[str | None, Reply | None]:
    tcfg = cfg.transcription
    if not tcfg.enabled:
        return None, _canned(AUDIO_NO_ENGINE + " " + TYPE_TO_TALK, "voice_note")
    row = media.ensure(conn, client, cfg, msg)
    if row["transcript"]:
        return row["transcript"], None
    path = media.path_of(cfg.media_dir, row)
    if path is None:
        return None, _canned(AUDIO_FAILED + " " + TYPE_TO_TALK, "voice_note")
    if row["duration_seconds"] and row["duration_seconds"] > tcfg.max_seconds:
        media.set_transcript(conn, row["id"], None, f"{row['duration_seconds']:.0f} s, longer than"
                                                    " [transcription] max_seconds")
        limit = message.duration_label(tcfg.max_seconds)
        return None, _canned(AUDIO_TOO_LONG.format(limit=limit) + " " + TYPE_TO_TALK, "voice_note")
    try:
        words, took = transcribe.transcribe(tcfg, path, row["mime"] or "application/octet-stream")
    except transcribe.TranscriptionError as exc:
        log.warning("voice note of message %s not transcribed: %s", msg["id"], exc)
        media.set_transcript(conn, row["id"], None, str(exc)[:300])
        return None, _canned(AUDIO_FAILED + " " + TYPE_TO_TALK, "voice_note")
    log.info("voice note of message %s transcribed in %.1f s (%d characters)", msg["id"], took, len(words))
    media.set_transcript(conn, row["id"], words, None)
    return words, None


def location(conn, d: dict, raw) -> Reply:
    """The delivery facts for the place the customer sent."""
    point = d.get("location")
    if point is None:
        has_any = isinstance(raw, dict) and ("latitude" in raw or "longitude" in raw)
        return _canned(LOCATION_BAD if has_any else LOCATION_ASK, "delivery_location")
    kb = knowledge.load(conn)
    reach = knowledge.delivery_reach(kb, point["lat"], point["lon"])
    dlv, store = kb.delivery, kb.store
    pickup = f"Você pode comprar e retirar na loja: {store['address']}." if store.get("address") else ""
    if reach["reason"] == "no_delivery":
        return _canned(f"No momento não fazemos entregas. 😕 {pickup}".strip(), "delivery_location")
    if reach["inside"] is None:
        areas = dlv.get("areas") or []
        ask = "Em qual bairro você está?" + (f" Entregamos em: {fmt.join(areas)}." if areas else "")
        return _canned(f"Recebi sua localização! 📍 {ask}", "delivery_location")
    km = f"{reach['km']:.1f}".replace(".", ",")
    if not reach["inside"]:
        limit = f"{reach['max_km']:g}".replace(".", ",")
        return _canned(f"📍 Você está a {km} km da loja, fora da nossa área de entrega (até {limit} km). 😕 "
                       f"{pickup}".strip(), "delivery_location")
    parts = [f"📍 Você está a {km} km da loja: entregamos aí! 🚚"]
    if dlv.get("fee") is not None:
        fee = "Entrega grátis." if not dlv["fee"] else f"Taxa de entrega: {fmt.money(dlv['fee'])}"
        if dlv["fee"] and dlv.get("free_above"):
            fee += f" (grátis acima de {fmt.money(dlv['free_above'])})."
        elif dlv["fee"]:
            fee += "."
        parts.append(fee)
    if dlv.get("min_order"):
        parts.append(f"Pedido mínimo: {fmt.money(dlv['min_order'])}.")
    if dlv.get("lead_time"):
        parts.append(dlv["lead_time"])
    return _canned(" ".join(parts), "delivery_location")
