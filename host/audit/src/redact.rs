//! Secret redaction for everything that leaves the host: audit lines,
//! prompts, recordings.

use regex::{Captures, Regex};
use std::borrow::Cow;

/// Shortest literal [`Redactor::add_literal`] accepts. Shorter values (a
/// `1`, a `true`) would shred ordinary text and are not credentials anyway.
const MIN_LITERAL_LEN: usize = 8;

/// One pattern. If the regex has a named group `secret`, only that group is
/// replaced (e.g. the value of `API_KEY=...`, keeping the key readable);
/// otherwise the whole match is.
#[derive(Debug, Clone)]
pub struct RedactionRule {
    name: String,
    regex: Regex,
}

impl RedactionRule {
    pub fn new(name: &str, pattern: &str) -> Result<RedactionRule, regex::Error> {
        Ok(RedactionRule {
            name: name.to_string(),
            regex: Regex::new(pattern)?,
        })
    }
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Replaces secrets with `[REDACTED:<rule>]`. Cheap to clone; build one per
/// run (compiling the rules is the expensive part) and register the run's
/// API keys with [`Redactor::add_literal`].
#[derive(Debug, Clone)]
pub struct Redactor {
    rules: Vec<RedactionRule>,
    /// Longest first, so a literal containing another is replaced whole.
    literals: Vec<String>,
}

/// The built-in rules, in application order. Specific token formats come
/// before the generic `KEY=VALUE` rule so their label is the precise one.
const BUILTIN_RULES: &[(&str, &str)] = &[
    (
        "private-key",
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----[\s\S]*?(-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\z)",
    ),
    ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_-]{20,}"),
    ("openai-key", r"\bsk-[A-Za-z0-9_-]{20,}"),
    ("github-token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    ("github-token", r"\bgithub_pat_[A-Za-z0-9_]{22,}"),
    ("aws-access-key-id", r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("slack-token", r"\bxox[baprs]-[A-Za-z0-9-]{10,}"),
    (
        "jwt",
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
    ),
    // scheme://user:password@host — keep the user, hide the password.
    (
        "url-password",
        r"\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:(?P<secret>[^/\s@]+)@",
    ),
    // .env style: the key must contain one of the words as its last part or
    // followed by `_` (so `GITHUB_TOKEN=` and `API_KEY_ID=` match, but
    // `MAX_TOKENS=100` does not), and `=` must follow with no space, which
    // keeps gofmt'ed Go assignments (`key = value`) out.
    (
        "env-secret",
        r#"(?i)\b[A-Z0-9_]*(SECRET|TOKEN|PASSWORD|PASSWD|PASS|KEY|CREDENTIALS?)(_[A-Z0-9_]*)?=(?P<secret>"[^"\n]*"|'[^'\n]*'|[^\s"'&]+)"#,
    ),
];

impl Default for Redactor {
    /// The built-in rules, no literals.
    fn default() -> Self {
        let rules = BUILTIN_RULES
            .iter()
            .filter_map(|(name, pattern)| RedactionRule::new(name, pattern).ok())
            .collect();
        Redactor {
            rules,
            literals: Vec::new(),
        }
    }
}

impl Redactor {
    /// A redactor with no rules at all.
    pub fn empty() -> Redactor {
        Redactor {
            rules: Vec::new(),
            literals: Vec::new(),
        }
    }

    /// Adds a rule applied after the existing ones.
    pub fn add_rule(&mut self, rule: RedactionRule) {
        self.rules.push(rule);
    }

    pub fn rules(&self) -> &[RedactionRule] {
        &self.rules
    }

    /// Registers an exact secret (e.g. an API key read from the environment),
    /// replaced as `[REDACTED:literal]`. Values shorter than 8 characters
    /// (after trimming) are ignored; returns whether the value was added.
    pub fn add_literal(&mut self, secret: &str) -> bool {
        let secret = secret.trim();
        if secret.chars().count() < MIN_LITERAL_LEN {
            return false;
        }
        if !self.literals.iter().any(|l| l == secret) {
            self.literals.push(secret.to_string());
            self.literals.sort_by_key(|l| std::cmp::Reverse(l.len()));
        }
        true
    }

    /// Returns `s` with every secret replaced. Borrows when nothing matched.
    pub fn redact<'a>(&self, s: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(s);
        // Literals first: they are exact and may be embedded in text a rule
        // would only partly cover.
        for literal in &self.literals {
            if out.contains(literal.as_str()) {
                out = Cow::Owned(out.replace(literal.as_str(), "[REDACTED:literal]"));
            }
        }
        for rule in &self.rules {
            let replaced = match rule
                .regex
                .replace_all(&out, |caps: &Captures<'_>| replacement(rule, caps))
            {
                Cow::Borrowed(_) => None,
                Cow::Owned(s) => Some(s),
            };
            if let Some(s) = replaced {
                out = Cow::Owned(s);
            }
        }
        out
    }
}

fn replacement(rule: &RedactionRule, caps: &Captures<'_>) -> String {
    let label = format!("[REDACTED:{}]", rule.name);
    let (Some(whole), Some(secret)) = (caps.get(0), caps.name("secret")) else {
        return label;
    };
    let text = whole.as_str();
    let start = secret.start() - whole.start();
    let end = secret.end() - whole.start();
    format!("{}{label}{}", &text[..start], &text[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> String {
        Redactor::default().redact(s).into_owned()
    }

    #[test]
    fn all_builtin_rules_compile() {
        assert_eq!(Redactor::default().rules().len(), BUILTIN_RULES.len());
    }

    #[test]
    fn env_style() {
        assert_eq!(
            r("GITHUB_TOKEN=abc123"),
            "GITHUB_TOKEN=[REDACTED:env-secret]"
        );
        assert_eq!(
            r("DB_PASSWORD=\"p a\"\nexport API_KEY=xyz\nDEBUG=1\n"),
            "DB_PASSWORD=[REDACTED:env-secret]\nexport API_KEY=[REDACTED:env-secret]\nDEBUG=1\n"
        );
        assert_eq!(
            r("aws_secret_access_key=wJalr"),
            "aws_secret_access_key=[REDACTED:env-secret]"
        );
        assert_eq!(
            r("MY_CREDENTIALS='x y'"),
            "MY_CREDENTIALS=[REDACTED:env-secret]"
        );
        assert_eq!(r("SMTP_PASS=hunter2"), "SMTP_PASS=[REDACTED:env-secret]");
        assert_eq!(
            r("https://x/?api_key=abc&x=1"),
            "https://x/?api_key=[REDACTED:env-secret]&x=1"
        );
        assert_eq!(
            r("MAX_TOKENS=100 DEBUG=1 KEYBOARD=us"),
            "MAX_TOKENS=100 DEBUG=1 KEYBOARD=us"
        );
    }

    #[test]
    fn token_formats() {
        assert_eq!(
            r("id AKIAIOSFODNN7EXAMPLE here"),
            "id [REDACTED:aws-access-key-id] here"
        );
        let gh = format!("ghp_{}", "a1B2".repeat(9));
        assert_eq!(r(&format!("token {gh}")), "token [REDACTED:github-token]");
        assert_eq!(
            r(&format!("x gho_{}", "Z".repeat(40))),
            "x [REDACTED:github-token]"
        );
        assert_eq!(
            r("key sk-proj-abcdefghijklmnop_qrstuvwxyz0123"),
            "key [REDACTED:openai-key]"
        );
        assert_eq!(
            r("key sk-ant-api03-abcdefghijklmnopqrstuvwxyz-AA"),
            "key [REDACTED:anthropic-key]"
        );
        assert_eq!(r("xoxb-1234567890-abcdefghij"), "[REDACTED:slack-token]");
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(r(&format!("Bearer {jwt}")), "Bearer [REDACTED:jwt]");
    }

    #[test]
    fn private_key_blocks() {
        let pem = "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA\n-----END RSA PRIVATE KEY-----\nafter";
        assert_eq!(r(pem), "before\n[REDACTED:private-key]\nafter");
        let openssh =
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----";
        assert_eq!(r(openssh), "[REDACTED:private-key]");
        // A truncated block is redacted to the end rather than leaked.
        assert_eq!(
            r("x -----BEGIN PRIVATE KEY-----\nMIIE"),
            "x [REDACTED:private-key]"
        );
        // Public material stays.
        let public = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----";
        assert_eq!(r(public), public);
    }

    #[test]
    fn url_passwords() {
        assert_eq!(
            r("postgres://app:s3cr%40t@db:5432/x"),
            "postgres://app:[REDACTED:url-password]@db:5432/x"
        );
        assert_eq!(
            r("https://user@example.com/x"),
            "https://user@example.com/x"
        );
        assert_eq!(
            r("see http://localhost:8080/path"),
            "see http://localhost:8080/path"
        );
    }

    #[test]
    fn literals() {
        let mut red = Redactor::default();
        assert!(red.add_literal("my-very-own-key-123"));
        assert!(!red.add_literal("short"));
        assert!(!red.add_literal("   "));
        assert_eq!(
            red.redact("use my-very-own-key-123 now").as_ref(),
            "use [REDACTED:literal] now"
        );
        assert_eq!(red.redact("short stays").as_ref(), "short stays");
    }

    #[test]
    fn no_false_positives_on_code_and_hashes() {
        let texts = [
            "func (s *Server) Shutdown(ctx context.Context) error {\n\treturn s.srv.Shutdown(ctx)\n}",
            "\tkey := cacheKey(req)\n\tvar token = r.Header.Get(\"Authorization\")\n\tpassword = strings.TrimSpace(p)\n",
            "m := map[string]string{\"key\": \"value\"}",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "commit 2383f77e0c1d9a7b6b3d4e5f60718293a4b5c6d7",
            "import \"github.com/aws/aws-sdk-go/service/sts\"",
            "// see https://golang.org/ref/spec#Package_clause",
            "task-sk-notasecret and disk-space, risk-averse",
            "{\"seq\":1,\"ts\":\"2024-01-01T00:00:00Z\",\"event\":\"run.start\"}",
            "go test ./... -run TestKey -count=1",
        ];
        let red = Redactor::default();
        for t in texts {
            assert!(
                matches!(red.redact(t), Cow::Borrowed(_)),
                "{t:?} -> {}",
                red.redact(t)
            );
        }
    }
}
