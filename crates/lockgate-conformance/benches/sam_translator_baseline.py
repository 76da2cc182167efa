"""Times the real AWS SAM translator (PyPI `aws-sam-translator`) on the
same templates as Lockgate's transform benchmark.

Reads template paths (one a line) on stdin; for each round, parses and
transforms every template once; prints JSON: {"rounds": [seconds, ...],
"templates": N, "accepted": N} where each round is the wall time of one pass
over all templates. Parsing is included, as in the Rust side.
"""
import json
import sys
import time

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

MANAGED = {
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "AmazonDynamoDBFullAccess": "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
    "AmazonDynamoDBReadOnlyAccess": "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
    "AWSLambdaRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaRole",
    "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}


class Loader:
    def load(self):
        return MANAGED


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    paths = [line.strip() for line in sys.stdin if line.strip()]
    texts = [open(p, encoding="utf-8").read() for p in paths]
    params = {"param1": "value1", "param2": "value2"}
    import os

    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-southeast-1")
    loader = Loader()
    accepted = 0
    times = []
    for r in range(rounds + 1):  # the first round warms up
        start = time.perf_counter()
        for text in texts:
            try:
                transform(yaml_parse(text), params, loader)
                if r == 0:
                    accepted += 1
            except Exception:
                pass
        elapsed = time.perf_counter() - start
        if r > 0:
            times.append(elapsed)
    print(json.dumps({"rounds": times, "templates": len(texts), "accepted": accepted}))


if __name__ == "__main__":
    main()
