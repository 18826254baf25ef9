//! The typed router: each resource type to its own handler, a Delete whose properties no
//! longer parse, and permissions refused with the handler's own reason.

use cfn_warden::pipeline::Router;

use super::*;

/// A second resource type with strict properties whose Delete needs only the physical id.
struct Other {
    calls: Arc<AtomicUsize>,
    unparsed_deletes: Arc<AtomicUsize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OtherProps {
    size: u32,
}

impl CustomResource for Other {
    type Properties = OtherProps;
    const RESOURCE_TYPES: &'static [&'static str] = &["Custom::Other"];

    async fn create(&self, _: OtherProps, _: &Context) -> Result<Created, HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(Created::new().data("Served", "other"))
    }
    async fn update(
        &self,
        _: OtherProps,
        _: Option<OtherProps>,
        _: &Context,
    ) -> Result<Updated, HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(Updated::keep())
    }
    async fn delete(&self, p: Option<OtherProps>, _: &Context) -> Result<Deleted, HandlerError> {
        match p {
            Some(_) => self.calls.fetch_add(1, Ordering::SeqCst),
            None => self.unparsed_deletes.fetch_add(1, Ordering::SeqCst),
        };
        Ok(Deleted)
    }
    fn permissions(
        &self,
        p: &OtherProps,
        _: &Context,
    ) -> Result<cfn_warden::credentials::SessionPolicy, HandlerError> {
        if p.size > 100 {
            return Err(HandlerError::new("Size over 100 needs a bigger quota"));
        }
        Ok(cfn_warden::credentials::SessionPolicy::none())
    }
}

fn of_type(mut event: Value, resource_type: &str) -> Value {
    event["ResourceType"] = json!(resource_type);
    event
}

/// A router over `TestResource` (Custom::Hello) and `Other` (Custom::Other).
fn routed() -> (Harness, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let hello_calls = Arc::new(AtomicUsize::new(0));
    let other_calls = Arc::new(AtomicUsize::new(0));
    let unparsed = Arc::new(AtomicUsize::new(0));
    let seen_old = Arc::new(Mutex::new(None));
    let router = Router::builder()
        .resource(TestResource {
            calls: hello_calls.clone(),
            behaviour: Behaviour::Greet,
            seen_old: seen_old.clone(),
        })
        .resource(Other {
            calls: other_calls.clone(),
            unparsed_deletes: unparsed.clone(),
        })
        .build()
        .unwrap();
    (
        Harness::serving(
            router,
            Duration::from_secs(10),
            hello_calls,
            seen_old,
            |b| b,
        ),
        other_calls,
        unparsed,
    )
}

#[tokio::test]
async fn the_router_sends_each_type_to_its_own_handler_and_fails_others() {
    let (h, other_calls, _) = routed();
    let (answer, _) = h.send(&fixture("create.json")).await;
    let answer = answer.unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["Data"]["Greeting"], "Hello, World");
    assert_eq!(h.calls.load(Ordering::SeqCst), 1);

    let mut other = of_type(fixture("create.json"), "Custom::Other");
    other["ResourceProperties"] = json!({"ServiceToken": FUNCTION, "Size": 3});
    let (answer, _) = h.send(&other).await;
    let answer = answer.unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["Data"]["Served"], "other");
    assert_eq!(other_calls.load(Ordering::SeqCst), 1);
    assert_eq!(h.calls.load(Ordering::SeqCst), 1);

    // Each type's own properties apply: Custom::Other's are not Custom::Hello's.
    let (answer, line) = h
        .send(&of_type(fixture("create.json"), "Custom::Other"))
        .await;
    let answer = answer.unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert_eq!(serde_json::to_value(line.result).unwrap(), "bad-input");

    let (answer, line) = h
        .send(&of_type(fixture("create.json"), "Custom::Unserved"))
        .await;
    let answer = answer.unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert!(
        answer["Reason"]
            .as_str()
            .unwrap()
            .contains("`Custom::Unserved` is not served by this provider"),
        "{answer}"
    );
    assert_eq!(serde_json::to_value(line.result).unwrap(), "bad-input");
    assert_eq!(other_calls.load(Ordering::SeqCst), 1);
    assert_eq!(h.calls.load(Ordering::SeqCst), 1);
}

#[test]
fn a_router_refuses_a_catch_all_handler_and_a_type_served_twice() {
    let error = Router::builder()
        .resource(cfn_warden_test::AcceptAll)
        .build()
        .unwrap_err();
    assert!(
        matches!(error, cfn_warden::Error::RouteServesAnyType { .. }),
        "{error}"
    );
    let other = || Other {
        calls: Arc::default(),
        unparsed_deletes: Arc::default(),
    };
    let error = Router::builder()
        .resource(other())
        .resource(other())
        .build()
        .unwrap_err();
    assert!(
        matches!(
            error,
            cfn_warden::Error::DuplicateRoute {
                resource_type: "Custom::Other"
            }
        ),
        "{error}"
    );
}

#[tokio::test]
async fn a_delete_whose_properties_no_longer_parse_reaches_the_handler_without_them() {
    let (h, other_calls, unparsed) = routed();
    let mut stale = of_type(fixture("delete.json"), "Custom::Other");
    stale["ResourceProperties"] = json!({"ServiceToken": FUNCTION, "Size": "large", "Old": 1});
    let (answer, line) = h.send(&stale).await;
    let answer = answer.unwrap();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(unparsed.load(Ordering::SeqCst), 1);
    assert_eq!(other_calls.load(Ordering::SeqCst), 0);
    let check = line
        .checks
        .iter()
        .find(|c| c.name == "unparsed-delete")
        .expect("the unparsed Delete is on the decision line");
    assert!(check.evidence["unparsed"]
        .as_str()
        .unwrap()
        .contains("Size"));
    // The same properties on a Create are refused, naming the property.
    let mut create = stale.clone();
    create["RequestType"] = json!("Create");
    create.as_object_mut().unwrap().remove("PhysicalResourceId");
    let (answer, line) = h.send(&create).await;
    let answer = answer.unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert!(
        answer["Reason"].as_str().unwrap().contains("`Size`"),
        "{answer}"
    );
    assert_eq!(serde_json::to_value(line.result).unwrap(), "bad-input");
    assert_eq!(unparsed.load(Ordering::SeqCst), 1);
    // Parsed properties reach `delete` as Some.
    let mut fine = of_type(fixture("delete.json"), "Custom::Other");
    fine["ResourceProperties"] = json!({"ServiceToken": FUNCTION, "Size": 3});
    let (answer, _) = h.send(&fine).await;
    assert_eq!(answer.unwrap()["Status"], "SUCCESS");
    assert_eq!(other_calls.load(Ordering::SeqCst), 1);
    assert_eq!(unparsed.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn permissions_may_refuse_with_the_handler_s_own_reason() {
    let (h, other_calls, _) = routed();
    let mut big = of_type(fixture("create.json"), "Custom::Other");
    big["ResourceProperties"] = json!({"ServiceToken": FUNCTION, "Size": 500});
    let (answer, line) = h.send(&big).await;
    let answer = answer.unwrap();
    assert_eq!(answer["Status"], "FAILED");
    assert_eq!(answer["Reason"], "Size over 100 needs a bigger quota");
    assert_eq!(serde_json::to_value(line.result).unwrap(), "handler-error");
    assert_eq!(other_calls.load(Ordering::SeqCst), 0);
}
