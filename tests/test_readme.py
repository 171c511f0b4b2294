"""README's first command (the main job on bundled data) runs and prints what README shows."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

from conftest import ROOT


def test_readme_first_command_prints_the_traceback_shown() -> None:
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"```sh\npip install \. && (shakentrace .*)\n```", readme)
    shown = re.search(r"```text\n(.*?)```", readme, re.S)
    assert command is not None
    assert shown is not None
    argv = [sys.executable, "-m", "shakentrace", *shlex.split(command.group(1))[1:]]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
    result = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(shown.group(1))
