"""Send a test message through the real path, as Meta would, and wait for
the worker's reply. Used by ``chatbot send-test`` and ``POST /test-message``."""
from __future__ import annotations

import json
import time
import uuid

from .. import clock, http
from . import graph_api
from .webhook import sign

DEFAULT_FROM = "5500999990000"


def build_payload(text: str, sender: str, phone_number_id: str, name: str = "Teste") -> tuple[bytes, str]:
    wamid = "wamid.test." + uuid.uuid4().hex
    body = {"object": "whatsapp_business_account", "entry": [{"id": "0", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": phone_number_id, "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": name}, "wa_id": sender}],
        "messages": [{"from": sender, "id": wamid, "timestamp": str(int(clock.now())), "type": "text",
                      "text": {"body": text}}]}}]}]}
    return json.dumps(body, ensure_ascii=False).encode("utf-8"), wamid


def post(url: str, body: bytes, app_secret: str, timeout: float = 10) -> int:
    headers = {"Content-Type": "application/json"}
    if app_secret:
        headers["X-Hub-Signature-256"] = sign(body, app_secret)
    with http.session() as s:
        return s.post(url, data=body, headers=headers, timeout=timeout).status_code


def wait_reply(conn, wamid: str, timeout: float) -> dict | None:
    """The reply to ``wamid`` once the worker has closed it, or None on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = conn.execute("SELECT i.id, i.status, i.error, o.body, o.state FROM inbox i LEFT JOIN outbox o"
                           " ON o.inbox_id=i.id WHERE i.wamid=?", (wamid,)).fetchone()
        if row and row["status"] not in ("queued", "processing"):
            return {"status": row["status"], "reply": graph_api.text_of(row["body"]), "reply_state": row["state"],
                    "error": row["error"]}
        time.sleep(0.1)
    return None


