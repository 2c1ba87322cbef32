"""Writes tests/vectors/merkle-vectors.json ONCE; never run by the tests.

Two independent sources, neither of them this project's code:

1. transparency-dev/merkle's testdata (github.com/transparency-dev/merkle, Apache-2.0):
   inclusion and consistency proofs over the RFC 6962 reference tree of 8 leaves, copied
   verbatim below (their "happy path" files and a few of their refusals).
2. pymerkle 7.0.0 (PyPI; an RFC 9162 implementation), for a larger tree of 1,000 leaves:
   roots of several non-power-of-two sizes, inclusion audit paths (pymerkle's path without
   its first element, the leaf itself), and consistency proofs built by the RFC 6962 §2.1.2
   SUBPROOF recursion with every MTH() computed by pymerkle. pymerkle's roots of the
   reference tree agree with transparency-dev's for every size 1–8, which this script checks.

    python3 -m venv /tmp/pm && /tmp/pm/bin/pip install pymerkle==7.0.0
    /tmp/pm/bin/python tests/vectors/make_merkle_vectors.py [--force]
"""
import base64
import json
import sys
from functools import lru_cache
from pathlib import Path

from pymerkle import InmemoryTree

TARGET = Path(__file__).with_name("merkle-vectors.json")
REFERENCE_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]

# transparency-dev/merkle testdata/inclusion/{0..4}/happy-path.json and refusals, verbatim.
TD_INCLUSION = [
    {"leafIdx": 0, "treeSize": 1, "root": "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
     "leafHash": "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=", "proof": None, "desc": "happy path", "wantErr": False},
    {"leafIdx": 0, "treeSize": 8, "root": "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
     "leafHash": "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
     "proof": ["lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=", "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
               "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ="], "desc": "happy path", "wantErr": False},
    {"leafIdx": 5, "treeSize": 8, "root": "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
     "leafHash": "QnGia+DYqE8L1UyMMC58s6O10fpngKQLzOKHNHfatlg=",
     "proof": ["vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=", "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
               "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="], "desc": "happy path", "wantErr": False},
    {"leafIdx": 2, "treeSize": 3, "root": "rra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=",
     "leafHash": "ApjRIpBtz8EIkstTpzmS/FufST6kybrbJ7eRtBJ6f+c=",
     "proof": ["+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU="], "desc": "happy path", "wantErr": False},
    {"leafIdx": 1, "treeSize": 5, "root": "Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ=",
     "leafHash": "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=",
     "proof": ["bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=", "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
               "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms="], "desc": "happy path", "wantErr": False},
    {"leafIdx": 2, "treeSize": 5, "root": "Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ=",
     "leafHash": "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=",
     "proof": ["bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=", "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
               "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms="], "desc": "leafIdx + 1", "wantErr": True},
    {"leafIdx": 5, "treeSize": 4, "root": "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
     "leafHash": "QnGia+DYqE8L1UyMMC58s6O10fpngKQLzOKHNHfatlg=",
     "proof": ["vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=", "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
               "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="], "desc": "treeSize div 2", "wantErr": True},
]
# transparency-dev/merkle testdata/consistency/{0..4}/happy-path.json and refusals, verbatim.
TD_CONSISTENCY = [
    {"size1": 1, "size2": 1, "root1": "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
     "root2": "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=", "proof": None, "desc": "happy path", "wantErr": False},
    {"size1": 1, "size2": 8, "root1": "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
     "root2": "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
     "proof": ["lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=", "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
               "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ="], "desc": "happy path", "wantErr": False},
    {"size1": 6, "size2": 8, "root1": "duZ9rbzfHhDht03cYIq9L5jfsW+851J3tSMqEn8gh+8=",
     "root2": "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
     "proof": ["DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=", "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
               "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="], "desc": "happy path", "wantErr": False},
    {"size1": 2, "size2": 5, "root1": "+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU=",
     "root2": "Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ=",
     "proof": ["Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=", "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms="],
     "desc": "happy path", "wantErr": False},
    {"size1": 6, "size2": 7, "root1": "duZ9rbzfHhDht03cYIq9L5jfsW+851J3tSMqEn8gh+8=",
     "root2": "3bib5AOAnjJXUNPSY814kpwpQreUKjS3fhIslZSnTIw=",
     "proof": ["DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=", "sIaT7C5yFZcTBkHoIR5+7cy0wmQTlj7ubB4u0W/7Gl8=",
               "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="], "desc": "happy path", "wantErr": False},
    {"size1": 2, "size2": 5, "root1": "+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU=",
     "root2": "Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ=",
     "proof": ["Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4="], "desc": "truncated proof", "wantErr": True},
    {"size1": 6, "size2": 8, "root1": "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
     "root2": "duZ9rbzfHhDht03cYIq9L5jfsW+851J3tSMqEn8gh+8=",
     "proof": ["DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=", "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=",
               "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="], "desc": "swapped roots", "wantErr": True},
    {"size1": 7, "size2": 7, "root1": "duZ9rbzfHhDht03cYIq9L5jfsW+851J3tSMqEn8gh+8=",
     "root2": "3bib5AOAnjJXUNPSY814kpwpQreUKjS3fhIslZSnTIw=",
     "proof": ["DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=", "sIaT7C5yFZcTBkHoIR5+7cy0wmQTlj7ubB4u0W/7Gl8=",
               "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="], "desc": "size1 + 1", "wantErr": True},
]

LARGE = 1000


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def std_to_b64u(text):
    return b64u(base64.b64decode(text)) if text else text


def large_leaf(i):
    return f"wildledger-merkle-vector-{i}".encode()


@lru_cache(maxsize=None)
def mth(start, end):
    """MTH(D[start:end]) of the large tree, by pymerkle."""
    tree = InmemoryTree(algorithm="sha256")
    for i in range(start, end):
        tree.append_entry(large_leaf(i))
    return tree.get_state()


def subproof(m, start, end, complete):
    """RFC 6962 §2.1.2 SUBPROOF(m, D[start:end], b), every MTH by pymerkle."""
    n = end - start
    if m == n:
        return [] if complete else [mth(start, end)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(m, start, start + k, complete) + [mth(start + k, end)]
    return subproof(m - k, start + k, end, False) + [mth(start, start + k)]


def convert_td(vector):
    out = {k: v for k, v in vector.items() if k not in ("root", "root1", "root2", "leafHash", "proof")}
    for key in ("root", "root1", "root2", "leafHash"):
        if key in vector:
            out[key] = std_to_b64u(vector[key])
    out["proof"] = [std_to_b64u(p) for p in vector["proof"] or []]
    return out


def main():
    if TARGET.exists() and "--force" not in sys.argv:
        sys.exit(f"{TARGET} exists and is frozen: vectors are written once.")
    reference = InmemoryTree(algorithm="sha256")
    for leaf in REFERENCE_LEAVES:
        reference.append_entry(bytes.fromhex(leaf))
    reference_roots = {n: b64u(reference.get_state(n)) for n in range(1, 9)}
    seen = {std_to_b64u(v[k]) for v in TD_INCLUSION + TD_CONSISTENCY if not v["wantErr"]
            for k in ("root", "root1", "root2") if k in v}
    assert seen <= set(reference_roots.values()), "pymerkle disagrees with transparency-dev"

    large = InmemoryTree(algorithm="sha256")
    for i in range(LARGE):
        large.append_entry(large_leaf(i))
    sizes = [1, 17, 513, 777, LARGE]
    inclusion = []
    for index, size in [(0, LARGE), (999, LARGE), (511, 777), (776, 777), (300, 513), (16, 17), (0, 1)]:
        path = large.prove_inclusion(index + 1, size).serialize()["path"]  # pymerkle counts from 1
        inclusion.append({"leafIdx": index, "treeSize": size, "root": b64u(large.get_state(size)),
                          "leafHash": path[0] and b64u(bytes.fromhex(path[0])),
                          "proof": [b64u(bytes.fromhex(p)) for p in path[1:]]})
        assert path[0] == large.get_leaf(index + 1).hex()
    consistency = [{"size1": m, "size2": n, "root1": b64u(large.get_state(m)), "root2": b64u(large.get_state(n)),
                    "proof": [b64u(h) for h in (subproof(m, 0, n, True) if m < n else [])]}
                   for m, n in [(1, 513), (17, LARGE), (513, 777), (777, LARGE), (LARGE, LARGE), (16, 17)]]
    vectors = {
        "about": "RFC 6962/9162 Merkle tree vectors: SHA-256, leaf hash H(0x00 || leaf input), node hash "
                 "H(0x01 || left || right). Leaf indexes count from 0. Hashes are base64url without padding. "
                 "transparency_dev comes from github.com/transparency-dev/merkle's testdata (Apache-2.0), copied "
                 "verbatim but for the base64 alphabet; reference_tree holds RFC 6962's reference leaves and "
                 "their roots for sizes 1-8 by pymerkle 7.0.0, which agree with every root in those files; "
                 "large_tree is from pymerkle 7.0.0 "
                 "(leaf i is the UTF-8 of 'wildledger-merkle-vector-<i>'). Written once by "
                 "make_merkle_vectors.py; checked by tests/test_merkle.py and pwa/test/merkle.test.js.",
        "reference_tree": {"leaves_hex": REFERENCE_LEAVES, "roots": {str(n): r for n, r in reference_roots.items()}},
        "transparency_dev": {"inclusion": [convert_td(v) for v in TD_INCLUSION],
                             "consistency": [convert_td(v) for v in TD_CONSISTENCY]},
        "large_tree": {"leaf_input": "wildledger-merkle-vector-<i>", "size": LARGE,
                       "roots": {str(n): b64u(large.get_state(n)) for n in sizes},
                       "inclusion": inclusion, "consistency": consistency},
    }
    TARGET.write_text(json.dumps(vectors, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
