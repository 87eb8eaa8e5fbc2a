"""Accounts in the library and through `chatbot users`: scrypt hashes with a
salt each, passwords only from a prompt or stdin (twice), clear one-line
errors, sessions that end with a new password or a removed user."""
from __future__ import annotations

import pytest

from chatbot import accounts, clock, db
from chatbot.commands.main import cli

PW = "uma senha comprida"


@pytest.fixture
def users(runner, cfg, tmp_path, monkeypatch):
    """Run `chatbot users ...` against the test config; returns (invoke, conn)."""
    from support.configs import toml_of
    path = tmp_path / "chatbot.toml"
    path.write_text(toml_of({"paths": {"state_dir": cfg.paths.state_dir}, "llm": {"enabled": False}}))
    monkeypatch.setenv("CHATBOT_CONFIG", str(path))

    def invoke(*args, input=None):
        return runner.invoke(cli, ["users", *args], input=input, catch_exceptions=False)
    return invoke


def twice(pw: str, repeat: str | None = None) -> str:
    return f"{pw}\n{pw if repeat is None else repeat}\n"


def test_hashes_are_scrypt_salted_and_verify(monkeypatch):
    monkeypatch.delenv(accounts.TEST_COST_ENV)
    h1, h2 = accounts.hash_password(PW), accounts.hash_password(PW)
    assert h1 != h2 and h1.startswith(f"scrypt${2 ** 15}$8$1$")
    assert PW not in h1
    assert accounts.verify_password(PW, h1) and accounts.verify_password(PW, h2)
    assert not accounts.verify_password(PW + "x", h1)
    assert not accounts.verify_password(PW, "plain$text") and not accounts.verify_password(PW, "")


@pytest.mark.parametrize("value,cost", [("16", 16), ("1024", 1024), ("15", 2 ** 15), ("3", 2 ** 15),
                                        (str(2 ** 16), 2 ** 15), ("", 2 ** 15), ("cheap", 2 ** 15)])
def test_only_a_power_of_two_below_the_production_cost_makes_hashes_cheaper(monkeypatch, value, cost):
    monkeypatch.setenv(accounts.TEST_COST_ENV, value)
    assert accounts.scrypt_n() == cost
    assert accounts.hash_password(PW).startswith(f"scrypt${cost}$")


def test_add_reads_the_password_twice_from_stdin(users, conn):
    result = users("add", "ana", "--role", "operator", input=twice(PW))
    assert result.exit_code == 0 and result.output.strip() == "added ana (operator)"
    row = conn.execute("SELECT name, role, password_hash, created_at, updated_at FROM users").fetchone()
    assert row["name"] == "ana" and row["role"] == "operator" and row["password_hash"].startswith("scrypt$")
    assert accounts.authenticate(conn, "ana", PW).role == "operator"
    assert accounts.authenticate(conn, "ana", "wrong password!") is None


@pytest.mark.parametrize("stdin,message", [
    (twice(PW, PW + "!"), "the two passwords differ"),
    (twice("curta"), "password too short: at least 10 characters"),
    (PW + "\n", "give the password twice on stdin"),
    ("", "give the password twice on stdin"),
    (twice(" " + PW), "must not start or end with a space"),
])
def test_bad_passwords_are_one_clear_line_and_change_nothing(users, conn, stdin, message):
    result = users("add", "ana", "--role", "operator", input=stdin)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0


def test_the_password_is_never_an_argument(users, conn):
    result = users("add", "ana", "--role", "operator", PW)
    assert result.exit_code == 2 and "unexpected extra argument" in result.output.lower()
    assert users("add", "ana", "--role", "operator", "--password", PW).exit_code == 2
    assert conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0


@pytest.mark.parametrize("args,message", [
    (["add", "ana", "--role", "boss"], "Invalid value for '--role'"),
    (["add", "a  b", "--role", "operator"], "invalid user name"),
    (["add", "-x", "--role", "operator"], "No such option"),
    (["passwd", "nobody"], "error: no user 'nobody'"),
    (["remove", "nobody"], "error: no user 'nobody'"),
    (["role", "nobody", "admin"], "error: no user 'nobody'"),
    (["logout"], "give a user name or --all"),
])
def test_bad_arguments_are_clear(users, args, message):
    result = users(*args, input=twice(PW))
    assert result.exit_code in (1, 2) and message in result.output
    assert "Traceback" not in result.output


def test_a_name_is_taken_once_whatever_its_case(users):
    assert users("add", "ana", "--role", "operator", input=twice(PW)).exit_code == 0
    result = users("add", "ANA", "--role", "admin", input=twice(PW))
    assert result.exit_code == 2 and "already exists" in result.output


def test_list_passwd_role_remove(users, conn):
    users("add", "ana", "--role", "operator", input=twice(PW))
    users("add", "rui", "--role", "admin", input=twice(PW))
    ana = accounts.get(conn, "ana")
    accounts.open_session(conn, ana)
    accounts.open_session(conn, ana)
    out = users("list").output
    assert "ana" in out and "operator" in out and "rui" in out and "admin" in out and "scrypt" not in out
    listed = {u["name"]: u for u in __import__("json").loads(users("list", "--json").output)}
    assert listed["ana"]["sessions"] == 2 and listed["rui"]["sessions"] == 0
    result = users("passwd", "ana", input=twice("outra senha comprida"))
    assert result.exit_code == 0 and "2 session(s) ended" in result.output
    assert accounts.authenticate(conn, "ana", "outra senha comprida") and not accounts.authenticate(conn, "ana", PW)
    assert users("role", "ana", "manager").output.strip() == "ana is now manager"
    accounts.open_session(conn, accounts.get(conn, "ana"))
    result = users("remove", "ana")
    assert result.exit_code == 0 and result.output.strip() == "removed ana; 1 session(s) ended"
    assert accounts.get(conn, "ana") is None
    assert users("logout", "--all").output.strip() == "0 session(s) ended"


def test_sessions_end_and_expire(conn):
    user = accounts.add(conn, "ana", "operator", PW)
    sid, sess = accounts.open_session(conn, user, client="192.0.2.1")
    assert accounts.lookup(conn, sid, None).user == user
    assert accounts.lookup(conn, sid + "x", None) is None
    assert accounts.end_session(conn, sess.id_hash) == 1
    assert accounts.lookup(conn, sid, None) is None
    sid2, _ = accounts.open_session(conn, user)
    clock.freeze(clock.now() + accounts.SESSION_HOURS * 3600 + 1)
    assert accounts.lookup(conn, sid2, None) is None
    clock.advance(31 * 86400)
    from chatbot.ops import maintenance
    assert maintenance.purge(conn, make_cfg_for(conn))["web_sessions"] == 2


def make_cfg_for(conn):
    from chatbot import config
    return config.from_dict({}, env={})


def test_token_sessions_need_the_token_in_force(conn):
    tok = "t" * 40
    sid, _ = accounts.open_session(conn, accounts.TOKEN_USER, token=tok)
    assert accounts.lookup(conn, sid, tok).user == accounts.TOKEN_USER
    assert accounts.lookup(conn, sid, "u" * 40) is None and accounts.lookup(conn, sid, "") is None
    assert accounts.end_stale_token_sessions(conn, tok) == 0
    assert accounts.end_stale_token_sessions(conn, "u" * 40) == 1
    assert accounts.lookup(conn, sid, tok) is None


def test_the_migration_keeps_roles_honest(conn):
    with pytest.raises(db.sqlite3.IntegrityError):
        with db.transaction(conn):
            conn.execute("INSERT INTO users (name, role, password_hash, created_at, updated_at)"
                         " VALUES ('x', 'root', 'h', 0, 0)")


def test_names_with_accents_and_spaces_and_roles_in_portuguese(users, conn):
    result = users("add", "João Silva", "--role", "gerente", input=twice(PW))
    assert result.exit_code == 0 and result.output.strip() == "added João Silva (manager)"
    assert users("role", "João Silva", "administrador").exit_code == 0
    assert accounts.get(conn, "joão silva").role == "admin"
    for bad in (" ana", "ana ", "a  b", "_ana", "a/b", "x"):
        with pytest.raises(accounts.AccountError):
            accounts.check_name(bad)
