import base64
import json
import os


def handler(event, context):
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(
            {
                "stage": os.environ.get("STAGE"),
                "method": event.get("httpMethod"),
                "path": event.get("path"),
                "query": event.get("queryStringParameters"),
                "body": body,
            }
        ),
    }
