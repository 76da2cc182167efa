package com.amazonaws.services.lambda.runtime;

/** The Cognito identity of a caller that came through an AWS mobile SDK. */
public interface CognitoIdentity {

    /** @return the Cognito identity ID */
    String getIdentityId();

    /** @return the Cognito identity pool ID */
    String getIdentityPoolId();
}
