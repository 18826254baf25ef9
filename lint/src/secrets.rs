//! Secret-like environment variables, judged the same way by `warden lint` (template literals)
//! and `warden scan` (deployed functions): by the variable's name, or by a value shaped like a
//! known credential. Values are never printed.

/// Whether an environment variable's name says it holds a secret: a token such as SECRET,
/// PASSWORD or TOKEN, or API/PRIVATE/ACCESS followed by KEY, unless the name ends by saying it
/// holds a reference (…_ARN, …_NAME, …_ID, …_PATH, …_PARAMETER, …_URL, …_FILE).
pub fn secret_like_name(name: &str) -> bool {
    let tokens: Vec<String> = name
        .split(['_', '-', '.'])
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    let reference = tokens.last().is_some_and(|t| {
        matches!(
            t.as_str(),
            "ARN"
                | "NAME"
                | "ID"
                | "PATH"
                | "PARAM"
                | "PARAMETER"
                | "URL"
                | "FILE"
                | "TTL"
                | "HEADER"
        )
    });
    let word = tokens.iter().any(|t| {
        matches!(
            t.as_str(),
            "SECRET" | "PASSWORD" | "PASSWD" | "PWD" | "TOKEN" | "APIKEY" | "PRIVATEKEY"
        )
    });
    let pair = tokens.windows(2).any(|w| {
        w[1] == "KEY" && matches!(w[0].as_str(), "API" | "PRIVATE" | "ACCESS" | "SIGNING")
    });
    (word || pair) && !reference
}

/// Whether a value is shaped like a known credential: an AWS access key id, a PEM private key,
/// a Slack, GitHub or Stripe live token.
pub fn secret_like_value(value: &str) -> bool {
    let access_key = (value.starts_with("AKIA") || value.starts_with("ASIA"))
        && value.len() == 20
        && value[4..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    let pem = value.contains("-----BEGIN ")
        && value
            .split("-----BEGIN ")
            .nth(1)
            .and_then(|rest| rest.split("-----").next())
            .is_some_and(|label| {
                label.ends_with("PRIVATE KEY")
                    && label.bytes().all(|b| b.is_ascii_uppercase() || b == b' ')
            });
    let slack = ["xoxa-", "xoxb-", "xoxp-", "xoxr-"]
        .iter()
        .any(|p| value.starts_with(p));
    let github = value.len() >= 24
        && value.starts_with("gh")
        && "pousr".contains(value[2..3].to_owned().as_str())
        && &value[3..4] == "_"
        && value[4..]
            .bytes()
            .take(20)
            .all(|b| b.is_ascii_alphanumeric())
        && value[4..]
            .bytes()
            .take_while(u8::is_ascii_alphanumeric)
            .count()
            >= 20;
    access_key || pem || slack || github || value.starts_with("sk_live_")
}

/// Whether a literal environment value held under `name` looks like a secret: by its name
/// (unless the value is empty or a reference: an ARN, a path, a dynamic reference), or by
/// its value.
pub fn secret_like(name: &str, value: &str) -> bool {
    let by_name = secret_like_name(name)
        && !value.is_empty()
        && !value.starts_with("arn:")
        && !value.starts_with('/')
        && !value.starts_with("{{resolve:");
    by_name || secret_like_value(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_and_values_are_told_from_references() {
        for secret in [
            "CLIENT_SECRET",
            "AWS_SECRET_ACCESS_KEY",
            "db-password",
            "API_KEY",
        ] {
            assert!(secret_like_name(secret), "{secret}");
        }
        for plain in ["SECRET_NAME", "TOKEN_URL", "TABLE", "KEY", "SECRET_ARN"] {
            assert!(!secret_like_name(plain), "{plain}");
        }
        for value in [
            "AKIAIOSFODNN7EXAMPLE",
            "-----BEGIN RSA PRIVATE KEY-----\nabc",
            "xoxb-123",
            "ghp_abcdefghijklmnopqrstuvwxyz",
            "sk_live_123",
        ] {
            assert!(secret_like_value(value), "{value}");
        }
        for value in [
            "AKIA",
            "hello",
            "-----BEGIN PUBLIC KEY-----",
            "ghp_short",
            "gh",
            "sk_test_1",
        ] {
            assert!(!secret_like_value(value), "{value}");
        }
        assert!(secret_like("DB_PASSWORD", "hunter2"));
        assert!(!secret_like("DB_PASSWORD", "{{resolve:secretsmanager:db}}"));
        assert!(!secret_like("DB_PASSWORD", ""));
    }
}
