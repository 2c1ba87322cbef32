"""RFC 9162 hashing, proofs and verification (server/sync/merkle.py) against vectors from
two independent implementations: transparency-dev/merkle's testdata and pymerkle
(tests/vectors/merkle-vectors.json). pwa/test/merkle.test.js checks the app against the
same file."""
import json
from pathlib import Path

import pytest

from server import crypto
from server.sync import merkle

VECTORS = json.loads((Path(__file__).parent / "vectors" / "merkle-vectors.json").read_text())
B = crypto.b64d
REFERENCE = [merkle.leaf_hash(bytes.fromhex(leaf)) for leaf in VECTORS["reference_tree"]["leaves_hex"]]
LARGE = VECTORS["large_tree"]
LARGE_LEAVES = [merkle.leaf_hash(f"wildledger-merkle-vector-{i}".encode()) for i in range(LARGE["size"])]
INCLUSION = VECTORS["transparency_dev"]["inclusion"] + LARGE["inclusion"]
CONSISTENCY = VECTORS["transparency_dev"]["consistency"] + LARGE["consistency"]


def _subtree(leaves):
    return lambda start, end: merkle.root_of(leaves[start:end])


def _leaves_for(size):
    return REFERENCE if size <= 8 else LARGE_LEAVES


def _name(vector):
    return vector.get("desc", "pymerkle") + " " + "/".join(str(v) for k, v in vector.items() if "ize" in k or "Idx" in k)


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_the_reference_tree_of_every_size(size):
    assert crypto.b64e(merkle.root_of(REFERENCE[:size])) == VECTORS["reference_tree"]["roots"][str(size)]


@pytest.mark.parametrize("size", [int(s) for s in LARGE["roots"]])
def test_roots_of_the_large_tree(size):
    frontier = merkle.Frontier()
    for leaf in LARGE_LEAVES[:size]:
        frontier.append(leaf)
    assert crypto.b64e(frontier.root()) == LARGE["roots"][str(size)]
    assert crypto.b64e(merkle.root_of(LARGE_LEAVES[:size])) == LARGE["roots"][str(size)]


@pytest.mark.parametrize("vector", INCLUSION, ids=_name)
def test_inclusion_vectors(vector):
    ok = merkle.verify_inclusion(vector["leafIdx"], vector["treeSize"], B(vector["leafHash"]),
                                 [B(p) for p in vector["proof"]], B(vector["root"]))
    assert ok is not vector.get("wantErr", False)
    if not vector.get("wantErr"):  # and the proof we would build is the same one
        leaves = _leaves_for(vector["treeSize"])
        path = merkle.inclusion_path(vector["leafIdx"], vector["treeSize"], _subtree(leaves))
        assert [crypto.b64e(p) for p in path] == vector["proof"]


@pytest.mark.parametrize("vector", CONSISTENCY, ids=_name)
def test_consistency_vectors(vector):
    ok = merkle.verify_consistency(vector["size1"], vector["size2"], B(vector["root1"]), B(vector["root2"]),
                                   [B(p) for p in vector["proof"]])
    assert ok is not vector.get("wantErr", False)
    if not vector.get("wantErr"):
        leaves = _leaves_for(vector["size2"])
        path = merkle.consistency_path(vector["size1"], vector["size2"], _subtree(leaves))
        assert [crypto.b64e(p) for p in path] == vector["proof"]


@pytest.mark.parametrize("vector", [v for v in INCLUSION + CONSISTENCY if not v.get("wantErr") and v["proof"]],
                         ids=_name)
def test_any_flipped_bit_of_a_proof_fails(vector):
    for k in range(len(vector["proof"])):
        proof = [B(p) for p in vector["proof"]]
        proof[k] = bytes([proof[k][0] ^ 1]) + proof[k][1:]
        if "leafIdx" in vector:
            assert not merkle.verify_inclusion(vector["leafIdx"], vector["treeSize"], B(vector["leafHash"]), proof,
                                               B(vector["root"]))
        else:
            assert not merkle.verify_consistency(vector["size1"], vector["size2"], B(vector["root1"]),
                                                 B(vector["root2"]), proof)


def test_every_proof_of_every_small_tree_verifies_and_no_other_does():
    """Exhaustive over the reference tree: the builder and the verifier agree, and a proof
    never verifies for another leaf position or with the roots swapped or cut short."""
    for size in range(1, 9):
        root = merkle.root_of(REFERENCE[:size])
        subtree = _subtree(REFERENCE[:size])
        for index in range(size):
            path = merkle.inclusion_path(index, size, subtree)
            assert merkle.verify_inclusion(index, size, REFERENCE[index], path, root)
            assert not merkle.verify_inclusion((index + 1) % size, size, REFERENCE[index], path, root) or size == 1
        for old in range(0, size + 1):
            proof = merkle.consistency_path(old, size, subtree)
            old_root = merkle.root_of(REFERENCE[:old]) if old else b""
            assert merkle.verify_consistency(old, size, old_root, root, proof)
            if 0 < old < size:
                assert not merkle.verify_consistency(old, size, root, old_root, proof)
                assert not merkle.verify_consistency(old, size, old_root, root, proof[:-1])


def test_the_frontier_appends_and_stores_every_perfect_subtree():
    frontier, stored = merkle.Frontier(), {}
    for index, leaf in enumerate(LARGE_LEAVES[:100]):
        for level, position, value in frontier.append(leaf):
            stored[(level, position)] = value
        size = index + 1
        assert frontier.root() == merkle.root_of(LARGE_LEAVES[:size])
        again = merkle.Frontier.from_bytes(size, frontier.to_bytes())
        assert again.root() == frontier.root()
    for (level, position), value in stored.items():
        assert value == merkle.root_of(LARGE_LEAVES[position << level:(position + 1) << level])
    assert len(stored) == 2 * 100 - bin(100).count("1")
