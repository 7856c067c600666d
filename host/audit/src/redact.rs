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
    /// Only redact when the secret (group or whole match) has at least this
    /// Shannon entropy in bits per character: generic rules (a name that
    /// sounds secret, then a value) use it so that `password = "changeme"`
    /// in a test or `token: "Bearer"` stay, while random credentials go.
    min_entropy: Option<f64>,
    /// Keep values that are a single short word (`password`, `changeme`,
    /// `gopher`) or a number: placeholders in docs, tests and examples,
    /// not credentials.
    skip_placeholders: bool,
}

impl RedactionRule {
    pub fn new(name: &str, pattern: &str) -> Result<RedactionRule, regex::Error> {
        Ok(RedactionRule {
            name: name.to_string(),
            regex: Regex::new(pattern)?,
            min_entropy: None,
            skip_placeholders: false,
        })
    }

    /// See `skip_placeholders`: the value rules (`KEY=value`, URL passwords,
    /// generic assignments) use it.
    pub fn skipping_placeholders(mut self) -> RedactionRule {
        self.skip_placeholders = true;
        self
    }

    /// A rule that only fires on values of at least `bits` of entropy per character.
    pub fn with_min_entropy(mut self, bits: f64) -> RedactionRule {
        self.min_entropy = Some(bits);
        self
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
/// before the generic ones so their label is the precise one. The formats
/// follow the published token formats of each service (the same ones the
/// gitleaks rule set encodes); the patterns are our own, kept here so the
/// host has no rule file to load or lose. `ENTROPY_RULES` follow.
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
        "slack-webhook",
        r"https://hooks\.slack\.com/(services|workflows)/[A-Za-z0-9+/_-]{20,}",
    ),
    (
        "discord-webhook",
        r"https://(ptb\.|canary\.)?discord(app)?\.com/api/webhooks/[0-9]+/[A-Za-z0-9_-]{40,}",
    ),
    ("stripe-key", r"\b[rs]k_(live|test)_[0-9A-Za-z]{16,}"),
    ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}"),
    (
        "gitlab-token",
        r"\bgl(pat|dt|rt|cbt|ptt|ft|imt|agent|oas)-[0-9A-Za-z_-]{20,}",
    ),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("pypi-token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),
    (
        "sendgrid-key",
        r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
    ),
    ("twilio-key", r"\b(SK|AC)[0-9a-f]{32}\b"),
    ("mailgun-key", r"\bkey-[0-9a-z]{32}\b"),
    ("digitalocean-token", r"\bdo[opr]_v1_[a-f0-9]{64}\b"),
    ("shopify-token", r"\bshp(at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
    ("vault-token", r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}"),
    ("databricks-token", r"\bdapi[a-f0-9]{32}(-[0-9])?\b"),
    ("huggingface-token", r"\bhf_[A-Za-z]{34}\b"),
    ("telegram-bot-token", r"\b[0-9]{8,10}:AA[0-9A-Za-z_-]{33}"),
    ("age-secret-key", r"\bAGE-SECRET-KEY-1[0-9A-Z]{58}\b"),
    ("linear-api-key", r"\blin_api_[A-Za-z0-9]{40}\b"),
    ("postman-key", r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b"),
    (
        "grafana-token",
        r"\b(glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2})",
    ),
    ("newrelic-key", r"\bNRAK-[A-Z0-9]{27}\b"),
    (
        "doppler-token",
        r"\bdp\.(pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}\b",
    ),
    (
        "square-token",
        r"\b(sq0(atp|csp)-[0-9A-Za-z_-]{22,43}|EAAA[A-Za-z0-9_-]{60})",
    ),
    (
        "azure-storage-key",
        r"AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)",
    ),
    (
        "aws-secret-access-key",
        r#"(?i)aws_?secret_?(access_?)?key["']?\s*(:=|=|:)\s*["'`]?(?P<secret>[A-Za-z0-9/+]{40})"#,
    ),
    (
        "heroku-api-key",
        r#"(?i)heroku[A-Za-z_ .-]{0,20}["']?\s*(:=|=|:)\s*["'`]?(?P<secret>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"#,
    ),
    (
        "authorization-header",
        r"(?i)\bAuthorization:\s*(Bearer|Basic|token|Bot)\s+(?P<secret>[A-Za-z0-9._~+/=-]{16,})",
    ),
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
    // Case matters: dotenv names are upper case (`GITHUB_TOKEN=`), query
    // strings and INI keys lower case with a secret word (`api_key=`);
    // `Key=int32` or `missingkey=zero` in code and docs are neither.
    (
        "env-secret",
        r#"\b[A-Z0-9_]*(SECRET|TOKEN|PASSWORD|PASSWD|PASS|KEY|CREDENTIALS?)(_[A-Z0-9_]*)?=(?P<secret>"[^"\n]*"|'[^'\n]*'|[^\s"'&]+)"#,
    ),
    (
        "secret-param",
        r#"\b[a-z0-9_]*(secret|token|password|passwd|api_key|apikey|access_key|private_key|credentials?)(_[a-z0-9_]*)?=(?P<secret>"[^"\n]*"|'[^'\n]*'|[^\s"'&]+)"#,
    ),
];

/// Generic rules: a name that says "secret" followed by a random-looking
/// value, in Go (`apiKey := "..."`, `Token: "..."`), JSON, YAML, TOML and
/// INI. Gated by entropy (bits per character) and length so that ordinary
/// code and placeholders stay readable.
const ENTROPY_RULES: &[(&str, &str, f64)] = &[
    (
        "generic-secret",
        r#"(?i)[A-Za-z0-9_.-]*(secret|token|passw(or)?d|pwd|api_?key|apikey|access_?key|private_?key|auth_?key|signing_?key|encryption_?key|client_?secret|credentials?|bearer)[A-Za-z0-9_.-]*["']?\s*(:=|=|:)\s*["'`](?P<secret>[^"'`\s]{12,})["'`]"#,
        3.0,
    ),
    (
        "generic-secret",
        r#"(?im)^[ \t]*[A-Za-z0-9_.-]*(secret|token|passw(or)?d|pwd|api_?key|apikey|access_?key|private_?key|auth_?key|client_?secret|credentials?)[A-Za-z0-9_.-]*[ \t]*[:=][ \t]*(?P<secret>[^\s"'`#&{}()\[\],;]*[0-9][^\s"'`#&{}()\[\],;]*)[ \t]*$"#,
        3.0,
    ),
];

/// Rules whose value may be a placeholder (see `skip_placeholders`).
const VALUE_RULES: &[&str] = &["secret-param", "url-password", "generic-secret"];

/// A single word of at most 10 letters, or a number (decimal or hex).
fn is_placeholder(v: &str) -> bool {
    let v = v.trim_matches(|c| c == '"' || c == '\'');
    let word = !v.is_empty() && v.len() <= 10 && v.chars().all(|c| c.is_ascii_alphabetic());
    let digits = v.strip_prefix('-').unwrap_or(v);
    let number = !digits.is_empty()
        && (digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '_' || c == '.')
            || digits
                .strip_prefix("0x")
                .or_else(|| digits.strip_prefix("0X"))
                .is_some_and(|h| {
                    !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit() || c == '_')
                }));
    word || number
}

/// Shannon entropy of `s` in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

impl Default for Redactor {
    /// The built-in rules, no literals.
    fn default() -> Self {
        let rules = BUILTIN_RULES
            .iter()
            .filter_map(|(name, pattern)| RedactionRule::new(name, pattern).ok())
            .map(|r| {
                if VALUE_RULES.contains(&r.name.as_str()) {
                    r.skipping_placeholders()
                } else {
                    r
                }
            })
            .chain(ENTROPY_RULES.iter().filter_map(|(name, pattern, bits)| {
                RedactionRule::new(name, pattern)
                    .ok()
                    .map(|r| r.with_min_entropy(*bits).skipping_placeholders())
            }))
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
    if let Some(v) = caps.name("secret") {
        // `KEY=VALUE`, `TOKEN=XXX`: an upper-case word is how docs write
        // "a value goes here" in every rule.
        let upper_word =
            v.as_str().len() <= 10 && v.as_str().chars().all(|c| c.is_ascii_uppercase());
        if upper_word || (rule.skip_placeholders && is_placeholder(v.as_str())) {
            return caps
                .get(0)
                .map(|m| m.as_str().to_string())
                .unwrap_or_default();
        }
    }
    if let (Some(bits), Some(v)) = (
        rule.min_entropy,
        caps.name("secret").or_else(|| caps.get(0)),
    ) {
        // Already redacted by an earlier rule, or not random enough: keep.
        if v.as_str().contains("[REDACTED:") || entropy(v.as_str()) < bits {
            return caps
                .get(0)
                .map(|m| m.as_str().to_string())
                .unwrap_or_default();
        }
    }
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
        assert_eq!(
            Redactor::default().rules().len(),
            BUILTIN_RULES.len() + ENTROPY_RULES.len()
        );
    }

    #[test]
    fn env_style() {
        assert_eq!(
            r("GITHUB_TOKEN=abc123"),
            "GITHUB_TOKEN=[REDACTED:env-secret]"
        );
        assert_eq!(
            r("DB_PASSWORD=\"p a\"\nexport API_KEY=xyz123\nDEBUG=1\n"),
            "DB_PASSWORD=[REDACTED:env-secret]\nexport API_KEY=[REDACTED:env-secret]\nDEBUG=1\n"
        );
        assert_eq!(
            r("aws_secret_access_key=wJalrXUtnFEMI"),
            "aws_secret_access_key=[REDACTED:secret-param]"
        );
        assert_eq!(
            r("MY_CREDENTIALS='x y'"),
            "MY_CREDENTIALS=[REDACTED:env-secret]"
        );
        assert_eq!(r("SMTP_PASS=hunter2"), "SMTP_PASS=[REDACTED:env-secret]");
        // Placeholders in docs and examples stay readable.
        assert_eq!(
            r("password=changeme token=0x10"),
            "password=changeme token=0x10"
        );
        assert_eq!(
            r("http://user:password@example.com"),
            "http://user:password@example.com"
        );
        assert_eq!(
            r("https://x/?api_key=abc123&x=1"),
            "https://x/?api_key=[REDACTED:secret-param]&x=1"
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
