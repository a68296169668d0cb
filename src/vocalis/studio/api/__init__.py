"""The HTTP API (`vocalis serve`): OpenAI-compatible `/v1/audio/speech` and native endpoints."""

from vocalis.studio.api.app import create_app

__all__ = ["create_app"]
