//! `warden scan`: a live account's Lambda functions, through the SDK, against the four Config
//! rules of the "Lambda governance" pattern (functions not created by CloudFormation, shared
//! execution roles, several triggers, wildcard permissions) and a Lambda review checklist
//! (resource policies open to `*`, function URLs without auth, functions outside a VPC when one
//! is required, event source mappings on `$LATEST`, environment variables that look like
//! secrets). Findings use `warden lint`'s format; a function's location is its ARN. Values of
//! environment variables are never read into a finding.
//!
//! Only read calls: Lambda `ListFunctions`, `ListTags`, `GetPolicy`, `GetFunctionUrlConfig`,
//! `ListEventSourceMappings`; CloudFormation `ListStacks`, `ListStackResources`; IAM
//! `ListRolePolicies`, `GetRolePolicy`, `ListAttachedRolePolicies`, `GetPolicy`,
//! `GetPolicyVersion`. A call that is refused makes the affected rule UNKNOWN for that function
//! instead of failing the scan.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, Result};
use serde_json::Value;

use warden_lint::{iam, secrets, Finding, Rule, Severity, Status};

/// Every scan rule, in a stable order.
pub(crate) const SCAN_RULES: &[Rule] = &[
    Rule { id: "function-not-from-cloudformation", severity: Severity::Low, description: "A function was not created by CloudFormation (no aws:cloudformation tags, in no stack): it escapes review and drift detection." },
    Rule { id: "shared-execution-role", severity: Severity::Medium, description: "Several functions share one execution role: each gets the others' permissions." },
    Rule { id: "multiple-event-triggers", severity: Severity::Low, description: "A function has several event triggers (event source mappings, service permissions): one role serves several purposes." },
    Rule { id: "iam-wildcard-action", severity: Severity::Medium, description: "A function's execution role allows wildcard actions or uses NotAction." },
    Rule { id: "lambda-permission-public", severity: Severity::High, description: "A function's resource policy allows Principal * without SourceArn, SourceAccount or PrincipalOrgID." },
    Rule { id: "function-url-auth-none", severity: Severity::High, description: "A function URL has AuthType NONE: anyone on the internet can invoke it." },
    Rule { id: "function-outside-vpc", severity: Severity::Medium, description: "A function runs outside a VPC although --require-vpc asks for one." },
    Rule { id: "event-source-latest", severity: Severity::Low, description: "An event source mapping invokes the unqualified function ($LATEST): whatever code is deployed last consumes the events." },
    Rule { id: "secret-like-environment", severity: Severity::Medium, description: "An environment variable looks like a secret, by its name or its value (values are never printed)." },
];

/// At most this many pages of any list call (a bound, not an expected size).
const MAX_PAGES: usize = 1000;

/// What `scan` checks beyond the defaults.
pub(crate) struct ScanOptions {
    /// Report functions without a VPC.
    pub(crate) require_vpc: bool,
}

/// The scan's result: the functions looked at (their ARNs) and the findings.
pub(crate) struct ScanReport {
    pub(crate) functions: Vec<String>,
    pub(crate) findings: Vec<Finding>,
}

fn severity(rule: &str) -> Severity {
    SCAN_RULES
        .iter()
        .find(|r| r.id == rule)
        .map_or(Severity::Low, |r| r.severity)
}

/// One function as the scan sees it.
struct Function {
    name: String,
    arn: String,
    role: Option<String>,
    in_vpc: bool,
    environment: Vec<(String, String)>,
}

struct Findings {
    out: Vec<Finding>,
}

impl Findings {
    fn push(&mut self, f: &Function, rule: &'static str, status: Status, message: String) {
        self.out.push(Finding {
            rule,
            severity: severity(rule),
            status,
            file: f.arn.clone(),
            logical_id: f.name.clone(),
            line: 0,
            message,
        });
    }
}

/// Scans the account and region of `config`.
pub(crate) async fn scan(
    config: &aws_config::SdkConfig,
    options: &ScanOptions,
) -> Result<ScanReport> {
    let lambda = aws_sdk_lambda::Client::new(config);
    let functions = list_functions(&lambda).await?;
    let managed = cloudformation_physical_ids(&aws_sdk_cloudformation::Client::new(config)).await?;
    let mut findings = Findings { out: Vec::new() };

    // Triggers per function (unqualified ARN), from event source mappings and permissions.
    let mut triggers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut latest: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for mapping in list_event_source_mappings(&lambda).await? {
        let (Some(function), Some(source)) = (mapping.function_arn(), mapping.event_source_arn())
        else {
            continue;
        };
        let parts: Vec<&str> = function.split(':').collect();
        let unqualified = parts.iter().take(7).copied().collect::<Vec<_>>().join(":");
        triggers
            .entry(unqualified.clone())
            .or_default()
            .push(format!("event source {source}"));
        if parts.len() == 7 || parts.get(7) == Some(&"$LATEST") {
            latest
                .entry(unqualified)
                .or_default()
                .push(source.to_owned());
        }
    }

    let mut by_role: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, f) in functions.iter().enumerate() {
        // Created by CloudFormation: its tags, or a stack that lists it.
        let in_stack = managed.contains(&f.name) || managed.contains(&f.arn);
        match lambda.list_tags().resource(&f.arn).send().await {
            Ok(out) => {
                let tagged = out
                    .tags()
                    .is_some_and(|t| t.keys().any(|k| k.starts_with("aws:cloudformation:")));
                if !tagged && !in_stack {
                    findings.push(
                        f,
                        "function-not-from-cloudformation",
                        Status::Fail,
                        "no aws:cloudformation tags and in no stack's resources".into(),
                    );
                }
            }
            Err(_) if in_stack => {}
            Err(e) => findings.push(
                f,
                "function-not-from-cloudformation",
                Status::Unknown,
                format!(
                    "in no stack's resources, and lambda:ListTags failed: {}",
                    aws_sdk_lambda::error::DisplayErrorContext(&e)
                ),
            ),
        }
        if let Some(role) = &f.role {
            by_role.entry(role.clone()).or_default().push(i);
        }
        if options.require_vpc && !f.in_vpc {
            findings.push(
                f,
                "function-outside-vpc",
                Status::Fail,
                "no VpcConfig".into(),
            );
        }
        for (name, value) in &f.environment {
            if secrets::secret_like(name, value) {
                findings.push(
                    f,
                    "secret-like-environment",
                    Status::Fail,
                    format!(
                        "environment variable {name} looks like a secret ({}); keep secrets in Secrets Manager or SSM and pass their names",
                        if secrets::secret_like_value(value) { "by its value" } else { "by its name" }
                    ),
                );
            }
        }
        // The resource policy.
        match lambda.get_policy().function_name(&f.arn).send().await {
            Ok(out) => {
                let policy: Value =
                    serde_json::from_str(out.policy().unwrap_or("{}")).unwrap_or(Value::Null);
                for statement in iam::allow_statements(&policy) {
                    let principal = &statement["Principal"];
                    let public = principal == "*" || principal["AWS"] == "*";
                    let condition = statement["Condition"].to_string().to_ascii_lowercase();
                    let scoped = ["aws:sourcearn", "aws:sourceaccount", "aws:principalorgid"]
                        .iter()
                        .any(|k| condition.contains(k));
                    if public && !scoped {
                        findings.push(
                            f,
                            "lambda-permission-public",
                            Status::Fail,
                            format!(
                                "statement {} allows Principal * without SourceArn, SourceAccount or PrincipalOrgID",
                                statement["Sid"].as_str().unwrap_or("?")
                            ),
                        );
                    }
                    if let Some(service) = principal["Service"].as_str() {
                        if service.ends_with(".amazonaws.com") {
                            triggers
                                .entry(f.arn.clone())
                                .or_default()
                                .push(format!("permission for {service}"));
                        }
                    }
                }
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) => {}
            Err(e) => findings.push(
                f,
                "lambda-permission-public",
                Status::Unknown,
                format!(
                    "lambda:GetPolicy failed: {}",
                    aws_sdk_lambda::error::DisplayErrorContext(&e)
                ),
            ),
        }
        match lambda
            .get_function_url_config()
            .function_name(&f.arn)
            .send()
            .await
        {
            Ok(out) if out.auth_type().as_str() == "NONE" => findings.push(
                f,
                "function-url-auth-none",
                Status::Fail,
                format!("function URL {} has AuthType NONE", out.function_url()),
            ),
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) => {}
            Err(e) => findings.push(
                f,
                "function-url-auth-none",
                Status::Unknown,
                format!(
                    "lambda:GetFunctionUrlConfig failed: {}",
                    aws_sdk_lambda::error::DisplayErrorContext(&e)
                ),
            ),
        }
        if let Some(sources) = latest.get(&f.arn) {
            findings.push(
                f,
                "event-source-latest",
                Status::Fail,
                format!(
                    "event source mapping(s) from {} invoke $LATEST",
                    sources.join(", ")
                ),
            );
        }
        if let Some(sources) = triggers.get(&f.arn).filter(|s| s.len() > 1) {
            findings.push(
                f,
                "multiple-event-triggers",
                Status::Fail,
                format!("{} triggers: {}", sources.len(), sources.join(", ")),
            );
        }
    }

    // Roles: shared ones, and wildcard permissions.
    let iam = aws_sdk_iam::Client::new(config);
    for (role, users) in &by_role {
        if users.len() > 1 {
            let names: Vec<&str> = users.iter().map(|i| functions[*i].name.as_str()).collect();
            for i in users {
                let f = &functions[*i];
                let others: Vec<&str> = names.iter().copied().filter(|n| *n != f.name).collect();
                findings.push(
                    f,
                    "shared-execution-role",
                    Status::Fail,
                    format!("shares {role} with {}", others.join(", ")),
                );
            }
        }
        let (status, message) = match role_wildcards(&iam, role).await {
            Ok(wild) if wild.is_empty() => continue,
            Ok(wild) => (Status::Fail, format!("role {role}: {}", wild.join("; "))),
            Err(e) => (
                Status::Unknown,
                format!("role {role} could not be read: {e:#}"),
            ),
        };
        for i in users {
            findings.push(
                &functions[*i],
                "iam-wildcard-action",
                status,
                message.clone(),
            );
        }
    }
    Ok(ScanReport {
        functions: functions.into_iter().map(|f| f.arn).collect(),
        findings: findings.out,
    })
}

async fn list_functions(lambda: &aws_sdk_lambda::Client) -> Result<Vec<Function>> {
    let mut out = Vec::new();
    let mut marker = None;
    for _ in 0..MAX_PAGES {
        let page = lambda
            .list_functions()
            .set_marker(marker)
            .send()
            .await
            .context("lambda:ListFunctions")?;
        for f in page.functions() {
            let (Some(name), Some(arn)) = (f.function_name(), f.function_arn()) else {
                continue;
            };
            out.push(Function {
                name: name.to_owned(),
                arn: arn.to_owned(),
                role: f.role().map(str::to_owned),
                in_vpc: f
                    .vpc_config()
                    .and_then(|v| v.vpc_id())
                    .is_some_and(|id| !id.is_empty()),
                environment: f
                    .environment()
                    .and_then(|e| e.variables())
                    .map(|vars| vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            });
        }
        marker = page.next_marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    Ok(out)
}

async fn list_event_source_mappings(
    lambda: &aws_sdk_lambda::Client,
) -> Result<Vec<aws_sdk_lambda::types::EventSourceMappingConfiguration>> {
    let mut out = Vec::new();
    let mut marker = None;
    for _ in 0..MAX_PAGES {
        let page = lambda
            .list_event_source_mappings()
            .set_marker(marker)
            .send()
            .await
            .context("lambda:ListEventSourceMappings")?;
        out.extend(page.event_source_mappings().iter().cloned());
        marker = page.next_marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    Ok(out)
}

/// Physical ids of every resource in every live stack (function names and ARNs among them).
async fn cloudformation_physical_ids(
    cfn: &aws_sdk_cloudformation::Client,
) -> Result<BTreeSet<String>> {
    let mut stacks = Vec::new();
    let mut token = None;
    for _ in 0..MAX_PAGES {
        let page = cfn
            .list_stacks()
            .set_next_token(token)
            .send()
            .await
            .context("cloudformation:ListStacks")?;
        stacks.extend(
            page.stack_summaries()
                .iter()
                .filter(|s| {
                    s.stack_status()
                        .is_some_and(|st| st.as_str() != "DELETE_COMPLETE")
                })
                .filter_map(|s| s.stack_id().map(str::to_owned)),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let mut ids = BTreeSet::new();
    for stack in stacks {
        let mut token = None;
        for _ in 0..MAX_PAGES {
            let page = cfn
                .list_stack_resources()
                .stack_name(&stack)
                .set_next_token(token)
                .send()
                .await
                .with_context(|| format!("cloudformation:ListStackResources {stack}"))?;
            ids.extend(
                page.stack_resource_summaries()
                    .iter()
                    .filter_map(|r| r.physical_resource_id().map(str::to_owned)),
            );
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(ids)
}

/// IAM returns policy documents URL-encoded.
fn document(text: &str) -> Value {
    let decoded: String =
        url::form_urlencoded::parse(format!("d={}", text.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
    serde_json::from_str(&decoded)
        .or_else(|_| serde_json::from_str(text))
        .unwrap_or(Value::Null)
}

/// The wildcard grants of a role's inline and attached policies.
async fn role_wildcards(iam: &aws_sdk_iam::Client, role_arn: &str) -> Result<Vec<String>> {
    let name = role_arn.rsplit('/').next().unwrap_or(role_arn);
    let mut documents: Vec<(String, Value)> = Vec::new();
    let inline = iam
        .list_role_policies()
        .role_name(name)
        .send()
        .await
        .context("iam:ListRolePolicies")?;
    for policy in inline.policy_names() {
        let got = iam
            .get_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
            .context("iam:GetRolePolicy")?;
        documents.push((format!("inline {policy}"), document(got.policy_document())));
    }
    let attached = iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .context("iam:ListAttachedRolePolicies")?;
    for policy in attached.attached_policies() {
        let Some(arn) = policy.policy_arn() else {
            continue;
        };
        let got = iam
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .context("iam:GetPolicy")?;
        let Some(version) = got.policy().and_then(|p| p.default_version_id()) else {
            continue;
        };
        let v = iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .context("iam:GetPolicyVersion")?;
        if let Some(text) = v.policy_version().and_then(|p| p.document()) {
            documents.push((arn.to_owned(), document(text)));
        }
    }
    let mut out = Vec::new();
    for (source, doc) in documents {
        // The same analysis as `warden lint`'s iam-wildcard-action.
        for statement in iam::allow_statements(&doc) {
            let broad = iam::broad_actions(&statement);
            if broad.iter().any(|a| a == "NotAction") {
                out.push(format!("{source} uses NotAction"));
            }
            let wild: Vec<&str> = broad
                .iter()
                .map(String::as_str)
                .filter(|a| *a != "NotAction")
                .collect();
            if !wild.is_empty() {
                out.push(format!("{source} allows {}", wild.join(", ")));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic is how a test fails")]

    use super::*;

    #[test]
    fn iam_documents_are_url_decoded() {
        let encoded = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A%2A%22%7D%5D%7D";
        assert_eq!(document(encoded)["Statement"][0]["Action"], "s3:*");
        assert_eq!(document(r#"{"a":"b+c"}"#)["a"], "b+c");
    }

    #[test]
    fn secret_names_are_told_from_references() {
        for secret in [
            "API_TOKEN",
            "DB_PASSWORD",
            "stripe-api-key",
            "CLIENT_SECRET",
            "AWS_SECRET_ACCESS_KEY",
            "PRIVATE_KEY",
        ] {
            assert!(secrets::secret_like_name(secret), "{secret}");
        }
        for plain in [
            "WARDEN_CREDENTIALS",
            "TOKEN_PARAMETER",
            "DB_PASSWORD_ARN",
            "SECRET_NAME",
            "TICKET_KEY",
            "MODE",
            "TOKENIZER_MODEL",
        ] {
            assert!(!secrets::secret_like_name(plain), "{plain}");
        }
    }

    #[test]
    fn every_scan_rule_has_a_severity() {
        for r in SCAN_RULES {
            assert_eq!(severity(r.id), r.severity);
        }
    }
}
