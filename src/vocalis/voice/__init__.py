from vocalis.voice.builtin import builtin_voices, default_voice, resolve_voice
from vocalis.voice.voice import Voice

__all__ = ["Voice", "builtin_voices", "default_voice", "resolve_voice"]
