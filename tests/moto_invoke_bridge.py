"""moto_server whose Lambda invocations reach a local Lambda Runtime API instead of Docker.

moto runs a function by starting a Docker container; the test machines have no Docker. This
launcher replaces that one step: moto's `LambdaFunction.invoke` POSTs the payload, and the ARN
it was invoked as, to WARDEN_MOTO_INVOKE_BRIDGE (the harness's LocalLambda, which hands it to
the real provider binary through the Runtime API). Everything else is moto unchanged, including
the custom-resource event its CloudFormation builds. moto builds that event's ResponseURL from
its Docker host name; here it is its own loopback address (MOTO_PORT must be the server port).

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

if __name__ == "__main__":
    sys.exit(main())
