"""Voice packages (`.vvp`) for the market: a consented voice exported with a watermarked sample and its
licence, signed by the creator's key; its CID equal to a real IPFS UnixFS importer's (npm
ipfs-unixfs-importer); any changed byte or a foreign signature refused by verify and import; a voice made over
another base model refused; the package kept in the store by CID and refused when the stored bytes change."""

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from vocalis.acoustic.assets import model_sha256
from vocalis.audio import Audio
from vocalis.errors import ConsentError, PackageError, PackageTampered
from vocalis.market.cid import cid_of_bytes, cid_of_file
from vocalis.market.keys import creator_key
from vocalis.market.licence import LicenceTerms
from vocalis.market.package import build_package, read_package
from vocalis.market.store import LocalStore
from vocalis.service.packaging import PackageOptions, export_package, import_package
from vocalis.studio.cli import main
from vocalis.trust.consent import grant_written, revoke
from vocalis.trust.watermark import read_marks
from vocalis.voice.builtin import builtin_voices
from vocalis.voice.library import load_voice, save_voice
from vocalis.voice.voice import Voice

JS = Path(__file__).resolve().parents[1] / "js"
LICENCE = LicenceTerms(per_use=1_000, per_1k_chars=250, uses=("personal", "commercial"), expires="2030-01-01")


def _real_ipfs_cids(*paths: Path) -> list[str]:
    """What the real importer computes: `make test` installs it (js/package.json)."""
    assert shutil.which("node") and (JS / "node_modules" / "ipfs-unixfs-importer").is_dir(), "run `make js`"
    out = subprocess.run(["node", str(JS / "ipfs_cid.mjs"), *map(str, paths)], capture_output=True, text=True,
                         check=True)
    return out.stdout.split()


def _consented(name: str = "narrator", pitch: float = 1.1) -> Voice:
    voice = Voice(name=name, style=builtin_voices()["jf_alpha"].style[:1] * 1.02, pitch_scale=pitch,
                  meta={"source": "clone"})
    save_voice(voice)
    grant_written(voice, _document(), "user:operator")
    return voice


def _document() -> Path:
    path = Path.cwd() / "consent.pdf"
    path.write_bytes(b"%PDF-1.4 the narrator authorises a synthetic copy of their voice")
    return path


@pytest.fixture
def exported(tts, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    voice = _consented()
    path, package = export_package(tts, voice.name, tmp_path / "narrator.vvp",
                                   PackageOptions(gender="female", tags=("warm", "audiobook"), licence=LICENCE))
    return voice, path, package


def test_an_exported_package_holds_the_voice_its_terms_and_a_marked_sample(exported, tts, tmp_path):
    voice, path, package = exported
    assert package.listing.name == "narrator" and package.listing.tags == ("warm", "audiobook")
    assert package.licence == LICENCE and package.licence.price(1_001) == 1_000 + 251  # to the character
    assert package.voice_id == voice.id and package.base_model_sha256 == model_sha256()
    assert len(package.consent_sha256) == 64 and package.creator
    assert package.cid == cid_of_file(path) and package.cid.startswith("bafk")  # one chunk: a raw leaf
    (tmp_path / "sample.wav").write_bytes(package.sample)
    sample = Audio.load(tmp_path / "sample.wav")
    assert sample.duration > 2 and read_marks(sample).id == tts.mark_id  # watermarked like any output
    assert LocalStore().get(package.cid) == path.read_bytes()  # kept by CID


def test_cids_equal_a_real_ipfs_importers_for_100_kb_and_3_mb_packages(exported, tmp_path):
    _, path, package = exported
    voice = builtin_voices()["jf_alpha"]
    big = build_package(package.listing, LICENCE, "voice.npz", path.read_bytes()[:90_000],
                        np.random.default_rng(0).bytes(3_000_000), voice_id=voice.id,
                        base_model_sha256=model_sha256(), consent_sha256="0" * 64, key=creator_key())
    (tmp_path / "big.vvp").write_bytes(big)
    small = tmp_path / "small.vvp"
    small.write_bytes(path.read_bytes()[:100_000])  # the CID is of bytes, whatever they hold
    files = [path, small, tmp_path / "big.vvp"]
    assert 90_000 <= small.stat().st_size <= 110_000 and (tmp_path / "big.vvp").stat().st_size > 3_000_000
    assert [cid_of_file(f) for f in files] == _real_ipfs_cids(*files)
    assert cid_of_bytes(big).startswith("bafy")  # over 256 KiB: a dag-pb root over raw leaves


def _rewritten(path: Path, name: str, change) -> bytes:
    """The package with entry `name` changed, everything else as it was."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, change(data) if info.filename == name else data)
    return out.getvalue()


def test_a_changed_byte_or_a_foreign_signature_is_refused(exported, tmp_path):
    _, path, _ = exported
    assert main(["package", "verify", str(path)]) == 0
    flipped = bytearray(path.read_bytes())
    flipped[len(flipped) // 2] ^= 1  # a byte in the sample
    cases = {
        "flipped.vvp": bytes(flipped),
        "sample.vvp": _rewritten(path, "sample.wav", lambda d: d[:-2] + b"\x00\x01"),
        "terms.vvp": _rewritten(path, "vvp.json", lambda d: d.replace(b'"per_use":1000', b'"per_use":1')),
        "resigned.vvp": _resigned(path),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        assert main(["package", "verify", str(tmp_path / name)]) == 1, name
        with pytest.raises(PackageTampered):
            import_package(tmp_path / name, name="copy")
    (tmp_path / "notes.vvp").write_text("not a package")
    assert main(["package", "verify", str(tmp_path / "notes.vvp")]) == 2
    assert main(["package", "verify", str(tmp_path / "missing.vvp")]) == 2


def _resigned(path: Path) -> bytes:
    """The package's manifest signed again by someone else's key, their key left in signature.json."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from vocalis.market.keys import public_text, sign

    other = Ed25519PrivateKey.generate()
    with zipfile.ZipFile(path) as z:
        manifest = z.read("vvp.json")
    signature = f'{{"algorithm":"ed25519","public_key":"{public_text(other)}","signature":"{sign(other, manifest)}"}}'
    return _rewritten(path, "signature.json", lambda _: signature.encode())


def test_import_adds_the_same_voice_and_refuses_another_base_model(exported, tmp_path, capsys):
    voice, path, package = exported
    assert main(["package", "import", str(path), "--name", "bought"]) == 0
    bought = load_voice("bought")
    assert bought.id == voice.id and bought.meta["package"]["cid"] == package.cid
    assert bought.meta["package"]["licence"]["per_use"] == 1_000
    assert main(["package", "import", str(path), "--name", "bought"]) == 2  # the name is taken
    assert "--force" in capsys.readouterr().err

    other_model = build_package(package.listing, LICENCE, package.voice_file, package.voice_bytes,
                                package.sample, voice_id=package.voice_id, base_model_sha256="f" * 64,
                                consent_sha256=package.consent_sha256, key=creator_key())
    (tmp_path / "other.vvp").write_bytes(other_model)
    assert read_package(other_model).creator == package.creator  # signed and whole...
    with pytest.raises(PackageError, match="another base model"):  # ...but not for this model
        import_package(tmp_path / "other.vvp", name="other")


def test_only_a_consented_voice_is_packaged(tts, tmp_path, capsys):
    voice = Voice(name="unasked", style=builtin_voices()["jm_kumo"].style[:1], meta={"source": "clone"})
    save_voice(voice)
    with pytest.raises(ConsentError, match="no active consent"):
        export_package(tts, "unasked", tmp_path / "unasked.vvp")
    grant_written(voice, _document_in(tmp_path), "user:operator")
    revoke(voice, "user:operator")
    assert main(["package", "export", "unasked", "-o", str(tmp_path / "unasked.vvp")]) == 2
    assert "no active consent" in capsys.readouterr().err and not (tmp_path / "unasked.vvp").exists()
    assert main(["package", "export", "jf_alpha", "-o", str(tmp_path / "pack.vvp")]) == 2  # not the user's voice


def _document_in(folder: Path) -> Path:
    path = folder / "consent.pdf"
    path.write_bytes(b"%PDF-1.4 signed")
    return path


def test_the_store_refuses_bytes_that_no_longer_match_their_cid(tmp_path):
    store = LocalStore(tmp_path / "store")
    data = b"a package's bytes" * 1000
    cid = store.put(data)
    assert store.get(cid) == data
    (tmp_path / "store" / f"{cid}.vvp").write_bytes(data + b"!")
    with pytest.raises(PackageTampered):
        store.get(cid)
    with pytest.raises(PackageError, match="not a package CID"):
        store.get("../../etc/passwd")
