import io
import json
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import c2pa
import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from vocalis.audio import Audio
from vocalis.errors import VocalisError
from vocalis.home import data_home
from vocalis.trust import provenance, provenance_signer
from vocalis.trust.provenance import (
    PADDING_ALTERED,
    TRAINED_ALGORITHMIC_MEDIA,
    Credentials,
    read_credentials,
    sign_bytes,
    sign_file,
)

FORMATS = ["wav", "mp3", "flac", "m4a"]
CREDS = Credentials(voice="amy", voice_id="v_0123abcd", model="kokoro-82m-int8", watermark_id=0x1234ABCD,
                    created="2025-06-01T12:00:00+00:00", audit_seq=42)
RATE = 24000


def _tone() -> Audio:
    t = np.arange(RATE // 2) / RATE
    return Audio((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), RATE)


def _audio_file(folder: Path, fmt: str) -> Path:
    path = folder / f"speech.{fmt}"
    if fmt != "m4a":
        return _tone().save(path)
    with av.open(str(path), "w", format="mp4") as container:  # AAC in MP4, as phones record
        stream = container.add_stream("aac", rate=RATE)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(_tone().samples[None, :], format="flt", layout="mono")
        frame.sample_rate = RATE
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return path


def _audio_offset(data: bytes, fmt: str) -> int:
    """An offset inside the encoded audio itself, far from the manifest (which c2pa puts at the start of MP3, FLAC
    and M4A files and at the end of WAV files)."""
    offset = {"wav": lambda: data.index(b"data") + 1000, "m4a": lambda: data.index(b"mdat") + 100}.get(
        fmt, lambda: len(data) - 100)()
    store = data.index(b"jumb") - 4  # the manifest store: a JUMBF box, its size first
    assert not store <= offset < store + int.from_bytes(data[store:store + 4])
    return offset


def _flip(data: bytes, offset: int) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= 0x01
    return bytes(changed)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca(folder: Path, common_name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey, Path]:
    """A root CA, written as a PEM trust-anchor file."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    path = folder / f"{common_name}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key, path


def _organisation_signer(folder: Path, ca: x509.Certificate, ca_key, key, eku) -> tuple[Path, Path]:
    """An end-entity certificate issued by `ca` (chain file, signer first) and its key in traditional PEM."""
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("ACME newsroom")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=300))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    chain, key_path = folder / "acme-chain.pem", folder / "acme.key"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    key_format = serialization.PrivateFormat.PKCS8 if isinstance(key, ed25519.Ed25519PrivateKey) else \
        serialization.PrivateFormat.TraditionalOpenSSL
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, key_format, serialization.NoEncryption()))
    return chain, key_path


@pytest.mark.parametrize("fmt", FORMATS)
def test_signed_file_is_trusted_intact_and_still_the_same_audio(fmt, tmp_path):
    path = _audio_file(tmp_path, fmt)
    unsigned, before = path.read_bytes(), Audio.load(path)
    assert read_credentials(path) == provenance.ManifestReport("absent")

    assert sign_file(path, CREDS)
    report = read_credentials(path)
    assert report.state == "trusted", report
    assert report.errors == []
    assert report.credentials == CREDS
    assert report.signer.startswith("Vocalis (")
    assert 2000 < path.stat().st_size - len(unsigned) < 6000
    assert read_credentials(path.read_bytes(), f".{fmt}") == report  # bytes read like the file
    after = Audio.load(path)  # players skip the manifest: the samples are untouched
    assert after.sample_rate == before.sample_rate
    np.testing.assert_array_equal(after.samples, before.samples)


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_changed_audio_byte_makes_the_manifest_invalid(fmt, tmp_path):
    signed = sign_bytes(_audio_file(tmp_path, fmt).read_bytes(), f".{fmt}", CREDS)
    report = read_credentials(_flip(signed, _audio_offset(signed, fmt)), f".{fmt}")
    assert report.state == "invalid"
    assert report.errors == ["assertion.bmffHash.mismatch" if fmt == "m4a" else "assertion.dataHash.mismatch"]
    assert report.credentials == CREDS  # still says what was claimed


def test_a_changed_byte_in_the_signature_padding_is_caught(tmp_path):
    """c2pa itself does not cover the zeros that pad the signature box."""
    signed = sign_bytes(_audio_file(tmp_path, "mp3").read_bytes(), ".mp3", CREDS)
    pad = signed.index(b"\x63pad", signed.index(b"c2pa.signature"))
    report = read_credentials(_flip(signed, pad + 200), "audio/mpeg")
    assert report.state == "invalid"
    assert report.errors == [PADDING_ALTERED]


def test_a_damaged_manifest_header_reads_invalid_not_absent(tmp_path):
    signed = sign_bytes(_audio_file(tmp_path, "mp3").read_bytes(), ".mp3", CREDS)
    report = read_credentials(_flip(signed, 0), ".mp3")  # "ID3" -> "HD3": c2pa no longer finds the tag
    assert report.state == "invalid"
    assert report.errors[0].startswith("manifest.unreadable")


def test_the_manifest_says_ai_generated_by_vocalis(tmp_path):
    signed = sign_bytes(_audio_file(tmp_path, "wav").read_bytes(), "audio/wav", CREDS, title="hello.wav")
    with c2pa.Reader("audio/wav", io.BytesIO(signed)) as reader:
        store = json.loads(reader.json())
    manifest = store["manifests"][store["active_manifest"]]
    assert manifest["title"] == "hello.wav"
    assert manifest["claim_generator_info"][0]["name"] == "Vocalis"
    assertions = {a["label"]: a["data"] for a in manifest["assertions"]}
    (action,) = assertions["c2pa.actions.v2"]["actions"]
    assert action["action"] == "c2pa.created"
    assert action["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert action["softwareAgent"]["name"] == "Vocalis"
    assert action["when"] == CREDS.created
    assert assertions["org.vocalis.synthesis"] == {"voice": "amy", "voice_id": "v_0123abcd", "model": "kokoro-82m-int8",
                                                   "watermark_id": 0x1234ABCD, "created": CREDS.created,
                                                   "audit_seq": 42}


def test_formats_without_room_for_a_manifest_stay_unsigned(tmp_path):
    path = _tone().save(tmp_path / "speech.ogg")
    data = path.read_bytes()
    assert not sign_file(path, CREDS)
    assert path.read_bytes() == data
    assert read_credentials(path).state == "absent"
    with pytest.raises(VocalisError, match="cannot sign"):
        sign_bytes(data, ".opus", CREDS)


def test_unreadable_file_is_an_error(tmp_path):
    with pytest.raises(VocalisError, match="cannot read"):
        read_credentials(tmp_path / "missing.wav")


def test_a_signer_outside_the_trust_anchors_is_untrusted(tmp_path, monkeypatch):
    signed = sign_bytes(_audio_file(tmp_path, "flac").read_bytes(), ".flac", CREDS)  # by the local CA
    monkeypatch.setenv("VOCALIS_C2PA_TRUST", str(_ca(tmp_path, "Another CA")[2]))
    report = read_credentials(signed, "audio/flac")
    assert report.state == "untrusted"
    assert report.errors == ["signingCredential.untrusted"]
    assert report.credentials == CREDS


@pytest.mark.parametrize("kind", ["p384", "rsa", "ed25519"])
def test_an_organisation_signs_with_its_own_certificate(kind, tmp_path, monkeypatch):
    ca, ca_key, anchors = _ca(tmp_path, "ACME root")
    key = {"p384": lambda: ec.generate_private_key(ec.SECP384R1()),
           "rsa": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
           "ed25519": ed25519.Ed25519PrivateKey.generate}[kind]()
    eku = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36") if kind == "p384" else ExtendedKeyUsageOID.EMAIL_PROTECTION
    chain, key_path = _organisation_signer(tmp_path, ca, ca_key, key, eku)  # p384: documentSigning
    monkeypatch.setenv("VOCALIS_C2PA_CERT", str(chain))
    monkeypatch.setenv("VOCALIS_C2PA_KEY", str(key_path))
    signed = sign_bytes(_audio_file(tmp_path, "wav").read_bytes(), ".wav", CREDS)

    assert read_credentials(signed, ".wav").state == "untrusted"  # the default anchor is the local CA
    monkeypatch.setenv("VOCALIS_C2PA_TRUST", str(anchors))
    report = read_credentials(signed, ".wav")
    assert (report.state, report.signer, report.credentials) == ("trusted", "ACME newsroom", CREDS)


def test_bad_organisation_files_say_what_is_wrong(tmp_path, monkeypatch):
    ca, ca_key, anchors = _ca(tmp_path, "ACME root")
    chain, key_path = _organisation_signer(tmp_path, ca, ca_key, ec.generate_private_key(ec.SECP256R1()),
                                           ExtendedKeyUsageOID.EMAIL_PROTECTION)
    data = _audio_file(tmp_path, "wav").read_bytes()
    monkeypatch.setenv("VOCALIS_C2PA_CERT", str(chain))
    with pytest.raises(VocalisError, match="set both"):
        sign_bytes(data, ".wav", CREDS)
    other_key = tmp_path / "other.key"
    other_key.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    monkeypatch.setenv("VOCALIS_C2PA_KEY", str(other_key))
    with pytest.raises(VocalisError, match="not the one for the key"):
        sign_bytes(data, ".wav", CREDS)
    monkeypatch.setenv("VOCALIS_C2PA_KEY", str(chain))
    with pytest.raises(VocalisError, match="VOCALIS_C2PA_KEY"):
        sign_bytes(data, ".wav", CREDS)
    monkeypatch.setenv("VOCALIS_C2PA_TRUST", str(key_path))
    with pytest.raises(VocalisError, match="no PEM certificates"):
        read_credentials(data, ".wav")
    monkeypatch.setenv("VOCALIS_C2PA_TRUST", str(tmp_path / "missing.pem"))
    with pytest.raises(VocalisError, match="VOCALIS_C2PA_TRUST: cannot read"):
        read_credentials(data, ".wav")


def test_the_local_ca_is_made_once_privately_and_reused(tmp_path):
    folder = data_home() / "c2pa"
    results: list[tuple[bytes, ...]] = []
    racers = [threading.Thread(target=lambda: results.append(provenance_signer._load_local())) for _ in range(4)]
    for racer in racers:  # as two processes starting at once would: one identity wins, all use it
        racer.start()
    for racer in racers:
        racer.join()
    assert len(set(results)) == 1
    assert sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(".c2pa")) == []  # no leftovers
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for key in ("ca.key", "signer.key"):
        assert stat.S_IMODE((folder / key).stat().st_mode) == 0o600

    ca_pem, _, chain, _ = results[0]
    ca, signer = x509.load_pem_x509_certificate(ca_pem), x509.load_pem_x509_certificates(chain)[0]
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value.startswith("Vocalis local CA (")
    assert signer.issuer == ca.subject
    assert signer.not_valid_after_utc - signer.not_valid_before_utc > timedelta(days=365 * 20)

    modified = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    signed = sign_bytes(_audio_file(tmp_path, "wav").read_bytes(), ".wav", CREDS)
    assert read_credentials(signed, ".wav").state == "trusted"
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == modified  # reused, not remade
    assert provenance_signer._load_local() == results[0]
