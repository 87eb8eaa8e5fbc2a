"""A stand-in for a browser vendor's push service (RFC 8030), on loopback.

It does what a real one does before it accepts a message: checks the VAPID
authorization (RFC 8292: ``vapid t=<JWT>, k=<public key>``, the JWT signed
with ES256 by the key named in ``k``, ``aud`` the service's origin, ``exp``
within 24 hours, a ``sub`` contact), the ``TTL`` header and the aes128gcm
content coding (RFC 8188), and then, holding the device's private key as the
browser would, decrypts the payload (RFC 8291). Accepted messages answer 201;
a bad signature 401 (as FCM and Mozilla's autopush do); an endpoint marked
gone answers 410.
"""
from __future__ import annotations

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Device:
    """A browser's side of a subscription: its key pair and auth secret."""

    def __init__(self, service: PushStub, name: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = f"{service.url}/push/{name}"
        raw = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint)
        self.subscription = {"endpoint": self.endpoint, "keys": {"p256dh": b64e(raw), "auth": b64e(self.auth)}}


class PushStub:
    def __init__(self):
        self.devices: dict[str, Device] = {}
        self.received: list[dict] = []      # {"device", "payload", "claims", "k", "ttl"}
        self.refused: list[str] = []
        self.gone: set[str] = set()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, why = stub.accept(self.path, self.headers, body)
                if why:
                    stub.refused.append(why)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def device(self, name: str) -> Device:
        self.devices[name] = Device(self, name)
        return self.devices[name]

    def accept(self, path: str, headers, body: bytes) -> tuple[int, str | None]:
        name = path.rsplit("/", 1)[-1]
        if name in self.gone:
            return 410, None
        dev = self.devices.get(name)
        if dev is None:
            return 404, "no such subscription"
        auth = headers.get("Authorization", "")
        if not auth.startswith("vapid "):
            return 401, "no VAPID authorization"
        parts = dict(p.strip().split("=", 1) for p in auth[6:].split(","))
        token, k = parts.get("t", ""), parts.get("k", "")
        try:
            head_b64, claims_b64, sig_b64 = token.split(".")
            header = json.loads(b64d(head_b64))
            claims = json.loads(b64d(claims_b64))
            sig = b64d(sig_b64)
            if header.get("alg") != "ES256" or len(sig) != 64:
                return 401, "not ES256"
            pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(k))
            der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
            pub.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except (ValueError, InvalidSignature):
            return 401, "bad VAPID signature"
        if claims.get("aud") != self.url or not claims.get("sub"):
            return 403, f"bad claims {claims}"
        if not time.time() < claims.get("exp", 0) <= time.time() + 24 * 3600:
            return 403, "exp out of range"
        if headers.get("Content-Encoding") != "aes128gcm" or "TTL" not in headers:
            return 400, "not aes128gcm or no TTL"
        # RFC 8188 header: salt(16) rs(4) idlen(1) keyid(idlen = 65: the sender's ephemeral P-256 key).
        if len(body) < 21 or body[20] != 65:
            return 400, "aes128gcm header without the sender's key"
        try:
            plain = http_ece.decrypt(body, private_key=dev.key, auth_secret=dev.auth, version="aes128gcm")
        except Exception as exc:      # noqa: BLE001  (any failure is a refused message)
            return 400, f"cannot decrypt: {exc}"
        self.received.append({"device": name, "payload": json.loads(plain), "claims": claims, "k": k,
                              "ttl": headers.get("TTL"), "urgency": headers.get("Urgency")})
        return 201, None
