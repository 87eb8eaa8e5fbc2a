"""What every blueprint asks of a request and answers with, each in one place:
does the client want JSON, the body it sent (JSON or a form), the conversation a
route's number names, an error as JSON or as the error page, and an action done
or refused as JSON or as the browser sent back to its page.

A script gets JSON: it sent JSON, or its Accept does not rank text/html above
JSON (curl's ``*/*`` and ``?format=json`` included). A browser gets pages.
"""
from __future__ import annotations

import re

from flask import Response, abort, jsonify, redirect, render_template, request

from .. import operators
from .db import get_db

_PHONE = re.compile(r"\d{5,20}")
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")     # "+55 (85) 99999-0000" is 5585999990000


def prefers_html() -> bool:
    """A browser (text/html ranked above JSON), not curl's */*."""
    accept = request.accept_mimetypes
    return request.args.get("format") != "json" and accept["text/html"] > accept["application/json"]


def wants_json() -> bool:
    """Answer this request in JSON (see the module's docstring)."""
    return request.is_json or not prefers_html()


def body():
    """The fields the client sent: a JSON object, or the form; {} for anything else."""
    data = request.get_json(silent=True) if request.is_json else request.form
    return data if hasattr(data, "get") else {}


def phone_number(raw: str) -> str | None:
    """A WhatsApp number as staff write it ("+55 (85) 99999-0000") as its digits, or None."""
    digits = _PHONE_PUNCTUATION.sub("", raw or "").removeprefix("+")
    return digits if _PHONE.fullmatch(digits) else None


def conversation_key(number: str) -> tuple[str, str]:
    """(phone_number_id, wa_id) of the conversation with ``number`` (as staff write it); the request
    ends in a 404 if there is none."""
    digits = phone_number(number)
    key = operators.locate(get_db(), digits) if digits else None
    if key is None:
        abort(no_such_conversation())
    return key


def no_such_conversation() -> Response:
    return error(404, "Nenhuma conversa com esse número.", json_error="no such conversation")


def error(status: int, message: str, json_error: str | None = None, back: str = "/") -> Response:
    """A refusal: ``{"error": json_error or message}`` to scripts, the error page (pt-BR
    ``message`` and a link ``back``) to a browser."""
    if wants_json():
        resp = jsonify({"error": json_error or message})
    else:
        resp = Response(render_template("result.html", title="Não foi possível", message=message, result=None,
                                        back=back), mimetype="text/html")
    resp.status_code = status
    return resp


def done(status: int, data: dict, back: str):
    """An action done: ``data`` (with ``status``) to scripts, a browser sent back to the page ``back`` (303)."""
    if wants_json():
        return jsonify(data), status
    return redirect(back, 303)


def refused(exc, back: str):
    """An action the library refused (``exc``: a pt-BR message, its ``code`` and HTTP ``status``):
    ``{"error": code, "message": ...}`` to scripts, a browser sent back to the page ``back`` (303)."""
    if wants_json():
        return jsonify({"error": exc.code, "message": str(exc)}), exc.status
    return redirect(back, 303)
