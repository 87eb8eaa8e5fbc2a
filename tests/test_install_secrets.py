"""install.sh's generated secrets: the tokens never appear on a command line
(any local user can read /proc/PID/cmdline while a command runs).

Runs install.sh's own install_config function in bash against a temporary
/etc, with every command it starts wrapped to record its arguments."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

from support.servers import ROOT

COMMANDS = ("sed", "python3", "install", "mv", "chown", "chmod", "cat", "tee", "printf")


def _functions() -> str:
    text = (ROOT / "install.sh").read_text()
    # Every top-level function definition (name() { ... } to the closing brace at column 0).
    return "\n".join(m.group(0) for m in re.finditer(r"(?ms)^[a-z_]+\(\) \{.*?^\}\n", text))


def test_generated_tokens_are_never_on_a_command_line(tmp_path):
    shims = tmp_path / "shims"
    shims.mkdir()
    log = tmp_path / "argv.log"
    for name in COMMANDS:
        real = shutil.which(name)
        if real is None:
            continue
        shim = shims / name
        shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "{name} $*" >> "{log}"\nexec "{real}" "$@"\n')
        shim.chmod(0o755)
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
    tokens = [secrets["CHATBOT_ADMIN_TOKEN"], secrets["WHATSAPP_VERIFY_TOKEN"]]
    assert all(len(t) >= 40 for t in tokens) and tokens[0] != tokens[1]
    assert oct((etc / "secrets.env").stat().st_mode & 0o777) == "0o640"
    argv = log.read_text()
    assert "python3" in argv or "sed" in argv            # the shims did see the commands
    for t in tokens:
        assert t not in argv and t[:16] not in argv
