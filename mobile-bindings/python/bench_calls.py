"""The wallet's main calls timed from Python through the wheel, the same calls in the same
order as mobile-bindings/examples/call_times.rs does from Rust. Run by
scripts/bench-bindings; prints one JSON line.

Usage: bench_calls.py <issuer-url> <verifier-url> <registry-url> <token> <rounds>"""

import asyncio
import json
import statistics
import sys
import tempfile
import time
import urllib.request

import passport_wallet as pw


def post(url, token, body):
    request = urllib.request.Request(
        url, method="POST", data=json.dumps(body).encode(),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


async def main(issuer, verifier, registry, token, rounds):
    times = {}

    def took(name, started):
        times.setdefault(name, []).append((time.perf_counter() - started) * 1000)

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        wallet = pw.PassportWallet.open(pw.WalletConfig(
            directory=folder, passphrase="a long passphrase for the benchmark",
            trust_list_url=f"{registry}/trust-list", registry_did=None,
            allow_loopback_http=True), None)
        took("open", started)
        for _ in range(rounds):
            offer = post(f"{issuer}/admin/people/P0001/offers", token,
                         {"formats": ["dc+sd-jwt"], "types": ["CareIdentityCredential"]})
            started = time.perf_counter()
            await wallet.accept_offer(offer["offer_uri"], offer["tx_code"])
            took("accept_offer", started)

            created = post(f"{verifier}/presentation-requests", token, {"template": "right-to-work"})
            started = time.perf_counter()
            request = await wallet.read_request(created["openid4vp_uri"])
            chosen = {q.query_id: q.candidates[0].credential_id for q in request.requested() if q.candidates}
            await wallet.answer(request, chosen)
            took("read_request_and_answer", started)

            started = time.perf_counter()
            wallet.credentials()
            took("credentials", started)

            started = time.perf_counter()
            await wallet.refresh_statuses()
            took("refresh_statuses", started)
        del wallet
    print(json.dumps({"language": "python", "rounds": rounds,
                      "median_ms": {k: statistics.median(v) for k, v in times.items()}}))


if __name__ == "__main__":
    issuer, verifier, registry, token, rounds = sys.argv[1:6]
    asyncio.run(main(issuer, verifier, registry, token, int(rounds)))
