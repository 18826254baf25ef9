//! ResponseURL attacks: a legitimate, signed and ticketed request whose ResponseURL points
//! anywhere but CloudFormation's response bucket of the stack's region. The provider must send
//! nothing at all (the consistency check runs before a byte is sent).

use serde_json::json;

use crate::arena::{Arena, TARGET};

#[tokio::test]
async fn response_urls_off_cloudformation_get_nothing() {
    let mut arena = Arena::start("response-url", &[]).await;
    arena.accept_legitimate("legit-response-url").await;
    let canary = arena.canary.insecure_prefix(); // http://127.0.0.1:PORT/
    let canary_port = canary
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let bucket = "cloudformation-custom-resource-response-useast1.s3.amazonaws.com";
    let query = "?X-Amz-Signature=0123456789abcdef";
    let cases: Vec<(&str, String)> = vec![
        ("instance metadata", format!("http://169.254.169.254/latest/meta-data/iam/{query}")),
        ("localhost", format!("http://localhost:{canary_port}/cfn/x{query}")),
        ("another loopback port", format!("{canary}cfn/x{query}")),
        ("plain http", format!("http://{bucket}/x{query}")),
        ("a foreign bucket", format!("https://attacker-bucket.s3.amazonaws.com/x{query}")),
        (
            "another region",
            format!("https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x{query}"),
        ),
        ("userinfo", format!("https://user:pass@{bucket}/x{query}")),
        ("userinfo hiding the host", format!("https://{bucket}@attacker.example/x{query}")),
        ("an odd port", format!("https://{bucket}:8443/x{query}")),
        ("IDN lookalike", format!("https://cloudformation-custom-resource-response-useast1.s3.amazonaws.xn--com-9o0a/x{query}")),
        ("punycode host", format!("https://xn--cloudformation-custom-resource-response-useast1-0000.s3.amazonaws.com/x{query}")),
        ("percent-encoded host", format!("https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com%2eattacker.example/x{query}")),
        ("encoded slash in host", format!("https://{bucket}%2F@attacker.example/x{query}")),
        ("suffix lookalike", format!("https://{bucket}.attacker.example/x{query}")),
    ];
    for (attack, url) in cases {
        let event = arena.legitimate(TARGET).field("ResponseURL", json!(url));
        let (exchange, line) = arena.send(event.to_bytes()).await;
        assert!(exchange.puts.is_empty(), "{attack}: a PUT was made");
        assert!(
            line["status_sent"].is_null() && line["response"].is_null(),
            "{attack}: {line}"
        );
        // Refused by the consistency check, or earlier: a URL that does not even parse.
        assert!(
            line["result"] == "unroutable"
                || (line["checks"][0]["name"] == "request-consistency"
                    && line["checks"][0]["verdict"] == "fail"),
            "{attack}: {line}"
        );
        arena
            .assert_refused(
                attack,
                &exchange,
                &line,
                "ResponseURL",
                &["0123456789abcdef"],
            )
            .await;
    }
}
