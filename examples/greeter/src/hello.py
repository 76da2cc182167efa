import json
import os

import secret

# Cold start: fetch the secret once per instance.
SECRET = secret.secret()


def handler(event, context):
    name = (event.get("pathParameters") or {}).get("name") or "world"
    body = {
        "message": f"{os.environ.get('GREETING', 'Hello')}, {name}!",
        "stage": os.environ.get("STAGE"),
        "secretLoaded": SECRET is not None,
        "requestId": context.aws_request_id,
    }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }
