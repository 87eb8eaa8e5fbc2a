"""All outbound HTTP goes through here (Graph API, alert webhooks, the
OpenAI-compatible LLM backend, and the operator commands that call the local
service): one place for the user agent, timeouts and the rule that a
request is never retried silently by the transport.
"""
from __future__ import annotations

import http.client
import json
import select
import ssl
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from . import __version__

USER_AGENT = f"atacarejo-chatbot/{__version__}"


def session(pool_size: int = 4) -> requests.Session:
    s = requests.Session()
    # max_retries=0: a retry decision belongs to the caller, who knows whether
    # the request may already have had its effect.
    adapter = HTTPAdapter(max_retries=0, pool_connections=pool_size, pool_maxsize=pool_size)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    s.headers["User-Agent"] = USER_AGENT
    # Never read proxies or .netrc credentials from the environment.
    s.trust_env = False
    return s


class TransportError(Exception):
    """The request failed below HTTP. ``never_sent``: it certainly did not
    reach the server (connecting failed), so sending again is safe."""

    def __init__(self, message: str, never_sent: bool):
        super().__init__(message)
        self.never_sent = never_sent


class KeepAlive:
    """One persistent HTTP(S) connection for small JSON POSTs to one host.

    The worker makes two such calls to the Graph API per message; through
    requests each cost about 0.26 ms more CPU than the call itself on the
    2-core reference machine, and the worker's CPU is taken from the webhook
    while it is busy. The rules are those of session(): our User-Agent, no
    retry by the transport, no proxy or .netrc from the environment, TLS
    certificates verified, the timeout for connecting and for each read.
    One caller at a time (the worker's loop).
    """

    def __init__(self, base_url: str, timeout: float, context: ssl.SSLContext | None = None):
        u = urlsplit(base_url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.https = u.scheme == "https"
        self.host, self.port, self.prefix = u.hostname, u.port, u.path.rstrip("/")
        self.timeout = timeout
        self.context = context if context is not None else ssl.create_default_context()
        self.conn: http.client.HTTPConnection | None = None

    def post_json(self, path: str, payload: dict, headers: dict) -> tuple[int, str, bytes]:
        """POST ``payload`` as JSON to prefix + path; return (status, reason, body)."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        return self._exchange("POST", path, body, {"Content-Type": "application/json", **headers})

    def get(self, path: str, headers: dict) -> tuple[int, str, bytes]:
        """GET prefix + path; return (status, reason, body). Same rules as post_json."""
        return self._exchange("GET", path, None, headers)

    def _exchange(self, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int, str, bytes]:
        conn = self._connection()
        try:
            conn.request(method, self.prefix + path, body=body,
                         headers={"User-Agent": USER_AGENT, "Accept": "application/json", **headers})
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            # The request may have left: whether the server acted on it is unknown.
            raise TransportError(type(exc).__name__, never_sent=False) from None
        if resp.will_close:
            self.close()
        return resp.status, resp.reason, data

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is not None and _dropped(self.conn.sock):
            self.close()            # the server closed it while idle: open a new one
        if self.conn is None:
            if self.https:
                conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                                   context=self.context)
            else:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                conn.connect()      # TCP and TLS: failing here, nothing was sent
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                raise TransportError(f"cannot connect: {type(exc).__name__}", never_sent=True) from None
            self.conn = conn
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class DownloadError(Exception):
    """A download that did not give the whole file. ``kind``: "status" (an HTTP
    error, ``status`` set), "too_large", "cut_off", "stalled" or "transport"."""

    def __init__(self, message: str, kind: str, status: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.status = status


def download(sess: requests.Session, url: str, headers: dict, out, max_bytes: int, timeout: float,
             deadline: float) -> tuple[int, str | None]:
    """Stream ``url`` into the binary file ``out``, at most ``max_bytes``; each
    read waits at most ``timeout`` seconds and the whole transfer ``deadline``.
    Returns (bytes written, the Content-Type). Never follows a redirect (the
    token would go with it)."""
    import time
    started = time.monotonic()
    try:
        resp = sess.get(url, headers=headers, stream=True, timeout=(timeout, timeout), allow_redirects=False)
    except requests.RequestException as exc:
        raise DownloadError(f"cannot fetch: {type(exc).__name__}", "transport") from None
    with resp:
        if resp.status_code != 200:
            raise DownloadError(f"HTTP {resp.status_code}", "status", resp.status_code)
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise DownloadError(f"{declared} bytes announced, more than the {max_bytes} allowed", "too_large")
        size = 0
        try:
            for chunk in resp.iter_content(1 << 16):
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadError(f"more than the {max_bytes} bytes allowed", "too_large")
                if time.monotonic() - started > deadline:
                    raise DownloadError(f"still downloading after {deadline:.0f} s", "stalled")
                out.write(chunk)
        except requests.exceptions.ConnectionError as exc:
            kind = "stalled" if "timed out" in str(exc).lower() or "timeout" in type(exc).__name__.lower() \
                else "cut_off"
            raise DownloadError(f"download interrupted: {type(exc).__name__}", kind) from None
        except requests.RequestException as exc:
            raise DownloadError(f"download interrupted: {type(exc).__name__}", "cut_off") from None
        if declared and declared.isdigit() and size != int(declared):
            raise DownloadError(f"got {size} of {declared} bytes", "cut_off")
        return size, resp.headers.get("Content-Type")


def _dropped(sock) -> bool:
    """An idle keep-alive socket that is readable has been closed (or broken) by the peer."""
    if sock is None:
        return True
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True
