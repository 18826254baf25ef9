//! A typed multi-resource router: one provider serving several resource types, each by its
//! own [`CustomResource`] with its own properties and permissions, no hand dispatch.

use std::sync::Arc;

use tower::ServiceExt;

use crate::{
    pipeline::{IntoPipeline, Invocation, Outcome, Pipeline, Rejection},
    response::BoxFuture,
    service::CustomResource,
    Error,
};

/// Sends each request to the handler of its `ResourceType`; any other type is answered FAILED
/// (`resource type … is not served by this provider`) without calling a handler.
///
/// ```
/// # use cfn_warden::{Context, Created, CustomResource, Deleted, HandlerError, Updated};
/// # struct Topic; struct Queue;
/// # macro_rules! resource { ($t:ty, $name:literal) => {
/// # impl CustomResource for $t {
/// #     type Properties = serde_json::Map<String, serde_json::Value>;
/// #     const RESOURCE_TYPES: &'static [&'static str] = &[$name];
/// #     async fn create(&self, _: Self::Properties, _: &Context) -> Result<Created, HandlerError> { Ok(Created::new()) }
/// #     async fn update(&self, _: Self::Properties, _: Option<Self::Properties>, _: &Context) -> Result<Updated, HandlerError> { Ok(Updated::keep()) }
/// #     async fn delete(&self, _: Option<Self::Properties>, _: &Context) -> Result<Deleted, HandlerError> { Ok(Deleted) }
/// # } } }
/// # resource!(Topic, "Custom::Topic"); resource!(Queue, "Custom::Queue");
/// use cfn_warden::pipeline::Router;
///
/// let router = Router::builder().resource(Topic).resource(Queue).build()?;
/// // cfn_warden::main(router)
/// # Ok::<(), cfn_warden::Error>(())
/// ```
#[derive(Clone)]
pub struct Router {
    routes: Arc<[(&'static str, Pipeline)]>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.routes.iter().map(|(t, _)| t))
            .finish()
    }
}

impl Router {
    /// Starts a router.
    pub fn builder() -> RouterBuilder {
        RouterBuilder::default()
    }

    /// The resource types served, in the order they were added.
    pub fn resource_types(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.routes.iter().map(|(t, _)| *t)
    }
}

/// Builds a [`Router`].
#[derive(Default)]
#[must_use]
pub struct RouterBuilder {
    routes: Vec<(&'static str, Pipeline)>,
    problem: Option<Error>,
}

impl RouterBuilder {
    /// Serves `handler`'s `RESOURCE_TYPES` with it. A handler that names no type (serves any)
    /// or a type already served makes [`RouterBuilder::build`] fail.
    pub fn resource<H: CustomResource>(mut self, handler: H) -> Self {
        if self.problem.is_some() {
            return self;
        }
        if H::RESOURCE_TYPES.is_empty() {
            self.problem = Some(Error::RouteServesAnyType {
                handler: std::any::type_name::<H>(),
            });
            return self;
        }
        let service = handler.into_pipeline();
        for resource_type in H::RESOURCE_TYPES {
            if self.routes.iter().any(|(t, _)| t == resource_type) {
                self.problem = Some(Error::DuplicateRoute { resource_type });
                return self;
            }
            self.routes.push((resource_type, service.clone()));
        }
        self
    }

    /// The router, or the first problem found.
    pub fn build(self) -> Result<Router, Error> {
        match self.problem {
            Some(problem) => Err(problem),
            None => Ok(Router {
                routes: self.routes.into(),
            }),
        }
    }
}

innermost_service!(Router);

impl Router {
    fn answer(&self, invocation: Invocation) -> BoxFuture<'static, Result<Outcome, Rejection>> {
        let resource_type = invocation.context.request().resource_type();
        let route = self
            .routes
            .iter()
            .find(|(t, _)| *t == resource_type)
            .map(|(_, service)| service.clone());
        match route {
            Some(service) => Box::pin(service.oneshot(invocation)),
            None => {
                let resource_type = resource_type.to_owned();
                Box::pin(async move {
                    Err(Rejection::BadInput(Error::UnsupportedResourceType {
                        resource_type,
                    }))
                })
            }
        }
    }
}
