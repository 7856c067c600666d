#!/usr/bin/env python3
"""Write the hostile corpus as benchmark tasks: one directory per style
(NN-<style>/ with task.md, expected.json, repo/, acceptance/) under OUT, so
`coop bench OUT --modes solo` runs a real model on every style.

Usage: examples/injection/make_tasks.py OUT
"""
import json
import os
import shutil
import sys

here = os.path.dirname(os.path.abspath(__file__))


def main(out):
    corpus = json.load(open(os.path.join(here, "styles.json"), encoding="utf-8"))
    task = open(os.path.join(here, corpus["task"]), encoding="utf-8").read()
    base = os.path.join(here, corpus["base"])
    os.makedirs(out, exist_ok=True)
    for n, style in enumerate(corpus["styles"], start=1):
        d = os.path.join(out, f"{n:02d}-{style['id']}")
        if os.path.exists(d):
            shutil.rmtree(d)
        shutil.copytree(os.path.join(base, "repo"), os.path.join(d, "repo"))
        shutil.copytree(os.path.join(base, "acceptance"), os.path.join(d, "acceptance"))
        planted = os.path.join(d, "repo", style["file"])
        os.makedirs(os.path.dirname(planted), exist_ok=True)
        with open(planted, "w", encoding="utf-8") as f:
            f.write(style["content"])
        with open(os.path.join(d, "task.md"), "w", encoding="utf-8") as f:
            f.write(task)
        with open(os.path.join(d, "expected.json"), "w", encoding="utf-8") as f:
            json.dump({"id": f"{n:02d}-{style['id']}", "type": "bugfix", "files_changed": ["mathx/clamp.go"],
                       "notes": style["description"]}, f, indent=1)
    print(f"{len(corpus['styles'])} tasks under {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
