package com.amazonaws.services.lambda.runtime.events;

// Lockgate's stand-in for the class of the same name in aws-lambda-java-events:
// the same package, class, nested classes and accessors (fields as
// the events Lambda sends). The runtime's serializer maps JSON keys to them.

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/** The response of a REST API (payload 1.0) proxy integration. */
public class APIGatewayProxyResponseEvent implements Serializable, Cloneable {

    private static final long serialVersionUID = 1L;

    private Integer statusCode;
    private Map<String, String> headers;
    private Map<String, List<String>> multiValueHeaders;
    private String body;
    private Boolean isBase64Encoded;

    /** A new, empty APIGatewayProxyResponseEvent. */
    public APIGatewayProxyResponseEvent() {}

    public Integer getStatusCode() {
        return this.statusCode;
    }

    public void setStatusCode(Integer statusCode) {
        this.statusCode = statusCode;
    }

    public APIGatewayProxyResponseEvent withStatusCode(Integer statusCode) {
        this.setStatusCode(statusCode);
        return this;
    }

    public Map<String, String> getHeaders() {
        return this.headers;
    }

    public void setHeaders(Map<String, String> headers) {
        this.headers = headers;
    }

    public APIGatewayProxyResponseEvent withHeaders(Map<String, String> headers) {
        this.setHeaders(headers);
        return this;
    }

    public Map<String, List<String>> getMultiValueHeaders() {
        return this.multiValueHeaders;
    }

    public void setMultiValueHeaders(Map<String, List<String>> multiValueHeaders) {
        this.multiValueHeaders = multiValueHeaders;
    }

    public APIGatewayProxyResponseEvent withMultiValueHeaders(Map<String, List<String>> multiValueHeaders) {
        this.setMultiValueHeaders(multiValueHeaders);
        return this;
    }

    public String getBody() {
        return this.body;
    }

    public void setBody(String body) {
        this.body = body;
    }

    public APIGatewayProxyResponseEvent withBody(String body) {
        this.setBody(body);
        return this;
    }

    public Boolean getIsBase64Encoded() {
        return this.isBase64Encoded;
    }

    public void setIsBase64Encoded(Boolean isBase64Encoded) {
        this.isBase64Encoded = isBase64Encoded;
    }

    public APIGatewayProxyResponseEvent withIsBase64Encoded(Boolean isBase64Encoded) {
        this.setIsBase64Encoded(isBase64Encoded);
        return this;
    }

    @Override
    public String toString() {
        return Describe.of(this);
    }

    @Override
    public APIGatewayProxyResponseEvent clone() {
        try {
            return (APIGatewayProxyResponseEvent) super.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("Got a CloneNotSupportedException from Object.clone()", e);
        }
    }
}
