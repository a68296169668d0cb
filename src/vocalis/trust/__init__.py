"""Responsible cloning: consent, the audit log, content credentials and the watermarks on every output."""
