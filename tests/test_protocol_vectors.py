"""PROTOCOL.md's test vectors, checked with server/crypto.py (pwa/test/protocol.test.js
checks the same file with the app's crypto). Every field is checked: editing any one of
them by one character makes the check fail, here and in the app's suite."""
import copy
import json
from pathlib import Path

import pytest

from server import crypto

HERE = Path(__file__).parent / "vectors"
VECTORS = json.loads((HERE / "protocol-vectors.json").read_text(encoding="utf-8"))
LOG = json.loads((HERE / "log-vectors.json").read_text(encoding="utf-8"))


def _private(scalar_b64u):
    """A test key from its scalar: the vectors carry the private halves of test keys."""
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.derive_private_key(int.from_bytes(crypto.b64d(scalar_b64u), "big"), ec.SECP256R1())


def _checker():
    """A list of disagreements, and check(name, fn) that adds one when fn is False or raises."""
    failures = []

    def check(name, fn):
        try:
            if fn() is False:
                failures.append(name)
        except Exception as error:  # noqa: BLE001 - any refusal is a disagreement
            failures.append(f"{name}: {error!r}")

    return failures, check


def _failures(v):
    """Every way the vectors disagree with server/crypto.py, as readable strings."""
    failures, check = _checker()

    for name, key in v["keys"].items():
        check(f"{name} public", lambda key=key: crypto.public_raw(_private(key["private_scalar"])) == crypto.b64d(key["public"]))
        check(f"{name} fingerprint", lambda key=key: crypto.fingerprint(crypto.b64d(key["public"])) == key["fingerprint"])
        check(f"{name} kid", lambda key=key: crypto.key_id(crypto.b64d(key["public"])) == key["kid"])
    for item in v["base64url"]:
        check(f"b64u {item['hex']}", lambda item=item: crypto.b64e(bytes.fromhex(item["hex"])) == item["b64u"]
              and crypto.b64d(item["b64u"]) == bytes.fromhex(item["hex"]))

    device_public = crypto.b64d(v["keys"]["device"]["public"])
    intake_key = _private(v["keys"]["intake"]["private_scalar"])
    prev = None
    for n, env in enumerate(v["envelopes"]):
        header, ct, sig = (crypto.b64d(env[k]) for k in ("h", "ct", "sig"))
        check(f"envelope {n} header bytes", lambda env=env, header=header: json.dumps(
            env["header_fields"], separators=(",", ":"), ensure_ascii=False).encode() == header == env["header"].encode())
        check(f"envelope {n} header hash", lambda env=env, header=header: crypto.sha256(header).hex() == env["header_sha256_hex"])
        check(f"envelope {n} kid", lambda env=env: env["header_fields"]["kid"] == v["keys"]["intake"]["kid"])
        check(f"envelope {n} prev", lambda env=env, prev=prev: env["header_fields"]["prev"] == prev)
        check(f"envelope {n} digest", lambda env=env, h=header, c=ct, s=sig: crypto.b64e(crypto.envelope_digest(h, c, s)) == env["digest"])
        check(f"envelope {n} outer signature", lambda h=header, c=ct, s=sig: crypto.verify_envelope(device_public, h, c, s))
        check(f"envelope {n} opens", lambda env=env, h=header, c=ct: crypto.open_record(intake_key, device_public, h, c)
              == env["content"].encode())
        prev = env["digest"]

    r = v["request"]
    body = r["body"].encode()
    message = crypto.request_message(r["method"], r["path"], r["timestamp_ms"], r["offset_ms"], r["nonce"], body)
    check("request body hash", lambda: crypto.sha256(body).hex() == r["body_sha256_hex"])
    check("request message", lambda: message.hex() == r["message_hex"])
    check("request headers", lambda: r["headers"]["Wl-Timestamp"] == str(r["timestamp_ms"])
          and r["headers"]["Wl-Clock-Offset"] == str(r["offset_ms"]) and r["headers"]["Wl-Nonce"] == r["nonce"]
          and r["headers"]["Wl-Device"] == v["envelopes"][0]["header_fields"]["dev"])
    check("request body", lambda: [e["h"] for e in json.loads(body)["records"]] == [e["h"] for e in v["envelopes"]])
    check("request signature", lambda: crypto.verify(device_public, message, crypto.b64d(r["headers"]["Wl-Signature"])))

    e = v["enroll"]
    check("enroll message", lambda: crypto.enroll_message(e["token"]).hex() == e["message_hex"])
    check("enroll proof", lambda: crypto.verify(crypto.b64d(e["public_key"]), crypto.enroll_message(e["token"]),
                                                crypto.b64d(e["proof"])))

    signing_public = crypto.b64d(v["keys"]["signing"]["public"])
    for n, a in enumerate(v["answers"]):
        message = crypto.answer_message(a["nonce"], a["method"], a["path"], a["status"], a["time_ms"], a["body"].encode())
        kid, time_ms, signature = a["header_value"].split(".")
        check(f"answer {n} message", lambda a=a, m=message: m.hex() == a["message_hex"])
        check(f"answer {n} header", lambda a=a, kid=kid, t=time_ms: kid == v["keys"]["signing"]["kid"] and t == str(a["time_ms"]))
        check(f"answer {n} signature", lambda m=message, s=signature: crypto.verify(signing_public, m, crypto.b64d(s)))

    legacy = v["legacy_answer"]
    legacy_message = crypto.response_message(legacy["body"].encode())
    check("legacy message", lambda: legacy_message.hex() == legacy["message_hex"])
    check("legacy signature", lambda: legacy["header_value"].split(".")[0] == v["keys"]["signing"]["kid"]
          and crypto.verify(signing_public, legacy_message, crypto.b64d(legacy["header_value"].split(".")[1])))
    return failures


def _log_failures(v, signing_public=crypto.b64d(VECTORS["keys"]["signing"]["public"])):
    """Every way the log vectors disagree with server/crypto.py and server/sync/merkle.py."""
    from server.sync import merkle

    (failures, check), hashes = _checker(), []

    def leaf_of(row, digest):
        return crypto.leaf_input(row["idx"], row["rid"], row["device_id"], row["seq"], digest, row["received_at_us"],
                                 row["clock_offset_ms"], row["status"])

    for n, item in enumerate(v["rows"]):
        try:
            digest = crypto.envelope_digest(*(crypto.b64d(item["envelope"][k]) for k in ("h", "ct", "sig")))
            data = leaf_of(item["row"], digest)
        except Exception as error:  # noqa: BLE001
            failures.append(f"row {n}: {error!r}")
            continue
        check(f"row {n} digest", lambda digest=digest, item=item: crypto.b64e(digest) == item["env_sha256"])
        check(f"row {n} leaf input", lambda data=data, item=item: data.hex() == item["leaf_input_hex"])
        check(f"row {n} leaf hash", lambda data=data, item=item: crypto.b64e(merkle.leaf_hash(data)) == item["leaf_hash"])
        check(f"row {n} index", lambda n=n, item=item: item["row"]["idx"] == n + 1)
        hashes.append(merkle.leaf_hash(data))
    for name, head in v["heads"].items():
        message = crypto.tree_head_message(head["epoch"], head["size"], crypto.b64d(head["root"]), head["time"])
        check(f"{name} message", lambda m=message, h=head: m.hex() == h["message_hex"])
        check(f"{name} root", lambda h=head: crypto.b64e(merkle.root_of(hashes[:h["size"]])) == h["root"])
        check(f"{name} signature", lambda m=message, h=head: h["kid"] == VECTORS["keys"]["signing"]["kid"] and
              h["log"] == "wildledger" and crypto.verify(signing_public, m, crypto.b64d(h["signature"])) is None)
    answer, older = v["answer"], v["heads"]["older"]
    receipt, view = answer["receipt"], answer["log"]
    check("answer head", lambda: view["head"] == {k: x for k, x in v["heads"]["newest"].items() if k != "message_hex"})
    check("answer held", lambda: answer["held"] == {"epoch": older["epoch"], "size": older["size"]}
          and view["consistency_from"] == older["size"] and view["epochs"] == [])
    row = v["rows"][receipt["log_index"] - 1]
    check("receipt", lambda: receipt["leaf"] == row["row"] and receipt["rid"] == row["row"]["rid"]
          and receipt["env_sha256"] == row["env_sha256"] and receipt["status"] == row["row"]["status"]
          and receipt["i"] == 0 and receipt["code"] == "rid_conflict")
    check("receipt inclusion", lambda: merkle.verify_inclusion(
        receipt["log_index"] - 1, view["head"]["size"],
        merkle.leaf_hash(leaf_of(receipt["leaf"], crypto.b64d(row["env_sha256"]))),
        [crypto.b64d(p) for p in receipt["inclusion"]], crypto.b64d(view["head"]["root"])))
    check("consistency", lambda: merkle.verify_consistency(
        older["size"], view["head"]["size"], crypto.b64d(older["root"]), crypto.b64d(view["head"]["root"]),
        [crypto.b64d(p) for p in view["consistency"]]))
    restored = v["restored"]
    message = crypto.log_epoch_message(restored["epoch"], restored["previous"], restored["size"],
                                       crypto.b64d(restored["root"]), restored["time"])
    check("restored message", lambda: message.hex() == restored["message_hex"] and restored["root"] == older["root"]
          and restored["size"] == older["size"] and restored["kid"] == VECTORS["keys"]["signing"]["kid"])
    check("restored signature", lambda: crypto.verify(signing_public, message, crypto.b64d(restored["signature"])) is None)
    return failures


def _leaves(node, path=()):
    """Paths of every string and number in the vectors, but the prose."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "about":
                yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    elif isinstance(node, (str, int)) and not isinstance(node, bool):
        yield path


def edit_one_character(vectors, path):
    """The vectors with one character (or the number by one) changed at `path`, keeping
    the alphabet, so what is edited is still well-formed."""
    edited = copy.deepcopy(vectors)
    node = edited
    for key in path[:-1]:
        node = node[key]
    value = node[path[-1]]
    if isinstance(value, int):
        node[path[-1]] = value + 1
    elif value == "":
        node[path[-1]] = "x"
    else:
        first = value[0]
        replacement = {"0": "1", "9": "8", "a": "b", "f": "e", "A": "B", "z": "y", "-": "_", "_": "-"}.get(
            first, "A" if first != "A" else "B")
        node[path[-1]] = replacement + value[1:]
    return edited


def test_the_server_agrees_with_every_vector():
    assert _failures(VECTORS) == []
    assert _log_failures(LOG) == []


@pytest.mark.parametrize("path", list(_leaves(VECTORS)), ids=lambda path: "/".join(map(str, path)))
def test_a_vector_edited_by_one_character_fails(path):
    assert _failures(edit_one_character(VECTORS, path)) != []


@pytest.mark.parametrize("path", list(_leaves(LOG)), ids=lambda path: "log/" + "/".join(map(str, path)))
def test_a_log_vector_edited_by_one_character_fails(path):
    assert _log_failures(edit_one_character(LOG, path)) != []


def test_the_protocol_document_names_every_problem_code_and_header():
    from server.devices import service as devices
    from server.errors import PROBLEMS

    text = (Path(__file__).resolve().parent.parent / "PROTOCOL.md").read_text(encoding="utf-8")
    assert [code for code in PROBLEMS if f"`{code}`" not in text] == []
    headers = [value for name, value in vars(devices).items() if name.startswith("H_")]
    assert len(headers) == 7 and [h for h in headers if f"`{h}" not in text] == []


def test_the_pin_s_argon2id_vectors_are_the_reference_implementation_s():
    """The same file pwa/test/vault.test.js holds the app's WebAssembly Argon2id to."""
    from argon2.low_level import Type, hash_secret_raw

    cases = json.loads((HERE / "argon2-vectors.json").read_text(encoding="utf-8"))["cases"]
    for case in cases:
        derived = hash_secret_raw(case["password"].encode(), bytes.fromhex(case["salt_hex"]), time_cost=case["t"],
                                  memory_cost=case["m"], parallelism=case["p"], hash_len=32, type=Type.ID)
        assert derived.hex() == case["hash_hex"]


def test_an_audit_anchor_leaf_is_the_one_protocol_md_defines():
    v = json.loads((HERE / "anchor-vectors.json").read_text(encoding="utf-8"))
    statement, signature, row = v["statement"].encode("ascii"), crypto.b64d(v["signature"]), v["row"]
    fields = json.loads(statement)
    assert crypto.anchor_statement(fields["audit_seq"], crypto.b64d(fields["audit_hash"]), fields["time"]) == statement
    crypto.verify(crypto.b64d(VECTORS["keys"]["signing"]["public"]), crypto.ANCHOR + statement, signature)
    digest = crypto.envelope_digest(statement, b"", signature)
    assert crypto.b64e(digest) == v["env_sha256"]
    leaf = crypto.leaf_input(row["idx"], row["rid"], row["device_id"], row["seq"], digest, row["received_at_us"],
                             row["clock_offset_ms"], row["status"])
    assert leaf.hex() == v["leaf_input_hex"]
    assert crypto.b64e(crypto.sha256(b"\x00" + leaf)) == v["leaf_hash"]
