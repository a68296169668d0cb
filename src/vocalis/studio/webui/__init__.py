"""The browser interface (`vocalis webui`): Speak, Clone, Library and History tabs over one engine.

Gradio reads GRADIO_ANALYTICS_ENABLED when it is imported: it is set here first, as the product
works offline and must not phone home."""

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

from vocalis.studio.webui.app import create_ui, launch  # noqa: E402 -- after the environment is set

__all__ = ["create_ui", "launch"]
