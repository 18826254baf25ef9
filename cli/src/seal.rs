//! `warden seal` and `warden refresh`: sealed tickets in templates and live stacks.
//!
//! Sealing assumes the ticket role as the deployer (SourceIdentity = who you are) and puts one
//! `WardenTicket` per custom resource, each bound by KMS encryption context to the stack name,
//! the logical id and the not-after instant. Refreshing does the same to a deployed stack's
//! template (existing tickets only), signs its signed resources again when a signing key is
//! given (refusing signatures about to expire otherwise), and updates the stack with its
//! previous parameters.

use std::{
    collections::BTreeMap,
    time::{Duration, SystemTime},
};

use anyhow::{bail, Context as _, Result};
use aws_sdk_cloudformation::types::{Parameter, StackStatus};
use cfn_warden::credentials::{
    ticket::{self, SessionCredentials, TicketBinding, MAX_TICKET_LIFETIME, TICKET_PROPERTY_KEY},
    KmsDataKeys,
};
use cfn_warden::Secret;
use serde_json::Value;

use warden_lint::template::Template;

use crate::{
    sign::{
        check_output, custom_properties, deployed_signatures, CustomProperties, DeployedSignature,
        Resign, Signed,
    },
    stack::expiring,
    template::{place_tokens, placement, Placement},
};

/// What sealing needs.
pub(crate) struct SealOptions {
    pub(crate) stack_name: String,
    pub(crate) ticket_role: String,
    pub(crate) key_id: String,
    pub(crate) duration: Duration,
    pub(crate) source_identity: Option<String>,
    pub(crate) only: Vec<String>,
    /// Re-seal only resources that already carry a ticket (refresh).
    pub(crate) existing_only: bool,
}

/// What was sealed, for the report.
#[derive(Debug)]
pub(crate) struct SealReport {
    pub(crate) logical_ids: Vec<String>,
    /// Tickets that go in as parameter values (`WardenTicket: !Ref P`): (P, ticket). Tickets
    /// stay out of Debug strings.
    pub(crate) parameters: Vec<(String, Secret<String>)>,
    pub(crate) principal: String,
    pub(crate) source_identity: String,
    pub(crate) not_after: SystemTime,
}

/// STS's character set for session names and source identities.
fn sts_name(text: &str) -> String {
    let mut out: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c))
        .collect();
    out.truncate(64);
    out
}

/// Where each ticket goes, and the properties around it (to re-check the output).
struct Target {
    logical_id: String,
    slot: Slot,
    values: serde_json::Map<String, Value>,
}

/// Where a ticket goes.
enum Slot {
    /// A literal `WardenTicket` line in the template (replaced or inserted).
    Literal(Placement),
    /// `WardenTicket: !Ref P`: the value of template parameter P.
    Parameter(String),
}

/// The parameter a custom resource's `WardenTicket` refers to (`!Ref P`, P declared).
pub(crate) fn ticket_parameter(
    template: &Template<'_>,
    values: &serde_json::Map<String, Value>,
) -> Option<String> {
    let name = values.get(TICKET_PROPERTY_KEY)?.get("Ref")?.as_str()?;
    let parameters = template.section("Parameters")?;
    warden_lint::template::entry(parameters, name).map(|_| name.to_owned())
}

fn targets(source: &str, options: &SealOptions) -> Result<Vec<Target>> {
    let template = Template::parse(source)?;
    // Over every resource, whatever `only` selects: a ticket is bound to one logical id.
    let mut carriers: BTreeMap<String, String> = BTreeMap::new();
    for resource in custom_properties(&template, &[])? {
        if let Some(parameter) = ticket_parameter(&template, &resource.values) {
            if let Some(first) = carriers.insert(parameter.clone(), resource.logical_id.clone()) {
                bail!("{}: parameter {parameter} already carries another resource's {TICKET_PROPERTY_KEY} ({first}); a ticket is bound to one logical id, so give each resource its own parameter", resource.logical_id);
            }
        }
    }
    let mut out = Vec::new();
    for resource in custom_properties(&template, &options.only)? {
        let CustomProperties {
            logical_id,
            key: properties_key,
            node: properties,
            values,
            ..
        } = resource;
        let id = &logical_id;
        if options.existing_only && !values.contains_key(TICKET_PROPERTY_KEY) {
            continue;
        }
        let slot = if let Some(parameter) = ticket_parameter(&template, &values) {
            Slot::Parameter(parameter)
        } else if values
            .get(TICKET_PROPERTY_KEY)
            .is_some_and(|v| !v.is_string())
        {
            bail!("{id}: {TICKET_PROPERTY_KEY} is set by an expression other than a `!Ref` to a declared template parameter; `warden seal` fills only a literal ticket or such a parameter");
        } else {
            Slot::Literal(placement(
                source,
                id,
                properties_key,
                properties,
                TICKET_PROPERTY_KEY,
                Ok(()),
            )?)
        };
        out.push(Target {
            logical_id: logical_id.clone(),
            slot,
            values,
        });
    }
    if out.is_empty() {
        if options.existing_only {
            bail!("no custom resource carries a {TICKET_PROPERTY_KEY} to refresh");
        }
        bail!("no custom resource to seal a ticket for (Custom::* or AWS::CloudFormation::CustomResource)");
    }
    Ok(out)
}

/// Assumes the ticket role and seals one ticket per custom resource in `source`.
pub(crate) async fn seal_template(
    source: &str,
    options: &SealOptions,
    config: &aws_config::SdkConfig,
) -> Result<(String, SealReport)> {
    if options.duration < Duration::from_secs(900) || options.duration > MAX_TICKET_LIFETIME {
        bail!(
            "the ticket duration (--duration, or --ticket-duration for deploy, delete and refresh) must be between 15m and 1h (STS role chaining caps sessions at one hour)"
        );
    }
    if options.stack_name.is_empty() || options.stack_name.contains('*') {
        bail!("--stack-name must be one exact stack name");
    }
    let targets = targets(source, options)?;
    let sts = aws_sdk_sts::Client::new(config);
    let source_identity = match &options.source_identity {
        Some(s) => sts_name(s),
        None => {
            let me = sts
                .get_caller_identity()
                .send()
                .await
                .context("sts:GetCallerIdentity (who is deploying?)")?;
            let arn = me.arn().unwrap_or_default();
            sts_name(arn.rsplit('/').next().unwrap_or(arn))
        }
    };
    if source_identity.len() < 2 {
        bail!("the source identity must be 2 to 64 characters of [A-Za-z0-9_+=,.@-]; pass --source-identity");
    }
    let session = sts
        .assume_role()
        .role_arn(&options.ticket_role)
        .role_session_name(sts_name(&format!("warden-seal-{}", options.stack_name)))
        .duration_seconds(i32::try_from(options.duration.as_secs()).unwrap_or(3600))
        .source_identity(&source_identity)
        .send()
        .await
        .with_context(|| format!("sts:AssumeRole on the ticket role {}", options.ticket_role))?;
    let c = session
        .credentials()
        .context("sts:AssumeRole returned no credentials")?;
    let expiration = u64::try_from(c.expiration().secs()).unwrap_or(0);
    let principal = session
        .assumed_role_user()
        .map(|u| u.arn().to_owned())
        .unwrap_or_default();
    let credentials = SessionCredentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: Secret::new(c.secret_access_key().to_owned()),
        session_token: Secret::new(c.session_token().to_owned()),
        expiration,
        source_identity: Some(source_identity.clone()),
    };
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let not_after = expiration.min(now + options.duration.as_secs());
    let keys = KmsDataKeys::new(aws_sdk_kms::Client::new(config));
    let mut tokens = Vec::with_capacity(targets.len());
    for target in &targets {
        let binding = TicketBinding {
            stack_name: options.stack_name.clone(),
            logical_id: target.logical_id.clone(),
            not_after,
        };
        let sealed = ticket::seal(&keys, &options.key_id, &credentials, binding)
            .await
            .with_context(|| format!("sealing the ticket of {}", target.logical_id))?;
        tokens.push(sealed.to_token());
    }
    let mut placed: Vec<(&Placement, &String)> = Vec::new();
    let mut expected: BTreeMap<String, (String, serde_json::Map<String, Value>)> = BTreeMap::new();
    let mut parameters = Vec::new();
    for (target, token) in targets.iter().zip(&tokens) {
        match &target.slot {
            Slot::Literal(placement) => {
                placed.push((placement, token));
                expected.insert(
                    target.logical_id.clone(),
                    (token.clone(), target.values.clone()),
                );
            }
            Slot::Parameter(name) => parameters.push((name.clone(), Secret::new(token.clone()))),
        }
    }
    let output = place_tokens(source, &placed);
    if !expected.is_empty() {
        check_output(&output, &expected, TICKET_PROPERTY_KEY)?;
    }
    Ok((
        output,
        SealReport {
            logical_ids: targets.into_iter().map(|t| t.logical_id).collect(),
            parameters,
            principal,
            source_identity,
            not_after: SystemTime::UNIX_EPOCH + Duration::from_secs(not_after),
        },
    ))
}

/// What `refresh` renews: the tickets, the signatures, or both.
pub(crate) struct Renewal {
    pub(crate) stack_name: String,
    /// Re-seal the tickets (resources that carry one).
    pub(crate) seal: Option<SealOptions>,
    /// Sign the signed resources again.
    pub(crate) resign: Option<Resign>,
}

/// How `refresh` ended.
#[derive(Debug)]
pub(crate) struct RefreshReport {
    pub(crate) sealed: Option<SealReport>,
    pub(crate) resigned: Vec<Signed>,
    pub(crate) final_status: String,
}

/// [`expiring`] for the signatures of a deployed template.
pub(crate) fn expiring_signatures(
    signatures: &[DeployedSignature],
    now: SystemTime,
    margin: Duration,
) -> Option<String> {
    expiring(
        signatures
            .iter()
            .map(|s| (s.logical_id.as_str(), s.expiry())),
        now,
        margin,
    )
}

/// Re-seals the tickets and/or signs again the signed resources of a deployed stack, updates
/// it with its previous parameters, then waits (at most `wait`) for the update to finish.
/// Without re-signing, signatures that would expire within the delete margin are refused
/// first: the provider verifies the new properties' signature on the refresh's Update.
pub(crate) async fn refresh(
    renewal: &Renewal,
    wait: Duration,
    config: &aws_config::SdkConfig,
) -> Result<RefreshReport> {
    let stack = &renewal.stack_name;
    if renewal.seal.is_none() && renewal.resign.is_none() {
        bail!("nothing to refresh in {stack}: pass --ticket-role and --key to re-seal its tickets, or a signing key to sign its signed resources again");
    }
    let cfn = aws_sdk_cloudformation::Client::new(config);
    let described = cfn
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .with_context(|| format!("cloudformation:DescribeStacks {stack}"))?;
    let Some(current) = described.stacks().first() else {
        bail!("stack {stack} not found");
    };
    let status = current
        .stack_status()
        .map(|s| s.as_str())
        .unwrap_or("UNKNOWN");
    if status.ends_with("_IN_PROGRESS")
        || status == "DELETE_FAILED"
        || status == "ROLLBACK_COMPLETE"
    {
        bail!(
            "stack {stack} is {status}: it cannot be updated now{}",
            if status == "DELETE_FAILED" {
                " (a stack that failed to delete accepts only another delete; retain the custom resources whose tickets expired and remove what they made by hand)"
            } else {
                ""
            }
        );
    }
    let template = cfn
        .get_template()
        .stack_name(stack)
        .template_stage(aws_sdk_cloudformation::types::TemplateStage::Original)
        .send()
        .await
        .with_context(|| format!("cloudformation:GetTemplate {stack}"))?;
    let body = template
        .template_body()
        .context("GetTemplate returned no template body")?;
    let signatures = deployed_signatures(body)?;
    let (signed_body, resigned) = match &renewal.resign {
        Some(resign) => resign
            .apply(body, stack, &signatures)
            .await
            .with_context(|| format!("signing the template of {stack} again"))?,
        None => {
            if let Some(which) =
                expiring_signatures(&signatures, SystemTime::now(), crate::stack::TICKET_MARGIN)
            {
                bail!(
                    "the signatures of {which} are not valid for the next {}: the provider would refuse the refreshed properties; pass --signing-key or --signing-kms-key to sign them again",
                    humantime::format_duration(crate::stack::TICKET_MARGIN)
                );
            }
            (body.to_owned(), Vec::new())
        }
    };
    let (renewed, sealed) = match &renewal.seal {
        Some(options) => {
            let (text, report) = seal_template(&signed_body, options, config).await?;
            (text, Some(report))
        }
        None => (signed_body, None),
    };
    if sealed.is_none() && resigned.is_empty() {
        bail!("nothing to refresh in {stack}: no custom resource carries a signature to sign again (pass --ticket-role and --key to re-seal its tickets)");
    }
    let sealed_parameters: BTreeMap<&str, &str> = sealed
        .iter()
        .flat_map(|r| &r.parameters)
        .map(|(k, v)| (k.as_str(), v.expose().as_str()))
        .collect();
    let parameters: Vec<Parameter> = current
        .parameters()
        .iter()
        .filter_map(|p| p.parameter_key())
        .map(|k| match sealed_parameters.get(k) {
            Some(ticket) => Parameter::builder()
                .parameter_key(k)
                .parameter_value(*ticket)
                .build(),
            None => Parameter::builder()
                .parameter_key(k)
                .use_previous_value(true)
                .build(),
        })
        .collect();
    let seen = crate::stack::event_ids(&cfn, stack).await?;
    cfn.update_stack()
        .stack_name(stack)
        .template_body(renewed)
        .set_parameters(Some(parameters))
        .set_capabilities(Some(current.capabilities().to_vec()))
        .send()
        .await
        .with_context(|| format!("cloudformation:UpdateStack {stack}"))?;
    let final_status = crate::stack::watch(&cfn, stack, seen, wait, crate::stack::POLL_INTERVAL)
        .await?
        .status;
    if final_status != StackStatus::UpdateComplete.as_str() {
        bail!("stack {stack} ended {final_status}; the tickets and signatures were not refreshed");
    }
    Ok(RefreshReport {
        sealed,
        resigned,
        final_status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::Expiry;

    #[test]
    fn sts_names_keep_only_allowed_characters() {
        assert_eq!(sts_name("alice@example.com"), "alice@example.com");
        assert_eq!(sts_name("a b/c:d"), "abcd");
        assert_eq!(sts_name(&"x".repeat(100)).len(), 64);
    }

    fn options(existing_only: bool) -> SealOptions {
        SealOptions {
            stack_name: "app".into(),
            ticket_role: "arn:aws:iam::123456789012:role/t".into(),
            key_id: "k".into(),
            duration: Duration::from_secs(900),
            source_identity: None,
            only: Vec::new(),
            existing_only,
        }
    }

    #[test]
    fn targets_every_custom_resource_or_only_ticketed_ones() {
        let source = "Resources:\n  A:\n    Type: Custom::A\n    Properties:\n      ServiceToken: arn\n  B:\n    Type: Custom::B\n    Properties:\n      WardenTicket: \"wt1.old\"\n      ServiceToken: arn\n  Q:\n    Type: AWS::SQS::Queue\n";
        let all: Vec<String> = targets(source, &options(false))
            .unwrap()
            .into_iter()
            .map(|t| t.logical_id)
            .collect();
        assert_eq!(all, ["A", "B"]);
        let existing: Vec<String> = targets(source, &options(true))
            .unwrap()
            .into_iter()
            .map(|t| t.logical_id)
            .collect();
        assert_eq!(existing, ["B"]);
        let none = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n";
        assert!(targets(none, &options(false)).is_err());
        let expr = "Resources:\n  A:\n    Type: Custom::A\n    Properties:\n      WardenTicket: !Ref T\n      ServiceToken: arn\n";
        let err = targets(expr, &options(false)).err().unwrap().to_string();
        assert!(err.contains("expression"), "{err}");
    }

    #[test]
    fn tickets_in_flow_style_properties_are_replaced_in_place() {
        let source = "{\"Resources\": {\"A\": {\"Type\": \"Custom::A\", \"Properties\": {\"ServiceToken\": \"arn\", \"WardenTicket\": \"wt1.old\", \"Size\": 3}}}}\n";
        let found = targets(source, &options(true)).unwrap();
        let Slot::Literal(placement) = &found[0].slot else {
            panic!("a literal ticket")
        };
        let token = "wt1.new".to_owned();
        let output = place_tokens(source, &[(placement, &token)]);
        assert_eq!(output, source.replace("wt1.old", "wt1.new"));
        let mut expected = BTreeMap::new();
        expected.insert("A".to_owned(), (token, found[0].values.clone()));
        check_output(&output, &expected, TICKET_PROPERTY_KEY).unwrap();
        let yaml = "Resources:\n  A:\n    Type: Custom::A\n    Properties: {ServiceToken: arn, WardenTicket: 'wt1.old'}\n";
        let found = targets(yaml, &options(true)).unwrap();
        let Slot::Literal(placement) = &found[0].slot else {
            panic!("a literal ticket")
        };
        let output = place_tokens(yaml, &[(placement, &"wt1.new".to_owned())]);
        assert_eq!(output, yaml.replace("'wt1.old'", "\"wt1.new\""));
        // Multi-line flow mapping: the comment after the value stays.
        let commented = "Resources:\n  A:\n    Type: Custom::A\n    Properties: {\n      ServiceToken: arn,\n      WardenTicket: \"wt1.\\\"old\"   # sealed by CI\n    }\n";
        let found = targets(commented, &options(true)).unwrap();
        let Slot::Literal(placement) = &found[0].slot else {
            panic!("a literal ticket")
        };
        let output = place_tokens(commented, &[(placement, &"wt1.new".to_owned())]);
        assert_eq!(output, commented.replace("\"wt1.\\\"old\"", "\"wt1.new\""));
        let plain = "Resources:\n  A:\n    Type: Custom::A\n    Properties: {ServiceToken: arn, WardenTicket: wt1.old}\n";
        let err = targets(plain, &options(true)).err().unwrap().to_string();
        assert!(err.contains("not a quoted string"), "{err}");
    }

    #[test]
    fn resigning_keeps_each_dynamic_pattern_and_renews_the_expiry() {
        let source = "Resources:\n  A:\n    Type: Custom::A\n    Properties:\n      ServiceToken: arn\n      Size: 3\n      Role: !GetAtt R.Arn\n  B:\n    Type: Custom::B\n    Properties:\n      ServiceToken: arn\n      WardenSignature: not-a-token\n  C:\n    Type: Custom::C\n    Properties:\n      ServiceToken: arn\n";
        let (key, _) = cfn_warden::verify::signed::Ed25519SigningKey::generate("k1").unwrap();
        let signer = crate::signer::Signer::Local(key);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let now = SystemTime::now();
        let first = crate::sign::SignOptions {
            stack: "app".into(),
            issued_at: now,
            not_after: now + Duration::from_secs(600),
            patterns: vec!["A.Role=arn:aws:iam::1:role/x-.*".parse().unwrap()],
            only: vec!["A".into()],
            resign: false,
        };
        let (signed, _) = runtime
            .block_on(signer.sign_template(source, &first))
            .unwrap();
        let deployed = deployed_signatures(&signed).unwrap();
        let ids: Vec<&str> = deployed.iter().map(|d| d.logical_id.as_str()).collect();
        assert_eq!(ids, ["A", "B"], "C is not signed");
        assert_eq!(
            deployed[1].expiry(),
            Expiry::Unreadable,
            "unreadable = expired"
        );
        let which = expiring_signatures(&deployed, now, Duration::from_secs(900)).unwrap();
        assert!(
            which.starts_with("A (until ") && which.ends_with(", B (unreadable)"),
            "{which}"
        );
        assert!(expiring_signatures(&deployed[..1], now, Duration::from_secs(60)).is_none());

        let resign = Resign {
            signer,
            valid_for: Duration::from_secs(30 * 86_400),
            patterns: Vec::new(),
        };
        let (again, report) = runtime
            .block_on(resign.apply(&signed, "app", &deployed[..1]))
            .unwrap();
        assert_eq!(report.len(), 1);
        assert_eq!(
            report[0].dynamic.get("Role"),
            Some(&Some("arn:aws:iam::1:role/x-.*".to_owned())),
            "the old signature's pattern is kept"
        );
        let renewed = deployed_signatures(&again).unwrap();
        assert!(
            matches!(renewed[0].expiry(), Expiry::At(t) if t > now + Duration::from_secs(29 * 86_400))
        );
        assert!(expiring_signatures(&renewed[..1], now, Duration::from_secs(900)).is_none());
        assert!(!again.contains("Custom::C\n    Properties:\n      WardenSignature"));
        // Never vouching for what the key did not sign: an unreadable token, a property
        // changed after signing, another key, another stack.
        let refused = |text: &str, signed: &[DeployedSignature], stack: &str| {
            runtime
                .block_on(resign.apply(text, stack, signed))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(refused(&signed, &deployed[1..], "app")
            .contains("B: its WardenSignature is not a readable signature"));
        let tampered = signed.replace("Size: 3", "Size: 4");
        let tampered_signatures = deployed_signatures(&tampered).unwrap();
        assert!(refused(&tampered, &tampered_signatures[..1], "app").contains("properties differ"));
        assert!(refused(&signed, &deployed[..1], "other-app").contains("in stack app"));
        let (other, _) = cfn_warden::verify::signed::Ed25519SigningKey::generate("k2").unwrap();
        let stranger = Resign {
            signer: crate::signer::Signer::Local(other),
            valid_for: Duration::from_secs(60),
            patterns: Vec::new(),
        };
        let err = runtime
            .block_on(stranger.apply(&signed, "app", &deployed[..1]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("signed by key k1, not by the signing key k2"),
            "{err}"
        );
        // Nothing signed: nothing changes.
        let (same, none) = runtime.block_on(resign.apply(&signed, "app", &[])).unwrap();
        assert_eq!((same.as_str(), none.len()), (signed.as_str(), 0));
    }
}
