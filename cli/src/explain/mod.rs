//! `warden explain`: what each custom resource's provider can do, decided by the local IAM
//! evaluator (`warden-iam`) on the stack a template would make (`warden_lint::inventory`).
//! For each provider: its own role (what any invoker's request runs next to), the ticket role
//! deployers' tickets carry, and the work session a handler gets: the work role ∩ its
//! permissions boundary ∩ the session policy the handler would declare for a Create of this
//! resource (`warden_resources::declared`, the handlers' own policy functions).
//!
//! Each principal is judged on requests, not on text: every action and resource its narrowest
//! policy names (wildcards in a resource filled with `x` to make one sample), and a fixed set
//! of escalation probes (passing or writing roles, writing functions, the provider itself,
//! decrypting, reading data). A condition the request context does not settle is *unknown*,
//! with the reason; a policy the template does not hold (an ARN from elsewhere) is named and
//! not guessed.
//!
//! Submodules, each importing only those before it: `model` (the explanation's types, written
//! as JSON), `gaps` (what could not be evaluated, and the decisions it makes unknown), `read`
//! (a principal's policies read from the stack), `judge` (evaluated on the requests and
//! probes) and `text` (the text output).
//!
//! May import: `warden_lint::{inventory, iam}`, `warden_iam`, `warden_resources::declared`.

mod gaps;
mod judge;
mod model;
mod read;
mod text;

pub(crate) use model::Explanation;
use model::{ProviderExplained, ResourceExplained};
pub(crate) use text::text;

use std::collections::BTreeMap;

use serde_json::Value;
use warden_iam::Policy;
use warden_lint::inventory::{Resource, Stack};

use judge::{judge, Probes, Session, Subject};

/// A template read as a stack, and the file it came from.
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    /// The file, as given.
    pub(crate) file: &'a str,
    /// The stack it would make.
    pub(crate) stack: &'a Stack,
}

/// Explains `template`, whose custom resources' providers are in it or in `provider`.
pub(crate) fn explain(template: Source<'_>, provider: Option<Source<'_>>) -> Explanation {
    let mut notes: Vec<String> = Vec::new();
    for source in std::iter::once(template).chain(provider) {
        notes.extend(
            source
                .stack
                .notes()
                .iter()
                .map(|n| format!("{}: {n}", source.file)),
        );
    }
    let resources: Vec<ResourceExplained> = template
        .stack
        .custom_resources()
        .into_iter()
        .filter_map(|id| Some((id, template.stack.resource(id)?)))
        .map(|(id, resource)| {
            let (provider, note) = match find_provider(resource, template, provider) {
                Ok((source, function, note)) => (
                    Some(explain_provider(
                        source,
                        &function,
                        Some((id, resource, template.stack)),
                    )),
                    note,
                ),
                Err(reason) => (None, Some(reason)),
            };
            ResourceExplained {
                logical_id: id.to_owned(),
                resource_type: resource.resource_type.clone(),
                provider,
                note,
            }
        })
        .collect();
    let providers = if resources.is_empty() {
        std::iter::once(template)
            .chain(provider)
            .flat_map(|source| {
                warden_functions(source.stack)
                    .into_iter()
                    .map(move |f| explain_provider(source, &f, None))
            })
            .collect()
    } else {
        Vec::new()
    };
    let a = template.stack.assumptions();
    Explanation {
        template: template.file.to_owned(),
        provider_template: provider.map(|p| p.file.to_owned()),
        assumptions: BTreeMap::from([
            ("partition", a.partition.clone()),
            ("region", a.region.clone()),
            ("account", a.account.clone()),
            ("stack_name", a.stack_name.clone()),
        ]),
        notes,
        resources,
        providers,
    }
}

/// The functions of a stack configured as cfn-warden providers (a `WARDEN_*` setting).
fn warden_functions(stack: &Stack) -> Vec<String> {
    stack
        .functions()
        .into_iter()
        .filter(|f| {
            stack
                .environment(f)
                .keys()
                .any(|k| k.starts_with("WARDEN_"))
        })
        .map(str::to_owned)
        .collect()
}

type Found<'a> = (Source<'a>, String, Option<String>);

/// The provider a custom resource's ServiceToken designates: a function of its own template,
/// else of the provider template; when the token is not known before deployment, the
/// provider template's only cfn-warden provider (said in the note).
fn find_provider<'a>(
    resource: &Resource,
    template: Source<'a>,
    provider: Option<Source<'a>>,
) -> Result<Found<'a>, String> {
    let token = &resource.properties["ServiceToken"];
    if let Some(f) = template.stack.provider_of(token) {
        return Ok((template, f, None));
    }
    let shown = match token {
        Value::String(s) => s.clone(),
        Value::Null => "(none)".to_owned(),
        other => other.to_string(),
    };
    let Some(provider) = provider else {
        return Err(format!(
            "ServiceToken {shown} is not a function of this template; give the provider's \
             template with --provider (and the token with --parameter when it is a parameter)"
        ));
    };
    if let Some(f) = provider.stack.provider_of(token) {
        return Ok((provider, f, None));
    }
    let candidates = warden_functions(provider.stack);
    match (token, candidates.as_slice()) {
        (Value::String(_), _) => Err(format!(
            "ServiceToken {shown} is neither a function of this template nor of {}",
            provider.file
        )),
        (_, [only]) => Ok((
            provider,
            only.clone(),
            Some(format!(
                "ServiceToken {shown} is known only at deploy time; assumed to be {only} of {} \
                 (its only cfn-warden provider)",
                provider.file
            )),
        )),
        _ => Err(format!(
            "ServiceToken {shown} is known only at deploy time and {} has {} cfn-warden \
             providers; give the token with --parameter",
            provider.file,
            candidates.len()
        )),
    }
}

/// A provider function's principals; `resource` (logical id, resource, its stack) gives the
/// work session its declared policy.
fn explain_provider(
    source: Source<'_>,
    function: &str,
    resource: Option<(&str, &Resource, &Stack)>,
) -> ProviderExplained {
    let stack = source.stack;
    let env = stack.environment(function);
    let setting = |key: &str| env.get(key).and_then(Value::as_str).map(str::to_owned);
    let arn = stack.function_arn(function);
    let probes = Probes::new(stack, &arn);
    let warden = env.keys().any(|k| k.starts_with("WARDEN_"));
    let credentials = match setting("WARDEN_CREDENTIALS") {
        Some(mode) => mode,
        None if warden => "none".to_owned(),
        None => NOT_WARDEN.to_owned(),
    };
    let mut principals = Vec::new();
    let role_value = stack
        .resource(function)
        .map(|r| r.properties["Role"].clone())
        .unwrap_or_default();
    let provider_role = match &role_value {
        Value::String(_) => stack.role_of(function),
        _ => None,
    };
    let sam = stack
        .resource(function)
        .is_some_and(|r| r.resource_type == "AWS::Serverless::Function");
    let subject = match (&provider_role, &role_value) {
        (Some(role), _) => Some(Subject::Role(role)),
        (None, Value::Null) if sam => Some(Subject::SamFunction(function)),
        _ => None,
    };
    let mut own = judge("provider role", stack, subject, None, &probes);
    match &role_value {
        Value::Null if sam => {}
        Value::Null => own.notes.push("the function names no Role".to_owned()),
        Value::String(_) => {}
        other => own.notes.push(format!(
            "the function's Role could not be resolved: {other}"
        )),
    }
    principals.push(own);
    for ticket_role in setting("WARDEN_TICKET_PRINCIPALS")
        .iter()
        .flat_map(|p| p.split(','))
        .filter_map(|p| ticket_role_name(p.trim()))
    {
        let a = stack.assumptions();
        let role_arn = format!("arn:{}:iam::{}:role/{ticket_role}", a.partition, a.account);
        let named = stack.named(&Value::String(role_arn), "AWS::IAM::Role");
        principals.push(judge(
            "ticket role",
            stack,
            Some(Subject::Role(&named)),
            None,
            &probes,
        ));
    }
    match credentials.as_str() {
        "ticket" => {
            let work = setting("WARDEN_WORK_ROLE_ARN")
                .map(|w| stack.named(&Value::String(w), "AWS::IAM::Role"));
            let session = resource.map(|(id, r, resource_stack)| {
                declared(id, r, resource_stack, setting("WARDEN_LAYER_BUCKET"))
            });
            let subject = work.as_ref().map(Subject::Role);
            let mut principal = judge("work session", stack, subject, session, &probes);
            if work.is_none() {
                principal
                    .notes
                    .push("WARDEN_WORK_ROLE_ARN is not set: the provider refuses to start".into());
            }
            principals.push(principal);
        }
        "provider-role" => principals[0].notes.push(
            "WARDEN_CREDENTIALS=provider-role: handlers work with this role, so anyone who may \
             invoke the provider may use it"
                .into(),
        ),
        NOT_WARDEN => principals[0].notes.push(
            "not a cfn-warden provider (no WARDEN_* setting): its code works with this role \
             for whoever invokes it"
                .into(),
        ),
        _ => principals[0].notes.push(format!(
            "WARDEN_CREDENTIALS={credentials}: handlers get no AWS credentials"
        )),
    }
    ProviderExplained {
        function: function.to_owned(),
        template: source.file.to_owned(),
        arn,
        credentials,
        principals,
    }
}

/// `credentials` of a function without any `WARDEN_*` setting.
const NOT_WARDEN: &str = "not a cfn-warden provider";

/// The role name in `arn:…:sts::ACCOUNT:assumed-role/NAME/*`.
fn ticket_role_name(principal: &str) -> Option<&str> {
    let (_, rest) = principal.split_once(":assumed-role/")?;
    rest.split('/').next().filter(|n| !n.is_empty())
}

/// The session policy a Create of `resource` would declare, or why there is none.
fn declared(id: &str, resource: &Resource, stack: &Stack, layer_bucket: Option<String>) -> Session {
    let a = stack.assumptions();
    let target = warden_resources::declared::Target {
        partition: a.partition.clone(),
        region: a.region.clone(),
        account: a.account.clone(),
        stack_name: a.stack_name.clone(),
        logical_id: id.to_owned(),
        layer_bucket,
    };
    let declared = warden_resources::declared::on_create(
        &resource.resource_type,
        &resource.properties,
        &target,
    )
    .ok_or_else(|| {
        format!(
            "{} is not a shipped resource type: the policy its handler declares is not known \
             here; shown: the work role ∩ its boundary, the ceiling of every request",
            resource.resource_type
        )
    })?
    .map_err(|e| format!("the handler would refuse these properties: {e}"))?;
    let json: Value = serde_json::from_str(declared.policy.to_json())
        .map_err(|e| format!("the declared policy is not JSON: {e}"))?;
    let policy = Policy::parse(&json).map_err(|e| format!("the declared policy: {e}"))?;
    Ok((policy, json, declared.placeholders))
}
