# Adapted from hexgrad/kokoro (kokoro/model.py, Apache-2.0): the module tree of KModel, without the
# Hugging Face download and loading code (weights come from the int8 ONNX, see vocalis.acoustic.weights).
"""The Kokoro-82M module tree with its v1.0 hyper-parameters."""

from __future__ import annotations

import math

from torch import nn

from vocalis.acoustic.net.albert import Albert, AlbertConfig
from vocalis.acoustic.net.istftnet import Decoder, SourceModuleHnNSF
from vocalis.acoustic.net.modules import ProsodyPredictor, TextEncoder

# hexgrad/Kokoro-82M config.json (v1.0), minus the vocabulary (vocalis.text.vocab.vocab()).
N_TOKEN = 178
HIDDEN_DIM = 512
STYLE_DIM = 128
N_LAYER = 3
MAX_DUR = 50
TEXT_ENCODER_KERNEL_SIZE = 5
PLBERT = dict(hidden_size=768, num_attention_heads=12, intermediate_size=2048,
              max_position_embeddings=512, num_hidden_layers=12)
ISTFTNET = dict(upsample_kernel_sizes=[20, 12], upsample_rates=[10, 6], gen_istft_hop_size=5,
                gen_istft_n_fft=20, resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5], [1, 3, 5]],
                resblock_kernel_sizes=[3, 7, 11], upsample_initial_channel=512)
SAMPLE_RATE = 24000
# Samples per F0 value: the generator's upsampling times the iSTFT hop.
UPSAMPLE_SCALE = math.prod(ISTFTNET["upsample_rates"]) * ISTFTNET["gen_istft_hop_size"]


class KokoroNet(nn.Module):
    """Submodules only; the stages that chain them live in vocalis.acoustic.stages."""

    def __init__(self, decoder: bool = True) -> None:
        """`decoder=False` leaves `self.decoder` None: the decoder holds two thirds of the weights and
        inference runs its ONNX export, so it is only built when a caller needs it in PyTorch."""
        super().__init__()
        config = AlbertConfig(vocab_size=N_TOKEN, **PLBERT)
        self.bert = Albert(config)
        self.bert_encoder = nn.Linear(config.hidden_size, HIDDEN_DIM)
        self.predictor = ProsodyPredictor(STYLE_DIM, HIDDEN_DIM, N_LAYER, MAX_DUR)
        self.text_encoder = TextEncoder(HIDDEN_DIM, TEXT_ENCODER_KERNEL_SIZE, N_LAYER, N_TOKEN)
        # Kokoro's generator owns its harmonic source; here it is the front's last stage, so that the
        # decoder is a pure filter of its inputs and can run on any slice of them (chunked decoding).
        self.source = SourceModuleHnNSF(SAMPLE_RATE, UPSAMPLE_SCALE)
        self.decoder = build_decoder() if decoder else None


def build_decoder() -> Decoder:
    """KokoroNet's decoder on its own (load it with the `decoder.`-prefixed state-dict entries)."""
    return Decoder(HIDDEN_DIM, STYLE_DIM, **ISTFTNET)
