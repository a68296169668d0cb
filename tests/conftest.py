import pytest

from vocalis import Vocalis


@pytest.fixture(scope="session")
def tts() -> Vocalis:
    return Vocalis()
