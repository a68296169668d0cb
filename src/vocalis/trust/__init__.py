"""Responsible cloning: consent before a clone speaks, two watermarks and a C2PA manifest on every output,
and a hash-chained audit log of every request (see README, "Responsible cloning")."""
