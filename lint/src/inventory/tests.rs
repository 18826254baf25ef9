//! Unit tests of the inventory: conditions, `Fn::If`, concrete names and the roles a
//! provider holds.

use super::*;

const TEMPLATE: &str = r#"
Parameters:
  Extra:
    Type: CommaDelimitedList
    Default: ""
  Mode:
    Type: String
Conditions:
  HasExtra: !Not [!Equals [!Join ["", !Ref Extra], ""]]
  Unknown: !Equals [!Ref Mode, "x"]
Resources:
  Work:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "${AWS::StackName}-work"
      PermissionsBoundary: !Ref Ceiling
      AssumeRolePolicyDocument: {}
      ManagedPolicyArns: [!Ref Policy, "arn:aws:iam::aws:policy/ReadOnlyAccess"]
  Policy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: lambda:GetFunction
            Resource: !Sub "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:app-*"
          - !If [HasExtra, {Effect: Allow, Action: !Ref Extra, Resource: "*"}, !Ref AWS::NoValue]
          - !If [Unknown, {Effect: Allow, Action: "s3:GetObject", Resource: "*"}, {Effect: Allow, Action: "s3:PutObject", Resource: "*"}]
  OnlyWithExtra:
    Type: AWS::IAM::Policy
    Condition: HasExtra
    Properties:
      Roles: [!Ref Work]
      PolicyDocument: {Statement: [{Effect: Allow, Action: "sqs:*", Resource: "*"}]}
  Ceiling:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: {Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt Work.Arn
      Environment:
        Variables:
          WORK: !GetAtt Work.Arn
"#;

#[test]
fn conditions_choose_branches_and_names_become_concrete() {
    let stack = read(TEMPLATE, &Options::default(), &Assumptions::default()).unwrap();
    assert_eq!(stack.role_of("Fn"), Some(Named::Here("Work".into())));
    assert_eq!(
        stack.environment("Fn")["WORK"],
        "arn:aws:iam::111122223333:role/stack-work"
    );
    assert_eq!(stack.boundary("Work"), Some(Named::Here("Ceiling".into())));
    assert_eq!(
        stack.managed_policies("Work")[1],
        Named::Elsewhere("arn:aws:iam::aws:policy/ReadOnlyAccess".into())
    );
    let documents = stack.role_documents("Work");
    assert_eq!(documents.len(), 1, "{documents:?}");
    let statements = documents[0].1["Statement"].as_array().unwrap();
    // HasExtra is false (default ""), Unknown depends on Mode: both branches.
    assert_eq!(statements.len(), 3, "{statements:?}");
    assert_eq!(
        statements[0]["Resource"],
        "arn:aws:lambda:us-east-1:111122223333:function:app-*"
    );
    assert!(stack.notes().iter().any(|n| n.contains("Unknown")));

    let given = Options::with_parameters(BTreeMap::from([
        ("Extra".to_owned(), "ssm:GetParameter".to_owned()),
        ("Mode".to_owned(), "x".to_owned()),
    ]));
    let stack = read(TEMPLATE, &given, &Assumptions::default()).unwrap();
    let documents = stack.role_documents("Work");
    assert_eq!(documents.len(), 2, "HasExtra holds: {documents:?}");
    assert_eq!(documents[1].0, "OnlyWithExtra");
    let statements = documents[0].1["Statement"].clone();
    assert_eq!(statements.as_array().unwrap().len(), 3, "{statements}");
    assert_eq!(
        statements[1]["Action"],
        serde_json::json!(["ssm:GetParameter"])
    );
    assert_eq!(statements[2]["Action"], "s3:GetObject");
    assert!(stack.notes().is_empty(), "{:?}", stack.notes());
}
