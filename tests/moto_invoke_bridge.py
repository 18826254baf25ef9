"""moto_server whose Lambda invocations reach a local Lambda Runtime API instead of Docker.

moto runs a function by starting a Docker container; the test machines have no Docker. This
launcher replaces that one step: moto's `LambdaFunction.invoke` POSTs the payload, and the ARN
it was invoked as, to WARDEN_MOTO_INVOKE_BRIDGE (the harness's LocalLambda, which hands it to
the real provider binary through the Runtime API). Everything else is moto unchanged, including
the custom-resource event its CloudFormation builds. moto builds that event's ResponseURL from
its Docker host name; here it is its own loopback address (MOTO_PORT must be the server port).

moto's CloudFormation also sends custom resources only a Create (it deletes them silently and
fails an UpdateStack that keeps a defaulted parameter's previous value). This launcher adds what CloudFormation
does: an Update event (with OldResourceProperties and the PhysicalResourceId the provider
answered) when a custom resource's properties change, a Delete event when it is deleted, the
stack in UPDATE_IN_PROGRESS / DELETE_IN_PROGRESS meanwhile (moto reports the stack's status as
each resource's), and the operation failing when the provider does not answer SUCCESS.

Usage: python3 moto_invoke_bridge.py -H 127.0.0.1 -p PORT   (the arguments of moto_server)
"""

import json
import os
import sys
import urllib.request

from moto import settings
from moto.awslambda import models
from moto.server import main

BRIDGE = os.environ["WARDEN_MOTO_INVOKE_BRIDGE"]


def invoke(self, body, request_headers, response_headers):
    """Hands the invocation to the local Runtime API and returns the function's result."""
    payload = body if isinstance(body, str) else body.decode()
    # The ARN the caller invoked, as Lambda reports it to the function: CloudFormation invokes
    # exactly the ServiceToken, so that is the invoked ARN (moto's function object does not
    # know through which alias it was reached). Tests of a mismatched ServiceToken send their
    # events directly (tests/attacks/envelope.rs), not through moto.
    invoked = self.function_arn
    try:
        invoked = json.loads(payload).get("ServiceToken") or invoked
    except (ValueError, AttributeError):
        pass
    request = urllib.request.Request(
        BRIDGE,
        data=json.dumps({"function_arn": invoked, "payload": payload}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=900) as response:
        return response.read()


models.LambdaFunction.invoke = invoke
settings.moto_server_host = lambda: "http://127.0.0.1"


# --- CloudFormation: Update and Delete events for custom resources ---------------------------

from moto.awslambda import lambda_backends  # noqa: E402
from moto.cloudformation import cloudformation_backends  # noqa: E402
from moto.cloudformation import models as cf_models  # noqa: E402
from moto.cloudformation.custom_model import CustomModel  # noqa: E402
from moto.cloudformation.responses import CloudFormationResponse  # noqa: E402
from moto.moto_api._internal import mock_random  # noqa: E402

_create = CustomModel.create_from_cloudformation_json.__func__


def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    """moto's Create, remembering what an Update or Delete event needs."""
    resource = _create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    resource.properties = cloudformation_json["Properties"]
    resource.resource_type = kwargs["ResourceType"]
    resource.stack_id = kwargs["StackId"]
    resource.account_id = account_id
    return resource


def _send(resource, request_type, properties, extra):
    """Sends one event to the ServiceToken and waits for the function; True on SUCCESS."""
    service_token = properties["ServiceToken"]
    fn = lambda_backends[resource.account_id][resource.region_name].get_function(service_token)
    host = f"{settings.moto_server_host()}:{settings.moto_server_port()}"
    event = {
        "RequestType": request_type,
        "ServiceToken": service_token,
        "ResponseURL": f"{host}/cloudformation_{resource.region_name}/cfnresponse?stack={resource.stack_id}",
        "StackId": resource.stack_id,
        "RequestId": str(mock_random.uuid4()),
        "LogicalResourceId": resource.logical_id,
        "PhysicalResourceId": resource.resource_name,
        "ResourceType": resource.resource_type,
        "ResourceProperties": properties,
        **extra,
    }
    resource._finished = False
    fn.invoke(json.dumps(event), {}, {})
    return resource._finished


def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    """An Update event: new and old properties, the provider's PhysicalResourceId."""
    original = original_resource
    updated = CustomModel(region_name, original.request_id, original.logical_id, original.resource_name)
    updated.properties = cloudformation_json["Properties"]
    updated.resource_type = original.resource_type
    updated.stack_id = original.stack_id
    updated.account_id = account_id
    updated.data = dict(original.data)
    stack = cloudformation_backends[account_id][region_name].get_stack(original.stack_id)
    stack.custom_resources[original.logical_id] = updated
    if not _send(updated, "Update", updated.properties, {"OldResourceProperties": original.properties}):
        stack.custom_resources[original.logical_id] = original
        raise RuntimeError(f"the custom resource {original.logical_id} did not update")
    return updated


def delete(self, account_id, region_name):
    """A Delete event with the last properties."""
    if not _send(self, "Delete", self.properties, {}):
        raise RuntimeError(f"the custom resource {self.logical_id} was not deleted")


CustomModel.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)
CustomModel.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)
CustomModel.delete = delete

_process = CloudFormationResponse.process_cfn_response


def process_cfn_response(self):
    """moto's handling, keeping the PhysicalResourceId the provider answered (CloudFormation
    sends it back in the Update and Delete events)."""
    if self._get_param("Status") == "SUCCESS" and self._get_param("PhysicalResourceId"):
        stack = self.cloudformation_backend.get_stack(self._get_param("StackId"))
        resource = stack.get_custom_resource(self._get_param("LogicalResourceId"))
        resource.resource_name = self._get_param("PhysicalResourceId")
    return _process(self)


CloudFormationResponse.process_cfn_response = process_cfn_response

_update, _delete, _verify = cf_models.Stack.update, cf_models.Stack.delete, cf_models.Stack.verify_readiness


def stack_update(self, *args, **kwargs):
    self.status = "UPDATE_IN_PROGRESS"
    try:
        return _update(self, *args, **kwargs)
    except RuntimeError as e:  # a custom resource refused: settle as CloudFormation would
        self._add_stack_event("UPDATE_ROLLBACK_COMPLETE", resource_status_reason=str(e))
        self.status = "UPDATE_ROLLBACK_COMPLETE"
        return None


def stack_delete(self):
    # moto unlists the stack before deleting its resources; CloudFormation keeps describing it
    # (the provider reads its events and answers on it) until it is gone.
    backend = cloudformation_backends[self.account_id][self.region_name]
    backend.stacks[self.stack_id] = self
    self.status = "DELETE_IN_PROGRESS"
    try:
        return _delete(self)
    except RuntimeError as e:
        self._add_stack_event("DELETE_FAILED", resource_status_reason=str(e))
        self.status = "DELETE_FAILED"
        return None
    finally:
        backend.stacks.pop(self.stack_id, None)


def verify_readiness(self):
    """Only a stack being created becomes CREATE_COMPLETE when its custom resources answer."""
    if self.status == "CREATE_IN_PROGRESS":
        _verify(self)


def _resolve_update_parameters(self, instance, incoming_params):
    """moto's, except that UsePreviousValue of a parameter that took its template default keeps
    that default (moto stores only the values given, and failed UpdateStack with a KeyError)."""
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in incoming_params if "ParameterValue" in p}
    for p in incoming_params:
        if p.get("UsePreviousValue", False) and p["ParameterKey"] in instance.parameters:
            parameters[p["ParameterKey"]] = instance.parameters[p["ParameterKey"]]
    return parameters


cf_models.CloudFormationBackend._resolve_update_parameters = _resolve_update_parameters
cf_models.Stack.update = stack_update
cf_models.Stack.delete = stack_delete
cf_models.Stack.verify_readiness = verify_readiness

if __name__ == "__main__":
    sys.exit(main())
