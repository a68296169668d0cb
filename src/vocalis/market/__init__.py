"""The voice market's plain data and formats: content ids (IPFS CIDv1), creators' Ed25519 keys, licence terms
and the signed `.vvp` voice package."""
