"""The one module that talks to Meta's Graph API.

``send`` returns the new message id or raises ``GraphError`` carrying the
error code, whether retrying is allowed (the policy table in the project
docs), and whether the outcome is *ambiguous* (the request may have been
processed: never send again on a guess). In sandbox mode (no access token)
nothing leaves the machine: the request is recorded by the caller and a
local id is returned.
"""
from __future__ import annotations

import json
import logging
import uuid

from .. import http

log = logging.getLogger("chatbot.graph_api")

RETRYABLE = {130429, 131056, 4, 80007, 131000, 131016, 1, 2, 131057}
AUTH = {190, 0, 3, 10} | set(range(200, 300))
MAX_TEXT = 4096


class GraphError(Exception):
    def __init__(self, message: str, *, code: int | None = None, http_status: int | None = None,
                 retryable: bool = False, ambiguous: bool = False):
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.retryable = retryable
        self.ambiguous = ambiguous

    @property
    def auth(self) -> bool:
        return self.code in AUTH


def text_payload(to: str, body: str) -> dict:
    if len(body) > MAX_TEXT:
        body = body[: MAX_TEXT - 1] + "…"
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": "text", "text": {"preview_url": False, "body": body}}


def buttons_payload(to: str, body: str, buttons: list[tuple[str, str]]) -> dict:
    """Reply buttons: at most 3, titles at most 20 characters (Meta's limits)."""
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": "interactive",
            "interactive": {"type": "button", "body": {"text": body[:1024]},
                            "action": {"buttons": [{"type": "reply", "reply": {"id": i[:256], "title": t[:20]}}
                                                   for i, t in buttons[:3]]}}}


def text_of(body: str | None) -> str | None:
    """The words of a message we stored (a text, buttons or template payload, as JSON)."""
    if not body:
        return None
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if payload.get("type") == "template":          # what staff sent outside the 24-hour window
        return f"[modelo: {(payload.get('template') or {}).get('name', '?')}]"
    return (payload.get("text") or {}).get("body") or \
        ((payload.get("interactive") or {}).get("body") or {}).get("text")


def may_retry(code: int | None, http_status: int | None) -> bool:
    """Is retrying allowed for this error?"""
    if code is not None:
        return code in RETRYABLE
    return http_status is not None and (http_status >= 500 or http_status == 429)


class GraphClient:
    def __init__(self, wa_cfg, transport: http.KeepAlive | None = None):
        self.cfg = wa_cfg
        self.http = transport or http.KeepAlive(wa_cfg.api_base_url, wa_cfg.request_timeout_seconds)

    @property
    def sandbox(self) -> bool:
        return self.cfg.sandbox

    def _post(self, phone_number_id: str, payload: dict) -> dict:
        try:
            status, reason, raw = self.http.post_json(
                f"/{self.cfg.api_version}/{phone_number_id}/messages", payload,
                {"Authorization": f"Bearer {self.cfg.access_token}"})
        except http.TransportError as exc:
            raise GraphError(f"transport error: {exc}", retryable=exc.never_sent,
                             ambiguous=not exc.never_sent) from None
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if status == 200 and isinstance(data, dict):
            return data
        err = data.get("error") if isinstance(data, dict) else None
        code = err.get("code") if isinstance(err, dict) and isinstance(err.get("code"), int) else None
        msg = err.get("message") if isinstance(err, dict) else None
        raise GraphError(f"HTTP {status}: {str(msg or reason)[:200]}", code=code,
                         http_status=status, retryable=may_retry(code, status))

    def send(self, phone_number_id: str, payload: dict) -> str:
        if self.sandbox:
            return f"sandbox.{uuid.uuid4().hex}"
        data = self._post(phone_number_id, payload)
        try:
            return str(data["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            # Meta accepted it but we cannot tell which id: do not resend.
            raise GraphError(f"200 without a message id: {json.dumps(data)[:200]}",
                             ambiguous=True) from None

    def mark_read(self, phone_number_id: str, wamid: str) -> None:
        """Mark as read and show the typing indicator (one call); best effort."""
        if self.sandbox or not self.cfg.mark_read:
            return
        self._post(phone_number_id, {"messaging_product": "whatsapp", "status": "read",
                                     "message_id": wamid, "typing_indicator": {"type": "text"}})
