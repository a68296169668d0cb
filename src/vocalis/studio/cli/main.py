"""`vocalis` command line: say, dub, run, serve, keys, webui, service, backup, restore, emotion, voices, clone,
train, consent, audit, verify, package, market, phonemes, prepare, eval. Each command lives in the module of its
kind; errors are one line on stderr, exit code 2."""

from __future__ import annotations

import argparse
import logging
import sys

from vocalis.errors import VocalisError, VoiceExists
from vocalis.studio.cli.eval_commands import add_eval_commands
from vocalis.studio.cli.market_commands import add_market_commands
from vocalis.studio.cli.operations_commands import add_operations_commands
from vocalis.studio.cli.package_commands import add_package_commands
from vocalis.studio.cli.service_commands import add_service_commands
from vocalis.studio.cli.speech_commands import add_speech_commands
from vocalis.studio.cli.train_command import add_train_command
from vocalis.studio.cli.trust_commands import add_trust_commands
from vocalis.studio.cli.voice_commands import add_voice_commands


class _Parser(argparse.ArgumentParser):
    """Usage mistakes are reported like every other error: one line, exit code 2."""

    def error(self, message: str):
        raise VocalisError(f"{message} (see: {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="vocalis", description="Offline English and Mandarin text-to-speech.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_speech_commands(sub)
    add_service_commands(sub)
    add_operations_commands(sub)
    add_voice_commands(sub)
    add_train_command(sub)
    add_trust_commands(sub)
    add_package_commands(sub)
    add_market_commands(sub)
    add_eval_commands(sub)
    return p


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def main(argv: list[str] | None = None) -> int:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    logger = logging.getLogger("vocalis")
    logger.addHandler(handler)
    try:
        args = build_parser().parse_args(argv)
        code = args.run(args)  # most commands return None: success
    except VocalisError as e:
        replace = " (--force replaces it)" if isinstance(e, VoiceExists) else ""
        print(f"error: {e}{replace}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        logger.removeHandler(handler)
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
