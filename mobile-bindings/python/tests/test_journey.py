"""The journey on a phone, from Python: the wallet (the installed wheel) with its holder
keys in a keystore written here in Python, against the real services."""

import asyncio
import datetime
import json
import threading

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

import passport_wallet as pw


class PythonKeyStore(pw.HolderKeyStore):
    """Stands in for Android Keystore / Secure Enclave: the keys never leave this object."""

    def __init__(self):
        self._keys = {}
        self.signatures = 0

    def create_key(self):
        key_id = f"py-{len(self._keys)}"
        self._keys[key_id] = Ed25519PrivateKey.generate()
        return self.public_key(key_id)

    def public_key(self, id):
        if id not in self._keys:
            raise pw.KeyStoreError.Failed(detail=f"no key {id}")
        raw = self._keys[id].public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return pw.HolderKey(id=id, public_key=raw)

    def sign(self, id, message):
        self.signatures += 1
        return self._keys[id].sign(bytes(message))

    def owns(self, public_key):
        return any(
            k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == public_key
            for k in self._keys.values())


class Listener(pw.WalletListener):
    def __init__(self):
        self.heard = []
        self.lock = threading.Lock()

    def credential_status_changed(self, credential_id, status):
        with self.lock:
            self.heard.append((credential_id, status))


def open_wallet(platform, folder, keys, passphrase="a long passphrase for the test"):
    return pw.PassportWallet.open(
        pw.WalletConfig(
            directory=str(folder), passphrase=passphrase,
            trust_list_url=f"{platform.registry}/trust-list", registry_did=None,
            allow_loopback_http=True),
        keys)


def leaver(person, assignment):
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        "event_id": f"EVT-PY-{person}", "event_type": "LEAVER",
        "occurred_at": (now - datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "org_ods": "RJ1", "person_id": person, "assignment_number": assignment,
        "payload": {"leaving_date": now.date().isoformat(), "reason": "resignation", "staying_in_nhs": False},
    }


async def test_the_whole_journey_with_keys_held_in_python(platform, tmp_path):
    keys = PythonKeyStore()
    wallet = open_wallet(platform, tmp_path / "wallet", keys)
    offer = platform.offer("P0001")

    offered = await wallet.read_offer(offer["offer_uri"])
    assert offered.issuer == platform.issuer
    assert offered.needs_pin

    received = await wallet.accept_offer(offer["offer_uri"], offer["tx_code"])
    assert {c.format for c in received} == {"ldp_vc", "dc+sd-jwt"}
    assert [c.id for c in wallet.credentials()] == [c.id for c in received] or \
        sorted(c.id for c in wallet.credentials()) == sorted(c.id for c in received)
    # Every credential is bound to a key this Python keystore made and signed with.
    holder = wallet.holder_did()
    for credential in received:
        if credential.format == "ldp_vc":
            assert json.loads(credential.raw)["credentialSubject"]["id"] == holder
    assert keys.signatures >= len(received), "each proof of possession was signed in Python"

    # An onboarding officer asks; the wallet shows who asks and what, then answers.
    created = platform.start_onboarding("new-starter")
    request = await wallet.read_request(created["openid4vp_uri"])
    assert request.registered_name(), "the trust registry lists the verifier"
    requested = request.requested()
    assert requested and all(r.candidates for r in requested)
    chosen = {r.query_id: r.candidates[0].credential_id for r in requested}
    signed_before = keys.signatures
    await wallet.answer(request, chosen)
    assert keys.signatures > signed_before, "the presentation was signed in Python"
    result = platform.result(created["id"])
    assert result["status"] == "received", result
    assert result["result"]["verified"] is True, result

    events = [item.event for item in wallet.history()]
    assert events.count("received") == len(received)
    assert events[-1] == "presented"
    presented = wallet.history()[-1]
    assert presented.verifier and presented.claims

    # The person leaves: the listener hears that each credential was revoked.
    listener = Listener()
    wallet.set_listener(listener)
    statuses = await wallet.refresh_statuses()
    assert all(s.status == pw.CredentialStatus.VALID and not s.changed for s in statuses), statuses
    status, reply = platform.esr_event(leaver("P0001", "30493776"))
    assert status == 200, reply
    statuses = await wallet.refresh_statuses()
    assert all(s.status == pw.CredentialStatus.REVOKED and s.changed for s in statuses), statuses
    assert sorted(listener.heard) == sorted((c.id, pw.CredentialStatus.REVOKED) for c in received)
    assert wallet.history()[-1].event == "status_changed"


async def test_errors_arrive_as_typed_exceptions(platform, tmp_path):
    keys = PythonKeyStore()
    wallet = open_wallet(platform, tmp_path / "wallet", keys)

    with pytest.raises(pw.PassportError.UnreadableLink):
        await wallet.read_offer("this is not what the QR code should hold")
    with pytest.raises(pw.PassportError.UnreadableLink):
        await wallet.read_request("openid4vp://?client_id=nothing")

    offer = platform.offer("P0002", {"formats": ["ldp_vc"]})
    wrong = "111111" if offer["tx_code"] == "000000" else "000000"
    with pytest.raises(pw.PassportError.WrongPin):
        await wallet.accept_offer(offer["offer_uri"], wrong)
    assert wallet.credentials() == []

    await wallet.accept_offer(offer["offer_uri"], offer["tx_code"])
    with pytest.raises(pw.PassportError.OfferUnavailable):
        await wallet.accept_offer(offer["offer_uri"], offer["tx_code"])

    brief = platform.offer("P0002", {"formats": ["ldp_vc"], "expires_in_seconds": 1})
    await asyncio.sleep(1.5)
    with pytest.raises(pw.PassportError.OfferUnavailable):
        await wallet.accept_offer(brief["offer_uri"], brief["tx_code"])
    assert len(wallet.credentials()) == len(offer["credential_configuration_ids"])

    del wallet
    with pytest.raises(pw.PassportError.WrongPassphrase):
        open_wallet(platform, tmp_path / "wallet", keys, passphrase="not the passphrase")


async def test_a_keystore_that_fails_is_reported_and_nothing_is_stored(platform, tmp_path):
    class BrokenKeyStore(PythonKeyStore):
        def sign(self, id, message):
            raise pw.KeyStoreError.Failed(detail="the user cancelled the biometric prompt")

    wallet = open_wallet(platform, tmp_path / "wallet", BrokenKeyStore())
    offer = platform.offer("P0003", {"formats": ["dc+sd-jwt"]})
    with pytest.raises(pw.PassportError.KeyStore) as refused:
        await wallet.accept_offer(offer["offer_uri"], offer["tx_code"])
    assert "biometric" in str(refused.value)
    assert wallet.credentials() == []
