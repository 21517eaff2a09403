"""Real services for the wallet to talk to: `passport up` (issuer, trust registry and
verifier on loopback, sled stores in a temporary folder), and the HTTP calls the RA, the
onboarding officer and ESR make to them."""

import json
import os
import pathlib
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
SAMPLE_DATA = ROOT.parent / "shared" / "sample-data"
PASSPORT = pathlib.Path(os.environ.get("PASSPORT_BIN", ROOT / "target" / "debug" / "passport"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Platform:
    def __init__(self, data):
        self.ports = {name: free_port() for name in ("issuer", "registry", "verifier")}
        self.issuer = f"http://127.0.0.1:{self.ports['issuer']}"
        self.registry = f"http://127.0.0.1:{self.ports['registry']}"
        self.verifier = f"http://127.0.0.1:{self.ports['verifier']}"
        self.data = data
        self.log = open(data / "passport-up.log", "wb")
        self.process = subprocess.Popen(
            [str(PASSPORT), "up", "--data", str(data / "store"), "--sample-data", str(SAMPLE_DATA),
             "--issuer-port", str(self.ports["issuer"]),
             "--registry-port", str(self.ports["registry"]),
             "--verifier-port", str(self.ports["verifier"])],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while not all(self._healthy(url) for url in (self.issuer, self.registry, self.verifier)):
            if self.process.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"passport up did not start: {(data / 'passport-up.log').read_text()}")
            time.sleep(0.2)
        self.token = (data / "store" / "dev-token").read_text().strip()

    @staticmethod
    def _healthy(url):
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def call(self, method, url, body=None):
        """JSON in, (status, JSON) out, with the development token (RA, officer, ESR)."""
        request = urllib.request.Request(
            url, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"authorization": f"Bearer {self.token}", "content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def offer(self, person="P0001", body=None):
        status, offer = self.call("POST", f"{self.issuer}/admin/people/{person}/offers", body or {})
        assert status == 201, offer
        return offer

    def start_onboarding(self, template):
        status, created = self.call("POST", f"{self.verifier}/presentation-requests", {"template": template})
        assert status == 201, created
        return created

    def result(self, request_id):
        return self.call("GET", f"{self.verifier}/presentation-requests/{request_id}")[1]

    def esr_event(self, event):
        return self.call("POST", f"{self.issuer}/esr/events", event)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope="session")
def platform():
    with tempfile.TemporaryDirectory() as folder:
        running = Platform(pathlib.Path(folder))
        try:
            yield running
        finally:
            running.stop()
