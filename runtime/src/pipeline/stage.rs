//! The one before-handler layer: a [`Stage`] runs, then the inner service, unless it refused.

use std::{
    sync::Arc,
    task::{Context as TaskContext, Poll},
};

use crate::{
    pipeline::{Invocation, Outcome, Rejection},
    response::BoxFuture,
};

/// Work done before the inner service: read the request, record checks, reserve property keys,
/// add extensions for the handler, or refuse. Verifier rules and the ticket layer are stages.
pub trait Stage: Send + Sync + 'static {
    /// Runs before the inner service; an error stops the request there.
    fn before<'a>(&'a self, invocation: &'a mut Invocation)
        -> BoxFuture<'a, Result<(), Rejection>>;
}

/// The tower layer running a [`Stage`] before the service it wraps.
pub struct StageLayer<T: ?Sized> {
    stage: Arc<T>,
}

impl<T: ?Sized> Clone for StageLayer<T> {
    fn clone(&self) -> Self {
        Self {
            stage: self.stage.clone(),
        }
    }
}

impl<T: Stage> StageLayer<T> {
    /// Wraps a stage.
    pub fn new(stage: T) -> Self {
        Self {
            stage: Arc::new(stage),
        }
    }
}

impl<T: Stage + ?Sized> StageLayer<T> {
    /// Wraps a shared stage.
    pub fn shared(stage: Arc<T>) -> Self {
        Self { stage }
    }
}

impl<T: ?Sized, S> tower::Layer<S> for StageLayer<T> {
    type Service = StageService<T, S>;
    fn layer(&self, inner: S) -> Self::Service {
        StageService {
            stage: self.stage.clone(),
            inner,
        }
    }
}

/// The service a [`StageLayer`] builds.
pub struct StageService<T: ?Sized, S> {
    stage: Arc<T>,
    inner: S,
}

impl<T: ?Sized, S: Clone> Clone for StageService<T, S> {
    fn clone(&self) -> Self {
        Self {
            stage: self.stage.clone(),
            inner: self.inner.clone(),
        }
    }
}

impl<T, S> tower::Service<Invocation> for StageService<T, S>
where
    T: Stage + ?Sized,
    S: tower::Service<Invocation, Response = Outcome, Error = Rejection> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Outcome;
    type Error = Rejection;
    type Future = BoxFuture<'static, Result<Outcome, Rejection>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Rejection>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let stage = self.stage.clone();
        // The clone is not ready; the ready one (polled above) serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let mut invocation = invocation;
            stage.before(&mut invocation).await?;
            inner.call(invocation).await
        })
    }
}
