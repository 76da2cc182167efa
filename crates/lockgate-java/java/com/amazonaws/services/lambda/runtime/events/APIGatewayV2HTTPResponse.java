package com.amazonaws.services.lambda.runtime.events;

// Lockgate's stand-in for the class of the same name in aws-lambda-java-events:
// the same package, class, nested classes and accessors (fields as
// the events Lambda sends). The runtime's serializer maps JSON keys to them.

import java.util.List;
import java.util.Map;

/** The response of an HTTP API (payload 2.0) integration. */
public class APIGatewayV2HTTPResponse {

    private int statusCode;
    private Map<String, String> headers;
    private Map<String, List<String>> multiValueHeaders;
    private List<String> cookies;
    private String body;
    private boolean isBase64Encoded;

    /** A new, empty APIGatewayV2HTTPResponse. */
    public APIGatewayV2HTTPResponse() {}

    /** A new APIGatewayV2HTTPResponse with every field. */
    public APIGatewayV2HTTPResponse(int statusCode, Map<String, String> headers, Map<String, List<String>> multiValueHeaders, List<String> cookies, String body, boolean isBase64Encoded) {
        this.statusCode = statusCode;
        this.headers = headers;
        this.multiValueHeaders = multiValueHeaders;
        this.cookies = cookies;
        this.body = body;
        this.isBase64Encoded = isBase64Encoded;
    }

    public int getStatusCode() {
        return this.statusCode;
    }

    public void setStatusCode(int statusCode) {
        this.statusCode = statusCode;
    }

    public Map<String, String> getHeaders() {
        return this.headers;
    }

    public void setHeaders(Map<String, String> headers) {
        this.headers = headers;
    }

    public Map<String, List<String>> getMultiValueHeaders() {
        return this.multiValueHeaders;
    }

    public void setMultiValueHeaders(Map<String, List<String>> multiValueHeaders) {
        this.multiValueHeaders = multiValueHeaders;
    }

    public List<String> getCookies() {
        return this.cookies;
    }

    public void setCookies(List<String> cookies) {
        this.cookies = cookies;
    }

    public String getBody() {
        return this.body;
    }

    public void setBody(String body) {
        this.body = body;
    }

    public boolean isBase64Encoded() {
        return this.isBase64Encoded;
    }

    public void setBase64Encoded(boolean isBase64Encoded) {
        this.isBase64Encoded = isBase64Encoded;
    }

    /** @return a builder of APIGatewayV2HTTPResponse */
    public static APIGatewayV2HTTPResponseBuilder builder() {
        return new APIGatewayV2HTTPResponseBuilder();
    }

    /** Builds a APIGatewayV2HTTPResponse field by field. */
    public static class APIGatewayV2HTTPResponseBuilder {
        private int statusCode;
        private Map<String, String> headers;
        private Map<String, List<String>> multiValueHeaders;
        private List<String> cookies;
        private String body;
        private boolean isBase64Encoded;

        APIGatewayV2HTTPResponseBuilder() {}

        public APIGatewayV2HTTPResponseBuilder withStatusCode(int statusCode) {
            this.statusCode = statusCode;
            return this;
        }

        public APIGatewayV2HTTPResponseBuilder withHeaders(Map<String, String> headers) {
            this.headers = headers;
            return this;
        }

        public APIGatewayV2HTTPResponseBuilder withMultiValueHeaders(Map<String, List<String>> multiValueHeaders) {
            this.multiValueHeaders = multiValueHeaders;
            return this;
        }

        public APIGatewayV2HTTPResponseBuilder withCookies(List<String> cookies) {
            this.cookies = cookies;
            return this;
        }

        public APIGatewayV2HTTPResponseBuilder withBody(String body) {
            this.body = body;
            return this;
        }

        public APIGatewayV2HTTPResponseBuilder withIsBase64Encoded(boolean isBase64Encoded) {
            this.isBase64Encoded = isBase64Encoded;
            return this;
        }

        public APIGatewayV2HTTPResponse build() {
            return new APIGatewayV2HTTPResponse(statusCode, headers, multiValueHeaders, cookies, body, isBase64Encoded);
        }
    }

    @Override
    public String toString() {
        return Describe.of(this);
    }
}
