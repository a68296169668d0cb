import pytest

from vocalis import Vocalis


@pytest.fixture(scope="session")
def tts() -> Vocalis:
    return Vocalis()


@pytest.fixture(autouse=True)
def voice_library(tmp_path_factory, monkeypatch):
    """Each test gets an empty voice library: tests never read or write the user's own voices."""
    home = tmp_path_factory.mktemp("vocalis-home")
    monkeypatch.setenv("VOCALIS_HOME", str(home))
    return home / "voices"
