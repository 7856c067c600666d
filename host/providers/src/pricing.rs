//! Model prices and the cost of a call.
//!
//! Defaults live in `host/providers/prices.toml` (compiled in). They are
//! list prices to be checked against the vendors' price pages, and every
//! entry can be overridden (or models added) with a TOML table of the same
//! shape:
//!
//! ```toml
//! [models."claude-sonnet-4-5"]
//! input = 3.0         # USD per million uncached input tokens
//! cached_input = 0.3  # cache reads (default: input)
//! cache_write = 3.75  # cache writes (default: input)
//! output = 15.0       # output tokens, reasoning included
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{ProviderError, Usage};

/// The compiled-in default table (TOML text).
pub const DEFAULT_PRICES_TOML: &str = include_str!("../prices.toml");

/// USD per million tokens of one model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    pub input: f64,
    /// Cache reads; `None` bills them at `input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input: Option<f64>,
    /// Cache writes; `None` bills them at `input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
    pub output: f64,
}

impl ModelPrice {
    /// Cost in USD of `usage` at these prices.
    pub fn cost(&self, u: &Usage) -> f64 {
        let per = |tokens: u64, usd_per_m: f64| tokens as f64 * usd_per_m / 1_000_000.0;
        per(u.input_tokens, self.input)
            + per(
                u.cached_input_tokens,
                self.cached_input.unwrap_or(self.input),
            )
            + per(
                u.cache_creation_input_tokens,
                self.cache_write.unwrap_or(self.input),
            )
            + per(u.output_tokens, self.output)
    }

    fn validate(&self, model: &str) -> Result<(), ProviderError> {
        let ok = |x: f64| x.is_finite() && x >= 0.0;
        if ok(self.input)
            && ok(self.output)
            && self.cached_input.is_none_or(ok)
            && self.cache_write.is_none_or(ok)
        {
            Ok(())
        } else {
            Err(ProviderError::Config(format!(
                "price of {model:?} must be finite and non-negative"
            )))
        }
    }
}

/// Prices per model name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    #[serde(default)]
    pub models: BTreeMap<String, ModelPrice>,
}

impl PriceTable {
    /// The compiled-in defaults ([`DEFAULT_PRICES_TOML`]).
    pub fn defaults() -> Self {
        // The file is part of the crate and covered by a test; an empty
        // table (costs unknown) is the safe fallback anyway.
        Self::from_toml_str(DEFAULT_PRICES_TOML).unwrap_or_default()
    }

    /// Parses a table: `[models."name"] input = .., output = .., ...`.
    pub fn from_toml_str(s: &str) -> Result<Self, ProviderError> {
        let t: PriceTable = toml::from_str(s)
            .map_err(|e| ProviderError::Config(format!("invalid price table: {e}")))?;
        for (m, p) in &t.models {
            p.validate(m)?;
        }
        Ok(t)
    }

    /// Entries of `overrides` replace or extend this table's.
    pub fn merge(&mut self, overrides: PriceTable) {
        self.models.extend(overrides.models);
    }

    /// The defaults with the entries of the TOML `overrides` applied.
    pub fn with_overrides_toml(overrides: &str) -> Result<Self, ProviderError> {
        let mut t = Self::defaults();
        t.merge(Self::from_toml_str(overrides)?);
        Ok(t)
    }

    /// Exact name first, else the longest table name `k` such that `model`
    /// starts with `k-` (dated snapshots like `claude-sonnet-4-5-20250929`).
    pub fn price(&self, model: &str) -> Option<&ModelPrice> {
        if let Some(p) = self.models.get(model) {
            return Some(p);
        }
        self.models
            .iter()
            .filter(|(k, _)| {
                model.len() > k.len()
                    && model.starts_with(k.as_str())
                    && model[k.len()..].starts_with('-')
            })
            .max_by_key(|(k, _)| k.len())
            .map(|(_, p)| p)
    }

    /// Cost in USD of `usage` on `model`; `None` if the model is unknown.
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        self.price(model).map(|p| p.cost(usage))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_cover_main_models() {
        let t = PriceTable::from_toml_str(DEFAULT_PRICES_TOML);
        let Ok(t) = t else { panic!("{t:?}") };
        for m in [
            "claude-opus-4-5",
            "claude-sonnet-4-5",
            "gpt-5.2-codex",
            "gpt-5-mini",
        ] {
            assert!(t.price(m).is_some(), "{m}");
        }
        assert_eq!(PriceTable::defaults(), t);
    }

    #[test]
    fn cost_uses_every_counter() {
        let t = PriceTable::defaults();
        let u = Usage {
            input_tokens: 1_000_000,
            cached_input_tokens: 1_000_000,
            cache_creation_input_tokens: 1_000_000,
            output_tokens: 1_000_000,
            reasoning_tokens: 999, // part of output, not billed twice
        };
        let c = t.cost("claude-sonnet-4-5-20250929", &u);
        assert!(
            c.is_some_and(|c| (c - (3.0 + 0.30 + 3.75 + 15.0)).abs() < 1e-9),
            "{c:?}"
        );
        assert!(t.cost("unknown-model", &u).is_none());
        // Longest prefix wins: gpt-5-mini-2025 is not priced as gpt-5.
        let c = t.cost(
            "gpt-5-mini-2025-08-07",
            &Usage {
                output_tokens: 1_000_000,
                ..Default::default()
            },
        );
        assert_eq!(c, Some(2.0));
    }

    #[test]
    fn overrides_replace_and_extend() {
        let t = PriceTable::with_overrides_toml(
            "[models.\"gpt-5-mini\"]\ninput = 1.0\noutput = 2.0\n[models.local]\ninput = 0\noutput = 0\n",
        );
        let Ok(t) = t else { panic!("{t:?}") };
        let u = Usage {
            input_tokens: 500_000,
            cached_input_tokens: 500_000,
            ..Default::default()
        };
        // cached_input omitted in the override: billed at input.
        assert_eq!(t.cost("gpt-5-mini", &u), Some(1.0));
        assert_eq!(t.cost("local", &u), Some(0.0));
        assert!(t.price("claude-opus-4-5").is_some());
        assert!(PriceTable::from_toml_str("[models.x]\ninput = -1\noutput = 1\n").is_err());
        assert!(PriceTable::from_toml_str("[models.x]\ninput = 1\n").is_err());
        assert!(
            PriceTable::from_toml_str("[models.x]\ninput = 1\noutput = 1\ntypo = 2\n").is_err()
        );
    }
}
