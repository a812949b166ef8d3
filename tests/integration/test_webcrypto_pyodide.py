"""The Worker's Web Crypto verifier (`platform/webcrypto.py`) in the real Pyodide under Node:
RS256 and ES256 tokens minted here with `cryptography` go through the real `TokenVerifier`,
`JwksCache` and `crypto.subtle`, as in the Worker."""

from __future__ import annotations

import json
import time

from edgejobs.core.jwt import b64url_encode
from tests.support.pyodide import run_in_pyodide
from tests.support.tokens import ec_key, mint, public_jwk, public_pem, rsa_key
from tests.unit.core.test_jwt import A2_JWK, A2_TOKEN, A3_JWK, A3_TOKEN

NOW = int(time.time())

SCRIPT = """
import json
from edgejobs.core.jwks import JwksCache
from edgejobs.core.jwt import TokenError, TokenVerifier, parse_compact
from edgejobs.platform.webcrypto import verify_signature

data = json.loads(CASES)

async def fetch(url):
    return data["jwks"]

verifier = TokenVerifier(jwks=JwksCache("https://idp.test/jwks", fetch), verify_asymmetric=verify_signature)
results = {}
for name, token in data["tokens"].items():
    try:
        results[name] = "ok:" + (await verifier.verify(token, now=data["now"]))["sub"]
    except TokenError as error:
        results[name] = error.reason
for name, (token, jwk) in data["direct"].items():
    jws = parse_compact(token)
    results[name] = await verify_signature(jws.alg, jwk, jws.signing_input, jws.signature)
json.dumps(results)
"""  # the last expression: run_in_pyodide decodes it


def _claims(**extra: object) -> dict[str, object]:
    return {"sub": "user-42", "exp": NOW + 600, "iat": NOW, **extra}


def test_webcrypto_verifies_rs256_and_es256_in_pyodide() -> None:
    rsa, ec = rsa_key(), ec_key()
    off_curve = {**public_jwk(ec, "off-curve"), "y": b64url_encode(b"\x01" * 32)}
    rs_good = mint("RS256", rsa, _claims(), kid="r1")
    es_good = mint("ES256", ec, _claims(), kid="e1")
    head, _, sig = es_good.split(".")
    tokens = {
        "rs256": rs_good,
        "es256": es_good,
        "rs256_without_kid": mint("RS256", rsa, _claims()),
        "es256_without_kid": mint("ES256", ec, _claims()),
        "rs256_other_key": mint("RS256", rsa_key("intruder"), _claims(), kid="r1"),
        "es256_other_key": mint("ES256", ec_key("intruder"), _claims(), kid="e1"),
        "es256_tampered": f"{head}.{b64url_encode(json.dumps(_claims(sub='admin')).encode())}.{sig}",
        "rs256_signature_flipped": rs_good[:-2] + ("AA" if not rs_good.endswith("AA") else "BA"),
        "es256_off_curve_key": mint("ES256", ec, _claims(), kid="off-curve"),
        "hs256_keyed_with_the_rsa_public_key": mint("HS256", public_pem(rsa), _claims(), kid="r1"),
        "rs256_expired": mint("RS256", rsa, _claims(exp=NOW - 120), kid="r1"),
        "rfc7515_a2": A2_TOKEN,  # signature valid, no sub: "malformed" means it got past the signature
        "rfc7515_a3": A3_TOKEN,
    }
    direct = {"direct_a2": [A2_TOKEN, A2_JWK], "direct_a3": [A3_TOKEN, A3_JWK]}
    jwks = {
        "keys": [
            public_jwk(rsa, "r1", alg="RS256", use="sig"),
            public_jwk(ec, "e1"),
            off_curve,
            A2_JWK,
            A3_JWK,
        ]
    }
    cases = {"now": NOW, "jwks": jwks, "tokens": tokens, "direct": direct}
    results = run_in_pyodide(f"CASES = {json.dumps(json.dumps(cases))}\n" + SCRIPT)
    assert results == {
        "rs256": "ok:user-42",
        "es256": "ok:user-42",
        "rs256_without_kid": "ok:user-42",
        "es256_without_kid": "ok:user-42",
        "rs256_other_key": "signature",
        "es256_other_key": "signature",
        "es256_tampered": "signature",
        "rs256_signature_flipped": "signature",
        "es256_off_curve_key": "signature",
        "hs256_keyed_with_the_rsa_public_key": "algorithm",
        "rs256_expired": "expired",
        "rfc7515_a2": "malformed",
        "rfc7515_a3": "malformed",
        "direct_a2": True,
        "direct_a3": True,
    }
