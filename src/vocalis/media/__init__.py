"""Audio and video containers through the FFmpeg inside PyAV: what a file holds (`probe`), its audio read a
window or a block at a time (`read_window`, `audio_blocks`), and a new audio track muxed beside a copied
video stream (`mux_audio`). Nothing here loads a whole soundtrack: a two-hour film streams through."""

from vocalis.media.mux import AUDIO_CODECS, check_container, mux_audio
from vocalis.media.probe import MediaInfo, probe
from vocalis.media.read import audio_blocks, read_window

__all__ = ["AUDIO_CODECS", "MediaInfo", "audio_blocks", "check_container", "mux_audio", "probe", "read_window"]
