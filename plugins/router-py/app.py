"""router-py: a keyword routing policy for coop, written in Python.

Built into a WebAssembly component with componentize-py against the `router`
world of wit/mob.wit (see build.sh). It calls no host import (not even `log`),
so the component imports nothing from coop:mob but types.

Policy, in order:
  1. bug symptoms anywhere in the text (panic, crash, wrong, fails, ...) → bugfix
  2. the leading verb of the first line (after dropping polite filler)
  3. a few whole-text hints (docs/test words)
  4. otherwise unclear → the navigator asks.
Every rule that fires adds one rationale line; the first line always starts
with "router-py" so a decision can be traced to this plugin.
"""

import re
from typing import List, Optional, Tuple

import wit_world
from wit_world.imports.types import (
    RepoFacts,
    Risk,
    Role,
    RoutingDecision,
    Size,
    Task,
    TaskType,
)

# Leading verb → task type.
VERBS = {
    TaskType.FEATURE: {
        "add", "implement", "support", "create", "introduce", "build",
        "allow", "enable", "expose", "provide", "make", "write", "extend",
    },
    TaskType.BUGFIX: {
        "fix", "repair", "resolve", "correct", "patch", "debug", "stop",
        "prevent", "handle",
    },
    TaskType.REFACTOR: {
        "refactor", "rename", "extract", "move", "split", "simplify",
        "clean", "cleanup", "restructure", "reorganize", "reorganise",
        "inline", "dedupe", "deduplicate", "consolidate", "tidy",
    },
    TaskType.DOCS: {"document", "explain", "describe"},
    TaskType.TEST: {"test", "cover"},
}

# Words that, anywhere in the text, describe wrong behaviour.
BUG_SYMPTOMS = (
    "panic", "panics", "crash", "crashes", "segfault", "nil pointer",
    "null pointer", "deadlock", "race", "data race", "regression", "broken",
    "bug", "incorrect", "wrong", "fails", "failing", "error when",
    "off-by-one", "off by one", "leak", "hangs", "infinite loop",
    "returns nil", "does not work", "doesn't work",
)

DOC_WORDS = ("readme", "docs", "documentation", "doc comment", "godoc", "comments", "changelog")
TEST_WORDS = ("unit test", "tests for", "test for", "test coverage", "table-driven", "_test.go")

HIGH_RISK = (
    "security", "auth", "authentication", "authorization", "password",
    "token", "tokens", "secret", "secrets", "crypto", "concurrency",
    "concurrent", "race", "deadlock", "data loss", "delete", "migration",
    "public api", "breaking",
)
MEDIUM_RISK = ("shared", "interface", "config", "configuration", "api", "parser", "parse", "database")

FILLER = {"please", "can", "could", "you", "we", "should", "let's", "lets", "kindly", "i", "want", "to", "need"}

WORKFLOWS = {
    TaskType.FEATURE: [Role.ARCHITECT, Role.IMPLEMENTER, Role.REVIEWER],
    TaskType.BUGFIX: [Role.REVIEWER, Role.ARCHITECT, Role.IMPLEMENTER, Role.REVIEWER],
    TaskType.REFACTOR: [Role.ARCHITECT, Role.IMPLEMENTER, Role.REVIEWER],
    TaskType.DOCS: [Role.IMPLEMENTER, Role.REVIEWER],
    TaskType.TEST: [Role.IMPLEMENTER, Role.REVIEWER],
    TaskType.UNCLEAR: [Role.NAVIGATOR],
}

WORD = re.compile(r"[a-z][a-z'_-]*")


def leading_verb(text: str) -> Optional[str]:
    first = text.strip().splitlines()[0].lower() if text.strip() else ""
    for w in WORD.findall(first):
        if w in FILLER:
            continue
        return w
    return None


def contains_any(text: str, words) -> List[str]:
    """The entries of `words` that occur in `text` as whole words."""
    hits = []
    for w in words:
        if re.search(r"(?<![a-z])" + re.escape(w) + r"(?![a-z])", text):
            hits.append(w)
    return hits


def classify(text: str) -> Tuple[TaskType, float, List[str]]:
    low = text.lower()
    why: List[str] = []
    verb = leading_verb(low)
    verb_type = None
    if verb is not None:
        for tt, verbs in VERBS.items():
            if verb in verbs:
                verb_type = tt
                break

    symptoms = contains_any(low, BUG_SYMPTOMS)
    if verb_type == TaskType.BUGFIX:
        why.append(f"python router: leading verb '{verb}' asks for a fix")
        if symptoms:
            why.append("python router: bug symptoms: " + ", ".join(symptoms[:4]))
            return TaskType.BUGFIX, 0.9, why
        return TaskType.BUGFIX, 0.75, why
    if symptoms and verb_type not in (TaskType.TEST, TaskType.DOCS):
        why.append("python router: bug symptoms: " + ", ".join(symptoms[:4]))
        if verb_type is not None:
            why.append(f"python router: symptoms override leading verb '{verb}'")
        return TaskType.BUGFIX, 0.7, why
    if verb_type is not None:
        why.append(f"python router: leading verb '{verb}' → {verb_type.name.lower()}")
        # "add tests for X" / "add docs for X" are test / docs work.
        if verb_type == TaskType.FEATURE:
            if contains_any(low, TEST_WORDS) or re.match(r"\s*(add|write)\s+(unit\s+)?tests?\b", low):
                why.append("python router: the feature is tests only → test")
                return TaskType.TEST, 0.8, why
            if contains_any(low, DOC_WORDS) and not contains_any(low, ("endpoint", "flag", "command")):
                why.append("python router: the feature is documentation only → docs")
                return TaskType.DOCS, 0.75, why
        return verb_type, 0.8, why
    if contains_any(low, TEST_WORDS):
        why.append("python router: mentions tests, no leading verb matched → test")
        return TaskType.TEST, 0.55, why
    if contains_any(low, DOC_WORDS):
        why.append("python router: mentions documentation, no leading verb matched → docs")
        return TaskType.DOCS, 0.55, why
    why.append("python router: no verb or symptom rule fired → unclear, ask the navigator")
    return TaskType.UNCLEAR, 0.3, why


def estimate_size(text: str, facts: RepoFacts) -> Tuple[Size, str]:
    low = text.lower()
    named = [f.path for f in facts.files if f.path and f.path.lower() in low]
    if contains_any(low, ("all packages", "everywhere", "across the codebase", "every package", "whole repo")):
        return Size.LARGE, "python router: size large (repository-wide wording)"
    if len(named) > 3 or len(text) > 1200:
        return Size.LARGE, f"python router: size large ({len(named)} files named, {len(text)} chars)"
    if len(named) > 1 or len(text) > 400:
        return Size.MEDIUM, f"python router: size medium ({len(named)} files named, {len(text)} chars)"
    return Size.SMALL, f"python router: size small ({len(named)} files named, {len(text)} chars)"


def estimate_risk(text: str) -> Tuple[Risk, str]:
    low = text.lower()
    hi = contains_any(low, HIGH_RISK)
    if hi:
        return Risk.HIGH, "python router: risk high (" + ", ".join(hi[:3]) + ")"
    med = contains_any(low, MEDIUM_RISK)
    if med:
        return Risk.MEDIUM, "python router: risk medium (" + ", ".join(med[:3]) + ")"
    return Risk.LOW, "python router: risk low (no risky words)"


def decide(text: str, facts: RepoFacts) -> RoutingDecision:
    task_type, confidence, why = classify(text)
    size, size_why = estimate_size(text, facts)
    risk, risk_why = estimate_risk(text)
    workflow = list(WORKFLOWS[task_type])
    rationale = [f"router-py: {task_type.name.lower()} (keyword policy, Python component)"]
    rationale += why
    rationale += [size_why, risk_why]
    return RoutingDecision(
        task_type=task_type,
        size=size,
        risk=risk,
        confidence=confidence,
        workflow=workflow,
        rationale=rationale,
    )


class WitWorld(wit_world.WitWorld):
    def route(self, task: Task, facts: RepoFacts) -> RoutingDecision:
        return decide(task.text, facts)
