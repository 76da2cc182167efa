"""Lockgate's Python bootstrap: runs a Lambda handler against the Runtime API.

It imports `module.function` from _HANDLER (LAMBDA_TASK_ROOT first on
sys.path), then loops: GET /next, call the handler with the event and a
Lambda-like context, POST the result (or the error, in Lambda's shape).
Only the standard library is used.
"""

import importlib
import json
import os
import socket
import sys
import time

# Startup time is cold-start time: `http.client` (which pulls in the email
# package) and `traceback` cost tens of milliseconds to import, so the
# bootstrap speaks HTTP/1.1 itself and imports `traceback` only on error.

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
HOST, _, PORT = API.rpartition(":")
BASE = "/2018-06-01/runtime"


class _Conn:
    """One keep-alive HTTP/1.1 connection with TCP_NODELAY, reopened when
    it breaks. Responses of the Runtime API always carry Content-Length."""

    def __init__(self):
        self.sock = None
        self.buf = b""

    def request(self, method, path, body=None, headers=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        body = body or b""
        head = ["%s %s HTTP/1.1" % (method, path), "Host: " + API, "Content-Length: %d" % len(body)]
        for k, v in (headers or {}).items():
            head.append("%s: %s" % (k, v))
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        for attempt in (0, 1):
            try:
                if self.sock is None:
                    self.sock = socket.create_connection((HOST, int(PORT)))
                    self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self.buf = b""
                self.sock.sendall(data)
                return self._response()
            except OSError:
                if self.sock is not None:
                    self.sock.close()
                self.sock = None
                if attempt:
                    raise

    def _response(self):
        buf = self.buf
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the runtime API closed the connection")
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if "chunked" in headers.get("transfer-encoding", ""):
            raise ConnectionError("chunked responses are not expected from the runtime API")
        need = int(headers.get("content-length") or 0)
        parts = [rest]
        have = len(rest)
        while have < need:
            chunk = self.sock.recv(max(65536, need - have))
            if not chunk:
                raise ConnectionError("the runtime API closed the connection")
            parts.append(chunk)
            have += len(chunk)
        data = b"".join(parts)
        self.buf = data[need:]
        return status, headers, data[:need]


CONN = _Conn()


class CognitoIdentity:
    def __init__(self, data):
        data = data or {}
        self.cognito_identity_id = data.get("cognitoIdentityId")
        self.cognito_identity_pool_id = data.get("cognitoIdentityPoolId")


class Client:
    def __init__(self, data):
        data = data or {}
        self.installation_id = data.get("installation_id")
        self.app_title = data.get("app_title")
        self.app_version_name = data.get("app_version_name")
        self.app_version_code = data.get("app_version_code")
        self.app_package_name = data.get("app_package_name")


class ClientContext:
    def __init__(self, data):
        self.client = Client(data.get("client"))
        self.custom = data.get("custom")
        self.env = data.get("env")


class LambdaContext:
    """The context object handlers receive, with Lambda's attribute names."""

    def __init__(self, request_id, deadline_ms, arn, client_context, identity):
        self.aws_request_id = request_id
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.invoked_function_arn = arn
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = CognitoIdentity(identity)
        self.client_context = ClientContext(client_context) if client_context else None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(int(self._deadline_ms - time.time() * 1000), 0)

    def log(self, msg):
        sys.stdout.write(str(msg))
        sys.stdout.flush()


def _error(exc, error_type=None):
    import traceback

    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__)),
    }


def _log_error(err):
    sys.stderr.write("[ERROR] %s: %s\n" % (err["errorType"], err["errorMessage"]))
    if err["stackTrace"]:
        sys.stderr.write("Traceback (most recent call last):\n" + "".join(err["stackTrace"]))
    sys.stderr.flush()


def _post(path, payload, error_type=None):
    headers = {"Content-Type": "application/json"}
    if error_type:
        headers["Lambda-Runtime-Function-Error-Type"] = error_type
    CONN.request("POST", BASE + path, body=payload, headers=headers)


def _load_handler():
    spec = os.environ.get("_HANDLER", "")
    root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    if root not in sys.path:
        sys.path.insert(0, root)
    module_name, _, func_name = spec.rpartition(".")
    if not module_name or not func_name:
        raise _InitError(
            "Runtime.MalformedHandlerName",
            "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % spec,
        )
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _InitError(
            "Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, exc)
        ) from exc
    except SyntaxError as exc:
        raise _InitError(
            "Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, exc)
        ) from exc
    handler = getattr(module, func_name, None)
    if handler is None:
        raise _InitError(
            "Runtime.HandlerNotFound",
            "Handler '%s' missing on module '%s'" % (func_name, module_name),
        )
    return handler


class _InitError(Exception):
    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type = error_type


def main():
    try:
        handler = _load_handler()
    except _InitError as exc:
        err = {"errorMessage": str(exc), "errorType": exc.error_type, "stackTrace": []}
        _log_error(err)
        _post("/init/error", json.dumps(err), exc.error_type)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - anything the module raised at import
        err = _error(exc)
        _log_error(err)
        _post("/init/error", json.dumps(err), "Runtime.Unknown")
        sys.exit(1)

    while True:
        status, headers, body = CONN.request("GET", BASE + "/invocation/next")
        if status != 200:
            sys.exit(0)
        request_id = headers.get("lambda-runtime-aws-request-id")
        deadline = int(headers.get("lambda-runtime-deadline-ms") or 0)
        arn = headers.get("lambda-runtime-invoked-function-arn")
        trace = headers.get("lambda-runtime-trace-id")
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        cc = headers.get("lambda-runtime-client-context")
        ci = headers.get("lambda-runtime-cognito-identity")
        try:
            event = json.loads(body) if body else {}
            context = LambdaContext(
                request_id, deadline, arn, json.loads(cc) if cc else None, json.loads(ci) if ci else None
            )
            result = handler(event, context)
            try:
                payload = json.dumps(result)
            except (TypeError, ValueError) as exc:
                raise _MarshalError("Unable to marshal response: %s" % exc) from exc
        except Exception as exc:  # noqa: BLE001 - the handler's errors go to the caller
            err = _error(exc, "Runtime.MarshalError" if isinstance(exc, _MarshalError) else None)
            err["requestId"] = request_id
            _log_error(err)
            sys.stdout.flush()
            _post("/invocation/%s/error" % request_id, json.dumps(err), err["errorType"])
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        _post("/invocation/%s/response" % request_id, payload)


class _MarshalError(Exception):
    pass


if __name__ == "__main__":
    main()
