//! Files that are secrets by nature: their content never reaches a model
//! unless the user opts in (`[run] send_secret_files = true`). Redaction
//! still runs on everything else; this rule exists because redaction can only
//! catch the secret formats it knows, while a `.env` or a key file is secret
//! whatever its content looks like. The verification sandbox masks the same
//! files (mounts them empty), so a test cannot print them either.

/// Whether `path` (relative, `/`-separated) names a secret file: dotenv
/// files (`.env`, `.env.local`, `prod.env`, but not `.env.example` /
/// `.env.sample` / `.env.template`, which are meant to be shared), private
/// keys and keystores (`*.pem`, `*.key`, `*.p12`, `*.pfx`, `*.jks`,
/// `*.keystore`, `id_rsa`, `id_ed25519`, ...), and credential stores
/// (`.netrc`, `.npmrc`, `.pypirc`, `.git-credentials`, `.htpasswd`,
/// `credentials.json`, `service-account*.json`, `*.tfvars`, `*.kdbx`).
pub fn is_secret_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let shared_templates = [".example", ".sample", ".template", ".dist", ".tmpl"];
    if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
        return !shared_templates.iter().any(|t| name.ends_with(t));
    }
    let exact = [
        ".netrc",
        "_netrc",
        ".npmrc",
        ".pypirc",
        ".git-credentials",
        ".htpasswd",
        ".pgpass",
        "credentials",
        "credentials.json",
        "id_rsa",
        "id_dsa",
        "id_ecdsa",
        "id_ed25519",
    ];
    if exact.contains(&name.as_str()) {
        return true;
    }
    let suffixes = [
        ".pem",
        ".key",
        ".p12",
        ".pfx",
        ".jks",
        ".keystore",
        ".tfvars",
        ".kdbx",
        ".ppk",
        ".asc.key",
    ];
    if suffixes.iter().any(|s| name.ends_with(s)) {
        return true;
    }
    name.starts_with("service-account") && name.ends_with(".json")
}

#[cfg(test)]
mod tests {
    use super::is_secret_file;

    #[test]
    fn secret_files_by_name() {
        for p in [
            ".env",
            "config/.env",
            ".env.local",
            ".env.production",
            "deploy/prod.env",
            "certs/server.key",
            "tls/ca.pem",
            "keys/id_rsa",
            "id_ed25519",
            "store.p12",
            "a/b.pfx",
            "app.jks",
            ".netrc",
            "home/.npmrc",
            ".git-credentials",
            "gcp/service-account-prod.json",
            "credentials.json",
            "infra/prod.tfvars",
            ".ENV",
        ] {
            assert!(is_secret_file(p), "{p}");
        }
        for p in [
            ".env.example",
            ".env.sample",
            "config/.env.template",
            "main.go",
            "env.go",
            "environment.go",
            "keys.go",
            "key_test.go",
            "id_rsa.pub",
            "pem.go",
            "README.md",
            "go.mod",
            "tokens/token.go",
            "monkey.go",
        ] {
            assert!(!is_secret_file(p), "{p}");
        }
    }
}
