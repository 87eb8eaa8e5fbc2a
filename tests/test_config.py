"""Configuration: defaults, types, secrets from the environment, clear errors."""
import pytest

from chatbot import config
from support.servers import run


def test_defaults_are_sandbox():
    cfg = config.from_dict({}, env={})
    assert cfg.whatsapp.sandbox
    assert cfg.web.port == 8080
    assert cfg.db_path.name == "chatbot.db"


def test_secrets_come_from_environment():
    cfg = config.from_dict({"whatsapp": {"access_token": "file-token", "app_secret": "s"}},
                           env={"WHATSAPP_ACCESS_TOKEN": "env-token", "CHATBOT_ADMIN_TOKEN": "adm"})
    assert cfg.whatsapp.access_token == "env-token"
    assert cfg.admin.token == "adm"
    assert not cfg.whatsapp.sandbox
    assert "env-token" in cfg.secrets()


@pytest.mark.parametrize("data, words", [
    ({"web": {"port": "eighty"}}, ["[web] port", "integer"]),
    ({"web": {"prot": 80}}, ["unknown key 'prot'", "[web]"]),
    ({"nope": {}}, ["unknown section [nope]"]),
    ({"whatsapp": {"phone_number_ids": "123"}}, ["phone_number_ids", "list"]),
    ({"llm": {"backend": "gpt"}}, ["[llm] backend"]),
    ({"worker": {"cpu_scheduling": "realtime"}}, ["[worker] cpu_scheduling", "idle"]),
    ({"whatsapp": {"access_token": "x"}}, ["app_secret is required"]),
])
def test_bad_values_name_the_key(data, words):
    with pytest.raises(config.ConfigError) as exc:
        config.from_dict(data, path="/etc/chatbot/chatbot.toml", env={})
    msg = str(exc.value)
    assert msg.startswith("/etc/chatbot/chatbot.toml:")
    for w in words:
        assert w in msg


@pytest.mark.parametrize("text, expect", [
    ("[web\nport = 1", "invalid TOML"),
    ("[web]\nport = 0", "[web] port"),
])
def test_command_with_bad_config_exits_2_without_traceback(tmp_path, text, expect):
    path = tmp_path / "chatbot.toml"
    path.write_text(text)
    result = run("chatbot-worker", path)
    assert result.returncode == 2
    assert expect in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_config_named_by_variable(tmp_path):
    result = run("chatbot", tmp_path / "absent.toml", "inbox", "list")
    assert result.returncode == 2
    assert "absent.toml: config file not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreadable_config(tmp_path):
    path = tmp_path / "chatbot.toml"
    path.mkdir()   # unreadable as a file, even for root
    result = run("chatbot", path, "inbox", "list")
    assert result.returncode == 2
    assert "chatbot.toml: cannot read config file" in result.stderr
    assert "Traceback" not in result.stderr


# -- what would send a secret in clear (issue 10, item 13) ------------------------------

@pytest.mark.parametrize("data, words", [
    ({"smtp": {"host": "mail.example.com", "security": "none", "password": "pw"}}, "[smtp] security"),
    ({"llm": {"backend": "openai", "base_url": "http://10.0.0.5:8000/v1"}}, "[llm] base_url"),
    ({"llm": {"base_url": "http://llm.example.com/v1"}}, "[llm] base_url"),
    ({"whatsapp": {"api_base_url": "http://graph.example.com"}}, "[whatsapp] api_base_url"),
    ({"whatsapp": {"api_base_url": "ftp://graph.facebook.com"}}, "[whatsapp] api_base_url"),
    # issue 23, 13: the notification webhooks carry customers' names and messages
    ({"handoff": {"notify_webhook_url": "http://chat.example.com/hook"}}, "[handoff] notify_webhook_url"),
    ({"alerts": {"webhook_url": "http://192.168.0.9/hook"}}, "[alerts] webhook_url"),
    ({"alerts": {"webhook_url": "file:///etc/passwd"}}, "[alerts] webhook_url"),
])
def test_secrets_in_clear_to_another_host_are_refused(data, words):
    env = {"CHATBOT_SMTP_PASSWORD": "pw"} if "smtp" in data else {}
    with pytest.raises(config.ConfigError) as info:
        config.from_dict(data, path="/etc/chatbot/chatbot.toml", env=env)
    assert words in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("data", [
    {"smtp": {"host": "127.0.0.1", "port": 25, "security": "none", "password": "pw"}},
    {"smtp": {"host": "localhost", "security": "none", "password": "pw"}},
    {"smtp": {"host": "mail.example.com", "security": "none"}},         # no password to leak
    {"smtp": {"host": "mail.example.com", "security": "starttls", "password": "pw"}},
    {"llm": {"backend": "openai", "base_url": "http://127.0.0.1:8000/v1"}},
    {"llm": {"backend": "openai", "base_url": "http://[::1]:8000/v1"}},
    {"llm": {"backend": "openai", "base_url": "https://llm.example.com/v1"}},
    {"whatsapp": {"api_base_url": "http://localhost:9000"}},
    {"handoff": {"notify_webhook_url": "https://chat.example.com/hook"}},
    {"alerts": {"webhook_url": "http://127.0.0.1:9000/hook"}},
])
def test_loopback_or_tls_is_accepted(data):
    config.from_dict(data, env={})


def test_smtp_in_clear_with_a_password_is_one_line_at_start(tmp_path):
    path = tmp_path / "chatbot.toml"
    path.write_text('[smtp]\nhost = "mail.example.com"\nsecurity = "none"\npassword = "pw"\n')
    proc = run("chatbot-check-alerts", path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "[smtp] security" in proc.stderr


def test_every_table_key_has_its_own_check():
    """A key whose default is a dict is a TOML table: it needs its check in config.TABLE_CHECKS
    (before, any dict was silently checked as WhatsApp templates)."""
    import dataclasses
    for section in dataclasses.fields(config.Config):
        if section.name == "path":
            continue
        for f in dataclasses.fields(section.default_factory()):
            if isinstance(getattr(section.default_factory(), f.name), dict):
                assert (section.name, f.name) in config.TABLE_CHECKS, f"[{section.name}] {f.name}"
