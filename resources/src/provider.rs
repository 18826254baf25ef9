//! The resources `warden-provider` serves, behind one handler: the request's ResourceType picks
//! the resource, whose own typed properties (unknown keys refused) and session policy apply.
//! Any other ResourceType is answered FAILED by the framework without calling a handler.

use cfn_warden::{
    config::Environment, credentials::SessionPolicy, service::parse_properties, Context, Created,
    CustomResource, Deleted, HandlerError, RequestType, Updated,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::{
    function::{self, MultiFileFunction},
    pip_layer::{self, PipLayer},
    Error,
};

/// `Custom::PipLayer` and `Custom::MultiFileFunction`.
#[derive(Debug)]
pub struct Shipped {
    layers: PipLayer,
    functions: MultiFileFunction,
}

impl Shipped {
    /// Both resources, configured from the environment (see [`pip_layer::env`]; functions use
    /// the same index settings for their `Requirements`).
    pub fn from_env(environment: &dyn Environment) -> Result<Self, Error> {
        let layers = PipLayer::from_env(environment)?;
        Ok(Self {
            functions: MultiFileFunction::new(layers.index().clone()),
            layers,
        })
    }
}

/// The resource a request is for.
enum Which {
    Layer,
    Function,
}

fn which(ctx: &Context) -> Which {
    if ctx.request().resource_type() == function::RESOURCE_TYPE {
        Which::Function
    } else {
        Which::Layer
    }
}

fn typed<P: DeserializeOwned>(properties: &Map<String, Value>) -> Result<P, cfn_warden::Error> {
    // The framework already removed its own keys (ServiceToken, signature, ticket).
    parse_properties(properties, &[], false)
}

fn handler_error(error: cfn_warden::Error) -> HandlerError {
    HandlerError::new(error.to_string())
}

impl CustomResource for Shipped {
    type Properties = Map<String, Value>;

    const RESOURCE_TYPES: &'static [&'static str] =
        &[pip_layer::RESOURCE_TYPE, function::RESOURCE_TYPE];

    fn permissions(
        &self,
        p: &Map<String, Value>,
        ctx: &Context,
    ) -> Result<SessionPolicy, cfn_warden::Error> {
        match which(ctx) {
            Which::Layer => self.layers.permissions(&typed(p)?, ctx),
            // A Delete needs only the physical id: stored properties that no longer parse
            // (written by an older provider) must not block it.
            Which::Function if ctx.request().request_type() == RequestType::Delete => {
                self.functions.delete_permissions(ctx)
            }
            Which::Function => self.functions.permissions(&typed(p)?, ctx),
        }
    }

    fn unchanged_permissions(
        &self,
        p: &Map<String, Value>,
        ctx: &Context,
    ) -> Result<SessionPolicy, cfn_warden::Error> {
        match which(ctx) {
            // A layer's Data (packages, sizes) come from its build: its Update runs in full.
            Which::Layer => Ok(SessionPolicy::none()),
            Which::Function => self.functions.read_back_permissions(&typed(p)?, ctx),
        }
    }

    async fn unchanged(
        &self,
        p: &Map<String, Value>,
        ctx: &Context,
    ) -> Result<Option<Updated>, HandlerError> {
        match which(ctx) {
            Which::Layer => Ok(None),
            Which::Function => {
                self.functions
                    .unchanged_function(&typed(p).map_err(handler_error)?, ctx)
                    .await
            }
        }
    }

    async fn create(&self, p: Map<String, Value>, ctx: &Context) -> Result<Created, HandlerError> {
        match which(ctx) {
            Which::Layer => {
                self.layers
                    .create(typed(&p).map_err(handler_error)?, ctx)
                    .await
            }
            Which::Function => {
                self.functions
                    .create(typed(&p).map_err(handler_error)?, ctx)
                    .await
            }
        }
    }

    async fn update(
        &self,
        p: Map<String, Value>,
        old: Option<Map<String, Value>>,
        ctx: &Context,
    ) -> Result<Updated, HandlerError> {
        match which(ctx) {
            Which::Layer => {
                let old = old.and_then(|o| typed(&o).ok());
                self.layers
                    .update(typed(&p).map_err(handler_error)?, old, ctx)
                    .await
            }
            Which::Function => {
                let old = old.and_then(|o| typed(&o).ok());
                self.functions
                    .update(typed(&p).map_err(handler_error)?, old, ctx)
                    .await
            }
        }
    }

    async fn delete(&self, p: Map<String, Value>, ctx: &Context) -> Result<Deleted, HandlerError> {
        match which(ctx) {
            Which::Layer => {
                self.layers
                    .delete(typed(&p).map_err(handler_error)?, ctx)
                    .await
            }
            Which::Function => self.functions.delete_function(ctx).await,
        }
    }
}
