package lockgate.runtime;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * The function's handler, found from {@code _HANDLER} as Lambda's Java
 * runtime finds it: {@code package.Class::method} or {@code package.Class}
 * (method {@code handleRequest}). A class implementing
 * {@link RequestStreamHandler} or {@link RequestHandler} is called through
 * the interface; otherwise the public method of that name taking
 * {@code (InputStream, OutputStream, Context)},
 * {@code (InputStream, OutputStream)}, {@code (I, Context)}, {@code (I)},
 * {@code (Context)} or nothing, the one with the most parameters first.
 * The class is instantiated once (public no-argument constructor) unless
 * the method is static.
 */
final class Handler {

    /** Why the handler cannot be loaded, with the error type Lambda's Java runtime reports. */
    static final class InitFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final String errorType;

        InitFailure(String errorType, String message) {
            super(message);
            this.errorType = errorType;
        }
    }

    private enum Shape {
        /** {@code RequestStreamHandler}. */
        STREAM_INTERFACE,
        /** {@code RequestHandler<I, O>}. */
        TYPED_INTERFACE,
        /** {@code (InputStream, OutputStream[, Context])}. */
        STREAM_METHOD,
        /** {@code (I[, Context])}, {@code (Context)} or {@code ()}. */
        TYPED_METHOD
    }

    private final Object target;
    private final Method method;
    private final Shape shape;
    /** The event's type; null when the method takes no event. */
    private final Type input;
    private final boolean takesContext;
    private final boolean returnsVoid;

    private Handler(Object target, Method method, Shape shape, Type input, boolean takesContext, boolean returnsVoid) {
        this.target = target;
        this.method = method;
        this.shape = shape;
        this.input = input;
        this.takesContext = takesContext;
        this.returnsVoid = returnsVoid;
    }

    /**
     * Loads the handler named by {@code spec}.
     *
     * @throws InitFailure when the handler cannot be found as named
     * @throws Throwable what the class's initialisation or constructor threw
     */
    static Handler load(String spec) throws Throwable {
        String s = spec == null ? "" : spec.trim();
        if (s.isEmpty()) {
            throw new InitFailure("java.lang.IllegalArgumentException",
                    "No handler: _HANDLER is empty (expected package.Class::method or package.Class)");
        }
        String className = s;
        String methodName = "handleRequest";
        int sep = s.indexOf("::");
        if (sep >= 0) {
            className = s.substring(0, sep);
            methodName = s.substring(sep + 2);
        }
        if (className.isEmpty() || methodName.isEmpty() || methodName.contains(":")) {
            throw new InitFailure("java.lang.IllegalArgumentException", "Invalid handler `" + s
                    + "`: expected package.Class::method or package.Class");
        }
        Class<?> cls;
        try {
            cls = Class.forName(className, true, Handler.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new InitFailure("java.lang.ClassNotFoundException", "Class not found: " + className);
        } catch (ExceptionInInitializerError e) {
            throw e.getCause() != null ? e.getCause() : e;
        }
        Shape shape;
        Method method = null;
        Type input = null;
        boolean takesContext = true;
        boolean returnsVoid = false;
        if (methodName.equals("handleRequest") && RequestStreamHandler.class.isAssignableFrom(cls)) {
            shape = Shape.STREAM_INTERFACE;
        } else if (methodName.equals("handleRequest") && RequestHandler.class.isAssignableFrom(cls)) {
            shape = Shape.TYPED_INTERFACE;
            input = Mapper.typeArgument(cls, RequestHandler.class, 0);
        } else {
            method = pick(cls, methodName);
            Class<?>[] p = method.getParameterTypes();
            takesContext = p.length > 0 && p[p.length - 1] == Context.class;
            returnsVoid = method.getReturnType() == void.class;
            if (isStream(p)) {
                shape = Shape.STREAM_METHOD;
            } else {
                shape = Shape.TYPED_METHOD;
                int events = p.length - (takesContext ? 1 : 0);
                if (events == 1) {
                    Type declared = method.getGenericParameterTypes()[0];
                    input = Mapper.resolve(declared, Mapper.bindings(cls, new HashMap<>()));
                }
            }
            try {
                method.setAccessible(true);
            } catch (RuntimeException e) {
                // a public method of a public class needs no help
            }
        }
        Object target = null;
        if (method == null || !Modifier.isStatic(method.getModifiers())) {
            target = instantiate(cls);
        }
        return new Handler(target, method, shape, input, takesContext, returnsVoid);
    }

    private static boolean isStream(Class<?>[] p) {
        return (p.length == 2 || (p.length == 3 && p[2] == Context.class))
                && p[0] == InputStream.class && p[1] == OutputStream.class;
    }

    /** How well a method's parameters fit a handler: -1 when they do not. */
    private static int fit(Method m) {
        Class<?>[] p = m.getParameterTypes();
        boolean ctx = p.length > 0 && p[p.length - 1] == Context.class;
        switch (p.length) {
            case 0:
                return 0;
            case 1:
                return ctx ? 1 : 2;
            case 2:
                if (p[0] == InputStream.class && p[1] == OutputStream.class) {
                    return 4;
                }
                return ctx ? 3 : -1;
            case 3:
                return isStream(p) ? 5 : -1;
            default:
                return -1;
        }
    }

    private static Method pick(Class<?> cls, String name) throws InitFailure {
        List<Method> named = new ArrayList<>();
        for (Method m : cls.getMethods()) {
            if (m.getName().equals(name)) {
                named.add(m);
            }
        }
        Method best = null;
        int bestFit = -1;
        for (Method m : named) {
            int f = fit(m);
            if (f < 0) {
                continue;
            }
            boolean better = f > bestFit
                    || (f == bestFit && best != null && best.isBridge() && !m.isBridge())
                    || (f == bestFit && best != null && best.isBridge() == m.isBridge()
                            && best.getDeclaringClass().isAssignableFrom(m.getDeclaringClass())
                            && best.getDeclaringClass() != m.getDeclaringClass());
            if (better) {
                best = m;
                bestFit = f;
            }
        }
        if (best == null) {
            String why = named.isEmpty() ? "" : " (" + named.size() + " public method" + (named.size() > 1 ? "s" : "")
                    + " of that name, none taking (InputStream, OutputStream[, Context]), (event[, Context]), "
                    + "(Context) or nothing)";
            throw new InitFailure("java.lang.NoSuchMethodException", "No public method named " + name
                    + " with appropriate method signature found on class " + cls.getName() + why);
        }
        return best;
    }

    private static Object instantiate(Class<?> cls) throws Throwable {
        if (cls.isInterface() || Modifier.isAbstract(cls.getModifiers())) {
            throw new InitFailure("java.lang.InstantiationException", "Class " + cls.getName()
                    + " cannot be instantiated: it is abstract or an interface (make the handler method static, "
                    + "or name a concrete class)");
        }
        Constructor<?> c;
        try {
            c = cls.getDeclaredConstructor();
        } catch (NoSuchMethodException e) {
            String inner = cls.isMemberClass() && !Modifier.isStatic(cls.getModifiers())
                    ? " (an inner class needs its outer instance: make it static)" : "";
            throw new InitFailure("java.lang.NoSuchMethodException", "Class " + cls.getName()
                    + " has no public zero-argument constructor" + inner);
        }
        try {
            c.setAccessible(true);
        } catch (RuntimeException e) {
            // a public constructor needs no help
        }
        try {
            return c.newInstance();
        } catch (InvocationTargetException e) {
            throw e.getCause() != null ? e.getCause() : e;
        } catch (ExceptionInInitializerError e) {
            throw e.getCause() != null ? e.getCause() : e;
        }
    }

    /**
     * Runs one invocation: the event's bytes in, the response's bytes out.
     *
     * @throws Throwable what the handler threw, or a {@code RuntimeException} when the event or
     *     the result cannot be (de)serialized, as Lambda's Java runtime reports it
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    byte[] invoke(byte[] event, Context context) throws Throwable {
        switch (shape) {
            case STREAM_INTERFACE: {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ((RequestStreamHandler) target).handleRequest(new ByteArrayInputStream(event), out, context);
                return out.toByteArray();
            }
            case STREAM_METHOD: {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                Object[] args = takesContext
                        ? new Object[] {new ByteArrayInputStream(event), out, context}
                        : new Object[] {new ByteArrayInputStream(event), out};
                call(args);
                return out.toByteArray();
            }
            case TYPED_INTERFACE: {
                Object result = ((RequestHandler) target).handleRequest(decode(event), context);
                return encode(result);
            }
            default: {
                Object[] args;
                if (input != null) {
                    args = takesContext ? new Object[] {decode(event), context} : new Object[] {decode(event)};
                } else {
                    args = takesContext ? new Object[] {context} : new Object[0];
                }
                Object result = call(args);
                return encode(returnsVoid ? null : result);
            }
        }
    }

    private Object call(Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause() != null ? e.getCause() : e;
        }
    }

    private Object decode(byte[] event) {
        if (Mapper.rawClass(input) == InputStream.class) {
            return new ByteArrayInputStream(event);
        }
        try {
            String text = new String(event, StandardCharsets.UTF_8);
            Object json = text.trim().isEmpty() ? null : Json.parse(text);
            return Mapper.fromJson(json, input);
        } catch (IllegalArgumentException e) {
            throw new RuntimeException("An error occurred during JSON parsing", e);
        }
    }

    private static byte[] encode(Object result) {
        try {
            return Mapper.toJson(result).getBytes(StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new RuntimeException("An error occurred during JSON serialization of response", e);
        }
    }
}
