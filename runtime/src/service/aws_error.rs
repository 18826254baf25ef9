//! AWS SDK errors as answers: FAILED reasons (the operation, the error code and the service's
//! message, once, bounded, with control characters replaced; never the request, which may hold
//! secrets, and never the SDK's nested debug output), and a Delete whose target is already
//! gone as [`Deleted`].

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::{
    protocol::bounded,
    service::{Deleted, HandlerError},
};

/// The longest service message copied into a reason.
const MESSAGE_LIMIT: usize = 512;

impl HandlerError {
    /// A failed AWS call: `` `Operation` failed: Code: message `` for an error the service
    /// answered, and what went wrong on the way for the others (timeout, unreachable endpoint,
    /// unreadable answer). Pass the operation's name as AWS spells it (`PutParameter`).
    ///
    /// ```
    /// # fn call() -> Result<(), aws_smithy_runtime_api::client::result::SdkError<aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError, aws_smithy_runtime_api::http::Response>> { Ok(()) }
    /// use cfn_warden::HandlerError;
    /// call().map_err(|e| HandlerError::aws("GetCallerIdentity", &e))?;
    /// # Ok::<(), HandlerError>(())
    /// ```
    pub fn aws<E, R>(operation: &str, error: &SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata,
    {
        let operation = bounded(operation, 64);
        let what = match error {
            SdkError::ServiceError(service) => {
                let e = service.err();
                let code = bounded(e.code().unwrap_or("no error code"), 128);
                match e.message().filter(|m| !m.is_empty()) {
                    Some(message) => format!("{code}: {}", bounded(message, MESSAGE_LIMIT)),
                    None => code,
                }
            }
            SdkError::TimeoutError(_) => "the call timed out".to_owned(),
            SdkError::DispatchFailure(failure) if failure.is_timeout() => {
                "the call timed out".to_owned()
            }
            SdkError::DispatchFailure(failure) if failure.is_io() => {
                "the service could not be reached (connection failed)".to_owned()
            }
            SdkError::DispatchFailure(_) => "the request could not be sent".to_owned(),
            SdkError::ResponseError(_) => "the service's answer could not be read".to_owned(),
            SdkError::ConstructionFailure(_) => "the request could not be built".to_owned(),
            _ => "unknown SDK error".to_owned(),
        };
        Self::new(format!("{operation} failed: {what}"))
    }

    /// The same failure with every non-empty value of `secrets` replaced by `[secret]` (some
    /// services echo request fields in their messages, e.g. an environment in a size error).
    #[must_use]
    pub fn scrub<'a>(self, secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut reason = self.reason().to_owned();
        for secret in secrets.into_iter().filter(|s| !s.is_empty()) {
            reason = reason.replace(secret, "[secret]");
        }
        Self::new(reason)
    }
}

impl Deleted {
    /// The answer to a Delete from its AWS call: [`Deleted`] when the call succeeded or the
    /// service said the thing is already gone (`is_gone` tells those errors apart: CloudFormation
    /// retries a Delete, and the retry must succeed), else the call's [`HandlerError::aws`].
    ///
    /// ```
    /// # use aws_sdk_sts::operation::get_caller_identity::{GetCallerIdentityError, GetCallerIdentityOutput};
    /// # fn call() -> Result<GetCallerIdentityOutput, aws_smithy_runtime_api::client::result::SdkError<GetCallerIdentityError, aws_smithy_runtime_api::http::Response>> { Ok(GetCallerIdentityOutput::builder().build()) }
    /// use cfn_warden::{Deleted, HandlerError};
    /// // With SSM: `ssm.delete_parameter().name(id).send().await`, `|e| e.is_parameter_not_found()`.
    /// let answer = Deleted::from_aws("GetCallerIdentity", call(), |_| false)?;
    /// # Ok::<(), HandlerError>(())
    /// ```
    pub fn from_aws<T, E, R>(
        operation: &str,
        result: Result<T, SdkError<E, R>>,
        is_gone: impl FnOnce(&E) -> bool,
    ) -> Result<Self, HandlerError>
    where
        E: ProvideErrorMetadata,
    {
        match result {
            Ok(_) => Ok(Self),
            Err(e) if e.as_service_error().is_some_and(is_gone) => Ok(Self),
            Err(e) => Err(HandlerError::aws(operation, &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_sts::operation::assume_role::AssumeRoleError;
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::{body::SdkBody, error::ErrorMetadata};

    use super::*;

    fn service_error(code: &str, message: Option<&str>) -> SdkError<AssumeRoleError, Response> {
        let mut meta = ErrorMetadata::builder().code(code);
        if let Some(m) = message {
            meta = meta.message(m);
        }
        SdkError::service_error(
            AssumeRoleError::generic(meta.build()),
            Response::new(StatusCode::try_from(403).unwrap(), SdkBody::empty()),
        )
    }

    #[test]
    fn a_service_error_names_the_operation_code_and_message_once() {
        let e = HandlerError::aws(
            "AssumeRole",
            &service_error("AccessDenied", Some("not authorized\nto assume")),
        );
        assert_eq!(
            e.reason(),
            "AssumeRole failed: AccessDenied: not authorized?to assume"
        );
        let e = HandlerError::aws("AssumeRole", &service_error("Throttling", None));
        assert_eq!(e.reason(), "AssumeRole failed: Throttling");
        let long = "x".repeat(5000);
        let e = HandlerError::aws("AssumeRole", &service_error("Big", Some(&long)));
        assert!(e.reason().len() < 700, "{}", e.reason().len());
    }

    #[test]
    fn a_delete_succeeds_when_the_call_did_or_the_thing_is_gone() {
        let gone = |e: &AssumeRoleError| e.meta().code() == Some("NoSuchEntity");
        let ok: Result<(), SdkError<AssumeRoleError, Response>> = Ok(());
        assert!(matches!(Deleted::from_aws("Delete", ok, gone), Ok(Deleted)));
        let missing = Err(service_error("NoSuchEntity", None));
        assert!(matches!(
            Deleted::from_aws::<(), _, _>("Delete", missing, gone),
            Ok(Deleted)
        ));
        let denied = Err(service_error("AccessDenied", Some("no")));
        let error = Deleted::from_aws::<(), _, _>("Delete", denied, gone).unwrap_err();
        assert_eq!(error.reason(), "Delete failed: AccessDenied: no");
    }

    #[test]
    fn failures_without_an_answer_say_what_happened() {
        let e: SdkError<AssumeRoleError, Response> =
            SdkError::timeout_error(std::io::Error::other("slow"));
        assert_eq!(
            HandlerError::aws("AssumeRole", &e).reason(),
            "AssumeRole failed: the call timed out"
        );
        let e: SdkError<AssumeRoleError, Response> =
            SdkError::construction_failure(std::io::Error::other("bad"));
        assert_eq!(
            HandlerError::aws("AssumeRole", &e).reason(),
            "AssumeRole failed: the request could not be built"
        );
    }

    #[test]
    fn secrets_are_scrubbed_from_reasons() {
        let e = HandlerError::new("value hunter2 too long").scrub(["hunter2", ""]);
        assert_eq!(e.reason(), "value [secret] too long");
    }
}
