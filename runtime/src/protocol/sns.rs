//! SNS-backed custom resources: a request whose `ServiceToken` is an SNS topic reaches the
//! function as an SNS notification, with the request as the JSON string
//! `Records[0].Sns.Message` (shape as in real deliveries, 2016–2021: `EventSource` `aws:sns`,
//! `Sns.Type` `Notification`, `Sns.TopicArn`, `Sns.Subject` "AWS CloudFormation custom
//! resource request").
//!
//! This module only unwraps the notification. Whether SNS delivery is allowed at all, and for
//! which topics, is the consistency check's decision (`WARDEN_SNS_TOPICS`). The envelope's SNS
//! signature is **not** verified: anyone who may invoke the function can wrap a forged request
//! in a forged notification, so SNS delivery earns no trust; every other check applies as to a
//! direct invocation.

use serde_json::Value;

use super::arn::ArnHead;
use crate::Error;

/// A parsed SNS topic ARN: `arn:<partition>:sns:<region>:<account>:<name>`.
#[derive(Clone, PartialEq, Eq)]
pub struct TopicArn {
    head: ArnHead,
}

impl std::fmt::Debug for TopicArn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopicArn")
            .field("raw", &self.head.raw)
            .field("partition", &self.head.partition)
            .field("region", &self.head.region)
            .field("account", &self.head.account)
            .finish()
    }
}

impl TopicArn {
    /// Parses a topic ARN; every part is checked.
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let invalid = |problem: &'static str| Error::InvalidSnsDelivery { problem };
        let parts: Vec<&str> = raw.split(':').collect();
        let [arn, partition, service, region, account, name] = parts[..] else {
            return Err(invalid(
                "TopicArn is not an arn:<partition>:sns:<region>:<account>:<name> ARN",
            ));
        };
        let name_ok = (1..=256).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        let head = ArnHead::checked(raw, partition, region, account).ok();
        match head {
            Some(head) if arn == "arn" && service == "sns" && name_ok => Ok(Self { head }),
            _ => Err(invalid(
                "TopicArn is not an arn:<partition>:sns:<region>:<account>:<name> ARN",
            )),
        }
    }

    super::arn::arn_accessors!("topic");
}

/// Whether a parsed event is an SNS notification (has a `Records` array) rather than a
/// CloudFormation request.
pub fn is_notification(event: &Value) -> bool {
    event.get("Records").is_some_and(Value::is_array)
}

/// Unwraps an SNS notification: the topic that delivered it and the request it carries.
/// Exactly one record, from `aws:sns`, of type `Notification`, whose message is a JSON
/// object.
pub fn unwrap(event: &Value) -> Result<(TopicArn, Value), Error> {
    let invalid = |problem: &'static str| Error::InvalidSnsDelivery { problem };
    let records = event
        .get("Records")
        .and_then(Value::as_array)
        .ok_or(invalid("has no Records array"))?;
    let [record] = records.as_slice() else {
        return Err(invalid("does not hold exactly one record"));
    };
    if record.get("EventSource").and_then(Value::as_str) != Some("aws:sns") {
        return Err(invalid("record's EventSource is not aws:sns"));
    }
    let sns = record
        .get("Sns")
        .filter(|s| s.is_object())
        .ok_or(invalid("record has no Sns object"))?;
    if sns.get("Type").and_then(Value::as_str) != Some("Notification") {
        return Err(invalid("Sns.Type is not Notification"));
    }
    let topic = sns
        .get("TopicArn")
        .and_then(Value::as_str)
        .ok_or(invalid("Sns.TopicArn is missing or not a string"))?;
    let topic = TopicArn::parse(topic)?;
    let message = sns
        .get("Message")
        .and_then(Value::as_str)
        .ok_or(invalid("Sns.Message is missing or not a string"))?;
    let request: Value =
        serde_json::from_str(message).map_err(|_| invalid("Sns.Message is not JSON"))?;
    if !request.is_object() {
        return Err(invalid("Sns.Message is not a JSON object"));
    }
    Ok((topic, request))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn notification(message: &str) -> Value {
        json!({"Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": "arn:aws:sns:us-west-2:933693344490:opsee-cfn-callback:0263cdc7",
            "Sns": {
                "Type": "Notification",
                "TopicArn": "arn:aws:sns:us-west-2:933693344490:opsee-cfn-callback",
                "Subject": "AWS CloudFormation custom resource request",
                "Message": message,
            }
        }]})
    }

    #[test]
    fn a_notification_is_unwrapped() {
        let event = notification(r#"{"RequestType":"Create"}"#);
        assert!(is_notification(&event));
        let (topic, request) = unwrap(&event).unwrap();
        assert_eq!(topic.region(), "us-west-2");
        assert_eq!(topic.account(), "933693344490");
        assert_eq!(request["RequestType"], "Create");
        assert!(!is_notification(&json!({"RequestType": "Create"})));
    }

    #[test]
    fn malformed_notifications_are_named() {
        let good = notification("{}");
        let mut two = good.clone();
        let record = two["Records"][0].clone();
        two["Records"].as_array_mut().unwrap().push(record);
        let mut source = good.clone();
        source["Records"][0]["EventSource"] = json!("aws:sqs");
        let mut kind = good.clone();
        kind["Records"][0]["Sns"]["Type"] = json!("SubscriptionConfirmation");
        let mut topic = good.clone();
        topic["Records"][0]["Sns"]["TopicArn"] =
            json!("arn:aws:lambda:us-west-2:933693344490:function:x");
        for (event, needle) in [
            (json!({"Records": []}), "exactly one record"),
            (two, "exactly one record"),
            (source, "EventSource"),
            (kind, "Notification"),
            (topic, "TopicArn is not"),
            (notification("not json"), "not JSON"),
            (notification("[1]"), "not a JSON object"),
        ] {
            let err = unwrap(&event).unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
        }
    }
}
