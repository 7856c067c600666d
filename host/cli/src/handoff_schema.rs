//! Every handoff is validated against the published schema
//! (`docs/handoff.schema.json`, compiled into the binary) before a role
//! gets it, and its task text is checked to be the run's, byte for byte.
//! A handoff that fails is a host bug: the run ends as an internal error
//! with the schema's own messages, and nothing is sent to the role.

use coop_core::Handoff;

/// The schema, as published in docs/.
pub const SCHEMA: &str = include_str!("../../../docs/handoff.schema.json");

#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    #[error("the handoff schema does not compile: {0}")]
    Schema(String),
    #[error("handoff {seq} for {to} does not validate: {errors}")]
    Invalid {
        seq: u32,
        to: String,
        errors: String,
    },
}

pub struct HandoffValidator {
    schema: jsonschema::Validator,
    task_text: String,
}

impl HandoffValidator {
    pub fn new(task_text: &str) -> Result<HandoffValidator, HandoffError> {
        let v: serde_json::Value =
            serde_json::from_str(SCHEMA).map_err(|e| HandoffError::Schema(e.to_string()))?;
        let schema =
            jsonschema::validator_for(&v).map_err(|e| HandoffError::Schema(e.to_string()))?;
        Ok(HandoffValidator {
            schema,
            task_text: task_text.to_string(),
        })
    }

    /// Check one handoff (as it will be written and sent).
    pub fn check(&self, h: &Handoff) -> Result<(), HandoffError> {
        let value = serde_json::to_value(h).map_err(|e| HandoffError::Schema(e.to_string()))?;
        let mut errors: Vec<String> = self
            .schema
            .iter_errors(&value)
            .map(|e| format!("{}: {e}", e.instance_path))
            .take(10)
            .collect();
        if h.task.text != self.task_text {
            errors.push(
                "/task/text: differs from the run's task text (it must be carried unchanged)"
                    .into(),
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(HandoffError::Invalid {
                seq: h.seq,
                to: h.to.as_str().to_string(),
                errors: errors.join("; "),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coop_core::{
        ArtifactRef, ContextBudget, ContextItem, ContextPack, Decision, DroppedItem, Finding,
        HANDOFF_VERSION, Role, Section, Severity, StepRecord, Task,
    };

    fn handoff() -> Handoff {
        Handoff {
            version: HANDOFF_VERSION,
            seq: 1,
            task: Task {
                id: "r1".into(),
                text: "Fix Clamp".into(),
            },
            from: None,
            to: Role::Implementer,
            goals: vec!["Implement".into()],
            constraints: vec!["Go only".into()],
            files_in_scope: vec!["mathx/clamp.go".into()],
            decisions: vec![Decision {
                by: Role::Architect,
                what: "change Clamp".into(),
                why: "bug".into(),
            }],
            next_actions: vec![],
            blockers: vec![],
            artifacts: vec![ArtifactRef {
                path: "artifacts/diff-1.patch".into(),
                sha256: "a".repeat(64),
                kind: "diff".into(),
            }],
            design_notes: Some("notes".into()),
            verification: None,
            diff: None,
            findings: vec![Finding {
                severity: Severity::Blocking,
                file: Some("mathx/clamp.go".into()),
                line: Some(3),
                message: "m".into(),
                suggestion: None,
            }],
            attempt: 1,
            recent: vec![StepRecord {
                seq: 1,
                role: Role::Architect,
                kind: "design".into(),
                text: "notes".into(),
            }],
            summarized_steps: 0,
            context: Some(ContextPack {
                counter: "estimate: 3 bytes per token".into(),
                budget: ContextBudget {
                    window: 100,
                    output_reserve: 10,
                    prompt_reserve: 10,
                    input: 80,
                    ..Default::default()
                },
                working_set: vec![ContextItem {
                    path: "mathx/clamp.go".into(),
                    decl: None,
                    start_line: 1,
                    end_line: 3,
                    tokens: 20,
                    reason: "named".into(),
                    content: "package mathx\n".into(),
                }],
                dropped: vec![DroppedItem {
                    section: Section::Recent,
                    what: "step 1 (architect)".into(),
                    tokens: 9,
                    reason: "9 tokens, 2 left".into(),
                    artifact: Some("artifacts/001-architect-output.json".into()),
                }],
            }),
        }
    }

    #[test]
    fn a_well_formed_handoff_validates() {
        HandoffValidator::new("Fix Clamp")
            .unwrap()
            .check(&handoff())
            .unwrap();
    }

    #[test]
    fn each_broken_field_is_named() {
        let v = HandoffValidator::new("Fix Clamp").unwrap();
        type Breaker = Box<dyn Fn(&mut Handoff)>;
        let cases: Vec<(Breaker, &str)> = vec![
            (Box::new(|h| h.version = 1), "/version"),
            (Box::new(|h| h.context = None), "context"),
            (
                Box::new(|h| h.recent[0].kind = "gossip".into()),
                "/recent/0/kind",
            ),
            (
                Box::new(|h| h.recent = vec![h.recent[0].clone(); 3]),
                "/recent",
            ),
            (
                Box::new(|h| h.context.as_mut().unwrap().working_set[0].path = "../x.go".into()),
                "/context/working_set/0/path",
            ),
            (
                Box::new(|h| h.context.as_mut().unwrap().working_set[0].start_line = 0),
                "/context/working_set/0/start_line",
            ),
            (
                Box::new(|h| h.context.as_mut().unwrap().budget.input = 0),
                "/context/budget/input",
            ),
            (
                Box::new(|h| h.context.as_mut().unwrap().dropped[0].reason.clear()),
                "/context/dropped/0/reason",
            ),
            (Box::new(|h| h.seq = 0), "/seq"),
            (Box::new(|h| h.goals.clear()), "/goals"),
            (
                Box::new(|h| h.files_in_scope.push("../etc/passwd".into())),
                "/files_in_scope/1",
            ),
            (
                Box::new(|h| h.files_in_scope.push("/abs.go".into())),
                "/files_in_scope/1",
            ),
            (
                Box::new(|h| h.files_in_scope.push(".git/config".into())),
                "/files_in_scope/1",
            ),
            (
                Box::new(|h| h.artifacts[0].sha256 = "xyz".into()),
                "/artifacts/0/sha256",
            ),
            (
                Box::new(|h| h.decisions[0].what.clear()),
                "/decisions/0/what",
            ),
            (
                Box::new(|h| h.findings[0].line = Some(0)),
                "/findings/0/line",
            ),
            (Box::new(|h| h.attempt = 0), "/attempt"),
            (
                Box::new(|h| h.task.text = "Fix Clamp, and more".into()),
                "/task/text",
            ),
        ];
        for (break_it, path) in cases {
            let mut h = handoff();
            break_it(&mut h);
            let err = v.check(&h).unwrap_err().to_string();
            assert!(err.contains(path), "{path} not named in: {err}");
        }
    }

    #[test]
    fn the_schema_is_what_docs_publish() {
        let on_disk = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/handoff.schema.json"
        ))
        .unwrap();
        assert_eq!(on_disk, SCHEMA);
        let v: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
        assert_eq!(v["properties"]["version"]["const"], HANDOFF_VERSION);
    }
}
