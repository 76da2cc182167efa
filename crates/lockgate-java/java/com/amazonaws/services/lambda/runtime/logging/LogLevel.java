package com.amazonaws.services.lambda.runtime.logging;

/** Log levels of {@link com.amazonaws.services.lambda.runtime.LambdaLogger}. */
public enum LogLevel {
    /** Not set. */
    UNDEFINED,
    /** Tracing. */
    TRACE,
    /** Debugging. */
    DEBUG,
    /** Information. */
    INFO,
    /** Warnings. */
    WARN,
    /** Errors. */
    ERROR,
    /** Fatal errors. */
    FATAL;

    /**
     * The level named {@code name}, case-insensitively.
     *
     * @param name the level's name
     * @return the level
     * @throws IllegalArgumentException when no level has that name
     */
    public static LogLevel fromString(String name) {
        return LogLevel.valueOf(name.toUpperCase(java.util.Locale.ROOT));
    }
}
