"""The hello resource written the usual Python way: crhelper on awslambdaric.

Same behaviour as examples/hello: property Name, Data {"Greeting": "Hello, <Name>"}.
Used only by the benchmark (bench/run.sh) as the peer measured in the same run.
"""
import http.client

import crhelper.utils
from crhelper import CfnResource

# crhelper always PUTs over HTTPS (and retries forever when that fails). The benchmark's fake
# CloudFormation endpoint is plain HTTP on loopback, as it is for the Rust peer, so this is the
# one deviation from stock crhelper: the same PUT code over a plain connection.
crhelper.utils.HTTPSConnection = lambda host, context=None: http.client.HTTPConnection(host)

helper = CfnResource(json_logging=False, log_level="WARNING", boto_level="CRITICAL", sleep_on_delete=0)


@helper.create
@helper.update
def create_or_update(event, _context):
    helper.Data["Greeting"] = "Hello, " + event["ResourceProperties"]["Name"]


@helper.delete
def delete(_event, _context):
    pass


def handler(event, context):
    helper(event, context)
