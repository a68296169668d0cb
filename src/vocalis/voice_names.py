"""Voice names the surfaces give a meaning of their own (kept apart from the voice modules, which load the
model's packs: a request is checked, and a clone's name refused, without them)."""

# The default voice (the best built-in one for the text's language) has three spellings on the surfaces.
DEFAULT_VOICE_NAMES = ("", "default", "auto")
# OpenAI's voice names, each mapped to the built-in voice nearest it in kind (male or female), the clearest first:
# alloy, OpenAI's default, gets the clearest English voice.
OPENAI_VOICES = {
    **dict.fromkeys(("alloy", "ash", "ballad", "cedar", "echo", "fable", "onyx", "verse"), "jm_kumo"),
    **dict.fromkeys(("coral", "shimmer"), "jf_gongitsune"),
    **dict.fromkeys(("marin", "sage"), "jf_tebukuro"),
    "nova": "jf_nezumi",
}
