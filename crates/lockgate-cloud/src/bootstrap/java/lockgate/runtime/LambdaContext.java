package lockgate.runtime;

import com.amazonaws.services.lambda.runtime.Client;
import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.LambdaRuntime;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The {@link Context} of one invocation, from the Runtime API's headers and the environment. */
final class LambdaContext implements Context {

    private static final String FUNCTION_NAME = System.getenv("AWS_LAMBDA_FUNCTION_NAME");
    private static final String FUNCTION_VERSION = System.getenv("AWS_LAMBDA_FUNCTION_VERSION");
    private static final String LOG_GROUP = System.getenv("AWS_LAMBDA_LOG_GROUP_NAME");
    private static final String LOG_STREAM = System.getenv("AWS_LAMBDA_LOG_STREAM_NAME");
    private static final int MEMORY_MB = memory();

    private final String requestId;
    private final String invokedArn;
    private final long deadlineMs;
    private final CognitoIdentity identity;
    private final ClientContext clientContext;

    LambdaContext(RuntimeApi.Response next) {
        this.requestId = next.header("lambda-runtime-aws-request-id");
        this.invokedArn = next.header("lambda-runtime-invoked-function-arn");
        long deadline = 0;
        try {
            String d = next.header("lambda-runtime-deadline-ms");
            deadline = d == null ? 0 : Long.parseLong(d);
        } catch (NumberFormatException e) {
            deadline = 0;
        }
        this.deadlineMs = deadline;
        this.identity = identity(object(next.header("lambda-runtime-cognito-identity")));
        this.clientContext = clientContext(object(next.header("lambda-runtime-client-context")));
    }

    private static int memory() {
        try {
            return Integer.parseInt(System.getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"));
        } catch (RuntimeException e) {
            return 128;
        }
    }

    /** The header's JSON object, or null when absent or not an object. */
    private static Map<?, ?> object(String header) {
        if (header == null || header.isEmpty()) {
            return null;
        }
        try {
            Object v = Json.parse(header);
            return v instanceof Map ? (Map<?, ?>) v : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String text(Map<?, ?> m, String key) {
        Object v = m == null ? null : m.get(key);
        return v == null ? null : v.toString();
    }

    private static Map<String, String> strings(Object v) {
        if (!(v instanceof Map)) {
            return null;
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
            out.put(String.valueOf(e.getKey()), e.getValue() == null ? null : e.getValue().toString());
        }
        return Collections.unmodifiableMap(out);
    }

    private static CognitoIdentity identity(Map<?, ?> m) {
        final String id = text(m, "cognitoIdentityId");
        final String pool = text(m, "cognitoIdentityPoolId");
        return new CognitoIdentity() {
            @Override
            public String getIdentityId() {
                return id;
            }

            @Override
            public String getIdentityPoolId() {
                return pool;
            }
        };
    }

    private static ClientContext clientContext(Map<?, ?> m) {
        if (m == null) {
            return null;
        }
        Object c = m.get("client");
        final Map<?, ?> cm = c instanceof Map ? (Map<?, ?>) c : null;
        final Client client = new Client() {
            @Override
            public String getInstallationId() {
                return text(cm, "installation_id");
            }

            @Override
            public String getAppTitle() {
                return text(cm, "app_title");
            }

            @Override
            public String getAppVersionName() {
                return text(cm, "app_version_name");
            }

            @Override
            public String getAppVersionCode() {
                return text(cm, "app_version_code");
            }

            @Override
            public String getAppPackageName() {
                return text(cm, "app_package_name");
            }
        };
        final Map<String, String> custom = strings(m.get("custom"));
        final Map<String, String> env = strings(m.get("env"));
        return new ClientContext() {
            @Override
            public Client getClient() {
                return client;
            }

            @Override
            public Map<String, String> getCustom() {
                return custom;
            }

            @Override
            public Map<String, String> getEnvironment() {
                return env;
            }
        };
    }

    @Override
    public String getAwsRequestId() {
        return requestId;
    }

    @Override
    public String getLogGroupName() {
        return LOG_GROUP;
    }

    @Override
    public String getLogStreamName() {
        return LOG_STREAM;
    }

    @Override
    public String getFunctionName() {
        return FUNCTION_NAME;
    }

    @Override
    public String getFunctionVersion() {
        return FUNCTION_VERSION;
    }

    @Override
    public String getInvokedFunctionArn() {
        return invokedArn;
    }

    @Override
    public CognitoIdentity getIdentity() {
        return identity;
    }

    @Override
    public ClientContext getClientContext() {
        return clientContext;
    }

    @Override
    public int getRemainingTimeInMillis() {
        long left = deadlineMs - System.currentTimeMillis();
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, left));
    }

    @Override
    public int getMemoryLimitInMB() {
        return MEMORY_MB;
    }

    @Override
    public LambdaLogger getLogger() {
        return LambdaRuntime.getLogger();
    }
}
