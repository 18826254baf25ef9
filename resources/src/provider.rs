//! The resources `warden-provider` serves, through the runtime's typed router: the request's
//! ResourceType picks the resource, whose own typed properties (unknown keys refused) and
//! session policy apply. Any other ResourceType is answered FAILED by the framework without
//! calling a handler.

use cfn_warden::{config::Environment, pipeline::Router};

use crate::{function::MultiFileFunction, pip_layer::PipLayer, Error};

/// `Custom::PipLayer` and `Custom::MultiFileFunction`, configured from the environment (see
/// [`crate::pip_layer::env`]; functions use the same index settings for their `Requirements`).
pub fn shipped(environment: &dyn Environment) -> Result<Router, Error> {
    let layers = PipLayer::from_env(environment)?;
    let functions = MultiFileFunction::new(layers.index().clone());
    Ok(Router::builder()
        .resource(layers)
        .resource(functions)
        .build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Env;

    impl Environment for Env {
        fn var(&self, _: &str) -> Option<String> {
            None
        }
    }

    #[test]
    fn the_provider_routes_both_shipped_types_and_nothing_else() {
        let router = shipped(&Env).unwrap();
        assert_eq!(
            router.resource_types().collect::<Vec<_>>(),
            [
                crate::pip_layer::RESOURCE_TYPE,
                crate::function::RESOURCE_TYPE
            ]
        );
    }
}
