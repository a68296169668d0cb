"""systemd units that keep `vocalis serve` or `vocalis webui` running: started at boot (or at the user's
login), restarted whenever they stop, with this installation's interpreter, data home and database."""

from __future__ import annotations

import os
import pwd
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vocalis.errors import VocalisError
from vocalis.home import SETTINGS_ENV, data_home

Surface = Literal["serve", "webui"]
DESCRIPTIONS = {"serve": "Vocalis HTTP API", "webui": "Vocalis web UI"}


@dataclass(frozen=True)
class Unit:
    name: str  # vocalis-serve.service
    text: str
    folder: Path  # where systemd looks for it
    user: bool  # a user unit (systemctl --user)

    @property
    def enable(self) -> str:
        scope = " --user" if self.user else ""
        return f"systemctl{scope} daemon-reload && systemctl{scope} enable --now {self.name}"


def unit_for(surface: Surface, user: bool, args: list[str]) -> Unit:
    """The unit running `vocalis SURFACE ARGS...` as the current user: a system unit (multi-user.target,
    `User=`) or, with `user`, one in the user's own systemd (default.target)."""
    if surface not in DESCRIPTIONS:
        raise VocalisError(f"unknown service {surface!r}: choose serve or webui")
    command = [sys.executable, "-m", "vocalis.studio.cli", surface, *args]
    # Vocalis's settings from the installing shell, nothing else of it (no tokens, no PATH); the data home resolved.
    env = {**{k: os.environ[k] for k in SETTINGS_ENV if os.environ.get(k)}, "VOCALIS_HOME": str(data_home())}
    lines = ["[Unit]", f"Description={DESCRIPTIONS[surface]}", "After=network-online.target",
             "Wants=network-online.target", "", "[Service]", "Type=simple",
             "ExecStart=" + " ".join(_quoted(part).replace("$", "$$") for part in command),  # $: a variable
             *(f"Environment={_quoted(f'{k}={v}')}" for k, v in env.items()),
             "Restart=always", "RestartSec=2",
             # The server drains for 5 s on SIGTERM (see cli.service_commands.DRAIN_S): give it that and more.
             "KillSignal=SIGTERM", "TimeoutStopSec=15", "UMask=0077"]
    if not user:
        lines.append(f"User={pwd.getpwuid(os.getuid()).pw_name}")
    lines += ["", "[Install]", f"WantedBy={'default.target' if user else 'multi-user.target'}", ""]
    folder = (Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "systemd" / "user" if user
              else Path("/etc/systemd/system"))
    return Unit(f"vocalis-{surface}.service", "\n".join(lines), folder, user)


def install(unit: Unit, folder: Path | None = None) -> Path:
    """Write the unit into `folder` (default: where systemd reads it)."""
    target = (folder or unit.folder) / unit.name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(unit.text, encoding="utf-8")
    except PermissionError:
        raise VocalisError(f"cannot write {target}: a system unit needs root (sudo), or install a user unit "
                           "with --user") from None
    return target


def _quoted(word: str) -> str:
    """systemd's quoting: double quotes with C escapes where needed; `%` doubled (a specifier otherwise)."""
    word = word.replace("%", "%%")
    if word and not any(c in word for c in " \t\"'\\;"):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
