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
//! May import: `warden_lint::{inventory, iam}`, `warden_iam`, `warden_resources::declared`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use warden_iam::{Context, Decision, Effect, Evaluator, Layer, Polarity, Policy, Request};
use warden_lint::inventory::{Named, Resource, Stack};

/// A template read as a stack, and the file it came from.
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    /// The file, as given.
    pub(crate) file: &'a str,
    /// The stack it would make.
    pub(crate) stack: &'a Stack,
}

/// The explanation of one template.
#[derive(Debug, Serialize)]
pub(crate) struct Explanation {
    /// The template explained.
    pub(crate) template: String,
    /// The provider template, if one was given.
    pub(crate) provider_template: Option<String>,
    /// Partition, region, account and stack name names were made concrete with.
    pub(crate) assumptions: BTreeMap<&'static str, String>,
    /// What the reading could not decide (conditions on unknown values).
    pub(crate) notes: Vec<String>,
    /// Each custom resource and its provider.
    pub(crate) resources: Vec<ResourceExplained>,
    /// Providers explained on their own (a template defining cfn-warden providers and no
    /// custom resources, such as cfn/provider.yaml).
    pub(crate) providers: Vec<ProviderExplained>,
}

/// One custom resource.
#[derive(Debug, Serialize)]
pub(crate) struct ResourceExplained {
    /// Its logical id.
    pub(crate) logical_id: String,
    /// Its type.
    pub(crate) resource_type: String,
    /// Its provider, when found.
    pub(crate) provider: Option<ProviderExplained>,
    /// How the provider was found when it was assumed, or why it was not found.
    pub(crate) note: Option<String>,
}

/// One provider function and the principals it involves.
#[derive(Debug, Serialize)]
pub(crate) struct ProviderExplained {
    /// The function's logical id.
    pub(crate) function: String,
    /// The template that defines it.
    pub(crate) template: String,
    /// Its ARN under the assumptions.
    pub(crate) arn: String,
    /// `WARDEN_CREDENTIALS`: `ticket`, `provider-role`, `none`.
    pub(crate) credentials: String,
    /// Provider role, ticket role(s), work session.
    pub(crate) principals: Vec<Principal>,
}

/// A principal and what it can do.
#[derive(Debug, Serialize)]
pub(crate) struct Principal {
    /// `provider role`, `ticket role` or `work session`.
    pub(crate) kind: &'static str,
    /// The role (logical id, or an ARN outside the template).
    pub(crate) role: Option<String>,
    /// Its ARN, when known.
    pub(crate) arn: Option<String>,
    /// The identity policies evaluated.
    pub(crate) policies: Vec<String>,
    /// The permissions boundary evaluated.
    pub(crate) boundary: Option<String>,
    /// The session policy evaluated (the work session's declared policy).
    pub(crate) session_policy: Option<Value>,
    /// Values the template leaves to deploy time, and the placeholders used.
    pub(crate) placeholders: Vec<String>,
    /// What could not be evaluated, and why.
    pub(crate) notes: Vec<String>,
    /// The requests judged.
    pub(crate) checks: Vec<Check>,
}

/// One request and its decision.
#[derive(Debug, Serialize)]
pub(crate) struct Check {
    /// The action.
    pub(crate) action: String,
    /// The resource.
    pub(crate) resource: String,
    /// Context keys given to the request.
    pub(crate) context: BTreeMap<String, String>,
    /// `allowed`, `denied` or `unknown`.
    pub(crate) decision: &'static str,
    /// The evaluator's explanation.
    pub(crate) why: String,
    /// Whether the request is an escalation probe rather than one the policies name.
    pub(crate) probe: bool,
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
    let credentials = setting("WARDEN_CREDENTIALS").unwrap_or_else(|| "none".to_owned());
    let mut principals = Vec::new();
    let provider_role = stack.role_of(function);
    let mut own = judge(
        "provider role",
        stack,
        provider_role.as_ref(),
        None,
        &probes,
    );
    if provider_role.is_none() {
        own.notes
            .push("the function names no role the template resolves".to_owned());
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
        principals.push(judge("ticket role", stack, Some(&named), None, &probes));
    }
    match credentials.as_str() {
        "ticket" => {
            let work = setting("WARDEN_WORK_ROLE_ARN")
                .map(|w| stack.named(&Value::String(w), "AWS::IAM::Role"));
            let session = resource.map(|(id, r, resource_stack)| {
                declared(id, r, resource_stack, setting("WARDEN_LAYER_BUCKET"))
            });
            let mut principal = judge("work session", stack, work.as_ref(), session, &probes);
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

/// The role name in `arn:…:sts::ACCOUNT:assumed-role/NAME/*`.
fn ticket_role_name(principal: &str) -> Option<&str> {
    let (_, rest) = principal.split_once(":assumed-role/")?;
    rest.split('/').next().filter(|n| !n.is_empty())
}

/// The session policy a Create of `resource` would declare, or why there is none.
type Session = Result<(Policy, Value, Vec<String>), String>;

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

/// Judges `role`'s requests (∩ `session` when given).
fn judge(
    kind: &'static str,
    stack: &Stack,
    role: Option<&Named>,
    session: Option<Session>,
    probes: &Probes,
) -> Principal {
    let mut principal = Principal {
        kind,
        role: None,
        arn: None,
        policies: Vec::new(),
        boundary: None,
        session_policy: None,
        placeholders: Vec::new(),
        notes: Vec::new(),
        checks: Vec::new(),
    };
    let id = match role {
        None => return principal,
        Some(Named::Elsewhere(arn)) => {
            principal.role = Some(arn.clone());
            principal.notes.push(format!(
                "the role {arn} is not in the template: its policies are not known here"
            ));
            return principal;
        }
        Some(Named::Here(id)) => id,
    };
    principal.role = Some(id.clone());
    principal.arn = stack.arn(id);
    let mut gaps = Gaps::default();
    let mut identity: Vec<(String, Policy)> = Vec::new();
    for (name, document) in stack.role_documents(id) {
        if let Some(p) = read_policy(&name, &document, &mut principal.notes, &mut gaps.identity) {
            identity.push((name, p));
        }
    }
    for managed in stack.managed_policies(id) {
        if let Named::Elsewhere(name) = managed {
            let broad = warden_lint::iam::broad_managed_policy(&Value::String(name.clone()));
            let read = broad
                .and_then(|d| read_policy(&name, &d, &mut principal.notes, &mut gaps.identity));
            match read {
                Some(p) => identity.push((name, p)),
                None => {
                    principal.notes.push(format!(
                        "managed policy {name} is not in the template: not evaluated"
                    ));
                    gaps.identity.push(name);
                }
            }
        }
    }
    principal.policies = identity.iter().map(|(n, _)| n.clone()).collect();
    let mut builder = Evaluator::builder();
    for (name, p) in &identity {
        builder = builder.identity_named(name.clone(), p.clone());
    }
    match stack.boundary(id) {
        Some(Named::Here(b)) => {
            let document = stack
                .resource(&b)
                .map(|r| r.properties["PolicyDocument"].clone())
                .unwrap_or_default();
            let mut missing = Vec::new();
            if let Some(p) = read_policy(&b, &document, &mut principal.notes, &mut missing) {
                builder = builder.boundary(p);
            }
            gaps.boundary = missing.pop();
            principal.boundary = Some(b);
        }
        Some(Named::Elsewhere(b)) => {
            principal.notes.push(format!(
                "the permissions boundary {b} is not in the template: not evaluated"
            ));
            gaps.boundary = Some(b.clone());
            principal.boundary = Some(b);
        }
        None => {}
    }
    let mut narrowest: Vec<&Policy> = identity.iter().map(|(_, p)| p).collect();
    match session {
        Some(Ok((policy, json, placeholders))) => {
            builder = builder.session(policy.clone());
            principal.session_policy = Some(json);
            principal.placeholders = placeholders;
            let evaluator = builder.build();
            return finish(principal, evaluator, &[&policy], probes, &gaps);
        }
        Some(Err(reason)) => principal.notes.push(reason),
        None => {}
    }
    if identity.is_empty() {
        principal
            .notes
            .push("no identity policy: every request is implicitly denied".to_owned());
        narrowest.clear();
    }
    let evaluator = builder.build();
    finish(principal, evaluator, &narrowest, probes, &gaps)
}

/// Policies of a principal that could not be (fully) evaluated: a decision they could change
/// is unknown, not denied or allowed.
#[derive(Default)]
struct Gaps {
    /// Identity policies not evaluated, or read with an unresolved value.
    identity: Vec<String>,
    /// The boundary, when not evaluated.
    boundary: Option<String>,
}

impl Gaps {
    /// The decision as shown: (outcome, explanation). An implicit denial for want of an
    /// identity statement is unknown when an identity policy was not evaluated; an allowance
    /// is unknown when the boundary was not.
    fn judge(&self, decision: &Decision) -> (&'static str, String) {
        let why = decision.to_string();
        match decision {
            Decision::ImplicitDeny {
                missing: Layer::Identity,
            } if !self.identity.is_empty() => (
                "unknown",
                format!(
                    "{why}, of those evaluated; not evaluated: {}",
                    self.identity.join(", ")
                ),
            ),
            Decision::Allowed { .. } if self.boundary.is_some() => (
                "unknown",
                format!(
                    "{why}; the permissions boundary {} was not evaluated",
                    self.boundary.as_deref().unwrap_or_default()
                ),
            ),
            _ => (outcome(decision), why),
        }
    }
}

/// Evaluates the requests `named` policies name and the probes.
fn finish(
    mut principal: Principal,
    evaluator: Result<Evaluator, warden_iam::Error>,
    named: &[&Policy],
    probes: &Probes,
    gaps: &Gaps,
) -> Principal {
    let evaluator = match evaluator {
        Ok(e) => e,
        Err(e) => {
            principal
                .notes
                .push(format!("the policies cannot be evaluated: {e}"));
            return principal;
        }
    };
    let mut seen = std::collections::BTreeSet::new();
    let requests = named
        .iter()
        .flat_map(|p| requests_named(p))
        .map(|(a, r)| (a, r, false))
        .chain(
            probes
                .requests
                .iter()
                .map(|(a, r)| (a.clone(), r.clone(), true)),
        );
    for (action, resource, probe) in requests {
        if !seen.insert((action.to_ascii_lowercase(), resource.clone())) {
            continue;
        }
        let context = context_for(&action);
        let mut builder = Context::builder();
        for (k, v) in &context {
            builder = builder.value(k, v.clone());
        }
        let request = Request::builder()
            .action(action.clone())
            .resource(resource.clone())
            .context(builder.build())
            .build();
        let decision = match request {
            Ok(r) => evaluator.evaluate(&r),
            Err(e) => {
                principal
                    .notes
                    .push(format!("{action} on {resource}: not a request ({e})"));
                continue;
            }
        };
        let (decision, why) = gaps.judge(&decision);
        principal.checks.push(Check {
            action,
            resource,
            context,
            decision,
            why,
            probe,
        });
    }
    principal
}

fn outcome(decision: &Decision) -> &'static str {
    if decision.is_allowed() {
        "allowed"
    } else if decision.is_denied() {
        "denied"
    } else {
        "unknown"
    }
}

/// What a handler's request carries that a policy may test: the service a role is passed to
/// (Lambda, by both shipped resources), the SourceIdentity every ticket session has.
fn context_for(action: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if action.eq_ignore_ascii_case("iam:PassRole") {
        out.insert(
            "iam:PassedToService".to_owned(),
            "lambda.amazonaws.com".to_owned(),
        );
    }
    out
}

/// The (action, sample resource) pairs a policy's `Allow` statements name: each listed action
/// without a wildcard, on each listed resource with its wildcards filled.
fn requests_named(policy: &Policy) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for statement in policy.statements() {
        if statement.effect() != Effect::Allow {
            continue;
        }
        let (Polarity::Listed, actions) = statement.actions() else {
            continue;
        };
        let resources: Vec<String> = match statement.resources() {
            Some((Polarity::Listed, list)) => list.iter().map(|r| sample(r)).collect(),
            _ => vec!["*".to_owned()],
        };
        for action in actions.iter().filter(|a| !a.contains(['*', '?'])) {
            for resource in &resources {
                out.push((action.clone(), resource.clone()));
            }
        }
    }
    out
}

/// One resource a pattern matches: `*` and `?` filled with `x` (`*` alone stays).
fn sample(pattern: &str) -> String {
    if pattern == "*" {
        return pattern.to_owned();
    }
    pattern.replace(['*', '?'], "x")
}

/// Reads a policy document of the stack; what cannot be read is noted and the policy's name
/// added to `gaps` (a policy read with an unresolved value too).
fn read_policy(
    name: &str,
    document: &Value,
    notes: &mut Vec<String>,
    gaps: &mut Vec<String>,
) -> Option<Policy> {
    let document = match warden_lint::iam::document(document) {
        Ok(d) => d,
        Err(e) => {
            notes.push(format!("{name}: {e}; not evaluated"));
            gaps.push(name.to_owned());
            return None;
        }
    };
    let before = notes.len();
    let document = unresolved_to_placeholders(name, &document, notes);
    if notes.len() > before {
        gaps.push(name.to_owned());
    }
    match Policy::parse(&document) {
        Ok(p) => Some(p),
        Err(e) => {
            notes.push(format!("{name}: {e}; not evaluated"));
            gaps.push(name.to_owned());
            None
        }
    }
}

/// What a template leaves unresolved in a statement's elements (an attribute the reading does
/// not know): the text `UNRESOLVED(…)`, which matches no request, noted.
fn unresolved_to_placeholders(name: &str, document: &Value, notes: &mut Vec<String>) -> Value {
    fn walk(value: &Value, path: &str, found: &mut Vec<String>) -> Value {
        match value {
            Value::Object(map) if warden_lint::template::is_intrinsic(value) => {
                found.push(format!("{path} = {value}"));
                Value::String(format!(
                    "UNRESOLVED({})",
                    map.keys().next().map_or("", String::as_str)
                ))
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), walk(v, &format!("{path}.{k}"), found)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| walk(v, &format!("{path}[{i}]"), found))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    let mut found = Vec::new();
    let out = walk(document, name, &mut found);
    notes.extend(
        found
            .into_iter()
            .map(|f| format!("unresolved, read as matching nothing: {f}")),
    );
    out
}

/// Requests no policy of a provider should allow: the ways a custom resource's principal
/// escalates.
struct Probes {
    requests: Vec<(String, String)>,
}

impl Probes {
    fn new(stack: &Stack, provider_arn: &str) -> Self {
        let a = stack.assumptions();
        let (p, r, n) = (&a.partition, &a.region, &a.account);
        let role = format!("arn:{p}:iam::{n}:role/any-role");
        let function = format!("arn:{p}:lambda:{r}:{n}:function:any-function");
        let requests = [
            ("iam:PassRole", role.clone()),
            ("iam:CreateRole", role.clone()),
            ("iam:PutRolePolicy", role.clone()),
            ("iam:AttachRolePolicy", role.clone()),
            ("sts:AssumeRole", role),
            ("lambda:CreateFunction", function.clone()),
            ("lambda:UpdateFunctionCode", function),
            ("lambda:UpdateFunctionCode", provider_arn.to_owned()),
            ("lambda:InvokeFunction", provider_arn.to_owned()),
            ("kms:Decrypt", format!("arn:{p}:kms:{r}:{n}:key/any-key")),
            (
                "s3:GetObject",
                format!("arn:{p}:s3:::any-bucket/any-object"),
            ),
            (
                "secretsmanager:GetSecretValue",
                format!("arn:{p}:secretsmanager:{r}:{n}:secret:any-secret"),
            ),
        ];
        Self {
            requests: requests
                .into_iter()
                .map(|(a, r)| (a.to_owned(), r))
                .collect(),
        }
    }
}

/// The explanation as text.
pub(crate) fn text(e: &Explanation) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let a = &e.assumptions;
    let _ = writeln!(
        out,
        "{} (partition {}, region {}, account {}, stack {})",
        e.template,
        a.get("partition").map_or("", String::as_str),
        a.get("region").map_or("", String::as_str),
        a.get("account").map_or("", String::as_str),
        a.get("stack_name").map_or("", String::as_str),
    );
    for n in &e.notes {
        let _ = writeln!(out, "  note: {n}");
    }
    if e.resources.is_empty() && e.providers.is_empty() {
        let _ = writeln!(out, "  no custom resources and no cfn-warden providers");
    }
    for r in &e.resources {
        let _ = writeln!(out, "\n{} ({})", r.logical_id, r.resource_type);
        if let Some(n) = &r.note {
            let _ = writeln!(out, "  note: {n}");
        }
        if let Some(p) = &r.provider {
            provider_text(&mut out, p);
        }
    }
    for p in &e.providers {
        let _ = writeln!(out, "\nprovider {}", p.function);
        provider_text(&mut out, p);
    }
    out
}

fn provider_text(out: &mut String, p: &ProviderExplained) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "  provider: {} in {} ({}), WARDEN_CREDENTIALS={}",
        p.function, p.template, p.arn, p.credentials
    );
    for principal in &p.principals {
        let _ = write!(
            out,
            "  {}: {}",
            principal.kind,
            principal.role.as_deref().unwrap_or("(none)")
        );
        if !principal.policies.is_empty() {
            let _ = write!(out, "; policies {}", principal.policies.join(", "));
        }
        match &principal.boundary {
            Some(b) => {
                let _ = write!(out, "; boundary {b}");
            }
            None => out.push_str("; no boundary"),
        }
        if principal.session_policy.is_some() {
            out.push_str("; ∩ the declared session policy");
        }
        out.push('\n');
        if let Some(s) = &principal.session_policy {
            let _ = writeln!(out, "    declared: {s}");
        }
        for placeholder in &principal.placeholders {
            let _ = writeln!(out, "    placeholder: {placeholder}");
        }
        for note in &principal.notes {
            let _ = writeln!(out, "    note: {note}");
        }
        for c in &principal.checks {
            let _ = write!(
                out,
                "    {:<7} {}{} {}",
                c.decision,
                if c.probe { "probe " } else { "" },
                c.action,
                c.resource
            );
            for (k, v) in &c.context {
                let _ = write!(out, " [{k}={v}]");
            }
            if c.decision == "allowed" {
                out.push('\n');
            } else {
                let _ = writeln!(out, " — {}", c.why);
            }
        }
    }
}
