package com.amazonaws.services.lambda.runtime.events;

// Lockgate's stand-in for the class of the same name in aws-lambda-java-events:
// the same package, class, nested classes and accessors (fields as
// the events Lambda sends). The runtime's serializer maps JSON keys to them.

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/** An API Gateway REST API (or HTTP API payload 1.0) proxy event. */
public class APIGatewayProxyRequestEvent implements Serializable, Cloneable {

    private static final long serialVersionUID = 1L;

    private String version;
    private String resource;
    private String path;
    private String httpMethod;
    private Map<String, String> headers;
    private Map<String, List<String>> multiValueHeaders;
    private Map<String, String> queryStringParameters;
    private Map<String, List<String>> multiValueQueryStringParameters;
    private Map<String, String> pathParameters;
    private Map<String, String> stageVariables;
    private ProxyRequestContext requestContext;
    private String body;
    private Boolean isBase64Encoded;

    /** A new, empty APIGatewayProxyRequestEvent. */
    public APIGatewayProxyRequestEvent() {}

    public String getVersion() {
        return this.version;
    }

    public void setVersion(String version) {
        this.version = version;
    }

    public APIGatewayProxyRequestEvent withVersion(String version) {
        this.setVersion(version);
        return this;
    }

    public String getResource() {
        return this.resource;
    }

    public void setResource(String resource) {
        this.resource = resource;
    }

    public APIGatewayProxyRequestEvent withResource(String resource) {
        this.setResource(resource);
        return this;
    }

    public String getPath() {
        return this.path;
    }

    public void setPath(String path) {
        this.path = path;
    }

    public APIGatewayProxyRequestEvent withPath(String path) {
        this.setPath(path);
        return this;
    }

    public String getHttpMethod() {
        return this.httpMethod;
    }

    public void setHttpMethod(String httpMethod) {
        this.httpMethod = httpMethod;
    }

    public APIGatewayProxyRequestEvent withHttpMethod(String httpMethod) {
        this.setHttpMethod(httpMethod);
        return this;
    }

    public Map<String, String> getHeaders() {
        return this.headers;
    }

    public void setHeaders(Map<String, String> headers) {
        this.headers = headers;
    }

    public APIGatewayProxyRequestEvent withHeaders(Map<String, String> headers) {
        this.setHeaders(headers);
        return this;
    }

    public Map<String, List<String>> getMultiValueHeaders() {
        return this.multiValueHeaders;
    }

    public void setMultiValueHeaders(Map<String, List<String>> multiValueHeaders) {
        this.multiValueHeaders = multiValueHeaders;
    }

    public APIGatewayProxyRequestEvent withMultiValueHeaders(Map<String, List<String>> multiValueHeaders) {
        this.setMultiValueHeaders(multiValueHeaders);
        return this;
    }

    public Map<String, String> getQueryStringParameters() {
        return this.queryStringParameters;
    }

    public void setQueryStringParameters(Map<String, String> queryStringParameters) {
        this.queryStringParameters = queryStringParameters;
    }

    public APIGatewayProxyRequestEvent withQueryStringParameters(Map<String, String> queryStringParameters) {
        this.setQueryStringParameters(queryStringParameters);
        return this;
    }

    public Map<String, List<String>> getMultiValueQueryStringParameters() {
        return this.multiValueQueryStringParameters;
    }

    public void setMultiValueQueryStringParameters(Map<String, List<String>> multiValueQueryStringParameters) {
        this.multiValueQueryStringParameters = multiValueQueryStringParameters;
    }

    public APIGatewayProxyRequestEvent withMultiValueQueryStringParameters(Map<String, List<String>> multiValueQueryStringParameters) {
        this.setMultiValueQueryStringParameters(multiValueQueryStringParameters);
        return this;
    }

    public Map<String, String> getPathParameters() {
        return this.pathParameters;
    }

    public void setPathParameters(Map<String, String> pathParameters) {
        this.pathParameters = pathParameters;
    }

    public APIGatewayProxyRequestEvent withPathParameters(Map<String, String> pathParameters) {
        this.setPathParameters(pathParameters);
        return this;
    }

    public Map<String, String> getStageVariables() {
        return this.stageVariables;
    }

    public void setStageVariables(Map<String, String> stageVariables) {
        this.stageVariables = stageVariables;
    }

    public APIGatewayProxyRequestEvent withStageVariables(Map<String, String> stageVariables) {
        this.setStageVariables(stageVariables);
        return this;
    }

    public ProxyRequestContext getRequestContext() {
        return this.requestContext;
    }

    public void setRequestContext(ProxyRequestContext requestContext) {
        this.requestContext = requestContext;
    }

    public APIGatewayProxyRequestEvent withRequestContext(ProxyRequestContext requestContext) {
        this.setRequestContext(requestContext);
        return this;
    }

    public String getBody() {
        return this.body;
    }

    public void setBody(String body) {
        this.body = body;
    }

    public APIGatewayProxyRequestEvent withBody(String body) {
        this.setBody(body);
        return this;
    }

    public Boolean getIsBase64Encoded() {
        return this.isBase64Encoded;
    }

    public void setIsBase64Encoded(Boolean isBase64Encoded) {
        this.isBase64Encoded = isBase64Encoded;
    }

    public APIGatewayProxyRequestEvent withIsBase64Encoded(Boolean isBase64Encoded) {
        this.setIsBase64Encoded(isBase64Encoded);
        return this;
    }

    /** The request context of a REST API (payload 1.0) event. */
    public static class ProxyRequestContext implements Serializable, Cloneable {

        private static final long serialVersionUID = 1L;

        private String accountId;
        private String stage;
        private String resourceId;
        private String requestId;
        private String operationName;
        private RequestIdentity identity;
        private String resourcePath;
        private String httpMethod;
        private String apiId;
        private String path;
        private Map<String, Object> authorizer;
        private String extendedRequestId;
        private String requestTime;
        private Long requestTimeEpoch;
        private String domainName;
        private String domainPrefix;
        private String protocol;

        /** A new, empty ProxyRequestContext. */
        public ProxyRequestContext() {}

        public String getAccountId() {
            return this.accountId;
        }

        public void setAccountId(String accountId) {
            this.accountId = accountId;
        }

        public ProxyRequestContext withAccountId(String accountId) {
            this.setAccountId(accountId);
            return this;
        }

        public String getStage() {
            return this.stage;
        }

        public void setStage(String stage) {
            this.stage = stage;
        }

        public ProxyRequestContext withStage(String stage) {
            this.setStage(stage);
            return this;
        }

        public String getResourceId() {
            return this.resourceId;
        }

        public void setResourceId(String resourceId) {
            this.resourceId = resourceId;
        }

        public ProxyRequestContext withResourceId(String resourceId) {
            this.setResourceId(resourceId);
            return this;
        }

        public String getRequestId() {
            return this.requestId;
        }

        public void setRequestId(String requestId) {
            this.requestId = requestId;
        }

        public ProxyRequestContext withRequestId(String requestId) {
            this.setRequestId(requestId);
            return this;
        }

        public String getOperationName() {
            return this.operationName;
        }

        public void setOperationName(String operationName) {
            this.operationName = operationName;
        }

        public ProxyRequestContext withOperationName(String operationName) {
            this.setOperationName(operationName);
            return this;
        }

        public RequestIdentity getIdentity() {
            return this.identity;
        }

        public void setIdentity(RequestIdentity identity) {
            this.identity = identity;
        }

        public ProxyRequestContext withIdentity(RequestIdentity identity) {
            this.setIdentity(identity);
            return this;
        }

        public String getResourcePath() {
            return this.resourcePath;
        }

        public void setResourcePath(String resourcePath) {
            this.resourcePath = resourcePath;
        }

        public ProxyRequestContext withResourcePath(String resourcePath) {
            this.setResourcePath(resourcePath);
            return this;
        }

        public String getHttpMethod() {
            return this.httpMethod;
        }

        public void setHttpMethod(String httpMethod) {
            this.httpMethod = httpMethod;
        }

        public ProxyRequestContext withHttpMethod(String httpMethod) {
            this.setHttpMethod(httpMethod);
            return this;
        }

        public String getApiId() {
            return this.apiId;
        }

        public void setApiId(String apiId) {
            this.apiId = apiId;
        }

        public ProxyRequestContext withApiId(String apiId) {
            this.setApiId(apiId);
            return this;
        }

        public String getPath() {
            return this.path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public ProxyRequestContext withPath(String path) {
            this.setPath(path);
            return this;
        }

        public Map<String, Object> getAuthorizer() {
            return this.authorizer;
        }

        public void setAuthorizer(Map<String, Object> authorizer) {
            this.authorizer = authorizer;
        }

        public ProxyRequestContext withAuthorizer(Map<String, Object> authorizer) {
            this.setAuthorizer(authorizer);
            return this;
        }

        public String getExtendedRequestId() {
            return this.extendedRequestId;
        }

        public void setExtendedRequestId(String extendedRequestId) {
            this.extendedRequestId = extendedRequestId;
        }

        public ProxyRequestContext withExtendedRequestId(String extendedRequestId) {
            this.setExtendedRequestId(extendedRequestId);
            return this;
        }

        public String getRequestTime() {
            return this.requestTime;
        }

        public void setRequestTime(String requestTime) {
            this.requestTime = requestTime;
        }

        public ProxyRequestContext withRequestTime(String requestTime) {
            this.setRequestTime(requestTime);
            return this;
        }

        public Long getRequestTimeEpoch() {
            return this.requestTimeEpoch;
        }

        public void setRequestTimeEpoch(Long requestTimeEpoch) {
            this.requestTimeEpoch = requestTimeEpoch;
        }

        public ProxyRequestContext withRequestTimeEpoch(Long requestTimeEpoch) {
            this.setRequestTimeEpoch(requestTimeEpoch);
            return this;
        }

        public String getDomainName() {
            return this.domainName;
        }

        public void setDomainName(String domainName) {
            this.domainName = domainName;
        }

        public ProxyRequestContext withDomainName(String domainName) {
            this.setDomainName(domainName);
            return this;
        }

        public String getDomainPrefix() {
            return this.domainPrefix;
        }

        public void setDomainPrefix(String domainPrefix) {
            this.domainPrefix = domainPrefix;
        }

        public ProxyRequestContext withDomainPrefix(String domainPrefix) {
            this.setDomainPrefix(domainPrefix);
            return this;
        }

        public String getProtocol() {
            return this.protocol;
        }

        public void setProtocol(String protocol) {
            this.protocol = protocol;
        }

        public ProxyRequestContext withProtocol(String protocol) {
            this.setProtocol(protocol);
            return this;
        }

        @Override
        public String toString() {
            return Describe.of(this);
        }

        @Override
        public ProxyRequestContext clone() {
            try {
                return (ProxyRequestContext) super.clone();
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException("Got a CloneNotSupportedException from Object.clone()", e);
            }
        }
    }

    /** The caller's identity in a REST API request's context. */
    public static class RequestIdentity implements Serializable, Cloneable {

        private static final long serialVersionUID = 1L;

        private String cognitoIdentityPoolId;
        private String accountId;
        private String cognitoIdentityId;
        private String caller;
        private String apiKey;
        private String principalOrgId;
        private String sourceIp;
        private String cognitoAuthenticationType;
        private String cognitoAuthenticationProvider;
        private String userArn;
        private String userAgent;
        private String user;
        private String accessKey;

        /** A new, empty RequestIdentity. */
        public RequestIdentity() {}

        public String getCognitoIdentityPoolId() {
            return this.cognitoIdentityPoolId;
        }

        public void setCognitoIdentityPoolId(String cognitoIdentityPoolId) {
            this.cognitoIdentityPoolId = cognitoIdentityPoolId;
        }

        public RequestIdentity withCognitoIdentityPoolId(String cognitoIdentityPoolId) {
            this.setCognitoIdentityPoolId(cognitoIdentityPoolId);
            return this;
        }

        public String getAccountId() {
            return this.accountId;
        }

        public void setAccountId(String accountId) {
            this.accountId = accountId;
        }

        public RequestIdentity withAccountId(String accountId) {
            this.setAccountId(accountId);
            return this;
        }

        public String getCognitoIdentityId() {
            return this.cognitoIdentityId;
        }

        public void setCognitoIdentityId(String cognitoIdentityId) {
            this.cognitoIdentityId = cognitoIdentityId;
        }

        public RequestIdentity withCognitoIdentityId(String cognitoIdentityId) {
            this.setCognitoIdentityId(cognitoIdentityId);
            return this;
        }

        public String getCaller() {
            return this.caller;
        }

        public void setCaller(String caller) {
            this.caller = caller;
        }

        public RequestIdentity withCaller(String caller) {
            this.setCaller(caller);
            return this;
        }

        public String getApiKey() {
            return this.apiKey;
        }

        public void setApiKey(String apiKey) {
            this.apiKey = apiKey;
        }

        public RequestIdentity withApiKey(String apiKey) {
            this.setApiKey(apiKey);
            return this;
        }

        public String getPrincipalOrgId() {
            return this.principalOrgId;
        }

        public void setPrincipalOrgId(String principalOrgId) {
            this.principalOrgId = principalOrgId;
        }

        public RequestIdentity withPrincipalOrgId(String principalOrgId) {
            this.setPrincipalOrgId(principalOrgId);
            return this;
        }

        public String getSourceIp() {
            return this.sourceIp;
        }

        public void setSourceIp(String sourceIp) {
            this.sourceIp = sourceIp;
        }

        public RequestIdentity withSourceIp(String sourceIp) {
            this.setSourceIp(sourceIp);
            return this;
        }

        public String getCognitoAuthenticationType() {
            return this.cognitoAuthenticationType;
        }

        public void setCognitoAuthenticationType(String cognitoAuthenticationType) {
            this.cognitoAuthenticationType = cognitoAuthenticationType;
        }

        public RequestIdentity withCognitoAuthenticationType(String cognitoAuthenticationType) {
            this.setCognitoAuthenticationType(cognitoAuthenticationType);
            return this;
        }

        public String getCognitoAuthenticationProvider() {
            return this.cognitoAuthenticationProvider;
        }

        public void setCognitoAuthenticationProvider(String cognitoAuthenticationProvider) {
            this.cognitoAuthenticationProvider = cognitoAuthenticationProvider;
        }

        public RequestIdentity withCognitoAuthenticationProvider(String cognitoAuthenticationProvider) {
            this.setCognitoAuthenticationProvider(cognitoAuthenticationProvider);
            return this;
        }

        public String getUserArn() {
            return this.userArn;
        }

        public void setUserArn(String userArn) {
            this.userArn = userArn;
        }

        public RequestIdentity withUserArn(String userArn) {
            this.setUserArn(userArn);
            return this;
        }

        public String getUserAgent() {
            return this.userAgent;
        }

        public void setUserAgent(String userAgent) {
            this.userAgent = userAgent;
        }

        public RequestIdentity withUserAgent(String userAgent) {
            this.setUserAgent(userAgent);
            return this;
        }

        public String getUser() {
            return this.user;
        }

        public void setUser(String user) {
            this.user = user;
        }

        public RequestIdentity withUser(String user) {
            this.setUser(user);
            return this;
        }

        public String getAccessKey() {
            return this.accessKey;
        }

        public void setAccessKey(String accessKey) {
            this.accessKey = accessKey;
        }

        public RequestIdentity withAccessKey(String accessKey) {
            this.setAccessKey(accessKey);
            return this;
        }

        @Override
        public String toString() {
            return Describe.of(this);
        }

        @Override
        public RequestIdentity clone() {
            try {
                return (RequestIdentity) super.clone();
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException("Got a CloneNotSupportedException from Object.clone()", e);
            }
        }
    }

    @Override
    public String toString() {
        return Describe.of(this);
    }

    @Override
    public APIGatewayProxyRequestEvent clone() {
        try {
            return (APIGatewayProxyRequestEvent) super.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("Got a CloneNotSupportedException from Object.clone()", e);
        }
    }
}
