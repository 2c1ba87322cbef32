"""The phone's side of the transparency log (PROTOCOL.md §9), for the Python device
simulator; pwa/src/log.js is the app's. The phone keeps the newest signed tree head it has
verified and holds every answer to it: a head signed by the pinned key, a consistency proof
from the held head (or from the size a declared restore went back to), and, for each
receipt with a log index, an inclusion proof of the leaf the phone recomputes from its own
envelope digest. A failed proof is an alarm with its own code; a malformed answer is not.
"""
from .. import crypto
from ..sync import merkle


class LogAlarm(Exception):
    """The log contradicts what this phone verified before: history was rewritten."""

    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}")
        self.code = code


class LogAnswerError(Exception):
    """The answer's log part is missing or malformed: no answer, not an alarm."""


def _head_ok(signing_key, head):
    try:
        message = crypto.tree_head_message(int(head["epoch"]), int(head["size"]), crypto.b64d(head["root"]),
                                           int(head["time"]))
        crypto.verify(signing_key, message, crypto.b64d(head["signature"]))
        return True
    except (KeyError, TypeError, ValueError, crypto.CryptoError):
        return False


def _epoch_ok(signing_key, row):
    try:
        message = crypto.log_epoch_message(int(row["epoch"]), int(row["previous"]), int(row["size"]),
                                           crypto.b64d(row["root"]), int(row["time"]))
        crypto.verify(signing_key, message, crypto.b64d(row["signature"]))
        return True
    except (KeyError, TypeError, ValueError, crypto.CryptoError):
        return False


def leaf_hash(leaf, env_sha256: bytes):
    return merkle.leaf_hash(crypto.leaf_input(leaf["idx"], leaf["rid"], leaf["device_id"], leaf["seq"], env_sha256,
                                              leaf["received_at_us"], leaf["clock_offset_ms"], leaf["status"]))


def check_view(signing_key, held, view):
    """The new head if `view` holds the log to `held` (the head kept, or None), and the size
    a declared restore went back to (None if there was none). Raises LogAlarm when the log
    contradicts `held`, LogAnswerError when the view is not a proper answer."""
    try:
        head, epochs = view["head"], view.get("epochs") or []
        proof = view.get("consistency")
        size, epoch, root = int(head["size"]), int(head["epoch"]), crypto.b64d(head["root"])
    except (KeyError, TypeError, ValueError, crypto.CryptoError) as error:
        raise LogAnswerError(f"malformed log view: {error!r}") from error
    if not _head_ok(signing_key, head) or not all(_epoch_ok(signing_key, row) for row in epochs):
        raise LogAnswerError("a tree head or restore declaration that the pinned key did not sign")
    if held is None:
        return head, None
    held_epoch, held_size, held_root = int(held["epoch"]), int(held["size"]), crypto.b64d(held["root"])
    if epoch < held_epoch or (epoch == held_epoch and size < held_size):
        raise LogAlarm("log_rewound", f"held {held_epoch}/{held_size}, now {epoch}/{size}")
    restored_to, old_root, from_size = None, held_root, held_size
    if epoch > held_epoch:
        chain = [held_epoch] + [int(row["epoch"]) for row in epochs]
        if not epochs or [int(row["previous"]) for row in epochs] != chain[:-1] or chain[-1] != epoch:
            raise LogAlarm("log_inconsistent", "the restore declarations do not lead from the held epoch")
        lowest = min(epochs, key=lambda row: int(row["size"]))
        restored_to = int(lowest["size"])
        if restored_to < held_size:
            from_size, old_root = restored_to, crypto.b64d(lowest["root"])
    if view.get("consistency_from") != from_size or proof is None:
        raise LogAnswerError(f"consistency expected from {from_size}, got {view.get('consistency_from')}")
    if not merkle.verify_consistency(from_size, size, old_root, root, [crypto.b64d(p) for p in proof]):
        raise LogAlarm("log_inconsistent", f"{from_size} → {size}")
    return head, restored_to if restored_to is not None and restored_to < held_size else None


def check_receipt(head, receipt, env_sha256: bytes):
    """Whether a receipt's inclusion proof places the leaf of our envelope in `head`. Raises
    LogAlarm if it does not; LogAnswerError if the receipt carries no proper proof."""
    try:
        leaf = receipt["leaf"]
        if leaf["idx"] != receipt["log_index"] or leaf["rid"] != receipt["rid"]:
            raise LogAlarm("log_inclusion_failed", "the leaf names another row")
        proof = [crypto.b64d(p) for p in receipt["inclusion"]]
        value = leaf_hash(leaf, env_sha256)
    except (KeyError, TypeError, ValueError, crypto.CryptoError) as error:
        raise LogAnswerError(f"malformed receipt: {error!r}") from error
    if not merkle.verify_inclusion(leaf["idx"] - 1, int(head["size"]), value, proof, crypto.b64d(head["root"])):
        raise LogAlarm("log_inclusion_failed", f"row {leaf['idx']}")
    return True
