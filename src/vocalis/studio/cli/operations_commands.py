"""`vocalis service install` (systemd units for serve and webui), `vocalis backup` and `vocalis restore` (a data
home in one archive)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from vocalis.errors import VocalisError
from vocalis.studio.cli.trust_commands import print_audit_check


def cmd_service(args: argparse.Namespace) -> None:
    from vocalis.service.systemd import install, unit_for

    try:
        extra = shlex.split(args.args)
    except ValueError as e:
        raise VocalisError(f"--args {args.args!r}: {e}") from None
    from vocalis.studio.cli.main import build_parser

    build_parser().parse_args([args.surface, *extra])  # a mistake is one line now, not a unit failing at boot
    unit = unit_for(args.surface, args.user, extra)
    if args.print:
        print(unit.text, end="")
        return
    path = install(unit, Path(args.dir) if args.dir else None)
    print(f"wrote {path}", file=sys.stderr)
    print(f"start it now and at every {'login' if args.user else 'boot'}: {unit.enable}", file=sys.stderr)


def cmd_backup(args: argparse.Namespace) -> None:
    from vocalis.service.backup import backup

    report = backup(args.file)
    audit = "" if report.audit is None else (
        f", {report.audit.records} audit records, {'chain intact' if report.audit.ok else 'CHAIN BROKEN'}")
    print(f"backed up {report.files} files to {report.path} ({report.bytes / 1e6:.1f} MB): "
          f"{report.voices} voice files{audit}", file=sys.stderr)
    if report.note:
        print(f"note: {report.note}", file=sys.stderr)


def cmd_restore(args: argparse.Namespace) -> int:
    from vocalis.service.backup import restore

    report = restore(args.file, force=args.force)
    print(f"restored {report.files} files into {report.home}: {report.voices} voice files", file=sys.stderr)
    return 0 if report.audit is None else print_audit_check(report.audit, sys.stderr, "audit log: ")


def add_operations_commands(sub: argparse._SubParsersAction) -> None:
    service = sub.add_parser("service", help="install a systemd unit that keeps serve or webui running",
                             description="Write a systemd unit for `vocalis serve` or `vocalis webui` with this "
                                         "installation's Python, the data home (VOCALIS_HOME) and database "
                                         "(VOCALIS_DB_URL), Restart=always; e.g. `vocalis service install serve "
                                         "--args=\"--host 0.0.0.0 --port 8000\"`.")
    actions = service.add_subparsers(dest="action", required=True, metavar="ACTION")
    install = actions.add_parser("install", help="write the unit (then enable it with systemctl)")
    install.add_argument("surface", choices=("serve", "webui"))
    install.add_argument("--args", default="", metavar='"ARGS"',
                         help='arguments for the surface, as one string: --args="--host 0.0.0.0 --port 8000"')
    install.add_argument("--user", action="store_true",
                         help="a user unit (~/.config/systemd/user, started at login; no root needed) instead of a "
                              "system unit (/etc/systemd/system, started at boot, runs as you)")
    install.add_argument("--dir", metavar="FOLDER", help="write the unit here instead of where systemd reads it")
    install.add_argument("--print", action="store_true", help="print the unit instead of writing it")
    service.set_defaults(run=cmd_service)

    back = sub.add_parser("backup", help="the data home in one archive (voices, consent, audit, keys, history)",
                          description="Write voices, consent records and recordings, the audit log and its key, API "
                                      "keys, the web UI's history and presets, signing keys and market packages "
                                      "into one .tar.gz (databases copied consistently, even while a server runs). "
                                      "Job outputs, training checkpoints and unfinished dubs are left out.")
    back.add_argument("file", help="the archive to write, e.g. vocalis-backup.tar.gz")
    back.set_defaults(run=cmd_backup)

    rest = sub.add_parser("restore", help="bring a backup into the data home, and verify its audit log",
                          description="Check every file of the archive against its checksums, then restore it into "
                                      "the data home (VOCALIS_HOME) and verify the audit chain (exit 1 if broken). "
                                      "A home that already holds voices, keys or an audit log is refused unless "
                                      "--force. Stop the server first.")
    rest.add_argument("file", help="an archive written by `vocalis backup`")
    rest.add_argument("--force", action="store_true", help="replace what the data home holds")
    rest.set_defaults(run=cmd_restore)

