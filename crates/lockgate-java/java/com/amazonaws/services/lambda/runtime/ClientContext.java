package com.amazonaws.services.lambda.runtime;

import java.util.Map;

/** The client context an AWS mobile SDK sends with an invocation. */
public interface ClientContext {

    /** @return the client application */
    Client getClient();

    /** @return custom values set by the client application */
    Map<String, String> getCustom();

    /** @return environment values of the client (platform, make, model, locale…) */
    Map<String, String> getEnvironment();
}
