//! `hello-resource`: the smallest cfn-warden custom resource.
//!
//! Property `Name` (required); `Fn::GetAtt Resource.Greeting` returns `Hello, <Name>`.
#![forbid(unsafe_code)]

use cfn_warden::{Context, Created, CustomResource, Deleted, HandlerError, Updated};
use serde::Deserialize;

/// The resource.
struct Hello;

/// Its properties.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Properties {
    /// Who to greet.
    name: String,
}

fn greeting(p: &Properties) -> String {
    format!("Hello, {}", p.name)
}

impl CustomResource for Hello {
    type Properties = Properties;

    async fn create(&self, p: Properties, _: &Context) -> Result<Created, HandlerError> {
        Ok(Created::new().data("Greeting", greeting(&p)))
    }

    async fn update(
        &self,
        p: Properties,
        _: Option<Properties>,
        _: &Context,
    ) -> Result<Updated, HandlerError> {
        Ok(Updated::keep().data("Greeting", greeting(&p)))
    }

    async fn delete(&self, _: Option<Properties>, _: &Context) -> Result<Deleted, HandlerError> {
        Ok(Deleted)
    }

    /// A re-signed or re-sealed template changes nothing here: answer the same Greeting.
    async fn unchanged(
        &self,
        p: &Properties,
        _: &Context,
    ) -> Result<Option<Updated>, HandlerError> {
        Ok(Some(Updated::keep().data("Greeting", greeting(p))))
    }
}

fn main() -> std::process::ExitCode {
    cfn_warden::main(Hello)
}
