package com.amazonaws.services.lambda.runtime;

import com.amazonaws.services.lambda.runtime.logging.LogLevel;

/**
 * Writes to the function's log (Lockgate's stand-in for aws-lambda-java-core's
 * interface of the same name).
 */
public interface LambdaLogger {

    /**
     * Logs a message.
     *
     * @param message the text
     */
    void log(String message);

    /**
     * Logs raw bytes.
     *
     * @param message the bytes
     */
    void log(byte[] message);

    /**
     * Logs a message at a level.
     *
     * @param message the text
     * @param logLevel its level
     */
    default void log(String message, LogLevel logLevel) {
        log(message);
    }

    /**
     * Logs raw bytes at a level.
     *
     * @param message the bytes
     * @param logLevel its level
     */
    default void log(byte[] message, LogLevel logLevel) {
        log(message);
    }
}
