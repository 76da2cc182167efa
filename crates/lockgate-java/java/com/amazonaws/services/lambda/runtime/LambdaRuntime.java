package com.amazonaws.services.lambda.runtime;

import java.io.PrintStream;

/**
 * The runtime's logger, for code without a {@link Context} at hand
 * (Lockgate's stand-in for aws-lambda-java-core's class of the same name):
 * it writes to standard output, which is the function's log. Each call is
 * one log entry on Lambda; here each ends a line (a newline is added when
 * the message has none).
 */
public final class LambdaRuntime {

    private LambdaRuntime() {}

    private static final LambdaLogger LOGGER = new LambdaLogger() {
        @Override
        public void log(String message) {
            PrintStream out = System.out;
            synchronized (out) {
                out.print(message);
                if (message == null || !message.endsWith("\n")) {
                    out.print('\n');
                }
                out.flush();
            }
        }

        @Override
        public void log(byte[] message) {
            PrintStream out = System.out;
            synchronized (out) {
                if (message != null) {
                    out.write(message, 0, message.length);
                }
                if (message == null || message.length == 0 || message[message.length - 1] != '\n') {
                    out.write('\n');
                }
                out.flush();
            }
        }
    };

    /** @return the logger writing to the function's log */
    public static LambdaLogger getLogger() {
        return LOGGER;
    }
}
