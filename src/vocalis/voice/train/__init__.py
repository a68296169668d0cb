"""Few-shot training: about a minute of someone's speech becomes a trained voice (see `trainer`)."""

from vocalis.voice.train.options import DecoderFit, TrainingCancelled, TrainOptions, TrainProgress

__all__ = ["DecoderFit", "TrainOptions", "TrainProgress", "TrainingCancelled"]
