import requests


def handler(event, context):
    url = event.get("url", "https://example.com")
    return {"status": requests.head(url, timeout=5).status_code}
