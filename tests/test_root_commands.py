"""`chatbot` run as root (sudo): it becomes the state directory's owner
before touching anything there, writes temporary files it never follows
links through, and finds the secrets the units get from secrets.env."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatbot.commands.main import cli
from support.configs import ACCESS_TOKEN, APP_SECRET, toml_of
from support.servers import command, free_port, readable_by_others, run, wait_http

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: checks what `sudo chatbot` does")
# The command drops to the state directory's owner, who must be able to read the code it runs.
READABLE = pytest.mark.skipif(not readable_by_others(),
                              reason="this Python or checkout is not readable by other users (e.g. under /root)")
NOBODY = 65534
STORE = Path(__file__).parent / "data" / "teststore"


def _in_child(fn) -> int:
    """Run ``fn`` in a forked child (it may give up root); return its exit status."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = fn()
        except BaseException:
            import traceback
            traceback.print_exc()
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


@ROOT_ONLY
@READABLE
def test_kb_import_as_root_never_follows_the_service_users_symlinks():
    top = Path(tempfile.mkdtemp(prefix="chatbot-root-", dir="/tmp"))
    try:
        top.chmod(0o755)
        for name in ("catalog.csv", "store.toml"):
            shutil.copy(STORE / name, top / name)
            (top / name).chmod(0o644)
        victim = top / "victim.txt"
        victim.write_text("precious\n")
        victim.chmod(0o644)
        # Warm up as root on a root-owned state: every module the command
        # needs is loaded before the child gives up the right to read them.
        warm = top / "warm.toml"
        warm.write_text(toml_of({"paths": {"state_dir": str(top / "warm-state")}, "llm": {"enabled": False}}))
        args = ["kb", "import", "--catalog", str(top / "catalog.csv"), "--store", str(top / "store.toml")]
        assert CliRunner().invoke(cli, ["--help"]).exit_code == 0
        assert CliRunner().invoke(cli, [*args, "--config", str(warm)], catch_exceptions=False).exit_code == 0
        # The service user's state, with links planted where fixed temporary names used to be.
        state = top / "state"
        (state / "kb").mkdir(parents=True)
        for d in (state, state / "kb"):
            os.chown(d, NOBODY, NOBODY)
        for name in (".store.toml.tmp", ".catalog.csv.tmp"):
            os.symlink(victim, state / "kb" / name)
            os.lchown(state / "kb" / name, NOBODY, NOBODY)
        cfg_path = top / "chatbot.toml"
        cfg_path.write_text(toml_of({"paths": {"state_dir": str(state)}, "llm": {"enabled": False}}))

        def child() -> int:
            result = CliRunner().invoke(cli, [*args, "--config", str(cfg_path)], catch_exceptions=False)
            print(result.output)
            return result.exit_code
        assert _in_child(child) == 0
        assert victim.read_text() == "precious\n"
        assert (state / "kb" / "store.toml").read_bytes() == (STORE / "store.toml").read_bytes()
        for p in (state / "kb" / "store.toml", state / "kb" / "catalog.csv", state / "chatbot.db"):
            assert p.stat().st_uid == NOBODY, p
    finally:
        shutil.rmtree(top)


@pytest.mark.slow
def test_send_test_reads_the_units_secrets_file(tmp_path, graph):
    """Live mode with the secrets only in secrets.env (as install.sh writes
    them): the services get them from systemd, `chatbot send-test` reads the
    file itself, so its webhook is signed and answered."""
    port = free_port()
    cfg_path = tmp_path / "chatbot.toml"
    cfg_path.write_text(toml_of({
        "paths": {"state_dir": str(tmp_path / "state")}, "web": {"host": "127.0.0.1", "port": port},
        "whatsapp": {"api_base_url": graph.url, "phone_number_ids": ["106540352242922"]},
        "worker": {"lease_seconds": 3, "poll_interval_seconds": 0.05}, "llm": {"enabled": False}}))
    secrets = {"WHATSAPP_APP_SECRET": APP_SECRET, "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN}
    (tmp_path / "secrets.env").write_text("# as install.sh writes it\n" +
                                          "".join(f"{k}={v}\n" for k, v in secrets.items()))
    (tmp_path / "secrets.env").chmod(0o640)
    web = command("chatbot-web", cfg_path, env=secrets)
    worker = command("chatbot-worker", cfg_path, env=secrets)
    try:
        wait_http(f"http://127.0.0.1:{port}/health")
        clean = {k: "" for k in secrets}         # nothing in the operator's own environment
        r = run("chatbot", cfg_path, "send-test", "Vocês abrem domingo?", "--from", "5585999990000",
                "--timeout", "60", env=clean)
        assert r.returncode == 0, r.stderr
        assert len(graph.sends()) == 1 and graph.sends()[0]["body"]["text"]["body"] == r.stdout.strip()
    finally:
        for p in (web, worker):
            p.terminate()
            p.wait(15)
