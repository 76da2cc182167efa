package com.amazonaws.services.lambda.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A handler that reads the event's bytes and writes the response's bytes
 * itself (Lockgate's stand-in for aws-lambda-java-core's interface of the
 * same name).
 */
public interface RequestStreamHandler {

    /**
     * Handles one invocation.
     *
     * @param input the event, as sent
     * @param output where the response goes
     * @param context the invocation's context
     * @throws IOException when reading or writing fails
     */
    void handleRequest(InputStream input, OutputStream output, Context context) throws IOException;
}
