"""Kokoro-82M network (StyleTTS2 + iSTFTNet), vendored and trimmed from hexgrad/kokoro (Apache-2.0).

Only the inference path for one utterance (batch 1) is kept: no padding masks, no dropout, no hub
downloads. Weight normalisation is gone because the weights we load are already fused (g * v / |v|).
"""

from vocalis.acoustic.net.model import KokoroNet

__all__ = ["KokoroNet"]
