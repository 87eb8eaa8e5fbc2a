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
