"""Customers' files for staff, and files staff attach to a reply.

    GET  /media/<id>                     the file, to operators and up: its sniffed type, nosniff,
                                         a download (attachment) unless it is an image, audio or video
    POST /conversations/<number>/attach  multipart: file (JPEG, PNG or PDF), caption, reply_to
                                         -> 202 {"outbox_id": N}
"""
from __future__ import annotations

import logging

from flask import Blueprint, g, request, send_file, url_for

from .. import operators
from ..log import mask_phone
from ..whatsapp import media
from . import auth
from .answers import conversation_key, done, refused
from .db import get_db

bp = Blueprint("media", __name__)
log = logging.getLogger("chatbot.web")

MAX_ATTACHMENT = 5 * 1024 * 1024       # Meta's limit for images; PDFs staff send are kept to it too


@bp.get("/media/<int:media_id>")
@auth.require_role("operator")
def file(media_id: int):
    row = media.get(get_db(), media_id)
    path = media.path_of(g.cfg.media_dir, row)
    if path is None or not path.is_file():
        why = "Arquivo não disponível." if row is None else {
            "pending": "O arquivo ainda está sendo baixado do WhatsApp.",
            "expired": "O arquivo expirou (o WhatsApp guarda por 7 dias; a limpeza apaga os antigos).",
        }.get(row["state"], "O arquivo não pôde ser baixado.")
        return auth.error(404, why, json_error="no such file")
    mime = row["mime"] or "application/octet-stream"
    name = row["filename"] or f"{row['kind']}-{row['id']}"
    resp = send_file(path, mimetype=mime, as_attachment=not media.inline(mime), download_name=name,
                     conditional=True, etag=row["sha256"], max_age=0)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.post("/conversations/<number>/attach")
@auth.require_role("operator")
def attach(number: str):
    key = conversation_key(number)
    request.max_content_length = MAX_ATTACHMENT + 65536
    f = request.files.get("file")
    data = f.read(MAX_ATTACHMENT + 1) if f is not None else b""
    try:
        if len(data) > MAX_ATTACHMENT:
            raise operators.Refused("Arquivo grande demais (máximo 5 MB).", "too_large", 413)
        oid = operators.send_file(get_db(), key, g.user.name, g.cfg.media_dir, data, f.filename if f else "",
                                  str(request.form.get("caption") or ""), g.cfg.handoff.timeout_minutes,
                                  reply_to=request.form.get("reply_to"))
    except operators.Refused as exc:
        return refused(exc, url_for("attend.conversation", number=number, erro=exc.code))
    log.info("%s queued a file to %s (outbox %d)", g.user.name, mask_phone(key[1]), oid)
    return done(202, {"outbox_id": oid, "state": "queued", "mode": "human"},
                url_for("attend.conversation", number=number, ok="enviada"))
