#!/usr/bin/env python3
"""Apply the implementer edits of a task's fixtures/replay.json to a directory.

Usage: apply_fixture.py <replay.json> <dir>

Replays every exchange whose purpose is "implementer", in order. Replies that
are not a JSON object are skipped (the fixtures contain one deliberately
malformed reply to exercise the retry path). Edit kinds follow the host's
FileEdit: write, replace (the old text must occur exactly once), delete.
"""
import json
import os
import sys


def main() -> int:
    replay, root = sys.argv[1], sys.argv[2]
    with open(replay, encoding="utf-8") as f:
        doc = json.load(f)
    for n, ex in enumerate(doc["exchanges"]):
        if ex["purpose"] != "implementer":
            continue
        try:
            reply = json.loads(ex["text"])
        except json.JSONDecodeError:
            print(f"exchange {n}: not JSON, skipped (retry path)")
            continue
        for edit in reply["edits"]:
            path = os.path.join(root, edit["path"])
            kind = edit["kind"]
            if kind == "write":
                os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(edit["content"])
            elif kind == "replace":
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                count = text.count(edit["old"])
                if count != 1:
                    print(f"exchange {n}: replace in {edit['path']}: old text occurs {count} times", file=sys.stderr)
                    return 1
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text.replace(edit["old"], edit["new"]))
            elif kind == "delete":
                os.remove(path)
            else:
                print(f"exchange {n}: unknown edit kind {kind!r}", file=sys.stderr)
                return 1
            print(f"exchange {n}: {kind} {edit['path']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
