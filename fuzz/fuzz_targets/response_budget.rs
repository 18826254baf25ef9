//! Arbitrary Reason and Data through the 4096-byte budget: the body always fits, is JSON, and
//! keeps the PhysicalResourceId.
#![no_main]

use cfn_warden::{
    protocol::{CfnResponse, PhysicalId, ResponseData, Status},
    response::{fit, MAX_RESPONSE_BYTES},
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let middle = (0..=text.len() / 2).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
    let (reason, value) = text.split_at(middle);
    let mut payload = ResponseData::new();
    payload.insert("Value", value.repeat(1 + data.first().copied().unwrap_or(0) as usize % 4));
    let response = CfnResponse {
        status: if data.len() % 2 == 0 { Status::Success } else { Status::Failed },
        reason: Some(reason.to_owned()),
        physical_resource_id: PhysicalId::new("fuzz-id").unwrap(),
        stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1".into(),
        request_id: "req".into(),
        logical_resource_id: "Logical".into(),
        no_echo: false,
        data: payload,
    };
    let fitted = fit(response);
    assert!(fitted.body.len() <= MAX_RESPONSE_BYTES);
    let parsed: serde_json::Value = serde_json::from_slice(&fitted.body).unwrap();
    assert_eq!(parsed["PhysicalResourceId"], "fuzz-id");
    if parsed["Status"] == "FAILED" {
        assert!(parsed["Reason"].is_string());
    }
});
