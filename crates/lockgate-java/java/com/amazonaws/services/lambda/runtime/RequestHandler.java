package com.amazonaws.services.lambda.runtime;

/**
 * A handler whose event is deserialized into {@code I} and whose result of
 * type {@code O} is serialized as the response (Lockgate's stand-in for
 * aws-lambda-java-core's interface of the same name).
 *
 * @param <I> the event's type
 * @param <O> the result's type
 */
public interface RequestHandler<I, O> {

    /**
     * Handles one invocation.
     *
     * @param input the event
     * @param context the invocation's context
     * @return the result, serialized to JSON
     */
    O handleRequest(I input, Context context);
}
