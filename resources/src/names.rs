//! Name checks shared by the resource types.

use cfn_warden::HandlerError;
use warden_pip::cut;

/// Checks a Lambda name (`what` is the property, e.g. `FunctionName`) as Lambda does: 1 to
/// `max` letters, digits, `-` or `_` (a name, not an ARN).
pub(crate) fn check_lambda_name(what: &str, name: &str, max: usize) -> Result<(), HandlerError> {
    let ok = (1..=max).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(HandlerError::new(format!(
            "{what} `{}` must be 1-{max} letters, digits, '-' or '_'",
            cut(name)
        )))
    }
}
