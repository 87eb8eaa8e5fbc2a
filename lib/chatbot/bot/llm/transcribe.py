"""Voice notes to text, through an OpenAI-compatible transcription engine.

``[transcription] backend = "openai"`` calls ``POST {base_url}/v1/audio/transcriptions``
(multipart: ``file``, ``model``, ``language``, ``response_format=json``; the
answer is ``{"text": "..."}``), which speaches (faster-whisper), whisper.cpp's
server, LocalAI and vLLM serve. The tests use a stand-in speaking exactly
that API (tests/support/whisper_stub.py): no engine with its weights can be
installed from a package registry.
"""
from __future__ import annotations

import time
from pathlib import Path

import requests

from ... import http

MAX_TRANSCRIPT = 4000


class TranscriptionError(Exception):
    """The engine could not give a usable transcript (down, slow, or an odd answer)."""


def endpoint(base_url: str) -> str:
    base = base_url.rstrip("/")
    return (base[:-3] if base.endswith("/v1") else base) + "/v1/audio/transcriptions"


def transcribe(tcfg, path: Path, mime: str, session: requests.Session | None = None) -> tuple[str, float]:
    """The words of the voice note at ``path`` and the seconds the engine took."""
    sess = session or http.session(1)
    started = time.monotonic()
    try:
        with open(path, "rb") as fh:
            resp = sess.post(endpoint(tcfg.base_url), timeout=(5, tcfg.timeout_seconds), allow_redirects=False,
                             data={"model": tcfg.model, "language": tcfg.language, "response_format": "json"},
                             files={"file": (f"voice.{_ext(mime)}", fh, mime)})
    except requests.Timeout:
        raise TranscriptionError(f"no answer within {tcfg.timeout_seconds:g} s") from None
    except requests.RequestException as exc:
        raise TranscriptionError(f"engine unreachable: {type(exc).__name__}") from None
    except OSError as exc:
        raise TranscriptionError(f"cannot read the audio: {exc.strerror}") from None
    finally:
        if session is None:
            sess.close()
    took = time.monotonic() - started
    if resp.status_code != 200:
        raise TranscriptionError(f"engine answered HTTP {resp.status_code}")
    try:
        data = resp.json()
    except ValueError:
        raise TranscriptionError("engine answered something that is not JSON") from None
    words = data.get("text") if isinstance(data, dict) else None
    if not isinstance(words, str):
        raise TranscriptionError("engine's answer has no text")
    words = " ".join(words.split())
    if not words:
        raise TranscriptionError("engine heard nothing")
    if len(words) > MAX_TRANSCRIPT or not any(c.isalnum() for c in words):
        raise TranscriptionError("engine's text does not look like speech")
    return words, took


def _ext(mime: str) -> str:
    return {"audio/ogg": "ogg", "audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/aac": "aac",
            "audio/amr": "amr"}.get(mime, "bin")
