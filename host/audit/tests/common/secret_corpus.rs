//! The fake-secret corpus shared by the redaction measurement
//! (host/audit/tests/redaction_corpus.rs) and the end-to-end tests that
//! plant secrets in repositories and then grep everything a run wrote
//! (tests/e2e). Generated from a fixed seed in each service's published
//! format; none is real.
#![allow(dead_code)]

/// A tiny deterministic generator (xorshift64*): the corpus is the same on
/// every run, with no dependency.
pub struct Gen(pub u64);

impl Gen {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn pick(&mut self, alphabet: &str, n: usize) -> String {
        let a: Vec<char> = alphabet.chars().collect();
        (0..n)
            .map(|_| a[(self.next_u64() % a.len() as u64) as usize])
            .collect()
    }
}

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const DIGITS: &str = "0123456789";
const HEX: &str = "0123456789abcdef";

fn alnum() -> String {
    format!("{UPPER}{LOWER}{DIGITS}")
}
fn urlsafe() -> String {
    format!("{UPPER}{LOWER}{DIGITS}_-")
}
fn b64() -> String {
    format!("{UPPER}{LOWER}{DIGITS}+/")
}

/// How a secret of one kind is made, and how it sits in text.
pub struct Kind {
    pub name: &'static str,
    pub make: fn(&mut Gen) -> String,
    /// Contexts that suit the kind: `{}` is the secret.
    pub contexts: &'static [&'static str],
}

/// Contexts for self-identifying tokens (any place will do).
const ANYWHERE: &[&str] = &[
    "\tclient := api.New(\"{}\")\n",
    "const defaultToken = \"{}\" // TODO: move to vault\n",
    "  token: {}\n",
    "{\"name\": \"deploy\", \"credential\": \"{}\"}\n",
    "2024-05-01T10:00:00Z INFO connecting with {} to upstream\n",
    "export SERVICE_TOKEN={}\n",
    "\tos.Setenv(\"TOKEN\", \"{}\")\n",
    "curl -H 'X-Api-Key: {}' https://api.example.com/v1/items\n",
];

const GENERIC: &[&str] = &[
    "\tapiKey := \"{}\"\n",
    "var dbPassword = \"{}\"\n",
    "\tcfg := Config{ClientSecret: \"{}\", Region: \"eu-west-1\"}\n",
    "  \"client_secret\": \"{}\",\n",
    "password: {}\n",
    "auth_token = \"{}\"\n",
    "DB_PASSWORD={}\n",
    "secret_key: '{}'\n",
];

pub fn kinds() -> Vec<Kind> {
    vec![
        Kind {
            name: "aws-access-key-id",
            make: |g| format!("AKIA{}", g.pick(&format!("{UPPER}{DIGITS}"), 16)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "aws-secret-access-key",
            make: |g| g.pick(&b64(), 40),
            contexts: &[
                "aws_secret_access_key = {}\n",
                "\tAwsSecretAccessKey: \"{}\",\n",
                "AWS_SECRET_ACCESS_KEY={}\n",
            ],
        },
        Kind {
            name: "github-pat",
            make: |g| format!("ghp_{}", g.pick(&alnum(), 36)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "github-oauth",
            make: |g| format!("gho_{}", g.pick(&alnum(), 36)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "github-fine-grained",
            make: |g| {
                format!(
                    "github_pat_{}_{}",
                    g.pick(&alnum(), 22),
                    g.pick(&alnum(), 59)
                )
            },
            contexts: ANYWHERE,
        },
        Kind {
            name: "gitlab-pat",
            make: |g| format!("glpat-{}", g.pick(&urlsafe(), 20)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "openai-key",
            make: |g| format!("sk-proj-{}", g.pick(&urlsafe(), 48)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "anthropic-key",
            make: |g| format!("sk-ant-api03-{}", g.pick(&urlsafe(), 93)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "slack-bot-token",
            make: |g| {
                format!(
                    "xoxb-{}-{}-{}",
                    g.pick(DIGITS, 12),
                    g.pick(DIGITS, 13),
                    g.pick(&alnum(), 24)
                )
            },
            contexts: ANYWHERE,
        },
        Kind {
            name: "slack-webhook",
            make: |g| {
                format!(
                    "https://hooks.slack.com/services/T{}/B{}/{}",
                    g.pick(&format!("{UPPER}{DIGITS}"), 8),
                    g.pick(&format!("{UPPER}{DIGITS}"), 10),
                    g.pick(&alnum(), 24)
                )
            },
            contexts: ANYWHERE,
        },
        Kind {
            name: "stripe-live-key",
            make: |g| format!("sk_live_{}", g.pick(&alnum(), 24)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "stripe-restricted-key",
            make: |g| format!("rk_live_{}", g.pick(&alnum(), 24)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "google-api-key",
            make: |g| format!("AIza{}", g.pick(&urlsafe(), 35)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "npm-token",
            make: |g| format!("npm_{}", g.pick(&alnum(), 36)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "pypi-token",
            make: |g| format!("pypi-AgEIcHlwaS5vcmc{}", g.pick(&urlsafe(), 60)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "sendgrid-key",
            make: |g| format!("SG.{}.{}", g.pick(&urlsafe(), 22), g.pick(&urlsafe(), 43)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "twilio-api-key",
            make: |g| format!("SK{}", g.pick(HEX, 32)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "mailgun-key",
            make: |g| format!("key-{}", g.pick(&format!("{LOWER}{DIGITS}"), 32)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "digitalocean-token",
            make: |g| format!("dop_v1_{}", g.pick(HEX, 64)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "shopify-token",
            make: |g| format!("shpat_{}", g.pick(HEX, 32)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "vault-token",
            make: |g| format!("hvs.{}", g.pick(&urlsafe(), 90)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "databricks-token",
            make: |g| format!("dapi{}", g.pick(HEX, 32)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "huggingface-token",
            make: |g| format!("hf_{}", g.pick(&format!("{UPPER}{LOWER}"), 34)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "discord-webhook",
            make: |g| {
                format!(
                    "https://discord.com/api/webhooks/{}/{}",
                    g.pick(DIGITS, 18),
                    g.pick(&urlsafe(), 68)
                )
            },
            contexts: ANYWHERE,
        },
        Kind {
            name: "telegram-bot-token",
            make: |g| format!("{}:AA{}", g.pick(DIGITS, 10), g.pick(&urlsafe(), 33)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "age-secret-key",
            make: |g| {
                format!(
                    "AGE-SECRET-KEY-1{}",
                    g.pick(&format!("{UPPER}{DIGITS}"), 58)
                )
            },
            contexts: ANYWHERE,
        },
        Kind {
            name: "linear-api-key",
            make: |g| format!("lin_api_{}", g.pick(&alnum(), 40)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "postman-key",
            make: |g| format!("PMAK-{}-{}", g.pick(HEX, 24), g.pick(HEX, 34)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "newrelic-key",
            make: |g| format!("NRAK-{}", g.pick(&format!("{UPPER}{DIGITS}"), 27)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "doppler-token",
            make: |g| format!("dp.pt.{}", g.pick(&alnum(), 43)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "square-token",
            make: |g| format!("sq0atp-{}", g.pick(&urlsafe(), 22)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "grafana-service-account",
            make: |g| format!("glsa_{}_{}", g.pick(&alnum(), 32), g.pick(HEX, 8)),
            contexts: ANYWHERE,
        },
        Kind {
            name: "jwt",
            make: |g| {
                format!(
                    "eyJhbGciOiJIUzI1NiJ9.eyJ{}.{}",
                    g.pick(&urlsafe(), 40),
                    g.pick(&urlsafe(), 43)
                )
            },
            contexts: ANYWHERE,
        },
        Kind {
            name: "azure-storage-key",
            make: |g| g.pick(&b64(), 86) + "==",
            contexts: &[
                "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={};EndpointSuffix=core.windows.net\n",
            ],
        },
        Kind {
            name: "heroku-api-key",
            make: |g| {
                format!(
                    "{}-{}-{}-{}-{}",
                    g.pick(HEX, 8),
                    g.pick(HEX, 4),
                    g.pick(HEX, 4),
                    g.pick(HEX, 4),
                    g.pick(HEX, 12)
                )
            },
            contexts: &[
                "HEROKU_API_KEY={}\n",
                "\therokuAPIKey := \"{}\"\n",
                "heroku_api_key: {}\n",
            ],
        },
        Kind {
            name: "url-password",
            make: |g| g.pick(&alnum(), 16),
            contexts: &[
                "postgres://app:{}@db.internal:5432/orders?sslmode=disable\n",
                "\tdsn := \"mysql://root:{}@tcp(localhost:3306)/app\"\n",
                "amqp://guest:{}@rabbit:5672/\n",
            ],
        },
        Kind {
            name: "bearer-header",
            make: |g| g.pick(&urlsafe(), 40),
            contexts: &["Authorization: Bearer {}\n", "> Authorization: token {}\n"],
        },
        Kind {
            name: "generic-password",
            make: |g| g.pick(&format!("{}!@$%^*", alnum()), 20),
            contexts: GENERIC,
        },
        Kind {
            name: "generic-api-key",
            make: |g| g.pick(&alnum(), 32),
            contexts: GENERIC,
        },
        Kind {
            name: "private-key",
            make: |g| {
                format!(
                    "-----BEGIN EC PRIVATE KEY-----\n{}\n{}\n-----END EC PRIVATE KEY-----",
                    g.pick(&b64(), 64),
                    g.pick(&b64(), 56)
                )
            },
            contexts: &["{}\n", "const testKey = `{}`\n", "  key: |\n    {}\n"],
        },
    ]
}

/// Each secret in one context, wrapped in a few lines of ordinary text.
pub fn corpus() -> Vec<(String, String, String)> {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::new();
    for k in kinds() {
        for i in 0..8 {
            let secret = (k.make)(&mut g);
            let ctx = k.contexts[i % k.contexts.len()];
            let text = format!(
                "// Package svc talks to the upstream API.\npackage svc\n\n{}\nfunc handler() error {{ return nil }}\n",
                ctx.replace("{}", &secret)
            );
            out.push((k.name.to_string(), secret, text));
        }
    }
    out
}

/// The part of a secret that must not survive: for multi-line secrets
/// (keys) each line; otherwise the whole.
pub fn leaked(out: &str, secret: &str) -> bool {
    secret
        .lines()
        .filter(|l| l.len() >= 8 && !l.starts_with("-----"))
        .any(|l| out.contains(l))
}
