package lockgate.runtime;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Lockgate's Java bootstrap: runs a Lambda handler against the Runtime API.
 *
 * <p>It loads the handler named by {@code _HANDLER} (see {@link Handler}),
 * reporting a failure through {@code /runtime/init/error}, then loops: GET
 * {@code /next}, deserialize the event for the handler (see {@link Mapper}),
 * call it with a {@link LambdaContext}, POST the serialized result, or the
 * error as {@code {errorMessage, errorType, stackTrace, cause}} with the
 * exception's fully qualified class name, as Lambda's Java runtime does. The
 * stack trace also goes to standard error, which is the function's log, as
 * standard output is. Only the standard library is used.
 */
public final class Bootstrap {

    private Bootstrap() {}

    /** Frames of the runtime itself, left out of stack traces. */
    private static final String[] RUNTIME_FRAMES = {
        "lockgate.runtime.", "jdk.internal.reflect.", "java.lang.reflect.", "sun.reflect."
    };

    /**
     * Runs the handler of {@code _HANDLER} against the Runtime API at
     * {@code AWS_LAMBDA_RUNTIME_API} until the API stops answering.
     *
     * @param args unused
     */
    public static void main(String[] args) {
        // The function's log is UTF-8 whatever the locale of the machine.
        System.setOut(new PrintStream(
                new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 8192), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(
                new BufferedOutputStream(new FileOutputStream(FileDescriptor.err), 8192), true, StandardCharsets.UTF_8));
        String address = System.getenv("AWS_LAMBDA_RUNTIME_API");
        if (address == null || address.isEmpty()) {
            System.err.println("lockgate bootstrap: AWS_LAMBDA_RUNTIME_API is not set");
            System.exit(1);
        }
        RuntimeApi api = new RuntimeApi(address);
        Handler handler;
        try {
            handler = Handler.load(System.getenv("_HANDLER"));
        } catch (Handler.InitFailure f) {
            initFailed(api, f.errorType, document(f.errorType, f.getMessage(), Collections.<String>emptyList(), null));
            return;
        } catch (Throwable t) {
            printTrace(t);
            initFailed(api, t.getClass().getName(), document(t));
            return;
        }
        try {
            loop(api, handler);
        } catch (IOException e) {
            System.err.println("lockgate bootstrap: the Runtime API failed: " + e);
            System.exit(1);
        }
    }

    private static void initFailed(RuntimeApi api, String errorType, String doc) {
        System.err.println(doc);
        System.out.flush();
        System.err.flush();
        try {
            api.initError(doc.getBytes(StandardCharsets.UTF_8), errorType);
        } catch (IOException e) {
            System.err.println("lockgate bootstrap: cannot report the init error: " + e);
        }
        System.exit(1);
    }

    private static void loop(RuntimeApi api, Handler handler) throws IOException {
        while (true) {
            RuntimeApi.Response next = api.next();
            if (next.status != 200) {
                System.exit(0);
            }
            String requestId = next.header("lambda-runtime-aws-request-id");
            String trace = next.header("lambda-runtime-trace-id");
            if (trace != null && !trace.isEmpty()) {
                System.setProperty("com.amazonaws.xray.traceHeader", trace);
            } else {
                System.clearProperty("com.amazonaws.xray.traceHeader");
            }
            byte[] result;
            try {
                result = handler.invoke(next.body, new LambdaContext(next));
            } catch (Throwable t) {
                printTrace(t);
                System.out.flush();
                System.err.flush();
                api.error(requestId, document(t).getBytes(StandardCharsets.UTF_8), t.getClass().getName());
                if (t instanceof OutOfMemoryError) {
                    // The heap may be in any state: a fresh instance serves the next event.
                    System.exit(1);
                }
                continue;
            }
            System.out.flush();
            System.err.flush();
            api.respond(requestId, result);
        }
    }

    /** The frames of {@code t} without the runtime's own at the bottom. */
    private static List<String> frames(Throwable t) {
        StackTraceElement[] all = t.getStackTrace();
        int end = all.length;
        while (end > 0 && isRuntimeFrame(all[end - 1])) {
            end--;
        }
        List<String> out = new ArrayList<>(end);
        for (int i = 0; i < end; i++) {
            out.add(frame(all[i]));
        }
        return out;
    }

    private static boolean isRuntimeFrame(StackTraceElement e) {
        for (String prefix : RUNTIME_FRAMES) {
            if (e.getClassName().startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** A frame as Lambda's Java runtime writes it: {@code package.Class.method(File.java:12)}. */
    private static String frame(StackTraceElement e) {
        String where;
        if (e.isNativeMethod()) {
            where = "Native Method";
        } else if (e.getFileName() == null) {
            where = "Unknown Source";
        } else if (e.getLineNumber() >= 0) {
            where = e.getFileName() + ":" + e.getLineNumber();
        } else {
            where = e.getFileName();
        }
        return e.getClassName() + "." + e.getMethodName() + "(" + where + ")";
    }

    /** The error document of {@code t}, its causes nested under {@code cause}. */
    private static String document(Throwable t) {
        return document(t, Collections.newSetFromMap(new IdentityHashMap<Throwable, Boolean>()));
    }

    private static String document(Throwable t, Set<Throwable> seen) {
        seen.add(t);
        Throwable cause = t.getCause();
        String causeDoc = cause != null && !seen.contains(cause) && seen.size() < 16 ? document(cause, seen) : null;
        return document(t.getClass().getName(), t.getMessage(), frames(t), causeDoc);
    }

    private static String document(String type, String message, List<String> frames, String causeDoc) {
        StringBuilder sb = new StringBuilder();
        sb.append('{');
        if (message != null) {
            sb.append("\"errorMessage\":");
            Json.quote(message, sb);
            sb.append(',');
        }
        sb.append("\"errorType\":");
        Json.quote(type, sb);
        sb.append(",\"stackTrace\":[");
        for (int i = 0; i < frames.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            Json.quote(frames.get(i), sb);
        }
        sb.append(']');
        if (causeDoc != null) {
            sb.append(",\"cause\":").append(causeDoc);
        }
        return sb.append('}').toString();
    }

    /** Writes {@code t} to standard error as Java prints it, without the runtime's frames. */
    private static void printTrace(Throwable t) {
        StringBuilder sb = new StringBuilder();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<Throwable, Boolean>());
        String prefix = "";
        for (Throwable c = t; c != null && seen.add(c) && seen.size() <= 16; c = c.getCause()) {
            sb.append(prefix).append(c).append('\n');
            for (String f : frames(c)) {
                sb.append("\tat ").append(f).append('\n');
            }
            prefix = "Caused by: ";
        }
        System.err.print(sb);
        System.err.flush();
    }
}
