package com.amazonaws.services.lambda.runtime.events;

// Lockgate's stand-in for the class of the same name in aws-lambda-java-events:
// the same package, class, nested classes and accessors (fields as
// the events Lambda sends). The runtime's serializer maps JSON keys to them.

import java.util.List;
import java.util.Map;

/** An API Gateway HTTP API event (payload 2.0). */
public class APIGatewayV2HTTPEvent {

    private String version;
    private String routeKey;
    private String rawPath;
    private String rawQueryString;
    private List<String> cookies;
    private Map<String, String> headers;
    private Map<String, String> queryStringParameters;
    private Map<String, String> pathParameters;
    private Map<String, String> stageVariables;
    private String Body;
    private boolean isBase64Encoded;
    private RequestContext requestContext;

    /** A new, empty APIGatewayV2HTTPEvent. */
    public APIGatewayV2HTTPEvent() {}

    /** A new APIGatewayV2HTTPEvent with every field. */
    public APIGatewayV2HTTPEvent(String version, String routeKey, String rawPath, String rawQueryString, List<String> cookies, Map<String, String> headers, Map<String, String> queryStringParameters, Map<String, String> pathParameters, Map<String, String> stageVariables, String Body, boolean isBase64Encoded, RequestContext requestContext) {
        this.version = version;
        this.routeKey = routeKey;
        this.rawPath = rawPath;
        this.rawQueryString = rawQueryString;
        this.cookies = cookies;
        this.headers = headers;
        this.queryStringParameters = queryStringParameters;
        this.pathParameters = pathParameters;
        this.stageVariables = stageVariables;
        this.Body = Body;
        this.isBase64Encoded = isBase64Encoded;
        this.requestContext = requestContext;
    }

    public String getVersion() {
        return this.version;
    }

    public void setVersion(String version) {
        this.version = version;
    }

    public String getRouteKey() {
        return this.routeKey;
    }

    public void setRouteKey(String routeKey) {
        this.routeKey = routeKey;
    }

    public String getRawPath() {
        return this.rawPath;
    }

    public void setRawPath(String rawPath) {
        this.rawPath = rawPath;
    }

    public String getRawQueryString() {
        return this.rawQueryString;
    }

    public void setRawQueryString(String rawQueryString) {
        this.rawQueryString = rawQueryString;
    }

    public List<String> getCookies() {
        return this.cookies;
    }

    public void setCookies(List<String> cookies) {
        this.cookies = cookies;
    }

    public Map<String, String> getHeaders() {
        return this.headers;
    }

    public void setHeaders(Map<String, String> headers) {
        this.headers = headers;
    }

    public Map<String, String> getQueryStringParameters() {
        return this.queryStringParameters;
    }

    public void setQueryStringParameters(Map<String, String> queryStringParameters) {
        this.queryStringParameters = queryStringParameters;
    }

    public Map<String, String> getPathParameters() {
        return this.pathParameters;
    }

    public void setPathParameters(Map<String, String> pathParameters) {
        this.pathParameters = pathParameters;
    }

    public Map<String, String> getStageVariables() {
        return this.stageVariables;
    }

    public void setStageVariables(Map<String, String> stageVariables) {
        this.stageVariables = stageVariables;
    }

    public String getBody() {
        return this.Body;
    }

    public void setBody(String Body) {
        this.Body = Body;
    }

    public boolean isBase64Encoded() {
        return this.isBase64Encoded;
    }

    public void setBase64Encoded(boolean isBase64Encoded) {
        this.isBase64Encoded = isBase64Encoded;
    }

    public RequestContext getRequestContext() {
        return this.requestContext;
    }

    public void setRequestContext(RequestContext requestContext) {
        this.requestContext = requestContext;
    }

    /** @return a builder of APIGatewayV2HTTPEvent */
    public static APIGatewayV2HTTPEventBuilder builder() {
        return new APIGatewayV2HTTPEventBuilder();
    }

    /** Builds a APIGatewayV2HTTPEvent field by field. */
    public static class APIGatewayV2HTTPEventBuilder {
        private String version;
        private String routeKey;
        private String rawPath;
        private String rawQueryString;
        private List<String> cookies;
        private Map<String, String> headers;
        private Map<String, String> queryStringParameters;
        private Map<String, String> pathParameters;
        private Map<String, String> stageVariables;
        private String Body;
        private boolean isBase64Encoded;
        private RequestContext requestContext;

        APIGatewayV2HTTPEventBuilder() {}

        public APIGatewayV2HTTPEventBuilder withVersion(String version) {
            this.version = version;
            return this;
        }

        public APIGatewayV2HTTPEventBuilder withRouteKey(String routeKey) {
            this.routeKey = routeKey;
            return this;
        }

        public APIGatewayV2HTTPEventBuilder withRawPath(String rawPath) {
            this.rawPath = rawPath;
            return this;
        }

        public APIGatewayV2HTTPEventBuilder withRawQueryString(String rawQueryString) {
            this.rawQueryString = rawQueryString;
            return this;
        }

        public APIGatewayV2HTTPEventBuilder withCookies(List<String> cookies) {
            this.cookies = cookies;
            return this;
        }

        public APIGatewayV2HTTPEventBuilder withHeaders(Map<String, String> headers) {
            this.headers = headers;
            return this;
        }

        public APIGatewayV2HTTPEventBuilder withQueryStringParameters(Map<String, String> queryStringParameters) {
            this.queryStringParameters = queryStringParameters;
            return this;
        }

        public APIGatewayV2HTTPEventBuilder withPathParameters(Map<String, String> pathParameters) {
            this.pathParameters = pathParameters;
            return this;
        }

        public APIGatewayV2HTTPEventBuilder withStageVariables(Map<String, String> stageVariables) {
            this.stageVariables = stageVariables;
            return this;
        }

        public APIGatewayV2HTTPEventBuilder withBody(String Body) {
            this.Body = Body;
            return this;
        }

        public APIGatewayV2HTTPEventBuilder withIsBase64Encoded(boolean isBase64Encoded) {
            this.isBase64Encoded = isBase64Encoded;
            return this;
        }

        public APIGatewayV2HTTPEventBuilder withRequestContext(RequestContext requestContext) {
            this.requestContext = requestContext;
            return this;
        }

        public APIGatewayV2HTTPEvent build() {
            return new APIGatewayV2HTTPEvent(version, routeKey, rawPath, rawQueryString, cookies, headers, queryStringParameters, pathParameters, stageVariables, Body, isBase64Encoded, requestContext);
        }
    }

    /** The request context of an HTTP API (payload 2.0) event. */
    public static class RequestContext {

        private String routeKey;
        private String accountId;
        private String stage;
        private String apiId;
        private String domainName;
        private String domainPrefix;
        private String time;
        private long timeEpoch;
        private Http http;
        private Authorizer authorizer;
        private String requestId;

        /** A new, empty RequestContext. */
        public RequestContext() {}

        /** A new RequestContext with every field. */
        public RequestContext(String routeKey, String accountId, String stage, String apiId, String domainName, String domainPrefix, String time, long timeEpoch, Http http, Authorizer authorizer, String requestId) {
            this.routeKey = routeKey;
            this.accountId = accountId;
            this.stage = stage;
            this.apiId = apiId;
            this.domainName = domainName;
            this.domainPrefix = domainPrefix;
            this.time = time;
            this.timeEpoch = timeEpoch;
            this.http = http;
            this.authorizer = authorizer;
            this.requestId = requestId;
        }

        public String getRouteKey() {
            return this.routeKey;
        }

        public void setRouteKey(String routeKey) {
            this.routeKey = routeKey;
        }

        public String getAccountId() {
            return this.accountId;
        }

        public void setAccountId(String accountId) {
            this.accountId = accountId;
        }

        public String getStage() {
            return this.stage;
        }

        public void setStage(String stage) {
            this.stage = stage;
        }

        public String getApiId() {
            return this.apiId;
        }

        public void setApiId(String apiId) {
            this.apiId = apiId;
        }

        public String getDomainName() {
            return this.domainName;
        }

        public void setDomainName(String domainName) {
            this.domainName = domainName;
        }

        public String getDomainPrefix() {
            return this.domainPrefix;
        }

        public void setDomainPrefix(String domainPrefix) {
            this.domainPrefix = domainPrefix;
        }

        public String getTime() {
            return this.time;
        }

        public void setTime(String time) {
            this.time = time;
        }

        public long getTimeEpoch() {
            return this.timeEpoch;
        }

        public void setTimeEpoch(long timeEpoch) {
            this.timeEpoch = timeEpoch;
        }

        public Http getHttp() {
            return this.http;
        }

        public void setHttp(Http http) {
            this.http = http;
        }

        public Authorizer getAuthorizer() {
            return this.authorizer;
        }

        public void setAuthorizer(Authorizer authorizer) {
            this.authorizer = authorizer;
        }

        public String getRequestId() {
            return this.requestId;
        }

        public void setRequestId(String requestId) {
            this.requestId = requestId;
        }

        /** @return a builder of RequestContext */
        public static RequestContextBuilder builder() {
            return new RequestContextBuilder();
        }

        /** Builds a RequestContext field by field. */
        public static class RequestContextBuilder {
            private String routeKey;
            private String accountId;
            private String stage;
            private String apiId;
            private String domainName;
            private String domainPrefix;
            private String time;
            private long timeEpoch;
            private Http http;
            private Authorizer authorizer;
            private String requestId;

            RequestContextBuilder() {}

            public RequestContextBuilder withRouteKey(String routeKey) {
                this.routeKey = routeKey;
                return this;
            }

            public RequestContextBuilder withAccountId(String accountId) {
                this.accountId = accountId;
                return this;
            }

            public RequestContextBuilder withStage(String stage) {
                this.stage = stage;
                return this;
            }

            public RequestContextBuilder withApiId(String apiId) {
                this.apiId = apiId;
                return this;
            }

            public RequestContextBuilder withDomainName(String domainName) {
                this.domainName = domainName;
                return this;
            }

            public RequestContextBuilder withDomainPrefix(String domainPrefix) {
                this.domainPrefix = domainPrefix;
                return this;
            }

            public RequestContextBuilder withTime(String time) {
                this.time = time;
                return this;
            }

            public RequestContextBuilder withTimeEpoch(long timeEpoch) {
                this.timeEpoch = timeEpoch;
                return this;
            }

            public RequestContextBuilder withHttp(Http http) {
                this.http = http;
                return this;
            }

            public RequestContextBuilder withAuthorizer(Authorizer authorizer) {
                this.authorizer = authorizer;
                return this;
            }

            public RequestContextBuilder withRequestId(String requestId) {
                this.requestId = requestId;
                return this;
            }

            public RequestContext build() {
                return new RequestContext(routeKey, accountId, stage, apiId, domainName, domainPrefix, time, timeEpoch, http, authorizer, requestId);
            }
        }

        /** What the route's authorizer said. */
        public static class Authorizer {

            private JWT jwt;
            private Map<String, Object> lambda;
            private IAM iam;

            /** A new, empty Authorizer. */
            public Authorizer() {}

            /** A new Authorizer with every field. */
            public Authorizer(JWT jwt, Map<String, Object> lambda, IAM iam) {
                this.jwt = jwt;
                this.lambda = lambda;
                this.iam = iam;
            }

            public JWT getJwt() {
                return this.jwt;
            }

            public void setJwt(JWT jwt) {
                this.jwt = jwt;
            }

            public Map<String, Object> getLambda() {
                return this.lambda;
            }

            public void setLambda(Map<String, Object> lambda) {
                this.lambda = lambda;
            }

            public IAM getIam() {
                return this.iam;
            }

            public void setIam(IAM iam) {
                this.iam = iam;
            }

            /** @return a builder of Authorizer */
            public static AuthorizerBuilder builder() {
                return new AuthorizerBuilder();
            }

            /** Builds a Authorizer field by field. */
            public static class AuthorizerBuilder {
                private JWT jwt;
                private Map<String, Object> lambda;
                private IAM iam;

                AuthorizerBuilder() {}

                public AuthorizerBuilder withJwt(JWT jwt) {
                    this.jwt = jwt;
                    return this;
                }

                public AuthorizerBuilder withLambda(Map<String, Object> lambda) {
                    this.lambda = lambda;
                    return this;
                }

                public AuthorizerBuilder withIam(IAM iam) {
                    this.iam = iam;
                    return this;
                }

                public Authorizer build() {
                    return new Authorizer(jwt, lambda, iam);
                }
            }

            /** A JWT authorizer's claims and scopes. */
            public static class JWT {

                private Map<String, String> claims;
                private List<String> scopes;

                /** A new, empty JWT. */
                public JWT() {}

                /** A new JWT with every field. */
                public JWT(Map<String, String> claims, List<String> scopes) {
                    this.claims = claims;
                    this.scopes = scopes;
                }

                public Map<String, String> getClaims() {
                    return this.claims;
                }

                public void setClaims(Map<String, String> claims) {
                    this.claims = claims;
                }

                public List<String> getScopes() {
                    return this.scopes;
                }

                public void setScopes(List<String> scopes) {
                    this.scopes = scopes;
                }

                /** @return a builder of JWT */
                public static JWTBuilder builder() {
                    return new JWTBuilder();
                }

                /** Builds a JWT field by field. */
                public static class JWTBuilder {
                    private Map<String, String> claims;
                    private List<String> scopes;

                    JWTBuilder() {}

                    public JWTBuilder withClaims(Map<String, String> claims) {
                        this.claims = claims;
                        return this;
                    }

                    public JWTBuilder withScopes(List<String> scopes) {
                        this.scopes = scopes;
                        return this;
                    }

                    public JWT build() {
                        return new JWT(claims, scopes);
                    }
                }

                @Override
                public String toString() {
                    return Describe.of(this);
                }
            }

            @Override
            public String toString() {
                return Describe.of(this);
            }
        }

        /** The HTTP request of an HTTP API request context. */
        public static class Http {

            private String method;
            private String path;
            private String protocol;
            private String sourceIp;
            private String userAgent;

            /** A new, empty Http. */
            public Http() {}

            /** A new Http with every field. */
            public Http(String method, String path, String protocol, String sourceIp, String userAgent) {
                this.method = method;
                this.path = path;
                this.protocol = protocol;
                this.sourceIp = sourceIp;
                this.userAgent = userAgent;
            }

            public String getMethod() {
                return this.method;
            }

            public void setMethod(String method) {
                this.method = method;
            }

            public String getPath() {
                return this.path;
            }

            public void setPath(String path) {
                this.path = path;
            }

            public String getProtocol() {
                return this.protocol;
            }

            public void setProtocol(String protocol) {
                this.protocol = protocol;
            }

            public String getSourceIp() {
                return this.sourceIp;
            }

            public void setSourceIp(String sourceIp) {
                this.sourceIp = sourceIp;
            }

            public String getUserAgent() {
                return this.userAgent;
            }

            public void setUserAgent(String userAgent) {
                this.userAgent = userAgent;
            }

            /** @return a builder of Http */
            public static HttpBuilder builder() {
                return new HttpBuilder();
            }

            /** Builds a Http field by field. */
            public static class HttpBuilder {
                private String method;
                private String path;
                private String protocol;
                private String sourceIp;
                private String userAgent;

                HttpBuilder() {}

                public HttpBuilder withMethod(String method) {
                    this.method = method;
                    return this;
                }

                public HttpBuilder withPath(String path) {
                    this.path = path;
                    return this;
                }

                public HttpBuilder withProtocol(String protocol) {
                    this.protocol = protocol;
                    return this;
                }

                public HttpBuilder withSourceIp(String sourceIp) {
                    this.sourceIp = sourceIp;
                    return this;
                }

                public HttpBuilder withUserAgent(String userAgent) {
                    this.userAgent = userAgent;
                    return this;
                }

                public Http build() {
                    return new Http(method, path, protocol, sourceIp, userAgent);
                }
            }

            @Override
            public String toString() {
                return Describe.of(this);
            }
        }

        /** The IAM authorizer's caller. */
        public static class IAM {

            private String accessKey;
            private String accountId;
            private String callerId;
            private CognitoIdentity cognitoIdentity;
            private String principalOrgId;
            private String userArn;
            private String userId;

            /** A new, empty IAM. */
            public IAM() {}

            /** A new IAM with every field. */
            public IAM(String accessKey, String accountId, String callerId, CognitoIdentity cognitoIdentity, String principalOrgId, String userArn, String userId) {
                this.accessKey = accessKey;
                this.accountId = accountId;
                this.callerId = callerId;
                this.cognitoIdentity = cognitoIdentity;
                this.principalOrgId = principalOrgId;
                this.userArn = userArn;
                this.userId = userId;
            }

            public String getAccessKey() {
                return this.accessKey;
            }

            public void setAccessKey(String accessKey) {
                this.accessKey = accessKey;
            }

            public String getAccountId() {
                return this.accountId;
            }

            public void setAccountId(String accountId) {
                this.accountId = accountId;
            }

            public String getCallerId() {
                return this.callerId;
            }

            public void setCallerId(String callerId) {
                this.callerId = callerId;
            }

            public CognitoIdentity getCognitoIdentity() {
                return this.cognitoIdentity;
            }

            public void setCognitoIdentity(CognitoIdentity cognitoIdentity) {
                this.cognitoIdentity = cognitoIdentity;
            }

            public String getPrincipalOrgId() {
                return this.principalOrgId;
            }

            public void setPrincipalOrgId(String principalOrgId) {
                this.principalOrgId = principalOrgId;
            }

            public String getUserArn() {
                return this.userArn;
            }

            public void setUserArn(String userArn) {
                this.userArn = userArn;
            }

            public String getUserId() {
                return this.userId;
            }

            public void setUserId(String userId) {
                this.userId = userId;
            }

            /** @return a builder of IAM */
            public static IAMBuilder builder() {
                return new IAMBuilder();
            }

            /** Builds a IAM field by field. */
            public static class IAMBuilder {
                private String accessKey;
                private String accountId;
                private String callerId;
                private CognitoIdentity cognitoIdentity;
                private String principalOrgId;
                private String userArn;
                private String userId;

                IAMBuilder() {}

                public IAMBuilder withAccessKey(String accessKey) {
                    this.accessKey = accessKey;
                    return this;
                }

                public IAMBuilder withAccountId(String accountId) {
                    this.accountId = accountId;
                    return this;
                }

                public IAMBuilder withCallerId(String callerId) {
                    this.callerId = callerId;
                    return this;
                }

                public IAMBuilder withCognitoIdentity(CognitoIdentity cognitoIdentity) {
                    this.cognitoIdentity = cognitoIdentity;
                    return this;
                }

                public IAMBuilder withPrincipalOrgId(String principalOrgId) {
                    this.principalOrgId = principalOrgId;
                    return this;
                }

                public IAMBuilder withUserArn(String userArn) {
                    this.userArn = userArn;
                    return this;
                }

                public IAMBuilder withUserId(String userId) {
                    this.userId = userId;
                    return this;
                }

                public IAM build() {
                    return new IAM(accessKey, accountId, callerId, cognitoIdentity, principalOrgId, userArn, userId);
                }
            }

            @Override
            public String toString() {
                return Describe.of(this);
            }
        }

        /** The Cognito identity of an IAM authorizer. */
        public static class CognitoIdentity {

            private List<String> amr;
            private String identityId;
            private String identityPoolId;

            /** A new, empty CognitoIdentity. */
            public CognitoIdentity() {}

            /** A new CognitoIdentity with every field. */
            public CognitoIdentity(List<String> amr, String identityId, String identityPoolId) {
                this.amr = amr;
                this.identityId = identityId;
                this.identityPoolId = identityPoolId;
            }

            public List<String> getAmr() {
                return this.amr;
            }

            public void setAmr(List<String> amr) {
                this.amr = amr;
            }

            public String getIdentityId() {
                return this.identityId;
            }

            public void setIdentityId(String identityId) {
                this.identityId = identityId;
            }

            public String getIdentityPoolId() {
                return this.identityPoolId;
            }

            public void setIdentityPoolId(String identityPoolId) {
                this.identityPoolId = identityPoolId;
            }

            /** @return a builder of CognitoIdentity */
            public static CognitoIdentityBuilder builder() {
                return new CognitoIdentityBuilder();
            }

            /** Builds a CognitoIdentity field by field. */
            public static class CognitoIdentityBuilder {
                private List<String> amr;
                private String identityId;
                private String identityPoolId;

                CognitoIdentityBuilder() {}

                public CognitoIdentityBuilder withAmr(List<String> amr) {
                    this.amr = amr;
                    return this;
                }

                public CognitoIdentityBuilder withIdentityId(String identityId) {
                    this.identityId = identityId;
                    return this;
                }

                public CognitoIdentityBuilder withIdentityPoolId(String identityPoolId) {
                    this.identityPoolId = identityPoolId;
                    return this;
                }

                public CognitoIdentity build() {
                    return new CognitoIdentity(amr, identityId, identityPoolId);
                }
            }

            @Override
            public String toString() {
                return Describe.of(this);
            }
        }

        @Override
        public String toString() {
            return Describe.of(this);
        }
    }

    @Override
    public String toString() {
        return Describe.of(this);
    }
}
