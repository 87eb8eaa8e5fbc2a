"""install.sh's generated secrets: the tokens never appear on a command line
(any local user can read /proc/PID/cmdline while a command runs).

Runs install.sh's own install_config function in bash against a temporary
/etc, with every command it starts wrapped to record its arguments."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from support.servers import ROOT

COMMANDS = ("sed", "python3", "install", "mv", "chown", "chmod", "cat", "tee", "printf")


def _functions() -> str:
    text = (ROOT / "install.sh").read_text()
    # Every top-level function definition (name() { ... } to the closing brace at column 0).
    return "\n".join(m.group(0) for m in re.finditer(r"(?ms)^[a-z_]+\(\) \{.*?^\}\n", text))


def _shims(tmp_path, log) -> Path:
    shims = tmp_path / "shims"
    shims.mkdir()
    for name in COMMANDS:
        real = shutil.which(name)
        if real is None:
            continue
        shim = shims / name
        shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "{name} $*" >> "{log}"\nexec "{real}" "$@"\n')
        shim.chmod(0o755)
    return shims


def test_generated_tokens_are_never_on_a_command_line(tmp_path):
    log = tmp_path / "argv.log"
    shims = _shims(tmp_path, log)
    etc = tmp_path / "etc"
    script = _functions() + f'''
set -euo pipefail
SRC={ROOT}
ETC={etc}
USER_NAME=$(id -gn)
install_config
'''
    env = dict(os.environ, PATH=f"{shims}:{os.environ['PATH']}")
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60,
                          )
    assert proc.returncode == 0, proc.stderr
    secrets = dict(line.split("=", 1) for line in (etc / "secrets.env").read_text().splitlines()
                   if line and not line.startswith("#"))
    tokens = [secrets["CHATBOT_ADMIN_TOKEN"], secrets["WHATSAPP_VERIFY_TOKEN"], secrets["CHATBOT_METRICS_TOKEN"]]
    assert all(len(t) >= 40 for t in tokens) and len(set(tokens)) == 3
    assert oct((etc / "secrets.env").stat().st_mode & 0o777) == "0o640"
    argv = log.read_text()
    assert "python3" in argv or "sed" in argv            # the shims did see the commands
    for t in tokens:
        assert t not in argv and t[:16] not in argv


OLD_SECRETS = """# an install from before the metrics token
CHATBOT_ADMIN_TOKEN=admin-token-of-the-operator-0123456789abcdef
WHATSAPP_VERIFY_TOKEN=verify
#CHATBOT_METRICS_TOKEN=
"""


def _upgrade(tmp_path, toml: str) -> tuple[subprocess.CompletedProcess, Path, str]:
    """install.sh's metrics check and token on an existing /etc/chatbot, as an upgrade runs them."""
    log = tmp_path / "argv.log"
    shims = _shims(tmp_path, log)
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "secrets.env").write_text(OLD_SECRETS)
    (etc / "secrets.env").chmod(0o640)
    (etc / "chatbot.toml").write_text(f'[paths]\nstate_dir = "{tmp_path / "state"}"\n' + toml)
    # The venv install.sh asks is this one; as_chatbot runs as whoever runs the test.
    venv = Path(sys.executable).parent.parent
    script = _functions() + f'''
set -euo pipefail
SRC={ROOT}
ETC={etc}
USER_NAME=$(id -gn)
as_chatbot() {{ sh -c 'set -a; . "$0"; set +a; exec "$@"' "$ETC/secrets.env" env CHATBOT_CONFIG="$ETC/chatbot.toml" \\
    PYTHONPATH={ROOT / "lib"} "$@"; }}
if metrics_open {venv}; then add_metrics_token; fi
'''
    env = dict(os.environ, PATH=f"{shims}:{os.environ['PATH']}")
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120)
    return proc, etc / "secrets.env", log.read_text() if log.exists() else ""


def test_an_upgrade_closes_an_open_metrics_endpoint_with_a_new_token(tmp_path):
    proc, secrets, argv = _upgrade(tmp_path, "")
    assert proc.returncode == 0, proc.stderr
    assert "/metrics was open to anyone" in proc.stdout
    text = secrets.read_text()
    token = re.search(r"^CHATBOT_METRICS_TOKEN=(\S+)$", text, re.M).group(1)
    assert len(token) >= 40 and token not in argv and token[:16] not in argv
    # The operator's other lines stay as they were; the file keeps its mode.
    assert text == OLD_SECRETS.replace("#CHATBOT_METRICS_TOKEN=", f"CHATBOT_METRICS_TOKEN={token}")
    assert oct(secrets.stat().st_mode & 0o777) == "0o640"


def test_an_upgrade_leaves_a_metrics_endpoint_the_operator_restricted(tmp_path):
    """An allow-list is the operator's choice: Prometheus scraping without a token keeps working."""
    proc, secrets, _ = _upgrade(tmp_path, '[web]\nmetrics_allow = ["10.0.0.5"]\n')
    assert proc.returncode == 0, proc.stderr
    assert "/metrics" not in proc.stdout and secrets.read_text() == OLD_SECRETS
