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
from urllib.parse import quote, urlsplit

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


def list_payload(to: str, body: str, button: str, sections: list[tuple[str, list[tuple]]]) -> dict:
    """A list message: ``sections`` as (title, [(id, title, description?), ...]).
    Meta's limits: button label 20, 10 sections and 10 rows in all, row title 24,
    description 72."""
    out, left = [], 10
    for title, rows in sections[:10]:
        rows = rows[:left]
        left -= len(rows)
        if not rows:
            break
        out.append({"title": title[:24], "rows": [
            dict({"id": r[0][:200], "title": r[1][:24]}, **({"description": r[2][:72]} if len(r) > 2 and r[2] else {}))
            for r in rows]})
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": "interactive",
            "interactive": {"type": "list", "body": {"text": body[:4096]},
                            "action": {"button": button[:20], "sections": out}}}


def as_plain_text(payload: dict) -> dict | None:
    """The same words as a text message, for an interactive reply Meta refused;
    None when ``payload`` is not interactive."""
    if payload.get("type") != "interactive":
        return None
    i = payload.get("interactive") or {}
    lines = [(i.get("body") or {}).get("text") or ""]
    action = i.get("action") or {}
    for b in action.get("buttons") or []:
        lines.append(f"• {(b.get('reply') or {}).get('title', '')}")
    for sec in action.get("sections") or []:
        lines.extend(f"• {r.get('title', '')}" for r in sec.get("rows") or [])
    plain = text_payload(payload["to"], "\n".join(x for x in lines if x))
    if payload.get("context"):
        plain["context"] = payload["context"]
    return plain


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
    media = payload.get(payload.get("type")) if payload.get("type") in ("image", "document") else None
    if isinstance(media, dict):
        return media.get("caption") or media.get("filename")
    return (payload.get("text") or {}).get("body") or \
        ((payload.get("interactive") or {}).get("body") or {}).get("text")


def kind_of(body: str | None) -> str:
    """The type of a message we stored to send (text, interactive, image, document, template)."""
    try:
        kind = (json.loads(body or "{}") or {}).get("type")
    except (ValueError, AttributeError):
        return "text"
    return kind if isinstance(kind, str) and kind else "text"


def quoted_wamid(body: str | None) -> str | None:
    """The wamid a message we sent quotes (its ``context``), or None."""
    try:
        ctx = (json.loads(body or "{}") or {}).get("context")
    except (ValueError, AttributeError):
        return None
    return ctx.get("message_id") if isinstance(ctx, dict) else None


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

    # -- media ------------------------------------------------------------------------
    def _session(self):
        if getattr(self, "_media_session", None) is None:
            self._media_session = http.session(1)
        return self._media_session

    def _auth(self) -> dict:
        return {"Authorization": f"Bearer {self.cfg.access_token}"}

    def media_info(self, media_id: str) -> dict:
        """Step one of a download: ``{"url", "mime_type", "sha256", "file_size", "id"}``."""
        try:
            status, reason, raw = self.http.get(f"/{self.cfg.api_version}/{quote(media_id, safe='')}", self._auth())
        except http.TransportError as exc:
            raise GraphError(f"transport error: {exc}", retryable=True) from None
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if status == 200 and isinstance(data, dict) and isinstance(data.get("url"), str):
            return data
        err = data.get("error") if isinstance(data, dict) else None
        code = err.get("code") if isinstance(err, dict) and isinstance(err.get("code"), int) else None
        msg = err.get("message") if isinstance(err, dict) else None
        raise GraphError(f"HTTP {status}: {str(msg or reason)[:200]}", code=code, http_status=status,
                         retryable=may_retry(code, status))

    def download(self, url: str, out, max_bytes: int, deadline: float) -> tuple[int, str | None]:
        """Step two: the bytes behind the short-lived URL, with the token, into ``out``.
        The token goes only over https, or to this host (the tests' stand-in)."""
        from ..config import is_loopback
        u = urlsplit(url)
        if u.scheme != "https" and not (u.scheme == "http" and is_loopback(u.hostname or "")):
            raise http.DownloadError(f"refused to send the token to {u.scheme}://{u.hostname}", "status", 0)
        return http.download(self._session(), url, self._auth(), out, max_bytes,
                             self.cfg.request_timeout_seconds, deadline)

    def upload_media(self, phone_number_id: str, path, mime: str, filename: str) -> str:
        """POST the file to /{phone_number_id}/media (multipart); Meta's media id."""
        url = f"{self.cfg.api_base_url.rstrip('/')}/{self.cfg.api_version}/{phone_number_id}/media"
        try:
            with open(path, "rb") as fh:
                resp = self._session().post(url, headers=self._auth(), timeout=self.cfg.request_timeout_seconds * 3,
                                            data={"messaging_product": "whatsapp", "type": mime},
                                            files={"file": (filename, fh, mime)}, allow_redirects=False)
        except OSError as exc:
            raise GraphError(f"cannot read the file to upload: {exc.strerror}") from None
        except Exception as exc:     # requests' errors: nothing was sent to the customer, retry is safe
            raise GraphError(f"upload failed: {type(exc).__name__}", retryable=True) from None
        try:
            data = resp.json()
        except ValueError:
            data = None
        if resp.status_code == 200 and isinstance(data, dict) and data.get("id"):
            return str(data["id"])
        err = data.get("error") if isinstance(data, dict) else None
        code = err.get("code") if isinstance(err, dict) and isinstance(err.get("code"), int) else None
        raise GraphError(f"upload HTTP {resp.status_code}", code=code, http_status=resp.status_code,
                         retryable=may_retry(code, resp.status_code))

    def mark_read(self, phone_number_id: str, wamid: str) -> None:
        """Mark as read and show the typing indicator (one call); best effort."""
        if self.sandbox or not self.cfg.mark_read:
            return
        self._post(phone_number_id, {"messaging_product": "whatsapp", "status": "read",
                                     "message_id": wamid, "typing_indicator": {"type": "text"}})
