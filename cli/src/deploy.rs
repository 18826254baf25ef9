//! `warden deploy` and `warden delete`: stacks through change sets, with live stack events.
//!
//! Deploying signs and seals the template's custom resources (when keys are given), then
//! creates a new stack with CreateStack (listing the resources it will add; a failed CREATE
//! change set would leave an empty REVIEW_IN_PROGRESS stack behind) or updates an existing one
//! through a change set (previous values for parameters not given), showing its changes and
//! executing it, and follows the stack's events until the stack settles. Deleting first makes sure every ticket in the deployed template stays valid long
//! enough for CloudFormation's Delete requests (refreshing them when it cannot), then deletes
//! and follows the events the same way. The AWS side is only CloudFormation's API.

use std::{
    collections::{BTreeMap, HashSet},
    str::FromStr,
    time::{Duration, SystemTime},
};

use anyhow::{bail, Context as _, Result};
use aws_sdk_cloudformation::{
    types::{Capability, ChangeSetStatus, ChangeSetType, Parameter, Tag},
    Client,
};
use cfn_warden::credentials::ticket::{SealedTicket, TICKET_PROPERTY_KEY};
use serde_json::{json, Value};

use warden_lint::template::Template;

use crate::{
    sign::custom_properties,
    stack::{event_ids, expiring, follow, stack_status, Expiry, Progress, Settled, TICKET_MARGIN},
};

/// CloudFormation's limit for a template passed inline (`TemplateBody`).
pub(crate) const MAX_TEMPLATE_BODY_BYTES: usize = 51_200;

/// `KEY=VALUE` from the command line.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct KeyValue {
    pub(crate) key: String,
    pub(crate) value: String,
}

/// The value stays out: a parameter may be NoEcho data or a sealed ticket.
impl std::fmt::Debug for KeyValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyValue")
            .field("key", &self.key)
            .field("value", &"<redacted>")
            .finish()
    }
}

impl FromStr for KeyValue {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok(Self {
                key: key.to_owned(),
                value: value.to_owned(),
            }),
            // The text is not repeated: it may be a secret value typed without its key.
            _ => Err("expected KEY=VALUE with a non-empty KEY".to_owned()),
        }
    }
}

/// Adds the tickets sealed into parameters (`WardenTicket: !Ref P`) to the command line's
/// parameters; one given there too is refused (warden seals it).
pub(crate) fn add_ticket_parameters(
    parameters: &mut Vec<KeyValue>,
    sealed: Vec<(String, cfn_warden::Secret<String>)>,
) -> Result<()> {
    for (key, ticket) in sealed {
        if parameters.iter().any(|p| p.key == key) {
            bail!("--parameter {key}=…: {key} carries a WardenTicket, which warden deploy seals itself");
        }
        parameters.push(KeyValue {
            key,
            value: ticket.into_inner(),
        });
    }
    Ok(())
}

/// What `deploy` needs besides the (already signed and sealed) template.
pub(crate) struct DeployOptions {
    pub(crate) stack_name: String,
    pub(crate) parameters: Vec<KeyValue>,
    pub(crate) capabilities: Vec<String>,
    pub(crate) tags: Vec<KeyValue>,
    /// A CloudFormation service role.
    pub(crate) role_arn: Option<String>,
    /// The longest to wait for the change set and then for the stack.
    pub(crate) wait: Duration,
    /// Between two looks at the stack.
    pub(crate) poll: Duration,
}

/// The logical ids of the template's custom resources.
pub(crate) fn custom_resource_ids(source: &str) -> Result<Vec<String>> {
    let template = Template::parse(source)?;
    Ok(custom_properties(&template, &[])?
        .into_iter()
        .map(|c| c.logical_id)
        .collect())
}

/// The parameter names the template declares.
fn declared_parameters(template: &Template<'_>) -> Result<HashSet<String>> {
    let Some(section) = template.section("Parameters") else {
        return Ok(HashSet::new());
    };
    let value = warden_lint::template::to_json(section)?;
    Ok(value
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default())
}

/// What CreateStack and CreateChangeSet are given alike.
struct StackInput {
    parameters: Vec<Parameter>,
    capabilities: Vec<Capability>,
    tags: Option<Vec<Tag>>,
    role_arn: Option<String>,
}

/// Sets a [`StackInput`], the stack name and the template on a CreateStack or CreateChangeSet
/// builder (two SDK types with the same setters).
macro_rules! stack_input {
    ($builder:expr, $stack:expr, $template:expr, $input:expr) => {
        $builder
            .stack_name($stack)
            .template_body($template)
            .set_parameters(Some($input.parameters))
            .set_capabilities(Some($input.capabilities))
            .set_tags($input.tags)
            .set_role_arn($input.role_arn)
    };
}

/// Creates the stack (CreateStack) or updates it through a change set, following the stack
/// until it settles.
pub(crate) async fn deploy(
    cfn: &Client,
    template: &str,
    options: &DeployOptions,
) -> Result<Settled> {
    let started = tokio::time::Instant::now();
    let give_up = started + options.wait;
    let stack = &options.stack_name;
    if template.len() > MAX_TEMPLATE_BODY_BYTES {
        bail!(
            "the template is {} bytes after signing and sealing; CloudFormation takes at most {MAX_TEMPLATE_BODY_BYTES} bytes inline (move large inline content out of the template)",
            template.len()
        );
    }
    let parsed = Template::parse(template)?;
    let existing = stack_status(cfn, stack).await?;
    let change_set_type = match &existing {
        None => ChangeSetType::Create,
        Some((_, status, _)) if status == "REVIEW_IN_PROGRESS" => ChangeSetType::Create,
        Some((_, status, _)) if status.ends_with("_IN_PROGRESS") => {
            bail!("stack {stack} is {status}: wait for the operation in progress to end")
        }
        Some((_, status, _)) if status == "ROLLBACK_COMPLETE" || status == "ROLLBACK_FAILED" => {
            bail!("stack {stack} is {status}: its creation failed and it can only be deleted (warden delete --stack-name {stack})")
        }
        Some((_, status, _)) if status == "DELETE_FAILED" => {
            bail!("stack {stack} is DELETE_FAILED: it accepts only another delete")
        }
        Some(_) => ChangeSetType::Update,
    };
    let declared = declared_parameters(&parsed)?;
    for p in &options.parameters {
        if !declared.contains(&p.key) {
            bail!(
                "--parameter {}: the template declares no such parameter",
                p.key
            );
        }
    }
    let mut parameters: Vec<Parameter> = options
        .parameters
        .iter()
        .map(|p| {
            Parameter::builder()
                .parameter_key(&p.key)
                .parameter_value(&p.value)
                .build()
        })
        .collect();
    if let (ChangeSetType::Update, Some((_, _, previous))) = (&change_set_type, &existing) {
        for key in previous {
            if declared.contains(key) && !options.parameters.iter().any(|p| &p.key == key) {
                parameters.push(
                    Parameter::builder()
                        .parameter_key(key)
                        .use_previous_value(true)
                        .build(),
                );
            }
        }
    }
    let capabilities = options
        .capabilities
        .iter()
        .map(|c| Capability::from(c.as_str()))
        .collect::<Vec<_>>();
    let tags = options
        .tags
        .iter()
        .map(|t| Tag::builder().key(&t.key).value(&t.value).build())
        .collect::<Vec<_>>();
    let input = StackInput {
        parameters,
        capabilities,
        // No --tag: send no Tags at all (an empty list on an update would remove the stack's
        // tags).
        tags: (!tags.is_empty()).then_some(tags),
        role_arn: options.role_arn.clone(),
    };
    let progress = Progress::new();
    if existing.is_none() {
        // A new stack: CreateStack. Its "changes" are all of its resources, and a failed
        // CREATE change set would leave an empty REVIEW_IN_PROGRESS stack behind.
        let changes: Vec<Value> = parsed
            .resources()?
            .into_iter()
            .map(|r| {
                let condition = warden_lint::template::entry(r.body, "Condition")
                    .and_then(|(_, node)| warden_lint::template::scalar_text(node));
                json!({"action": "Add", "logical_id": r.logical_id, "type": r.resource_type, "replacement": null, "condition": condition})
            })
            .collect();
        print_changes(&progress, &changes);
        progress.status("creating the stack");
        let created = stack_input!(cfn.create_stack(), stack, template, input)
            .send()
            .await
            .with_context(|| format!("cloudformation:CreateStack {stack}"))?;
        let stack_id = created.stack_id().unwrap_or(stack).to_owned();
        let watch = Watch {
            seen: HashSet::new(),
            give_up,
            poll: options.poll,
            started,
        };
        return settle(cfn, &stack_id, watch, changes, &progress).await;
    }
    let change_set_name = format!(
        "warden-{}",
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
    );
    progress.status(&format!("creating change set {change_set_name}"));
    let created = stack_input!(cfn.create_change_set(), stack, template, input)
        .change_set_name(&change_set_name)
        .change_set_type(change_set_type.clone())
        .send()
        .await
        .with_context(|| format!("cloudformation:CreateChangeSet {stack}"))?;
    let stack_id = created.stack_id().unwrap_or(stack).to_owned();
    let change_set_id = created.id().unwrap_or(&change_set_name).to_owned();
    let described = loop {
        let d = cfn
            .describe_change_set()
            .stack_name(&stack_id)
            .change_set_name(&change_set_id)
            .send()
            .await
            .with_context(|| format!("cloudformation:DescribeChangeSet {change_set_name}"))?;
        match d.status() {
            Some(ChangeSetStatus::CreateComplete) => break d,
            Some(ChangeSetStatus::Failed) => {
                let reason = d.status_reason().unwrap_or("no reason given").to_owned();
                let _ = cfn
                    .delete_change_set()
                    .stack_name(&stack_id)
                    .change_set_name(&change_set_id)
                    .send()
                    .await;
                if reason.contains("didn't contain changes") || reason.contains("No updates") {
                    progress.finish();
                    return Ok(Settled {
                        stack_id,
                        status: "NO_CHANGES".to_owned(),
                        failures: Vec::new(),
                        outputs: outputs(cfn, stack).await?,
                        changes: Vec::new(),
                        elapsed: started.elapsed(),
                    });
                }
                bail!("the change set for {stack} failed: {reason}");
            }
            _ => {}
        }
        if tokio::time::Instant::now() >= give_up {
            bail!("the change set for {stack} was not ready in time");
        }
        tokio::time::sleep(options.poll).await;
    };
    let changes: Vec<Value> = described
        .changes()
        .iter()
        .filter_map(|c| c.resource_change())
        .map(|r| {
            json!({
                "action": r.action().map(|a| a.as_str()),
                "logical_id": r.logical_resource_id(),
                "type": r.resource_type(),
                "replacement": r.replacement().map(|x| x.as_str()),
            })
        })
        .collect();
    print_changes(&progress, &changes);
    let seen = event_ids(cfn, &stack_id).await?;
    progress.status("executing the change set");
    cfn.execute_change_set()
        .stack_name(&stack_id)
        .change_set_name(&change_set_id)
        .send()
        .await
        .with_context(|| format!("cloudformation:ExecuteChangeSet {change_set_name}"))?;
    let watch = Watch {
        seen,
        give_up,
        poll: options.poll,
        started,
    };
    settle(cfn, &stack_id, watch, changes, &progress).await
}

/// How to follow a stack after starting an operation on it.
struct Watch {
    /// Events that were there before.
    seen: HashSet<String>,
    give_up: tokio::time::Instant,
    poll: Duration,
    started: tokio::time::Instant,
}

/// Follows the stack until it settles; fills in the changes, outputs and elapsed time.
async fn settle(
    cfn: &Client,
    stack_id: &str,
    watch: Watch,
    changes: Vec<Value>,
    progress: &Progress,
) -> Result<Settled> {
    let mut settled = follow(
        cfn,
        stack_id,
        watch.seen,
        watch.give_up,
        watch.poll,
        progress,
    )
    .await?;
    settled.changes = changes;
    settled.outputs = outputs(cfn, stack_id).await?;
    settled.elapsed = watch.started.elapsed();
    Ok(settled)
}

fn print_changes(progress: &Progress, changes: &[Value]) {
    for c in changes {
        let replacement = match c["replacement"].as_str() {
            Some("True") => " (replacement)",
            Some("Conditional") => " (may replace)",
            _ => "",
        };
        let condition = c["condition"]
            .as_str()
            .map(|name| format!(" (if {name})"))
            .unwrap_or_default();
        progress.line(&format!(
            "change: {} {} {}{replacement}{condition}",
            c["action"].as_str().unwrap_or("?"),
            c["logical_id"].as_str().unwrap_or("?"),
            c["type"].as_str().unwrap_or("?")
        ));
    }
}

/// The tickets of a deployed template: (logical id, expiry).
pub(crate) fn ticket_expiries(template: &str) -> Result<Vec<(String, Expiry)>> {
    let template = Template::parse(template)?;
    let mut out = Vec::new();
    for resource in custom_properties(&template, &[])? {
        if crate::seal::ticket_parameter(&template, &resource.values).is_some() {
            out.push((resource.logical_id, Expiry::Parameter));
            continue;
        }
        let Some(Value::String(token)) = resource.values.get(TICKET_PROPERTY_KEY) else {
            continue;
        };
        let expiry = match SealedTicket::parse(token) {
            Ok(ticket) => Expiry::At(ticket.binding().not_after_time()),
            // Only a fresh ticket will do.
            Err(_) => Expiry::Unreadable,
        };
        out.push((resource.logical_id, expiry));
    }
    Ok(out)
}

/// How `delete` renews tickets and signatures that would expire during the delete.
pub(crate) struct DeleteRenewal {
    /// Re-seal expiring tickets with these options (without them: refuse).
    pub(crate) seal: Option<crate::seal::SealOptions>,
    /// Sign expiring signatures again (without it: refuse, unless expired ones are accepted).
    pub(crate) resign: Option<crate::sign::Resign>,
    /// The provider accepts expired signatures on Delete
    /// (`WARDEN_ALLOW_EXPIRED_SIGNATURES_ON_DELETE`): expiring signatures alone need no refresh.
    pub(crate) allow_expired_signatures: bool,
}

/// What `delete` renews before deleting, `(re-seal the tickets, sign again)`, given the
/// described tickets and signatures not valid for the next margin; or why it cannot go ahead.
/// A refresh's Update needs valid signatures; the Delete needs them too unless the provider
/// accepts expired ones.
pub(crate) fn plan_renewal(
    tickets: Option<&str>,
    signatures: Option<&str>,
    can_seal: bool,
    can_sign: bool,
    allow_expired_signatures: bool,
) -> Result<(bool, bool)> {
    let margin = humantime::format_duration(TICKET_MARGIN);
    let refresh_tickets = tickets.is_some();
    let resign = signatures.filter(|_| refresh_tickets || !allow_expired_signatures);
    if let (Some(which), false) = (tickets, can_seal) {
        bail!(
            "the tickets of {which} are not valid for the next {margin}: CloudFormation's Delete requests would be refused and the resources left behind; pass --ticket-role and --key to refresh them before deleting"
        );
    }
    if let (Some(which), false) = (resign, can_sign) {
        bail!(
            "the signatures of {which} are not valid for the next {margin}: the provider would refuse CloudFormation's {} and the resources would be left behind; pass --signing-key or --signing-kms-key to sign them again first{}",
            if refresh_tickets { "Update that refreshes the tickets" } else { "Delete requests" },
            if refresh_tickets { "" } else { " (or --allow-expired-signatures when the provider runs with WARDEN_ALLOW_EXPIRED_SIGNATURES_ON_DELETE=true)" }
        );
    }
    Ok((refresh_tickets, resign.is_some()))
}

/// Deletes `stack`, refreshing its tickets (and signing it again) first when they would
/// expire during the delete.
pub(crate) async fn delete(
    config: &aws_config::SdkConfig,
    stack: &str,
    renewal: DeleteRenewal,
    role_arn: Option<String>,
    wait: Duration,
    poll: Duration,
) -> Result<Settled> {
    let cfn = Client::new(config);
    let started = tokio::time::Instant::now();
    let give_up = started + wait;
    let Some((stack_id, status, _)) = stack_status(&cfn, stack).await? else {
        return Ok(Settled {
            stack_id: stack.to_owned(),
            status: "DELETE_COMPLETE".to_owned(),
            failures: Vec::new(),
            outputs: BTreeMap::new(),
            changes: Vec::new(),
            elapsed: started.elapsed(),
        });
    };
    if status.ends_with("_IN_PROGRESS") && status != "REVIEW_IN_PROGRESS" {
        bail!("stack {stack} is {status}: wait for the operation in progress to end");
    }
    let body = cfn
        .get_template()
        .stack_name(&stack_id)
        .template_stage(aws_sdk_cloudformation::types::TemplateStage::Original)
        .send()
        .await
        .with_context(|| format!("cloudformation:GetTemplate {stack}"))?
        .template_body()
        .unwrap_or_default()
        .to_owned();
    let now = SystemTime::now();
    let tickets = ticket_expiries(&body)?;
    let tickets = expiring(
        tickets.iter().map(|(id, expiry)| (id.as_str(), *expiry)),
        now,
        TICKET_MARGIN,
    );
    let signatures = crate::sign::deployed_signatures(&body)?;
    let expiring_signatures = crate::seal::expiring_signatures(&signatures, now, TICKET_MARGIN);
    let progress = Progress::new();
    let (refresh_tickets, resign) = plan_renewal(
        tickets.as_deref(),
        expiring_signatures.as_deref(),
        renewal.seal.is_some(),
        renewal.resign.is_some(),
        renewal.allow_expired_signatures,
    )?;
    if refresh_tickets || resign {
        let what = match (refresh_tickets, resign) {
            (true, true) => "refreshing the tickets and signatures",
            (true, false) => "refreshing the tickets",
            _ => "signing again",
        };
        progress.status(what);
        let renewal = crate::seal::Renewal {
            stack_name: stack.to_owned(),
            seal: renewal.seal.filter(|_| refresh_tickets),
            resign: renewal.resign.filter(|_| resign),
        };
        let report = crate::seal::refresh(
            &renewal,
            give_up.saturating_duration_since(tokio::time::Instant::now()),
            config,
        )
        .await?;
        if let Some(sealed) = &report.sealed {
            progress.line(&format!(
                "refreshed {} ticket(s) until {}",
                sealed.logical_ids.len(),
                humantime::format_rfc3339_seconds(sealed.not_after)
            ));
        }
        if !report.resigned.is_empty() {
            progress.line(&format!(
                "signed {} again",
                report
                    .resigned
                    .iter()
                    .map(|s| s.logical_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let seen = event_ids(&cfn, &stack_id).await?;
    progress.status("deleting");
    cfn.delete_stack()
        .stack_name(&stack_id)
        .set_role_arn(role_arn)
        .send()
        .await
        .with_context(|| format!("cloudformation:DeleteStack {stack}"))?;
    let mut settled = follow(&cfn, &stack_id, seen, give_up, poll, &progress).await?;
    settled.elapsed = started.elapsed();
    Ok(settled)
}

/// The stack's outputs.
async fn outputs(cfn: &Client, stack: &str) -> Result<BTreeMap<String, String>> {
    let out = cfn
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .with_context(|| format!("cloudformation:DescribeStacks {stack}"))?;
    Ok(out
        .stacks()
        .first()
        .map(|s| {
            s.outputs()
                .iter()
                .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
                .collect()
        })
        .unwrap_or_default())
}

#[cfg(test)]
mod tests;
