#!/usr/bin/env python3
"""An independent implementation of docs/protocol.md sections 2-4, in plain Python.

It shares no code with the node: secp256k1 arithmetic, RFC 6979 nonces and canonical JSON are
written here from the specifications, using only Python's standard library. CI uses it to
check, in another language, that
  * the documented worked example is reproduced exactly (`example`), and
  * envelopes signed by `jointclear tx sign` verify (`verify FILE|-`),
  * envelopes signed here are accepted by the node's own parser (`sign`, checked by tests).

Usage:
  protocol_reference.py example
  protocol_reference.py verify ENVELOPE.json|-
  protocol_reference.py sign SECRET_HEX UNSIGNED_ENVELOPE.json|-
"""
import hashlib
import hmac
import json
import sys

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def point_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], P - 2, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], P - 2, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)


def point_mul(k, point):
    result = None
    while k:
        if k & 1:
            result = point_add(result, point)
        point = point_add(point, point)
        k >>= 1
    return result


def compress(point):
    return bytes([2 + (point[1] & 1)]) + point[0].to_bytes(32, "big")


def decompress(data):
    if len(data) != 33 or data[0] not in (2, 3):
        raise ValueError("public key must be 33-byte compressed")
    x = int.from_bytes(data[1:], "big")
    y = pow((x * x * x + 7) % P, (P + 1) // 4, P)
    if (y * y - (x * x * x + 7)) % P:
        raise ValueError("public key is not on the curve")
    if (y & 1) != (data[0] & 1):
        y = P - y
    return (x, y)


def canonical_json(value):
    """RFC 8785 for the protocol's subset (docs/protocol.md section 2)."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        if abs(value) > 2**53 - 1:
            raise ValueError("integer outside +/-(2^53 - 1)")
        return str(value)
    if isinstance(value, str):
        if any(not 0x20 <= ord(c) <= 0x7E for c in value):
            raise ValueError("strings must be printable ASCII")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("ascii"))
        return "{" + ",".join(canonical_json(k) + ":" + canonical_json(value[k]) for k in keys) + "}"
    raise ValueError("value outside the protocol's JSON subset: %r" % (value,))


def rfc6979_nonces(secret, digest):
    x = secret.to_bytes(32, "big")
    h = (int.from_bytes(digest, "big") % N).to_bytes(32, "big")
    v, k = b"\x01" * 32, b"\x00" * 32
    k = hmac.new(k, v + b"\x00" + x + h, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b"\x01" + x + h, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        candidate = int.from_bytes(v, "big")
        if 1 <= candidate < N:
            yield candidate
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def sign_digest(secret, digest):
    z = int.from_bytes(digest, "big")
    for nonce in rfc6979_nonces(secret, digest):
        r_point = point_mul(nonce, G)
        r = r_point[0] % N
        if r == 0:
            continue
        s = pow(nonce, N - 2, N) * (z + r * secret) % N
        if s == 0:
            continue
        recid = r_point[1] & 1
        if s > N // 2:
            s, recid = N - s, recid ^ 1
        return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([recid])


def recover(digest, sig):
    r, s, recid = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]
    if not (0 < r < N and 0 < s <= N // 2 and recid in (0, 1)):
        raise ValueError("signature out of range, high-S or bad recovery id")
    y = pow((r ** 3 + 7) % P, (P + 1) // 4, P)
    if (y & 1) != recid:
        y = P - y
    z = int.from_bytes(digest, "big")
    r_inv = pow(r, N - 2, N)
    q = point_add(point_mul(s * r_inv % N, (r, y)), point_mul((-z * r_inv) % N, G))
    return compress(q)


def signing_bytes(envelope):
    return canonical_json({k: v for k, v in envelope.items() if k != "sig"}).encode("ascii")


def sign_envelope(secret_hex, unsigned):
    secret = int(secret_hex, 16)
    envelope = dict(unsigned)
    envelope["signer"] = compress(point_mul(secret, G)).hex()
    envelope.pop("sig", None)
    digest = hashlib.sha256(signing_bytes(envelope)).digest()
    envelope["sig"] = sign_digest(secret, digest).hex()
    return envelope


def verify_envelope(envelope):
    digest = hashlib.sha256(signing_bytes(envelope)).digest()
    sig = bytes.fromhex(envelope["sig"])
    if envelope["sig"] != sig.hex() or len(sig) != 65:
        raise ValueError("sig must be 130 lowercase hex digits")
    if recover(digest, sig).hex() != envelope["signer"]:
        raise ValueError("signature does not recover to signer")
    return digest.hex()


EXAMPLE = {
    "secret": "8ddc80137b70c1b52a13397e22d2fda4b345420df9b7a436bd2f2430344d2f7e",
    "tx_hash": "81a4b6ad2490a5bdc845c10eb211a99d0aaebabbc837c75cf2fdfe17c46da5f9",
    "sig": "ba96aebb993b6457f1678ba085d849f0b68ea19db22719746094022d1a236f1a"
           "5c6efa04c536f0e7be1a5d974c3df146327bc41a2f9cfe46c6b53c21db1a718900",
}


def main(argv):
    if len(argv) >= 2 and argv[1] == "example":
        secret = hashlib.sha256(b"jointclear protocol.md example key").hexdigest()
        assert secret == EXAMPLE["secret"], secret
        envelope = sign_envelope(secret, {
            "chain_id": "jointclear-local", "type": "loan.repay", "sender": "WEBANK",
            "client_ref": "WB-REPAY-20240215-000123",
            "body": {"loan_id": "L-0001", "value_date": "2024-02-15", "amount": "79067",
                     "channel_ref": "PAY-1"}})
        tx_hash = verify_envelope(envelope)
        if tx_hash != EXAMPLE["tx_hash"] or envelope["sig"] != EXAMPLE["sig"]:
            print("MISMATCH with docs/protocol.md:\n tx_hash %s\n sig %s" % (tx_hash, envelope["sig"]))
            return 1
        print(canonical_json(envelope))
        return 0
    if len(argv) == 3 and argv[1] == "verify":
        text = sys.stdin.read() if argv[2] == "-" else open(argv[2]).read()
        print(verify_envelope(json.loads(text)))
        return 0
    if len(argv) == 4 and argv[1] == "sign":
        text = sys.stdin.read() if argv[3] == "-" else open(argv[3]).read()
        print(canonical_json(sign_envelope(argv[2], json.loads(text))))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
