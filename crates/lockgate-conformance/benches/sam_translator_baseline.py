"""Times the real AWS SAM translator (PyPI `aws-sam-translator`) on the
same templates as Lockgate's transform benchmark.

Protocol, line by line on stdin/stdout, so that the Rust side can
interleave its rounds with ours (both then see the same machine load):

- first, template paths, one a line, ended by an empty line;
- then the script prints `ready <accepted>` after a warm-up pass
  (`accepted`: how many templates the translator accepts);
- then each line `round` makes it parse and transform every template once
  and print the wall time of that pass in seconds; end of input stops it.

Parsing is included, as on the Rust side.
"""
import logging
import os
import sys
import time

from samtranslator.model.exceptions import InvalidResourceException
from samtranslator.plugins.application.serverless_app_plugin import ServerlessAppPlugin
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

MANAGED = {
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "AmazonDynamoDBFullAccess": "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
    "AmazonDynamoDBReadOnlyAccess": "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
    "AWSLambdaRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaRole",
    "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}


def repository(self, service_call, logical_id, *args):
    """The Serverless Application Repository as the translator's own tests
    stand it in (and as Lockgate's side is given it: `corpus_options`), so
    that no network call is made: one template URL for every application
    but the few IDs the tests refuse."""
    application_id = args[0]
    if application_id in ("no-access", "non-existent", "invalid-semver"):
        raise InvalidResourceException(logical_id, f"Cannot access application: {application_id}.")
    return {
        "ApplicationId": application_id,
        "CreationTime": "x",
        "ExpirationTime": "x",
        "SemanticVersion": "1.1.1",
        "Status": "ACTIVE",
        "TemplateId": "id-xx-xx",
        "TemplateUrl": "https://awsserverlessrepo-changesets-xxx.s3.amazonaws.com/signed-url",
    }


ServerlessAppPlugin._sar_service_call = repository


class Loader:
    def load(self):
        return MANAGED


def one_pass(texts, params, loader):
    accepted = 0
    for text in texts:
        try:
            transform(yaml_parse(text), params, loader)
            accepted += 1
        except Exception:
            pass
    return accepted


def main():
    paths = []
    for line in sys.stdin:
        line = line.strip()
        if not line:
            break
        paths.append(line)
    texts = [open(p, encoding="utf-8").read() for p in paths]
    params = {"param1": "value1", "param2": "value2"}
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-southeast-1")
    # The translator logs warnings (metrics, feature toggles) on every
    # template; silence them so that the timing is the transform's alone.
    logging.disable(logging.CRITICAL)
    loader = Loader()
    accepted = one_pass(texts, params, loader)  # warm-up
    print(f"ready {accepted}", flush=True)
    for line in sys.stdin:
        if line.strip() != "round":
            break
        start = time.perf_counter()
        one_pass(texts, params, loader)
        print(time.perf_counter() - start, flush=True)


if __name__ == "__main__":
    main()
