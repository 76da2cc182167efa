package lockgate.runtime;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The Lambda Runtime API over one keep-alive HTTP/1.1 connection with
 * TCP_NODELAY, reopened when it breaks. Speaking HTTP over a socket costs a
 * few classes; {@code java.net.http.HttpClient} costs hundreds at start.
 * The Runtime API's responses always carry a Content-Length.
 */
final class RuntimeApi {

    static final String BASE = "/2018-06-01/runtime";

    /** One response: status, headers (names in lower case), body. */
    static final class Response {
        final int status;
        final Map<String, String> headers;
        final byte[] body;

        Response(int status, Map<String, String> headers, byte[] body) {
            this.status = status;
            this.headers = headers;
            this.body = body;
        }

        String header(String name) {
            return headers.get(name);
        }
    }

    private final String host;
    private final int port;
    private final String address;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    RuntimeApi(String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("AWS_LAMBDA_RUNTIME_API is not host:port: " + address);
        }
        this.address = address;
        this.host = address.substring(0, colon);
        this.port = Integer.parseInt(address.substring(colon + 1));
    }

    Response next() throws IOException {
        return request("GET", BASE + "/invocation/next", null, null);
    }

    void respond(String requestId, byte[] body) throws IOException {
        request("POST", BASE + "/invocation/" + requestId + "/response", body, null);
    }

    void error(String requestId, byte[] doc, String errorType) throws IOException {
        request("POST", BASE + "/invocation/" + requestId + "/error", doc, errorType);
    }

    void initError(byte[] doc, String errorType) throws IOException {
        request("POST", BASE + "/init/error", doc, errorType);
    }

    private Response request(String method, String path, byte[] body, String errorType) throws IOException {
        StringBuilder head = new StringBuilder(160);
        head.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ").append(address).append("\r\n");
        if (body != null) {
            head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
        }
        if (errorType != null) {
            head.append("Lambda-Runtime-Function-Error-Type: ").append(errorType.replaceAll("[\r\n]", " "))
                    .append("\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        for (int attempt = 0;; attempt++) {
            try {
                if (socket == null) {
                    connect();
                }
                if (body == null || body.length <= 16 * 1024) {
                    // One write: one packet for small requests.
                    byte[] all = new byte[headBytes.length + (body == null ? 0 : body.length)];
                    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
                    if (body != null) {
                        System.arraycopy(body, 0, all, headBytes.length, body.length);
                    }
                    out.write(all);
                } else {
                    out.write(headBytes);
                    out.write(body);
                }
                out.flush();
                return read();
            } catch (IOException e) {
                close();
                if (attempt > 0) {
                    throw e;
                }
            }
        }
    }

    private void connect() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(host, port));
        socket = s;
        in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
        out = s.getOutputStream();
    }

    private void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // already broken: nothing to do
            }
        }
        socket = null;
    }

    private Response read() throws IOException {
        String status = line();
        String[] parts = status.split(" ", 3);
        if (parts.length < 2) {
            throw new IOException("bad status line from the Runtime API: " + status);
        }
        int code;
        try {
            code = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("bad status line from the Runtime API: " + status);
        }
        Map<String, String> headers = new HashMap<>();
        for (String l = line(); !l.isEmpty(); l = line()) {
            int colon = l.indexOf(':');
            if (colon > 0) {
                headers.put(l.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT),
                        l.substring(colon + 1).trim());
            }
        }
        if (headers.getOrDefault("transfer-encoding", "").contains("chunked")) {
            throw new IOException("chunked responses are not expected from the Runtime API");
        }
        int length = 0;
        String cl = headers.get("content-length");
        if (cl != null) {
            try {
                length = Integer.parseInt(cl);
            } catch (NumberFormatException e) {
                throw new IOException("bad Content-Length from the Runtime API: " + cl);
            }
        }
        byte[] body = new byte[length];
        int have = 0;
        while (have < length) {
            int n = in.read(body, have, length - have);
            if (n < 0) {
                throw new EOFException("the Runtime API closed the connection");
            }
            have += n;
        }
        if ("close".equalsIgnoreCase(headers.get("connection"))) {
            close();
        }
        return new Response(code, headers, body);
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("the Runtime API closed the connection");
            }
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return new String(b.toByteArray(), StandardCharsets.ISO_8859_1);
    }
}
