//! Arbitrary log lines and CloudTrail records, as `warden audit` reads them: reading never
//! panics, a decision line that reads writes back to JSON that reads again (same decision and
//! result), and a
//! CloudTrail record that reads as an invoke record keeps its request id.
#![no_main]

use cfn_warden::formats::{DecisionLine, InvokeRecord};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(line) = DecisionLine::from_log_line(text) {
        let json = serde_json::to_string(&line).expect("a decision line serialises");
        let again = DecisionLine::from_log_line(&json).expect("a written line reads back");
        assert_eq!(again.decision, line.decision);
        assert_eq!(again.result, line.result);
    }
    let Ok(record) = serde_json::from_str::<serde_json::Value>(text) else { return };
    if let Some(invoke) = InvokeRecord::from_record(&record) {
        let _ = invoke.is_invoke();
    }
});
