"""Writes a CloudFormation template with about N resources for the lint benchmark.

Usage: python3 generate.py N OUT.yaml
Blocks of 8 resources: an execution role (inline policy, some with wildcards), a function, a
version, an alias, a Lambda permission (some public), a managed policy, a function URL (some
without auth) and a custom resource using the alias. Deterministic for a given N.
"""

import sys

n, out = int(sys.argv[1]), sys.argv[2]
blocks = max(1, n // 8)
lines = ["AWSTemplateFormatVersion: '2010-09-09'", "Parameters:",
         "  Prefix: {Type: String, Default: app-}", "Resources:"]
for i in range(blocks):
    wild = i % 5 == 0
    public = i % 7 == 0
    lines += f"""  Role{i}:
    Type: AWS::IAM::Role
    Properties:
      PermissionsBoundary: !Sub "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/boundary"
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {{Service: lambda.amazonaws.com}}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: work
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: [{'"s3:*"' if wild else 's3:GetObject'}, logs:PutLogEvents]
                Resource: !Sub "arn:${{AWS::Partition}}:s3:::${{Prefix}}bucket-{i}/*"
              - Effect: Allow
                Action: iam:PassRole
                Resource: !Sub "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/${{Prefix}}runtime-{i}"
  Fn{i}:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: !Sub "${{Prefix}}fn-{i}"
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt Role{i}.Arn
      Code: {{ZipFile: "def handler(event, context):\\n    return {i}\\n"}}
  Fn{i}Version:
    Type: AWS::Lambda::Version
    Properties: {{FunctionName: !Ref Fn{i}}}
  Fn{i}Alias:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref Fn{i}
      FunctionVersion: !GetAtt Fn{i}Version.Version
      Name: live
  Fn{i}Permission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Fn{i}Alias
      Principal: {'"*"' if public else 's3.amazonaws.com'}
{'' if public else '      SourceAccount: !Ref AWS::AccountId'}
  Policy{i}:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Action: lambda:InvokeFunction
            Resource: !GetAtt Fn{i}.Arn
  Fn{i}Url:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !Ref Fn{i}Alias
      AuthType: {'NONE' if public else 'AWS_IAM'}
  Custom{i}:
    Type: Custom::Thing
    Properties:
      ServiceToken: !Ref Fn{i}Alias
      Name: thing-{i}
""".splitlines()
with open(out, "w") as f:
    f.write("\n".join(line for line in lines if line.strip() or not line) + "\n")
