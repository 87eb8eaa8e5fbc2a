"""All outbound HTTP goes through here (Graph API, alert webhooks, the
OpenAI-compatible LLM backend, and the operator commands that call the local
service): one place for the user agent, timeouts and the rule that a
request is never retried silently by the transport.
"""
from __future__ import annotations

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


def never_sent(exc: requests.RequestException) -> bool:
    """True when the request certainly did not reach the server.

    Only a refused/unresolvable connection or a connect timeout qualifies;
    a read timeout or a dropped connection may have been processed.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        from urllib3.exceptions import NewConnectionError
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)
        return isinstance(reason, NewConnectionError)
    return False
