//! What each shipped resource would declare for a Create, computed from its template
//! properties with the same policy functions the handlers use, for `warden explain`. Values a
//! template leaves to deploy time (a generated function name, an unresolved role) are filled
//! with placeholders that say so.
//!
//! May import: `function::policy`, `pip_layer` (their policy functions).

use cfn_warden::{credentials::SessionPolicy, protocol::RequestType};
use serde_json::Value;

use crate::{function, pip_layer, Error};

/// Where the resource would be created (names are made in this partition, region and
/// account) and the provider settings its policy depends on.
#[derive(Clone, Debug, Default)]
pub struct Target {
    /// `aws`, `aws-cn`, …
    pub partition: String,
    /// The region.
    pub region: String,
    /// The account.
    pub account: String,
    /// The stack name.
    pub stack_name: String,
    /// The resource's logical id.
    pub logical_id: String,
    /// The provider's `WARDEN_LAYER_BUCKET`, if set.
    pub layer_bucket: Option<String>,
}

/// A declared session policy and the placeholders it was computed with.
#[derive(Debug)]
pub struct Declared {
    /// The policy a Create would declare.
    pub policy: SessionPolicy,
    /// Each value the template leaves to deploy time, and the placeholder used.
    pub placeholders: Vec<String>,
}

/// The policy a Create of `resource_type` with `properties` would declare; `None` for a type
/// this provider does not ship.
pub fn on_create(
    resource_type: &str,
    properties: &Value,
    target: &Target,
) -> Option<Result<Declared, Error>> {
    let mut placeholders = Vec::new();
    let mut text = |key: &str, placeholder: String| match properties[key].as_str() {
        Some(v) => v.to_owned(),
        None => {
            placeholders.push(format!("{key}: {placeholder}"));
            placeholder
        }
    };
    let t = target;
    let policy = match resource_type {
        function::RESOURCE_TYPE => {
            let name = text(
                "FunctionName",
                format!("{}-{}-GENERATED", t.stack_name, t.logical_id),
            );
            let role = text(
                "Role",
                format!("arn:{}:iam::{}:role/UNRESOLVED", t.partition, t.account),
            );
            let layers: Vec<String> = properties["Layers"]
                .as_array()
                .map(|l| {
                    l.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let arn = format!(
                "arn:{}:lambda:{}:{}:function:{name}",
                t.partition, t.region, t.account
            );
            function::policy::policy(RequestType::Create, &arn, &role, &layers)
        }
        pip_layer::RESOURCE_TYPE => {
            let name = text("LayerName", format!("{}-GENERATED", t.logical_id));
            let layer = format!(
                "arn:{}:lambda:{}:{}:layer:{name}",
                t.partition, t.region, t.account
            );
            let staging = t.layer_bucket.as_ref().map(|bucket| {
                placeholders.push("the staging prefix's owner digest: OWNER".to_owned());
                format!(
                    "arn:{}:s3:::{bucket}/cfn-warden/layers/{name}/OWNER/*",
                    t.partition
                )
            });
            pip_layer::policy(RequestType::Create, &layer, None, staging.as_deref())
        }
        _ => return None,
    };
    Some(
        policy
            .map(|policy| Declared {
                policy,
                placeholders,
            })
            .map_err(Error::from),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            partition: "aws".into(),
            region: "eu-west-1".into(),
            account: "111122223333".into(),
            stack_name: "app".into(),
            logical_id: "Fn".into(),
            layer_bucket: None,
        }
    }

    #[test]
    fn a_function_declares_its_own_name_and_passes_its_own_role() {
        let props = serde_json::json!({"Role": "arn:aws:iam::111122223333:role/app-fn"});
        let declared = on_create(function::RESOURCE_TYPE, &props, &target())
            .unwrap()
            .unwrap();
        let json = declared.policy.to_json();
        assert!(json.contains("function:app-Fn-GENERATED"), "{json}");
        assert!(
            json.contains("role/app-fn") && json.contains("iam:PassRole"),
            "{json}"
        );
        assert_eq!(
            declared.placeholders.len(),
            1,
            "{:?}",
            declared.placeholders
        );
        assert!(on_create("Custom::Other", &props, &target()).is_none());
    }

    #[test]
    fn a_layer_declares_its_layer_and_its_staging_objects() {
        let props = serde_json::json!({"LayerName": "deps"});
        let mut t = target();
        t.layer_bucket = Some("stage".into());
        let declared = on_create(pip_layer::RESOURCE_TYPE, &props, &t)
            .unwrap()
            .unwrap();
        let json = declared.policy.to_json();
        assert!(json.contains("layer:deps"), "{json}");
        assert!(
            json.contains("arn:aws:s3:::stage/cfn-warden/layers/deps/OWNER/*"),
            "{json}"
        );
    }
}
