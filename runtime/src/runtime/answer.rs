//! The answer being assembled: FAILED with the id a failure must carry until a successful
//! outcome of the right kind replaces it.

use crate::{
    pipeline::Outcome,
    protocol::{CfnRequest, Envelope, PhysicalId, RequestType, ResponseData, Status},
};

/// The answer being assembled.
pub(super) struct Answer {
    pub(super) status: Status,
    pub(super) reason: Option<String>,
    pub(super) physical_id: PhysicalId,
    pub(super) is_create: bool,
    pub(super) no_echo: bool,
    pub(super) data: ResponseData,
}

impl Answer {
    /// Starts as a FAILED answer with the id a failure must carry: the event's id for Update
    /// and Delete, the sentinel for Create (or when the event's id is unusable).
    pub(super) fn for_envelope(envelope: &Envelope) -> Self {
        let is_create = envelope.request_type.as_deref() == Some("Create");
        let event_id = envelope
            .physical_resource_id
            .as_deref()
            .filter(|_| !is_create);
        let physical_id = event_id
            .and_then(|id| PhysicalId::from_event(id).ok())
            .unwrap_or_else(|| {
                PhysicalId::failure_sentinel(
                    &envelope.stack_id,
                    &envelope.logical_resource_id,
                    &envelope.request_id,
                )
            });
        Self {
            status: Status::Failed,
            reason: None,
            physical_id,
            is_create,
            no_echo: false,
            data: ResponseData::new(),
        }
    }

    pub(super) fn fail(&mut self, reason: String) {
        self.status = Status::Failed;
        self.reason = Some(reason);
    }

    pub(super) fn fail_with_recorded(&mut self, reason: String, recorded: Option<PhysicalId>) {
        if self.is_create {
            if let Some(id) = recorded {
                self.physical_id = id;
            }
        }
        self.fail(reason);
    }

    /// Takes a successful outcome; refuses one that does not match the request type.
    pub(super) fn succeed(&mut self, outcome: Outcome, request: &CfnRequest) -> Result<(), String> {
        let kind = match &outcome {
            Outcome::Created(_) => RequestType::Create,
            Outcome::Updated(_) | Outcome::Unchanged(_) => RequestType::Update,
            Outcome::Deleted(_) => RequestType::Delete,
        };
        if kind != request.request_type() {
            return Err(format!(
                "the pipeline answered a {} request with a {} result",
                request.request_type(),
                kind
            ));
        }
        if let Outcome::Unchanged(u) = &outcome {
            if u.replacement.is_some() {
                return Err(
                    "a framework-only update cannot replace the resource (unchanged returned a replacement)"
                        .to_owned(),
                );
            }
        }
        self.status = Status::Success;
        self.reason = None;
        let (id, data, no_echo) = match outcome {
            Outcome::Created(c) => (
                Some(c.physical_id.unwrap_or_else(|| {
                    PhysicalId::derived(request.stack(), request.logical_resource_id())
                })),
                c.data,
                c.no_echo,
            ),
            Outcome::Updated(u) | Outcome::Unchanged(u) => (u.replacement, u.data, u.no_echo),
            Outcome::Deleted(_) => (None, ResponseData::new(), false),
        };
        if let Some(id) = id {
            self.physical_id = id;
        }
        self.data = data;
        self.no_echo = no_echo;
        Ok(())
    }
}
