package com.amazonaws.services.lambda.runtime;

/**
 * The context object a handler receives: what the current invocation and
 * the function are (Lockgate's stand-in for aws-lambda-java-core's
 * interface of the same name and methods).
 */
public interface Context {

    /** @return the request ID of this invocation */
    String getAwsRequestId();

    /** @return the function's CloudWatch log group ({@code /aws/lambda/<name>}) */
    String getLogGroupName();

    /** @return the instance's log stream */
    String getLogStreamName();

    /** @return the function's name */
    String getFunctionName();

    /** @return the version that runs ({@code $LATEST} or a number) */
    String getFunctionVersion();

    /** @return the ARN the function was invoked by (with its qualifier, if any) */
    String getInvokedFunctionArn();

    /** @return the Cognito identity of the caller (from the mobile SDKs), or null */
    CognitoIdentity getIdentity();

    /** @return the client context (from the mobile SDKs), or null */
    ClientContext getClientContext();

    /** @return the milliseconds left before the invocation times out */
    int getRemainingTimeInMillis();

    /** @return the function's memory size in MB */
    int getMemoryLimitInMB();

    /** @return a logger writing to the function's log */
    LambdaLogger getLogger();
}
