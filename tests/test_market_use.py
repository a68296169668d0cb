"""A market voice used for real: a consenting creator publishes a voice, a buyer licenses it and speaks with it
through the service (the model renders; Whisper hears the words); each complete use is charged once from what
was made; no licence or no funds means nothing renders; revoking consent stops every licence at once; `verify`
of an output names the voice, the licence and the buyer."""

import pytest

from vocalis.asr import transcribe
from vocalis.audio import Audio
from vocalis.errors import LicenceRefused, MarketError, PaymentRequired
from vocalis.market.ledger import PLATFORM, balance, deposit, reconcile, statement
from vocalis.market.licence import LicenceTerms
from vocalis.market.registry import browse, grant, licence
from vocalis.service.market import MarketUse, revoke_consent
from vocalis.service.marketplace import Market
from vocalis.service.packaging import PackageOptions
from vocalis.service.request import SpeechRequest
from vocalis.text.error_rate import wer
from vocalis.trust.consent import grant_written
from vocalis.trust.verify import verify_file
from vocalis.voice import default_voice
from vocalis.voice.library import save_voice
from vocalis.voice.voice import Voice

TEXT = "The library opens at nine on weekdays."
TERMS = LicenceTerms(per_use=10_000, per_1k_chars=3_000)


@pytest.fixture
def listed(tts, tmp_path):
    voice = Voice(name="ana", style=default_voice("en").style, pitch_scale=1.05,
                  meta={"source": "clone", "owner": "ana"})  # made through ana's API key
    save_voice(voice)
    document = tmp_path / "consent.pdf"
    document.write_bytes(b"%PDF-1.4 ana authorises a synthetic copy of her voice")
    grant_written(voice, document, "user:operator")
    item = Market("key:ana").publish(tts, "ana", PackageOptions(gender="female", licence=TERMS))
    return voice, item


def _speak(tts, cid: str, use: MarketUse | None, who: str = "key:bob") -> Audio:
    request = SpeechRequest(TEXT, voice=f"market:{cid}", lang="en", market=use)
    return Audio.concat([c.audio for c in tts.open(request, who)])


def test_a_licensed_buyer_speaks_with_the_voice_and_pays_once_per_use(tts, listed, tmp_path):
    voice, item = listed
    assert [p.cid for p in browse(language="en", gender="female")] == [item.cid] and item.creator == "key:ana"
    deposit("key:bob", 100_000)
    held = grant(item.cid, "key:bob")
    audio = _speak(tts, item.cid, MarketUse(held.id, idempotency_key="req-1"))
    assert wer(TEXT, transcribe(audio, lang="en")) <= 0.15
    price = TERMS.price(len(TEXT))
    assert balance("key:bob") == 100_000 - price
    assert balance("key:ana") == price * 80 // 100 and balance(PLATFORM) == price - price * 80 // 100
    _speak(tts, item.cid, MarketUse(held.id, idempotency_key="req-1"))  # the client retried: rendered, not charged
    assert balance("key:bob") == 100_000 - price and licence(held.id).uses == 1
    _speak(tts, item.cid, MarketUse(held.id))  # a new request: charged
    assert balance("key:bob") == 100_000 - 2 * price
    entry = statement("key:bob")[-1]
    assert entry.kind == "use" and entry.mark_id == tts.mark_id and entry.cid == item.cid
    reconcile()

    audio.save(tmp_path / "bought.wav")
    shown = verify_file(tmp_path / "bought.wav").text()
    assert f"licence {held.id}" in shown and "key:bob" in shown and "voice ana" in shown, shown


def test_no_licence_or_no_funds_renders_nothing(tts, listed):
    _, item = listed
    with pytest.raises(PaymentRequired, match="give the licence"):
        _speak(tts, item.cid, None)
    held = grant(item.cid, "key:carol")
    with pytest.raises(PaymentRequired, match="add funds"):
        _speak(tts, item.cid, MarketUse(held.id), who="key:carol")
    with pytest.raises(PaymentRequired):  # bob cannot use carol's licence
        _speak(tts, item.cid, MarketUse(held.id), who="key:bob")
    with pytest.raises(LicenceRefused, match="does not allow political_ads"):
        deposit("key:carol", 100_000)
        _speak(tts, item.cid, MarketUse(held.id, use="political_ads"), who="key:carol")
    assert balance("key:ana") == 0 and licence(held.id).uses == 0


def test_revoked_consent_stops_use_at_once(tts, listed):
    voice, item = listed
    deposit("key:bob", 100_000)
    held = grant(item.cid, "key:bob")
    _speak(tts, item.cid, MarketUse(held.id))
    revoke_consent(voice, "user:operator")
    with pytest.raises(LicenceRefused, match="taken off the market"):
        _speak(tts, item.cid, MarketUse(held.id))
    assert browse() == [] and licence(held.id).revoked_at


def test_the_cli_publishes_licenses_speaks_and_shows_earnings(tts, tmp_path, capsys, monkeypatch):
    from vocalis.studio.cli import main
    from vocalis.trust.audit import local_user

    voice = Voice(name="ben", style=default_voice("en").style, pitch_scale=0.95, meta={"source": "clone"})
    save_voice(voice)
    document = tmp_path / "consent.pdf"
    document.write_bytes(b"%PDF-1.4 ben authorises a synthetic copy of his voice")
    grant_written(voice, document, "user:operator")
    assert main(["market", "publish", "ben", "--per-use", "2000", "--tag", "news", "--gender", "male"]) == 0
    cid = capsys.readouterr().out.split()[1]
    assert main(["market", "list", "--tag", "news"]) == 0 and cid in capsys.readouterr().out
    assert main(["market", "license", cid]) == 0
    licence_id = capsys.readouterr().out.strip()
    out = tmp_path / "news.wav"
    assert main(["market", "use", cid, TEXT, "--licence", licence_id, "-o", str(out)]) == 2  # no funds yet
    assert "add funds" in capsys.readouterr().err and not out.exists()
    assert main(["market", "deposit", "10000"]) == 0
    assert main(["market", "use", cid, TEXT, "--licence", licence_id, "-o", str(out), "--lang", "en"]) == 0
    assert out.is_file()
    capsys.readouterr()
    assert main(["market", "earnings"]) == 0
    shown = capsys.readouterr().out
    # The local user is creator and buyer here: 2,000 spent, 1,600 earned back, so 8,400 + 1,600 = 9,600.
    assert f"{local_user()}: balance 9600 wei, earned 1600 wei, spent 2000 wei" in shown, shown
    assert main(["market", "books"]) == 0 and "chain intact" in capsys.readouterr().out


def test_the_cli_mirrors_the_books_on_the_in_process_chain(tts, listed, capsys):
    from vocalis.studio.cli import main

    _, item = listed
    deposit("key:bob", 100_000)
    held = grant(item.cid, "key:bob")
    _speak(tts, item.cid, MarketUse(held.id))
    assert main(["market", "chain"]) == 1  # ana has no wallet yet: her voice's mint and use wait
    assert "no wallet" in capsys.readouterr().out
    from vocalis.service.marketplace import Market

    Market("key:ana").set_wallet("0x" + "11" * 20)
    assert main(["market", "chain"]) == 0
    shown = capsys.readouterr().out
    assert "sent 2 item(s)" in shown and "chain credits match the books" in shown, shown


def test_a_licensed_copy_carries_the_licence_and_the_buyer_under_the_platforms_signature(tts, listed, tmp_path,
                                                                                          capsys):
    import zipfile

    from vocalis.studio.cli import main

    _, item = listed
    held = grant(item.cid, "key:bob")
    copy = tmp_path / "bob.vvp"
    copy.write_bytes(Market("key:bob").licensed_copy(held.id))
    assert main(["package", "verify", str(copy)]) == 0
    assert f"licensed  to key:bob under licence {held.id} (per_use)" in capsys.readouterr().out
    with pytest.raises(MarketError, match="not yours"):
        Market("key:eve").licensed_copy(held.id)
    with zipfile.ZipFile(copy) as z:  # the licence handed to someone else
        entries = {i.filename: z.read(i) for i in z.infolist()}
    entries["licence.json"] = entries["licence.json"].replace(b"key:bob", b"key:eve")
    forged = tmp_path / "eve.vvp"
    with zipfile.ZipFile(forged, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    assert main(["package", "verify", str(forged)]) == 1
    assert "licence's signature does not hold" in capsys.readouterr().err
