//! Issue 18's silent passes and false positives, each as a template under `tests/cases/`:
//! `reported/` (the rule reports it, with the status its first line gives) and `silent/` (the
//! rule stays silent).
#![cfg(test)] // clippy.toml: test code may unwrap and expect

use warden_lint::{lint, Status};

/// One template of `tests/cases/`: its first line says `# <rule> <status>: <what>`, where
/// status is `fail`, `unknown` or `silent` (the rule reports nothing).
struct Case {
    file: String,
    rule: String,
    expected: Option<Status>,
    what: String,
    template: String,
}

/// The cases of `folder`, which must hold exactly `expected` files (a file lost in a move
/// fails the test instead of shrinking it).
fn cases(folder: &str, expected: usize) -> Vec<Case> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let cases: Vec<Case> = files
        .iter()
        .map(|path| {
            let file = path.display().to_string();
            let template = std::fs::read_to_string(path).unwrap();
            let header = template.lines().next().unwrap_or_default();
            let (expectation, what) = header
                .strip_prefix("# ")
                .and_then(|h| h.split_once(": "))
                .unwrap_or_else(|| panic!("{file}: no `# <rule> <status>: <what>` line"));
            let (rule, status) = expectation.split_once(' ').unwrap();
            let expected = match status {
                "fail" => Some(Status::Fail),
                "unknown" => Some(Status::Unknown),
                "silent" => None,
                other => panic!("{file}: unknown status {other}"),
            };
            Case {
                rule: rule.to_owned(),
                expected,
                what: what.to_owned(),
                file,
                template,
            }
        })
        .collect();
    assert_eq!(cases.len(), expected, "cases in {}", dir.display());
    cases
}

#[test]
fn every_true_positive_is_reported_with_its_status() {
    for case in cases("reported", 16) {
        let Case {
            file, rule, what, ..
        } = &case;
        let status = case
            .expected
            .unwrap_or_else(|| panic!("{file}: silent in reported/"));
        let findings = lint("t.yaml", &case.template).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(
            findings
                .iter()
                .any(|f| f.rule == rule && f.status == status),
            "{file} ({what}): no {status:?} {rule} in {findings:#?}"
        );
    }
}

#[test]
fn no_false_positive_is_reported() {
    for case in cases("silent", 14) {
        let Case {
            file, rule, what, ..
        } = &case;
        assert!(case.expected.is_none(), "{file}: not silent in silent/");
        let findings = lint("t.yaml", &case.template).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(
            !findings.iter().any(|f| f.rule == rule),
            "{file} ({what}): {rule} fired: {findings:#?}"
        );
    }
}

/// `provider-escalation` names who holds an IAM invoke grant: a group with its members (from
/// users' `Groups` and `AWS::IAM::UserToGroupAddition`), a user, a role; `NotResource` that
/// leaves the provider out is a grant.
#[test]
fn provider_escalation_names_the_holders_of_invoke_grants() {
    let template = "
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: {PermissionsBoundary: b, ManagedPolicyArns: [arn:aws:iam::aws:policy/IAMFullAccess]}
  Provider: {Type: AWS::Lambda::Function, Properties: {FunctionName: prov, Role: !GetAtt Role.Arn}}
  Thing: {Type: Custom::Thing, Properties: {ServiceToken: !GetAtt Provider.Arn, WardenSignature: s}}
  Ops: {Type: AWS::IAM::Group, Properties: {GroupName: ops}}
  Alice: {Type: AWS::IAM::User, Properties: {Groups: [ops]}}
  Bob: {Type: AWS::IAM::User}
  Join: {Type: AWS::IAM::UserToGroupAddition, Properties: {GroupName: !Ref Ops, Users: [!Ref Bob]}}
  Invoke:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement: [{Effect: Allow, Action: 'lambda:Invoke*', NotResource: 'arn:aws:lambda:*:*:function:other'}]
  Carol: {Type: AWS::IAM::User, Properties: {ManagedPolicyArns: [!Ref Invoke]}}
  Attach: {Type: AWS::IAM::Policy, Properties: {Groups: [ops], PolicyDocument: {Statement: [{Effect: Allow, Action: lambda:InvokeFunction, Resource: !GetAtt Provider.Arn}]}}}
";
    let findings = lint("t.yaml", template).unwrap();
    let hit = findings
        .iter()
        .find(|f| f.rule == "provider-escalation")
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(hit.status, Status::Fail);
    for part in [
        "Attach (lambda:InvokeFunction on `${Provider.Arn}`, held by group Ops (users Alice, Bob))",
        "Invoke (lambda:InvokeFunction on everything but `arn:aws:lambda:*:*:function:other`, held by user Carol)",
    ] {
        assert!(hit.message.contains(part), "{part} not in {}", hit.message);
    }
}
