"""Responsible cloning: watermarks that every output carries."""
