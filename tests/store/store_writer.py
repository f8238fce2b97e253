"""Child process for the crash and concurrency tests (run as a script, not collected).

usage:
    store_writer.py DB hang            save one session, stop inside its transaction:
                                       print "MID" and sleep until killed
    store_writer.py DB write N TAG GO  wait until file GO exists, then save N sessions
                                       of subject TAG (each holding the write lock a few
                                       ms so writers overlap); print "DONE"
"""

from __future__ import annotations

import os
import sys
import time

from hipform_testdata import make_analysis

from hipform.store import open_store


def main() -> None:
    db, mode = sys.argv[1], sys.argv[2]
    if mode == "hang":
        store = open_store(db)

        def hook() -> None:
            print("MID", flush=True)
            time.sleep(120)  # the parent SIGKILLs us here

        store._mid_transaction_hook = hook
        store.save_analysis(make_analysis(subject="killed", session="never committed"))
        print("COMMITTED", flush=True)  # must never be reached
        return
    if mode == "write":
        n, tag, go = int(sys.argv[3]), sys.argv[4], sys.argv[5]
        deadline = time.monotonic() + 60
        while not os.path.exists(go):
            if time.monotonic() > deadline:
                sys.exit("no go signal")
            time.sleep(0.002)
        store = open_store(db)  # several processes may create/migrate the file at once
        store._mid_transaction_hook = lambda: time.sleep(0.004)
        for i in range(n):
            store.save_analysis(make_analysis(subject=tag, session=f"{tag}-{i}"),
                                source_kind="batch")
        store.close()
        print("DONE", flush=True)
        return
    sys.exit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
