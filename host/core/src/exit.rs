//! How a run ends, and the process exit code for each ending.

use serde::{Deserialize, Serialize};

/// The final outcome of a run. Each has its own exit code (see `code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Verified and approved by the reviewer.
    Approved,
    /// Bad input: malformed config, unknown repository, empty task, …
    BadInput,
    /// The final change does not pass verification.
    VerificationFailed,
    /// The reviewer still requests changes after the last allowed loop.
    ReviewLoopsExhausted,
    /// A role asked for the user (unclear requirements, reviewer escalation).
    Escalated,
    /// The token or money budget of the task is spent.
    BudgetExceeded,
    /// A role failed structurally (unparseable replies, plugin fault, denial).
    RoleFailed,
    /// The model provider failed (after retries).
    ProviderFailed,
    /// The run was cancelled (Ctrl-C).
    Cancelled,
    /// An internal error of the host.
    InternalError,
}

impl Outcome {
    pub const ALL: [Outcome; 10] = [
        Outcome::Approved,
        Outcome::BadInput,
        Outcome::VerificationFailed,
        Outcome::ReviewLoopsExhausted,
        Outcome::Escalated,
        Outcome::BudgetExceeded,
        Outcome::RoleFailed,
        Outcome::ProviderFailed,
        Outcome::Cancelled,
        Outcome::InternalError,
    ];

    /// The process exit code. Documented in README.md; never reuse a number.
    pub fn code(self) -> i32 {
        match self {
            Outcome::Approved => 0,
            Outcome::InternalError => 1,
            Outcome::BadInput => 2,
            Outcome::VerificationFailed => 3,
            Outcome::ReviewLoopsExhausted => 4,
            Outcome::Escalated => 5,
            Outcome::BudgetExceeded => 6,
            Outcome::RoleFailed => 7,
            Outcome::ProviderFailed => 8,
            Outcome::Cancelled => 130,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::BadInput => "bad-input",
            Outcome::VerificationFailed => "verification-failed",
            Outcome::ReviewLoopsExhausted => "review-loops-exhausted",
            Outcome::Escalated => "escalated",
            Outcome::BudgetExceeded => "budget-exceeded",
            Outcome::RoleFailed => "role-failed",
            Outcome::ProviderFailed => "provider-failed",
            Outcome::Cancelled => "cancelled",
            Outcome::InternalError => "internal-error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn exit_codes_are_distinct_and_only_approved_is_zero() {
        let codes: HashSet<i32> = Outcome::ALL.iter().map(|o| o.code()).collect();
        assert_eq!(codes.len(), Outcome::ALL.len());
        for o in Outcome::ALL {
            assert_eq!(o.code() == 0, o == Outcome::Approved, "{o:?}");
        }
    }
}
