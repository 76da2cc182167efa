/* A tiny `provided` runtime for the benchmark: speaks the Lambda Runtime
 * API over one keep-alive connection with TCP_NODELAY and answers every
 * event with a fixed API Gateway response. Build: cc -O2 -o bootstrap bootstrap.c */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static char buf[7 * 1024 * 1024];

static int connect_api(const char *api) {
    char host[256];
    const char *colon = strrchr(api, ':');
    if (!colon || (size_t)(colon - api) >= sizeof host) return -1;
    memcpy(host, api, colon - api);
    host[colon - api] = 0;
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) return -1;
    return fd;
}

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads one response; copies the request ID header (if any) into id. */
static int read_response(int fd, char *id, size_t id_cap) {
    size_t len = 0;
    char *end = NULL;
    while (!end) {
        ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
        if (r <= 0) return -1;
        len += (size_t)r;
        buf[len] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    size_t header_len = (size_t)(end - buf) + 4;
    long body_len = 0;
    for (char *line = strstr(buf, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
        char *h = line + 2;
        if (strncasecmp(h, "content-length:", 15) == 0) body_len = atol(h + 15);
        if (id && strncasecmp(h, "lambda-runtime-aws-request-id:", 30) == 0) {
            char *v = h + 30;
            while (*v == ' ') v++;
            size_t n = strcspn(v, "\r");
            if (n >= id_cap) n = id_cap - 1;
            memcpy(id, v, n);
            id[n] = 0;
        }
    }
    size_t have = len - header_len;
    while ((long)have < body_len) {
        ssize_t r = read(fd, buf, sizeof buf - 1);
        if (r <= 0) return -1;
        have += (size_t)r;
    }
    return 0;
}

int main(void) {
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api) return 2;
    int fd = connect_api(api);
    if (fd < 0) return 3;
    static const char next[] = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: runtime\r\n\r\n";
    static const char body[] = "{\"statusCode\":200,\"headers\":{\"content-type\":\"text/plain\"},\"body\":\"hello world\"}";
    char id[128], req[512];
    for (;;) {
        id[0] = 0;
        if (write_all(fd, next, sizeof next - 1) || read_response(fd, id, sizeof id)) return 4;
        int n = snprintf(req, sizeof req,
                         "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: runtime\r\n"
                         "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                         id, sizeof body - 1, body);
        if (write_all(fd, req, (size_t)n) || read_response(fd, NULL, 0)) return 5;
    }
}
