"""Reads the stage's secret once per instance, at cold start, through the
SSM API — as code on Lambda does. Lockgate serves that API locally and
points boto3 at it through AWS_ENDPOINT_URL_SSM."""
import os

_secret = None
_loaded = False


def secret():
    """The decrypted secret, or None when it is not set or there is no parameter store."""
    global _secret, _loaded
    if _loaded:
        return _secret
    _loaded = True
    name = os.environ.get("SECRET_PARAMETER")
    if not name or not os.environ.get("AWS_ENDPOINT_URL_SSM"):
        return None
    import boto3  # available to Python functions, as on Lambda

    ssm = boto3.client("ssm")
    try:
        _secret = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        print(f"secret {name} is not set: `lockgate params put {name} VALUE --type SecureString`")
    return _secret
