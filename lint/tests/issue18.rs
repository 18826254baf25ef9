//! Issue 18's silent passes and false positives, each as a true-positive template (the rule
//! reports it, with the status given) and a false-positive one (the rule stays silent).
#![allow(clippy::unwrap_used, reason = "a panic is how a test fails")]

use warden_lint::{lint, Status};

/// `(what, rule, status, template)`: the rule reports `status` on the template.
const TRUE_POSITIVES: &[(&str, &str, Status, &str)] = &[
    ("broad managed policy on a role", "iam-wildcard-action", Status::Fail, "
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      ManagedPolicyArns: [!Sub 'arn:${AWS::Partition}:iam::aws:policy/IAMFullAccess']
"),
    ("Fn::If in a statement list, the else branch broad", "iam-wildcard-action", Status::Fail, "
Conditions: {C: !Equals [a, b]}
Resources:
  P:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument:
        Statement: !If [C, [{Effect: Allow, Action: s3:GetObject, Resource: '*'}], [{Effect: Allow, Action: '*', Resource: '*'}]]
"),
    ("Fn::If in an Action", "iam-passrole-wildcard", Status::Fail, "
Conditions: {C: !Equals [a, b]}
Resources:
  P:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument:
        Statement: [{Effect: Allow, Action: !If [C, s3:GetObject, iam:PassRole], Resource: '*'}]
"),
    ("a PolicyDocument given as a JSON string", "iam-wildcard-action", Status::Fail, r#"
Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: '{"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}'
"#),
    ("an unresolvable PolicyDocument is UNKNOWN", "iam-wildcard-action", Status::Unknown, "
Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: !ImportValue shared-policy
"),
    ("NotResource with PassRole", "iam-passrole-wildcard", Status::Fail, "
Resources:
  P:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument:
        Statement: [{Effect: Allow, Action: iam:PassRole, NotResource: 'arn:aws:iam::123456789012:role/admin'}]
"),
    ("a user's inline policy", "iam-wildcard-action", Status::Fail, "
Resources:
  U:
    Type: AWS::IAM::User
    Properties:
      Policies: [{PolicyName: p, PolicyDocument: {Statement: [{Effect: Allow, Action: 'lambda:*', Resource: '*'}]}}]
"),
    ("a secret literal in a function's environment", "secret-like-environment", Status::Fail, "
Resources:
  F:
    Type: AWS::Lambda::Function
    Properties:
      Environment: {Variables: {DB_PASSWORD: hunter2}}
"),
    ("a SAM function's Arn as ServiceToken is unqualified", "service-token-unqualified", Status::Fail, "
Transform: AWS::Serverless-2016-10-31
Resources:
  F: {Type: AWS::Serverless::Function, Properties: {Handler: h, Runtime: python3.12, CodeUri: .}}
  C: {Type: Custom::Thing, Properties: {ServiceToken: !GetAtt F.Arn}}
"),
    ("a wildcard after a resource type", "wildcard-in-arn", Status::Fail, "
Resources:
  P:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument:
        Statement: [{Effect: Allow, Action: dynamodb:GetItem, Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/*'}]
"),
    ("two APIs and a queue are three triggers", "multiple-event-triggers", Status::Fail, "
Transform: AWS::Serverless-2016-10-31
Resources:
  Api: {Type: AWS::Serverless::Api, Properties: {StageName: prod}}
  Queue: {Type: AWS::SQS::Queue}
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: h
      Runtime: python3.12
      CodeUri: .
      Events:
        Get: {Type: Api, Properties: {Path: /a, Method: get, RestApiId: !Ref Api}}
        Implicit: {Type: Api, Properties: {Path: /b, Method: get}}
        Messages: {Type: SQS, Properties: {Queue: !GetAtt Queue.Arn}}
"),
    ("permissions of two APIs", "multiple-event-triggers", Status::Fail, "
Resources:
  F: {Type: AWS::Lambda::Function, Properties: {Role: arn:aws:iam::123456789012:role/f}}
  A: {Type: AWS::Lambda::Permission, Properties: {FunctionName: !Ref F, Action: lambda:InvokeFunction, Principal: apigateway.amazonaws.com, SourceArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/a'}}
  B: {Type: AWS::Lambda::Permission, Properties: {FunctionName: !Ref F, Action: lambda:InvokeFunction, Principal: apigateway.amazonaws.com, SourceArn: 'arn:aws:execute-api:us-east-1:123456789012:def456/*/GET/a'}}
"),
    ("an invoke pattern matching the provider's name, held by a user", "provider-escalation", Status::Fail, "
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: {PermissionsBoundary: b, Policies: [{PolicyName: p, PolicyDocument: {Statement: [{Effect: Allow, Action: iam:PassRole, Resource: 'arn:aws:iam::123456789012:role/app'}]}}]}
  Provider: {Type: AWS::Lambda::Function, Properties: {FunctionName: my-provider, Role: !GetAtt Role.Arn}}
  Thing: {Type: Custom::Thing, Properties: {ServiceToken: !GetAtt Provider.Arn, WardenSignature: s}}
  Dev:
    Type: AWS::IAM::User
    Properties:
      Policies: [{PolicyName: p, PolicyDocument: {Statement: [{Effect: Allow, Action: lambda:InvokeFunction, Resource: 'arn:aws:lambda:*:*:function:my-prov*'}]}}]
"),
    ("the provider's own ARN in a group's policy (members by UserToGroupAddition)", "provider-escalation", Status::Fail, "
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: {PermissionsBoundary: b, ManagedPolicyArns: [arn:aws:iam::aws:policy/IAMFullAccess]}
  Provider: {Type: AWS::Lambda::Function, Properties: {Role: !GetAtt Role.Arn}}
  Thing: {Type: Custom::Thing, Properties: {ServiceToken: !GetAtt Provider.Arn, WardenSignature: s}}
  Ops: {Type: AWS::IAM::Group}
  Alice: {Type: AWS::IAM::User}
  Join: {Type: AWS::IAM::UserToGroupAddition, Properties: {GroupName: !Ref Ops, Users: [!Ref Alice]}}
  OpsInvoke:
    Type: AWS::IAM::Policy
    Properties:
      Groups: [!Ref Ops]
      PolicyDocument:
        Statement: [{Effect: Allow, Action: lambda:InvokeFunction, Resource: !Sub 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${Provider}'}]
"),
    ("an invoke pattern that may match a generated provider name", "provider-escalation", Status::Unknown, "
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: {PermissionsBoundary: b, ManagedPolicyArns: [arn:aws:iam::aws:policy/IAMFullAccess]}
  Provider: {Type: AWS::Lambda::Function, Properties: {Role: !GetAtt Role.Arn}}
  Thing: {Type: Custom::Thing, Properties: {ServiceToken: !GetAtt Provider.Arn, WardenSignature: s}}
  Invoke:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement: [{Effect: Allow, Action: lambda:InvokeFunction, Resource: 'arn:aws:lambda:us-east-1:123456789012:function:prod-*'}]
"),
    ("PassRole on a resource that can match no role is an info finding", "passrole-non-role-resource", Status::Fail, "
Resources:
  P:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: [s3:GetObject, iam:PassRole], Resource: 'arn:aws:s3:::*'}
"),
];

/// `(what, rule, template)`: the rule says nothing about the template.
const FALSE_POSITIVES: &[(&str, &str, &str)] = &[
    ("a wildcard after one named bucket, table or API", "wildcard-in-arn", "
Resources:
  P:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: s3:GetObject, Resource: 'arn:aws:s3:::my-bucket/*'}
          - {Effect: Allow, Action: dynamodb:Query, Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/T/*'}
          - {Effect: Allow, Action: execute-api:Invoke, Resource: 'arn:aws:execute-api:us-east-1:123456789012:abc123/*'}
"),
    ("PassRole on resources that can match no role", "iam-passrole-wildcard", "
Resources:
  P:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument:
        Statement: [{Effect: Allow, Action: '*', Resource: 'arn:aws:s3:::*'}]
"),
    ("an SNS topic as ServiceToken", "service-token-unqualified", "
Resources:
  T: {Type: AWS::SNS::Topic}
  A: {Type: Custom::Thing, Properties: {ServiceToken: !Ref T}}
  B: {Type: Custom::Thing, Properties: {ServiceToken: 'arn:aws:sns:us-east-1:123456789012:provider'}}
"),
    ("a principal of this template", "lambda-permission-public", "
Resources:
  R: {Type: AWS::IAM::Role, Properties: {PermissionsBoundary: b}}
  F: {Type: AWS::Lambda::Function, Properties: {Role: !GetAtt R.Arn}}
  P: {Type: AWS::Lambda::Permission, Properties: {FunctionName: !Ref F, Action: lambda:InvokeFunction, Principal: !GetAtt R.Arn}}
"),
    ("references and empty values in a function's environment", "secret-like-environment", "
Resources:
  F:
    Type: AWS::Lambda::Function
    Properties:
      Environment: {Variables: {DB_PASSWORD: '{{resolve:secretsmanager:db}}', API_KEY: !Ref Key, SECRET_ARN: 'arn:aws:secretsmanager:x', TOKEN: ''}}
"),
    ("a narrow managed policy", "iam-wildcard-action", "
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      ManagedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole', 'arn:aws:iam::123456789012:policy/AdministratorAccess']
"),
    ("routes and permissions of one API", "multiple-event-triggers", "
Transform: AWS::Serverless-2016-10-31
Resources:
  Api: {Type: AWS::Serverless::Api, Properties: {StageName: prod}}
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: h
      Runtime: python3.12
      CodeUri: .
      Events:
        Get: {Type: Api, Properties: {Path: /a, Method: get, RestApiId: !Ref Api}}
        Post: {Type: Api, Properties: {Path: /a, Method: post, RestApiId: !Ref Api}}
  Root:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref F
      Action: lambda:InvokeFunction
      Principal: apigateway.amazonaws.com
      SourceArn: !Join ['', ['arn:aws:execute-api:', !Ref 'AWS::Region', ':', !Ref 'AWS::AccountId', ':', !Ref Api, '/*/GET/']]
  Any:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref F
      Action: lambda:InvokeFunction
      Principal: apigateway.amazonaws.com
      SourceArn: !Sub 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*/*/*'
"),
    ("several events of one bucket, and of the implicit API", "multiple-event-triggers", "
Transform: AWS::Serverless-2016-10-31
Resources:
  Bucket: {Type: AWS::S3::Bucket}
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: h
      Runtime: python3.12
      CodeUri: .
      Events:
        Created: {Type: S3, Properties: {Bucket: !Ref Bucket, Events: 's3:ObjectCreated:*'}}
        Removed: {Type: S3, Properties: {Bucket: !Ref Bucket, Events: 's3:ObjectRemoved:*'}}
  G:
    Type: AWS::Serverless::Function
    Properties:
      Handler: h
      Runtime: python3.12
      CodeUri: .
      Events:
        Get: {Type: HttpApi, Properties: {Path: /a, Method: get}}
        Put: {Type: HttpApi, Properties: {Path: /a, Method: put}}
        Post: {Type: HttpApi, Properties: {Path: /a, Method: post}}
"),
    ("an invoke grant held only by the provider's own role", "provider-escalation", "
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      PermissionsBoundary: b
      RoleName: provider-role
      Policies: [{PolicyName: p, PolicyDocument: {Statement: [{Effect: Allow, Action: ['lambda:*', 'iam:PassRole'], Resource: '*'}]}}]
  Provider: {Type: AWS::Lambda::Function, Properties: {Role: !GetAtt Role.Arn}}
  Attached:
    Type: AWS::IAM::Policy
    Properties:
      Roles: [!Ref Role, provider-role]
      PolicyDocument: {Statement: [{Effect: Allow, Action: lambda:InvokeFunction, Resource: 'arn:aws:lambda:*:*:function:*'}]}
  A: {Type: Custom::Thing, Properties: {ServiceToken: !GetAtt Provider.Arn, WardenSignature: s}}
"),
    ("an invoke grant held only by a SAM provider's generated role", "provider-escalation", "
Transform: AWS::Serverless-2016-10-31
Resources:
  SamProvider:
    Type: AWS::Serverless::Function
    Properties:
      Handler: h
      Runtime: python3.12
      CodeUri: .
      Policies: [{Statement: [{Effect: Allow, Action: ['lambda:InvokeFunction', 'lambda:CreateFunction'], Resource: '*'}]}]
  B: {Type: Custom::Thing, Properties: {ServiceToken: !GetAtt SamProvider.Arn, WardenSignature: s}}
"),
    ("invoke patterns that cannot match the provider", "provider-escalation", "
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: {PermissionsBoundary: b, ManagedPolicyArns: [arn:aws:iam::aws:policy/IAMFullAccess]}
  Named: {Type: AWS::Lambda::Function, Properties: {FunctionName: my-provider, Role: !GetAtt Role.Arn}}
  Other: {Type: AWS::Lambda::Function, Properties: {Role: arn:aws:iam::123456789012:role/other}}
  A: {Type: Custom::Thing, Properties: {ServiceToken: !GetAtt Named.Arn, WardenSignature: s}}
  Dev:
    Type: AWS::IAM::User
    Properties:
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: lambda:InvokeFunction, Resource: 'arn:aws:lambda:*:*:function:other-*'}
              - {Effect: Allow, Action: lambda:InvokeFunction, Resource: 'arn:aws:lambda:us-east-1:123456789012:function:literal-name'}
              - {Effect: Allow, Action: lambda:InvokeFunction, Resource: !GetAtt Other.Arn}
              - {Effect: Allow, Action: 'lambda:*', Resource: 'arn:aws:s3:::*'}
"),
    ("a literal name or another function against a generated provider name", "provider-escalation", "
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: {PermissionsBoundary: b, ManagedPolicyArns: [arn:aws:iam::aws:policy/IAMFullAccess]}
  Generated: {Type: AWS::Lambda::Function, Properties: {Role: !GetAtt Role.Arn}}
  Other: {Type: AWS::Lambda::Function, Properties: {FunctionName: other, Role: arn:aws:iam::123456789012:role/other}}
  B: {Type: Custom::Thing, Properties: {ServiceToken: !GetAtt Generated.Arn, WardenSignature: s}}
  Dev:
    Type: AWS::IAM::User
    Properties:
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: lambda:InvokeFunction, Resource: ['arn:aws:lambda:us-east-1:123456789012:function:literal-name', !Sub '${Other.Arn}:*']}
              - {Effect: Allow, Action: lambda:InvokeFunction, NotResource: 'arn:aws:lambda:*:*:function:*'}
"),
    ("an explicit PassRole on a bucket pattern is no role wildcard", "iam-passrole-wildcard", "
Resources:
  P:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: [s3:GetObject, iam:PassRole], Resource: 'arn:aws:s3:::*'}
"),
    ("PassRole on roles, and `*` actions on a bucket", "passrole-non-role-resource", "
Resources:
  R: {Type: AWS::IAM::Role, Properties: {PermissionsBoundary: b}}
  P:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: iam:PassRole
            Resource:
              - !GetAtt R.Arn
              - !Sub '${R.Arn}'
              - !Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${R}'
              - 'arn:aws:iam::123456789012:role/app-*'
          - {Effect: Allow, Action: '*', Resource: 'arn:aws:s3:::bucket/*'}
"),
];

#[test]
fn every_true_positive_is_reported_with_its_status() {
    for (what, rule, status, template) in TRUE_POSITIVES {
        let findings = lint("t.yaml", template).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            findings
                .iter()
                .any(|f| f.rule == *rule && f.status == *status),
            "{what}: no {status:?} {rule} in {findings:#?}"
        );
    }
}

#[test]
fn no_false_positive_is_reported() {
    for (what, rule, template) in FALSE_POSITIVES {
        let findings = lint("t.yaml", template).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            !findings.iter().any(|f| f.rule == *rule),
            "{what}: {rule} fired: {findings:#?}"
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
