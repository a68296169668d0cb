"""The `vocalis` command line, a thin surface over the service layer."""

from vocalis.studio.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
