//! Fitting a handoff into the receiving model's context window.
//!
//! The strategy document splits each handoff's budget 25 % persistent
//! context (task, constraints, decisions), 50 % working set (files and
//! artifacts in scope) and 25 % recent summary (the last two steps). This
//! module decides, from token counts alone, which pieces of a handoff go to
//! the model and which are dropped. The host counts (with the model's own
//! tokenizer where there is one) and applies the plan; nothing here does I/O.
//!
//! Rules:
//! - the input budget is the window less the reply's reserve and the
//!   plugin's own instructions' reserve;
//! - persistent and recent context get at most their 25 % each; the working
//!   set gets its 50 % plus whatever the other two leave unused;
//! - a *required* piece (task text, goals, constraints, decisions, blockers,
//!   open findings) is never dropped: if required pieces alone exceed the
//!   persistent share they take the rest from the working set, and if they
//!   exceed the whole input budget the step cannot run ([`PackError`]);
//! - every other piece is kept or dropped *whole*, in the caller's priority
//!   order within its section, and each drop is reported with its reason:
//!   nothing is ever cut in the middle.

use crate::types::{ContextBudget, Section, SectionBudget};

/// The receiving model's limits for one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Context window in tokens.
    pub window: u64,
    /// Tokens kept free for the reply.
    pub output_reserve: u64,
    /// Tokens kept free for the plugin's own instructions and formatting.
    pub prompt_reserve: u64,
}

/// One candidate piece of a handoff, already counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub section: Section,
    pub tokens: u64,
    /// Never dropped.
    pub required: bool,
}

/// Why a piece was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drop {
    /// Index into the pieces given to [`pack`].
    pub index: usize,
    pub reason: String,
}

/// The decision: which pieces go, and how the budget was spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// `keep[i]` for piece `i`.
    pub keep: Vec<bool>,
    pub dropped: Vec<Drop>,
    pub budget: ContextBudget,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    #[error(
        "the model's context window ({window} tokens) leaves no room for input after reserving {output_reserve} for the reply and {prompt_reserve} for the role's instructions"
    )]
    NoInputBudget {
        window: u64,
        output_reserve: u64,
        prompt_reserve: u64,
    },
    #[error(
        "the task, constraints, decisions, blockers and open findings alone need {required} tokens, more than the {input} the model's context window leaves for input; use a model with a larger context window or a shorter task text"
    )]
    RequiredTooLarge { required: u64, input: u64 },
}

/// The three shares of `input`: 25 % persistent, 25 % recent, the rest
/// (50 % and any rounding) working set.
pub fn shares(input: u64) -> (u64, u64, u64) {
    let persistent = input / 4;
    let recent = input / 4;
    (persistent, input - persistent - recent, recent)
}

/// Decide which pieces fit. Pieces are considered in the order given within
/// each section (the caller puts the most important first).
pub fn pack(limits: Limits, pieces: &[Piece]) -> Result<Plan, PackError> {
    let input = limits
        .window
        .checked_sub(limits.output_reserve)
        .and_then(|r| r.checked_sub(limits.prompt_reserve))
        .filter(|i| *i > 0)
        .ok_or(PackError::NoInputBudget {
            window: limits.window,
            output_reserve: limits.output_reserve,
            prompt_reserve: limits.prompt_reserve,
        })?;
    let required: u64 = pieces.iter().filter(|p| p.required).map(|p| p.tokens).sum();
    if required > input {
        return Err(PackError::RequiredTooLarge { required, input });
    }
    let (p_share, w_share, r_share) = shares(input);
    let mut keep = vec![false; pieces.len()];
    let mut dropped = Vec::new();
    let req_in = |s: Section| -> u64 {
        pieces
            .iter()
            .filter(|p| p.required && p.section == s)
            .map(|p| p.tokens)
            .sum()
    };

    // Required pieces are reserved first, wherever they are; optional
    // pieces share what is left (`free`). Persistent and recent come first,
    // each capped at its share, so the working set knows what remains.
    let mut free = input - required;
    let fill = |section: Section,
                limit: u64,
                keep: &mut Vec<bool>,
                dropped: &mut Vec<Drop>,
                free: &mut u64|
     -> u64 {
        let mut used = req_in(section);
        for (i, p) in pieces
            .iter()
            .enumerate()
            .filter(|(_, p)| p.section == section)
        {
            if p.required {
                keep[i] = true;
            } else if used + p.tokens <= limit && p.tokens <= *free {
                used += p.tokens;
                *free -= p.tokens;
                keep[i] = true;
            } else {
                let left = limit.saturating_sub(used).min(*free);
                let reason = if p.tokens > limit {
                    format!(
                        "{} tokens, more than the whole {} budget of {limit}",
                        p.tokens,
                        section_name(section)
                    )
                } else {
                    format!(
                        "{} tokens, {left} left of the {} budget of {limit}",
                        p.tokens,
                        section_name(section)
                    )
                };
                dropped.push(Drop { index: i, reason });
            }
        }
        used
    };
    let p_used = fill(
        Section::Persistent,
        p_share,
        &mut keep,
        &mut dropped,
        &mut free,
    );
    let r_used = fill(Section::Recent, r_share, &mut keep, &mut dropped, &mut free);
    // The working set gets everything the other two did not use (its own
    // 50 %, their unused shares, less any overflow of required context).
    let w_limit = input.saturating_sub(p_used).saturating_sub(r_used);
    let w_used = fill(
        Section::Working,
        w_limit,
        &mut keep,
        &mut dropped,
        &mut free,
    );
    dropped.sort_by_key(|d| d.index);
    let budget = ContextBudget {
        window: limits.window,
        output_reserve: limits.output_reserve,
        prompt_reserve: limits.prompt_reserve,
        input,
        persistent: SectionBudget {
            share: p_share,
            limit: p_share.max(p_used),
            used: p_used,
        },
        working: SectionBudget {
            share: w_share,
            limit: w_limit,
            used: w_used,
        },
        recent: SectionBudget {
            share: r_share,
            limit: r_share,
            used: r_used,
        },
    };
    Ok(Plan {
        keep,
        dropped,
        budget,
    })
}

pub fn section_name(s: Section) -> &'static str {
    match s {
        Section::Persistent => "persistent-context",
        Section::Working => "working-set",
        Section::Recent => "recent-steps",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn limits(window: u64) -> Limits {
        Limits {
            window,
            output_reserve: 0,
            prompt_reserve: 0,
        }
    }
    fn opt(section: Section, tokens: u64) -> Piece {
        Piece {
            section,
            tokens,
            required: false,
        }
    }
    fn req(section: Section, tokens: u64) -> Piece {
        Piece {
            section,
            tokens,
            required: true,
        }
    }

    #[test]
    fn the_split_is_25_50_25_of_what_the_reserves_leave() {
        let p = pack(
            Limits {
                window: 16384,
                output_reserve: 2560,
                prompt_reserve: 1024,
            },
            &[],
        )
        .unwrap();
        assert_eq!(p.budget.input, 12800);
        assert_eq!(
            (
                p.budget.persistent.share,
                p.budget.working.share,
                p.budget.recent.share
            ),
            (3200, 6400, 3200)
        );
        // Rounding goes to the working set; the shares always add up.
        assert_eq!(shares(10), (2, 6, 2));
        assert_eq!(shares(3), (0, 3, 0));
    }

    #[test]
    fn exactly_at_the_limit_fits_and_one_token_over_does_not() {
        // 400 input: 100 persistent, 200 working, 100 recent.
        for section in [Section::Persistent, Section::Recent] {
            let at = pack(limits(400), &[opt(section, 60), opt(section, 40)]).unwrap();
            assert_eq!(at.keep, [true, true], "{section:?} exactly full");
            let over = pack(limits(400), &[opt(section, 60), opt(section, 41)]).unwrap();
            assert_eq!(over.keep, [true, false], "{section:?} one over");
            assert_eq!(over.dropped[0].index, 1);
            assert!(
                over.dropped[0].reason.contains("41 tokens, 40 left"),
                "{}",
                over.dropped[0].reason
            );
        }
        // The working set, with persistent and recent full, has exactly 200.
        let full = [opt(Section::Persistent, 100), opt(Section::Recent, 100)];
        let at = pack(
            limits(400),
            &[full[0].clone(), full[1].clone(), opt(Section::Working, 200)],
        )
        .unwrap();
        assert_eq!(at.keep, [true, true, true]);
        assert_eq!(at.budget.working.used, 200);
        let over = pack(
            limits(400),
            &[full[0].clone(), full[1].clone(), opt(Section::Working, 201)],
        )
        .unwrap();
        assert_eq!(over.keep, [true, true, false]);
    }

    #[test]
    fn the_working_set_gets_what_the_others_leave_unused() {
        let p = pack(
            limits(400),
            &[opt(Section::Persistent, 30), opt(Section::Working, 340)],
        )
        .unwrap();
        assert_eq!(p.keep, [true, true]);
        assert_eq!(p.budget.working.limit, 370);
        assert_eq!(p.budget.working.share, 200);
        let p = pack(
            limits(400),
            &[opt(Section::Persistent, 30), opt(Section::Working, 371)],
        )
        .unwrap();
        assert_eq!(p.keep, [true, false]);
    }

    #[test]
    fn a_single_item_larger_than_the_whole_working_set_is_dropped_whole_and_smaller_ones_still_fit()
    {
        let p = pack(
            limits(400),
            &[
                opt(Section::Working, 500),
                opt(Section::Working, 150),
                opt(Section::Working, 100),
            ],
        )
        .unwrap();
        assert_eq!(p.keep, [false, true, true]);
        assert!(
            p.dropped[0]
                .reason
                .contains("more than the whole working-set budget of 400"),
            "{}",
            p.dropped[0].reason
        );
        // The next one that does not fit is skipped, a later smaller one is not.
        let p = pack(
            limits(400),
            &[
                opt(Section::Working, 300),
                opt(Section::Working, 150),
                opt(Section::Working, 100),
            ],
        )
        .unwrap();
        assert_eq!(p.keep, [true, false, true]);
    }

    #[test]
    fn required_pieces_are_never_dropped_and_overflow_into_the_working_set() {
        let p = pack(
            limits(400),
            &[
                req(Section::Persistent, 150),
                opt(Section::Persistent, 1),
                opt(Section::Working, 250),
            ],
        )
        .unwrap();
        assert_eq!(
            p.keep,
            [true, false, true],
            "150 required > 100 share: no room for optional persistent"
        );
        assert_eq!(p.budget.persistent.used, 150);
        assert_eq!(p.budget.working.limit, 250);
        let p = pack(
            limits(400),
            &[req(Section::Persistent, 150), opt(Section::Working, 251)],
        )
        .unwrap();
        assert_eq!(p.keep, [true, false]);
        // Exactly the whole input is fine; one more is an error naming both numbers.
        assert!(pack(limits(400), &[req(Section::Persistent, 400)]).is_ok());
        let e = pack(
            limits(400),
            &[req(Section::Persistent, 300), req(Section::Recent, 101)],
        )
        .unwrap_err();
        assert_eq!(
            e,
            PackError::RequiredTooLarge {
                required: 401,
                input: 400
            }
        );
        assert!(e.to_string().contains("401") && e.to_string().contains("400"));
    }

    #[test]
    fn reserves_that_leave_nothing_are_an_error() {
        assert!(matches!(
            pack(
                Limits {
                    window: 4096,
                    output_reserve: 4096,
                    prompt_reserve: 0
                },
                &[]
            ),
            Err(PackError::NoInputBudget { .. })
        ));
        assert!(matches!(
            pack(
                Limits {
                    window: 4096,
                    output_reserve: 4000,
                    prompt_reserve: 200
                },
                &[]
            ),
            Err(PackError::NoInputBudget { .. })
        ));
        assert!(
            pack(
                Limits {
                    window: 4096,
                    output_reserve: 4000,
                    prompt_reserve: 95
                },
                &[]
            )
            .is_ok()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn plans_respect_every_limit(
            window in 1u64..20_000,
            reserve in 0u64..5_000,
            pieces in prop::collection::vec((0u8..3, 0u64..4_000, prop::bool::weighted(0.2)), 0..30),
        ) {
            let pieces: Vec<Piece> = pieces.into_iter().map(|(s, tokens, required)| Piece {
                section: [Section::Persistent, Section::Working, Section::Recent][s as usize], tokens, required,
            }).collect();
            let Ok(plan) = pack(Limits { window, output_reserve: reserve, prompt_reserve: 0 }, &pieces) else { return Ok(()) };
            let b = plan.budget;
            let used = |s: Section| pieces.iter().zip(&plan.keep).filter(|(p, k)| **k && p.section == s).map(|(p, _)| p.tokens).sum::<u64>();
            prop_assert_eq!(used(Section::Persistent), b.persistent.used);
            prop_assert_eq!(used(Section::Working), b.working.used);
            prop_assert_eq!(used(Section::Recent), b.recent.used);
            prop_assert!(b.persistent.used + b.working.used + b.recent.used <= b.input, "never over the input budget");
            prop_assert!(b.recent.used <= b.recent.share || pieces.iter().any(|p| p.required && p.section == Section::Recent));
            for (i, p) in pieces.iter().enumerate() {
                if p.required { prop_assert!(plan.keep[i], "required piece {} dropped", i); }
                // Every piece is either kept or reported, never both.
                prop_assert_eq!(plan.keep[i], !plan.dropped.iter().any(|d| d.index == i));
            }
        }
    }
}
