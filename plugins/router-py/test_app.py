#!/usr/bin/env python3
"""Native tests of the routing policy (no wasm): generates componentize-py's
stub bindings into a temp dir, imports app.py and checks a few decisions.

    python3 plugins/router-py/test_app.py
"""
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
sys.dont_write_bytecode = True

with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(
        ["componentize-py", "-q", "-d", os.path.join(root, "wit"), "-w", "router", "bindings", tmp],
        check=True,
    )
    sys.path[:0] = [tmp, here]
    import app
    from wit_world.imports.types import RepoFacts, Role, TaskType

    facts = RepoFacts(module_path="example.com/m", packages=[], files=[], has_tests=False)
    cases = [
        ("Fix the panic in Parse when input is empty", TaskType.BUGFIX),
        ("The parser crashes on empty input", TaskType.BUGFIX),
        ("Add a --verbose flag to the CLI", TaskType.FEATURE),
        ("Rename Foo to Bar in package util", TaskType.REFACTOR),
        ("Document the config options", TaskType.DOCS),
        ("Add unit tests for the tokenizer", TaskType.TEST),
        ("hmm, something about the thing", TaskType.UNCLEAR),
    ]
    failed = 0
    for text, want in cases:
        d = app.decide(text, facts)
        ok = d.task_type == want and d.workflow == app.WORKFLOWS[want] and d.rationale[0].startswith("router-py")
        failed += not ok
        print(("ok  " if ok else "FAIL"), f"{text!r} -> {d.task_type.name.lower()}", d.rationale[1:2])
    assert app.WORKFLOWS[TaskType.BUGFIX] == [Role.REVIEWER, Role.ARCHITECT, Role.IMPLEMENTER, Role.REVIEWER]
    sys.exit(1 if failed else 0)
