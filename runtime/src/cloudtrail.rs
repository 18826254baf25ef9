//! CloudTrail records of Lambda `Invoke` calls: one type for the provider's live lookup
//! (`verify::cloudtrail`) and for audits that join decisions with CloudTrail (trail files,
//! exported JSON, CloudTrail Lake rows).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The columns a CloudTrail Lake query selects, aliased so [`InvokeRecord::from_lake_row`] can
/// read them whatever nesting the store uses.
pub const LAKE_COLUMNS: &str =
    "eventTime AS eventTime, eventName AS eventName, eventSource AS eventSource, \
    requestID AS requestID, userIdentity.arn AS principalArn, userIdentity.invokedBy AS invokedBy, \
    sourceIPAddress AS sourceIPAddress, userAgent AS userAgent";

/// What a CloudTrail record says about one Lambda invoke call. It never holds the payload
/// (CloudTrail does not record it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InvokeRecord {
    /// `eventTime`.
    pub event_time: Option<String>,
    /// `eventName`: `Invoke` for the caller's call; `InvokeExecution` for Lambda's own.
    pub event_name: String,
    /// `eventSource` (`lambda.amazonaws.com`).
    pub event_source: Option<String>,
    /// `requestID`: the Lambda request id (*unverified*: believed equal to the function's
    /// `aws_request_id`).
    pub request_id: Option<String>,
    /// `userIdentity.arn`: who called.
    pub principal_arn: Option<String>,
    /// `userIdentity.invokedBy`: the AWS service that called on the principal's behalf.
    pub invoked_by: Option<String>,
    /// `sourceIPAddress` (a service name when a service called).
    pub source_ip: Option<String>,
    /// `userAgent`.
    pub user_agent: Option<String>,
}

impl InvokeRecord {
    /// Reads a CloudTrail record as trails, CloudWatch Logs and exports hold it.
    pub fn from_record(record: &Value) -> Option<Self> {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        Some(Self {
            event_time: record.get("eventTime").and_then(text),
            event_name: record.get("eventName").and_then(text)?,
            event_source: record.get("eventSource").and_then(text),
            request_id: record.get("requestID").and_then(text),
            principal_arn: record.pointer("/userIdentity/arn").and_then(text),
            invoked_by: record.pointer("/userIdentity/invokedBy").and_then(text),
            source_ip: record.get("sourceIPAddress").and_then(text),
            user_agent: record.get("userAgent").and_then(text),
        })
    }

    /// Reads a CloudTrail Lake result row selected with [`LAKE_COLUMNS`] (each cell is a
    /// one-entry map).
    pub fn from_lake_row(row: &[HashMap<String, String>]) -> Self {
        let cells: HashMap<&str, &str> = row
            .iter()
            .flat_map(|cell| cell.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .collect();
        let get = |k: &str| {
            cells
                .get(k)
                .map(|v| (*v).to_owned())
                .filter(|v| !v.is_empty())
        };
        Self {
            event_time: get("eventTime"),
            event_name: get("eventName").unwrap_or_default(),
            event_source: get("eventSource"),
            request_id: get("requestID"),
            principal_arn: get("principalArn"),
            invoked_by: get("invokedBy"),
            source_ip: get("sourceIPAddress"),
            user_agent: get("userAgent"),
        }
    }

    /// Whether this is the caller's `Invoke` (not Lambda's own `InvokeExecution`).
    pub fn is_invoke(&self) -> bool {
        self.event_name == "Invoke"
    }
}

/// Whether a CloudTrail error code is worth another try (throttling, concurrency limits,
/// service trouble).
#[cfg(feature = "aws")]
pub fn is_transient_lake_error(code: &str) -> bool {
    matches!(
        code,
        "ThrottlingException"
            | "MaxConcurrentQueriesException"
            | "ServiceUnavailableException"
            | "InternalServerException"
    )
}

/// Runs a CloudTrail Lake query (`StartQuery`, then `GetQueryResults` every `poll` until it
/// finishes, reading every page) and returns its rows. Before each wait `out_of_time` is
/// asked; when it says so, the query is cancelled (Lake limits concurrent queries per account)
/// and [`crate::Error::LakeQueryUnfinished`] returned. A failed call is
/// [`crate::Error::LakeQueryCall`] with its code (see [`is_transient_lake_error`]).
#[cfg(feature = "aws")]
pub async fn run_lake_query(
    client: &aws_sdk_cloudtrail::Client,
    sql: &str,
    poll: std::time::Duration,
    out_of_time: &(dyn Fn() -> bool + Send + Sync),
) -> Result<Vec<Vec<HashMap<String, String>>>, crate::Error> {
    use aws_sdk_cloudtrail::{
        error::{DisplayErrorContext, ProvideErrorMetadata},
        types::QueryStatus,
    };
    fn failed<E: ProvideErrorMetadata + std::error::Error>(
        operation: &'static str,
        error: &E,
    ) -> crate::Error {
        crate::Error::LakeQueryCall {
            operation,
            code: error.code().unwrap_or("no error code").to_owned(),
            detail: crate::protocol::truncate_for_message(&DisplayErrorContext(error).to_string()),
        }
    }
    let started = client
        .start_query()
        .query_statement(sql)
        .send()
        .await
        .map_err(|e| failed("StartQuery", &e))?;
    let query_id = started
        .query_id()
        .ok_or_else(|| crate::Error::LakeQueryEnded {
            status: "without a query id".into(),
            message: "StartQuery returned none".into(),
        })?
        .to_owned();
    let mut rows = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .get_query_results()
            .query_id(&query_id)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| failed("GetQueryResults", &e))?;
        match out.query_status() {
            Some(QueryStatus::Finished) => {
                rows.extend(out.query_result_rows().iter().cloned());
                match out.next_token() {
                    Some(next) => token = Some(next.to_owned()),
                    None => return Ok(rows),
                }
            }
            Some(QueryStatus::Queued | QueryStatus::Running) => {
                if out_of_time() {
                    let _ = client.cancel_query().query_id(&query_id).send().await;
                    return Err(crate::Error::LakeQueryUnfinished);
                }
                tokio::time::sleep(poll).await;
            }
            other => {
                return Err(crate::Error::LakeQueryEnded {
                    status: other
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_else(|| "no status".into()),
                    message: out
                        .error_message()
                        .map(crate::protocol::truncate_for_message)
                        .unwrap_or_else(|| "no message".into()),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_trail_records_and_lake_rows_alike() {
        let record = json!({
            "eventTime": "2026-11-22T04:00:00Z", "eventName": "Invoke", "eventSource": "lambda.amazonaws.com",
            "requestID": "r-1", "sourceIPAddress": "cloudformation.amazonaws.com", "userAgent": "cloudformation.amazonaws.com",
            "userIdentity": {"arn": "arn:aws:sts::123456789012:assumed-role/Deployer/alice", "invokedBy": "cloudformation.amazonaws.com"}
        });
        let a = InvokeRecord::from_record(&record).unwrap();
        let row: Vec<HashMap<String, String>> = [
            ("eventTime", "2026-11-22T04:00:00Z"),
            ("eventName", "Invoke"),
            ("eventSource", "lambda.amazonaws.com"),
            ("requestID", "r-1"),
            (
                "principalArn",
                "arn:aws:sts::123456789012:assumed-role/Deployer/alice",
            ),
            ("invokedBy", "cloudformation.amazonaws.com"),
            ("sourceIPAddress", "cloudformation.amazonaws.com"),
            ("userAgent", "cloudformation.amazonaws.com"),
        ]
        .iter()
        .map(|(k, v)| HashMap::from([((*k).to_owned(), (*v).to_owned())]))
        .collect();
        assert_eq!(InvokeRecord::from_lake_row(&row), a);
        assert!(a.is_invoke());
        assert!(InvokeRecord::from_record(&json!({"no": "name"})).is_none());
    }
}
