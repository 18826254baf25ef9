//! Fitting a response into CloudFormation's 4096-byte limit.

use crate::protocol::{CfnResponse, ResponseData, Status};

/// CloudFormation rejects response bodies over this many bytes (exactly 4096 is accepted).
pub const MAX_RESPONSE_BYTES: usize = 4096;

const TRUNCATION_MARK: &str = "…";

/// What had to change for the response to fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
#[non_exhaustive]
pub enum Adjustment {
    /// `Reason` was cut on a UTF-8 boundary.
    ReasonTruncated {
        /// The body size before cutting.
        original_bytes: usize,
    },
    /// `Data` alone could not fit: the answer became FAILED naming the size, without `Data`.
    DataTooLarge {
        /// The size of the serialised `Data`.
        data_bytes: usize,
        /// The size of the body with it.
        original_bytes: usize,
    },
}

/// A response that fits, with its body.
#[derive(Clone, Debug)]
pub struct Fitted {
    /// The response actually sent.
    pub response: CfnResponse,
    /// Its body: at most [`MAX_RESPONSE_BYTES`] bytes.
    pub body: Vec<u8>,
    /// What was changed, if anything.
    pub adjustment: Option<Adjustment>,
}

/// Makes a response fit: shrink `Reason` first; if `Data` alone cannot fit, answer FAILED naming
/// the size. The PhysicalResourceId is kept either way, so a Create that did create something
/// is still cleaned up by the Delete that follows.
pub fn fit(response: CfnResponse) -> Fitted {
    let body = response.to_body();
    if body.len() <= MAX_RESPONSE_BYTES {
        return Fitted {
            response,
            body,
            adjustment: None,
        };
    }
    let original_bytes = body.len();
    let mut without_reason = response.clone();
    without_reason.reason = Some(String::new());
    if without_reason.to_body().len() + TRUNCATION_MARK.len() <= MAX_RESPONSE_BYTES {
        let (response, body) = truncate_reason(response);
        return Fitted {
            response,
            body,
            adjustment: Some(Adjustment::ReasonTruncated { original_bytes }),
        };
    }
    let data_bytes = serde_json::to_vec(&response.data.to_wire())
        .map(|v| v.len())
        .unwrap_or(0);
    let mut failed = response;
    failed.status = Status::Failed;
    failed.data = ResponseData::new();
    failed.reason = Some(format!(
        "response Data is {data_bytes} bytes, which makes the response {original_bytes} bytes; \
         CloudFormation accepts at most {MAX_RESPONSE_BYTES} bytes"
    ));
    let (response, body) = truncate_reason(failed);
    Fitted {
        response,
        body,
        adjustment: Some(Adjustment::DataTooLarge {
            data_bytes,
            original_bytes,
        }),
    }
}

/// Cuts `Reason` to the longest prefix (on a char boundary) that fits with a trailing mark.
fn truncate_reason(mut response: CfnResponse) -> (CfnResponse, Vec<u8>) {
    let reason = response.reason.take().unwrap_or_default();
    let body_with = |r: &mut CfnResponse, end: usize| {
        r.reason = Some(format!("{}{}", &reason[..end], TRUNCATION_MARK));
        r.to_body()
    };
    response.reason = Some(reason.clone());
    let body = response.to_body();
    if body.len() <= MAX_RESPONSE_BYTES {
        return (response, body);
    }
    let boundaries: Vec<usize> = reason.char_indices().map(|(i, _)| i).collect();
    // Largest k with body(boundaries[k]) <= limit; body size grows with the prefix.
    let (mut lo, mut hi) = (0usize, boundaries.len());
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if body_with(&mut response, boundaries[mid]).len() <= MAX_RESPONSE_BYTES {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let end = boundaries.get(lo).copied().unwrap_or(0);
    let body = body_with(&mut response, end);
    (response, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::PhysicalId;

    fn response(status: Status, reason: Option<String>) -> CfnResponse {
        CfnResponse {
            status,
            reason,
            physical_resource_id: PhysicalId::new("phys").unwrap(),
            stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1".into(),
            request_id: "req".into(),
            logical_resource_id: "Logical".into(),
            no_echo: false,
            data: ResponseData::new(),
        }
    }

    #[test]
    fn small_response_is_untouched() {
        let f = fit(response(Status::Success, None));
        assert!(f.adjustment.is_none());
        assert_eq!(f.body, f.response.to_body());
    }

    #[test]
    fn long_multibyte_reason_is_cut_on_a_char_boundary_to_fit_exactly() {
        for unit in ["é", "😀", "\"", "a", "\u{1}"] {
            let f = fit(response(Status::Failed, Some(unit.repeat(5000))));
            assert!(
                matches!(f.adjustment, Some(Adjustment::ReasonTruncated { .. })),
                "{unit}"
            );
            assert!(f.body.len() <= MAX_RESPONSE_BYTES);
            assert!(
                f.body.len() > MAX_RESPONSE_BYTES - 12,
                "{unit}: {} bytes",
                f.body.len()
            );
            let parsed: serde_json::Value = serde_json::from_slice(&f.body).unwrap();
            assert!(parsed["Reason"]
                .as_str()
                .unwrap()
                .ends_with(TRUNCATION_MARK));
            assert_eq!(parsed["Status"], "FAILED");
        }
    }

    #[test]
    fn exactly_4096_bytes_is_accepted() {
        let base = response(Status::Failed, Some(String::new()))
            .to_body()
            .len();
        let f = fit(response(
            Status::Failed,
            Some("x".repeat(MAX_RESPONSE_BYTES - base)),
        ));
        assert_eq!(f.body.len(), MAX_RESPONSE_BYTES);
        assert!(f.adjustment.is_none());
    }

    #[test]
    fn worst_case_ids_still_fit() {
        // The largest ids the consistency check and PhysicalId admit, with escaping at its
        // worst (every `"` of the PhysicalResourceId doubles).
        let mut r = response(Status::Success, Some("é".repeat(3000)));
        r.physical_resource_id = PhysicalId::new("\"".repeat(1024)).unwrap();
        r.request_id = "r".repeat(256);
        r.logical_resource_id = "L".repeat(255);
        r.stack_id = format!(
            "arn:aws-us-gov:cloudformation:us-gov-west-1:123456789012:stack/{}/{}",
            "s".repeat(128),
            "i".repeat(64)
        );
        r.data.insert("Blob", "x".repeat(10_000));
        let f = fit(r);
        assert!(f.body.len() <= MAX_RESPONSE_BYTES, "{} bytes", f.body.len());
        assert!(
            f.response.reason.unwrap().len() > 100,
            "room is left for a useful reason"
        );
    }

    #[test]
    fn oversized_data_becomes_failed_naming_the_size_and_keeps_the_id() {
        let mut r = response(Status::Success, None);
        r.data.insert("Blob", "x".repeat(5000));
        let f = fit(r);
        let Some(Adjustment::DataTooLarge { data_bytes, .. }) = f.adjustment else {
            panic!("{:?}", f.adjustment)
        };
        assert_eq!(data_bytes, r#"{"Blob":""}"#.len() + 5000);
        assert_eq!(f.response.status, Status::Failed);
        assert!(f.response.data.is_empty());
        assert_eq!(f.response.physical_resource_id.as_str(), "phys");
        let reason = f.response.reason.unwrap();
        assert!(reason.contains(&format!("{data_bytes} bytes")), "{reason}");
        assert!(f.body.len() <= MAX_RESPONSE_BYTES);
    }
}
