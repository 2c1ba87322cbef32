"""RFC 9162 (Certificate Transparency 2.0) Merkle trees: small pure functions, in the
manner of Go's sumdb/tlog. Leaves count from 0. MTH(D[n]) is the tree hash of n leaves:
a leaf is H(0x00 ‖ leaf input), a node H(0x01 ‖ left ‖ right), and a tree of n > 1 leaves
splits at k, the largest power of two below n (RFC 9162 §2.1.1).

Proofs are built over `subtree(start, end)`, a function giving MTH(D[start:end]); the
ledger reads it from stored perfect subtrees (ledger.py), tests from plain lists.
Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 word for word; tests/test_merkle.py
and pwa/test/merkle.test.js hold both sides to transparency-dev's and pymerkle's vectors.
"""
from ..crypto import sha256

LEAF_PREFIX, NODE_PREFIX = b"\x00", b"\x01"


def leaf_hash(data: bytes) -> bytes:
    return sha256(LEAF_PREFIX + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(NODE_PREFIX + left + right)


def split(n):
    """The largest power of two strictly below n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def is_perfect(n):
    return n > 0 and n & (n - 1) == 0


def root_of(hashes):
    """MTH of a list of leaf hashes (for tests and small trees)."""
    if len(hashes) == 1:
        return hashes[0]
    k = split(len(hashes))
    return node_hash(root_of(hashes[:k]), root_of(hashes[k:]))


def inclusion_path(index, size, subtree, start=0):
    """RFC 6962 §2.1.1 PATH(m, D[n]): the audit path of leaf `index`, bottom up."""
    if size == 1:
        return []
    k = split(size)
    if index < k:
        return inclusion_path(index, k, subtree, start) + [subtree(start + k, start + size)]
    return inclusion_path(index - k, size - k, subtree, start + k) + [subtree(start, start + k)]


def consistency_path(old, new, subtree):
    """RFC 6962 §2.1.2 PROOF(m, D[n]): empty when the sizes are equal or old is 0."""
    if old == 0 or old == new:
        return []
    return _subproof(old, 0, new, True, subtree)


def _subproof(m, start, end, complete, subtree):
    n = end - start
    if m == n:
        return [] if complete else [subtree(start, end)]
    k = split(n)
    if m <= k:
        return _subproof(m, start, start + k, complete, subtree) + [subtree(start + k, end)]
    return _subproof(m - k, start + k, end, False, subtree) + [subtree(start, start + k)]


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 §2.1.3.2: does `proof` place the leaf hash `leaf` at `index` of the tree
    of `size` leaves whose root is `root`?"""
    if index < 0 or index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old, new, old_root, new_root, proof):
    """RFC 9162 §2.1.4.2: is the tree of `new` leaves (new_root) an extension of the tree of
    `old` leaves (old_root)? Equal sizes need equal roots and an empty proof; a tree of
    0 leaves is a prefix of every tree."""
    if old < 0 or new < old:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof
    if not proof:
        return False
    path = [old_root, *proof] if is_perfect(old) else list(proof)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


class Frontier:
    """The perfect subtrees that make up a tree of `size` leaves, largest first (one per
    set bit of size): enough to append leaves and compute the root without reading any
    other node. Appending yields the new perfect subtrees, to be stored."""

    def __init__(self, size=0, hashes=()):
        self.size, self.hashes = size, list(hashes)
        if len(self.hashes) != bin(size).count("1"):
            raise ValueError("a frontier has one hash per set bit of its size")

    def append(self, leaf):
        """Adds a leaf hash; returns [(level, index, hash)] of every perfect subtree it completes."""
        index, level, carry = self.size, 0, leaf
        made = [(0, index, leaf)]
        while (self.size >> level) & 1:
            carry = node_hash(self.hashes.pop(), carry)
            level, index = level + 1, index >> 1
            made.append((level, index, carry))
        self.hashes.append(carry)
        self.size += 1
        return made

    def root(self):
        if not self.hashes:
            return sha256(b"")  # RFC 9162 §2.1.1: the hash of an empty list
        root = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            root = node_hash(left, root)
        return root

    def to_bytes(self):
        return b"".join(self.hashes)

    @classmethod
    def from_bytes(cls, size, data):
        return cls(size, [data[i:i + 32] for i in range(0, len(data), 32)])
