package lockgate.runtime;

import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Maps JSON (as {@link Json} reads it) to the types handlers declare, and
 * results back to JSON, by the rules of Lambda's Java runtime serializer:
 *
 * <ul>
 *   <li>a JSON key sets the property of the same name whatever its case
 *       (and its dashes or underscores: {@code detail-type} sets
 *       {@code detailType}), through its setter {@code setX}, a public
 *       field, or a private field that has a getter; unknown keys are
 *       ignored;
 *   <li>objects become {@code Map}s ({@code LinkedHashMap}), arrays
 *       {@code List}s ({@code ArrayList}), numbers {@code Integer},
 *       {@code Long} or {@code Double} where the type says {@code Object};
 *       nested POJOs, {@code List<POJO>} and {@code Map<String, POJO>}
 *       follow the declared generic types;
 *   <li>results are written through getters ({@code getX}, {@code isX})
 *       and public fields, leaving out null properties; maps, collections,
 *       arrays, strings, numbers, booleans and enums as JSON has them;
 *       {@code byte[]} and {@code ByteBuffer} as base64, {@code Date} as
 *       epoch milliseconds, {@code java.time} values as ISO-8601 strings.
 * </ul>
 */
final class Mapper {

    private Mapper() {}

    /** How deep a result may nest before it is taken for a cycle. */
    private static final int MAX_DEPTH = 500;

    /**
     * JSON names of the events classes that differ from their properties'
     * (what aws-lambda-java-serialization's mixins say).
     */
    private static final Map<String, String> RENAMES = new HashMap<>();

    static {
        String events = "com.amazonaws.services.lambda.runtime.events.";
        RENAMES.put(events + "SQSEvent#records", "Records");
        RENAMES.put(events + "SQSEvent$SQSMessage#eventSourceArn", "eventSourceARN");
        RENAMES.put(events + "ScheduledEvent#detailType", "detail-type");
    }

    // ----------------------------------------------------------------- reading

    /**
     * Converts a JSON value to {@code type}.
     *
     * @throws IllegalArgumentException when the value does not fit the type
     */
    static Object fromJson(Object json, Type type) {
        return convert(json, type, new HashMap<TypeVariable<?>, Type>(), "$");
    }

    private static Object convert(Object json, Type type, Map<TypeVariable<?>, Type> bindings, String path) {
        type = resolve(type, bindings);
        Class<?> raw = rawClass(type);
        if (json == null) {
            return raw.isPrimitive() ? primitiveDefault(raw) : (raw == Optional.class ? Optional.empty() : null);
        }
        if (raw == Object.class) {
            return json;
        }
        if (raw == String.class || raw == CharSequence.class) {
            if (json instanceof String) {
                return json;
            }
            if (json instanceof Number || json instanceof Boolean) {
                return json.toString();
            }
            throw mismatch(raw, json, path);
        }
        if (raw.isPrimitive() || Number.class.isAssignableFrom(raw) || raw == Boolean.class
                || raw == Character.class) {
            return scalar(json, raw, path);
        }
        if (raw.isEnum()) {
            return enumValue(json, raw, path);
        }
        if (raw == Optional.class) {
            return Optional.ofNullable(convert(json, typeArgument(type, Optional.class, 0), bindings, path));
        }
        if (raw == byte[].class || raw == ByteBuffer.class) {
            if (!(json instanceof String)) {
                throw mismatch(raw, json, path);
            }
            byte[] bytes;
            try {
                bytes = Base64.getMimeDecoder().decode((String) json);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Cannot decode base64 at " + path + ": " + e.getMessage());
            }
            return raw == ByteBuffer.class ? ByteBuffer.wrap(bytes) : bytes;
        }
        if (raw == char[].class && json instanceof String) {
            return ((String) json).toCharArray();
        }
        if (Date.class.isAssignableFrom(raw) || TemporalAccessor.class.isAssignableFrom(raw)) {
            return time(json, raw, path);
        }
        if (raw.isArray()) {
            List<?> items = json instanceof List ? (List<?>) json : java.util.Collections.singletonList(json);
            Type component = type instanceof GenericArrayType
                    ? ((GenericArrayType) type).getGenericComponentType()
                    : raw.getComponentType();
            Object array = Array.newInstance(rawClass(resolve(component, bindings)), items.size());
            for (int i = 0; i < items.size(); i++) {
                Array.set(array, i, convert(items.get(i), component, bindings, path + "[" + i + "]"));
            }
            return array;
        }
        if (Collection.class.isAssignableFrom(raw) || raw == Iterable.class) {
            List<?> items = json instanceof List ? (List<?>) json : java.util.Collections.singletonList(json);
            Type element = typeArgument(type, raw == Iterable.class ? Iterable.class : Collection.class, 0);
            @SuppressWarnings("unchecked")
            Collection<Object> out = (Collection<Object>) newCollection(raw, element, path);
            for (int i = 0; i < items.size(); i++) {
                out.add(convert(items.get(i), element, bindings, path + "[" + i + "]"));
            }
            return out;
        }
        if (Map.class.isAssignableFrom(raw)) {
            if (!(json instanceof Map)) {
                throw mismatch(raw, json, path);
            }
            Type keyType = typeArgument(type, Map.class, 0);
            Type valueType = typeArgument(type, Map.class, 1);
            @SuppressWarnings("unchecked")
            Map<Object, Object> out = (Map<Object, Object>) newMap(raw, path);
            for (Map.Entry<?, ?> e : ((Map<?, ?>) json).entrySet()) {
                String key = (String) e.getKey();
                out.put(convert(key, keyType, bindings, path),
                        convert(e.getValue(), valueType, bindings, path + "." + key));
            }
            return out;
        }
        if (raw.isInstance(json) && !(type instanceof ParameterizedType)) {
            // An interface the JSON value already is (Serializable, Comparable…).
            return json;
        }
        if (json instanceof String) {
            Object made = fromString((String) json, raw);
            if (made != null) {
                return made;
            }
        }
        if (!(json instanceof Map)) {
            throw mismatch(raw, json, path);
        }
        return bean((Map<?, ?>) json, type, raw, bindings, path);
    }

    private static Object bean(Map<?, ?> json, Type type, Class<?> raw, Map<TypeVariable<?>, Type> outer, String path) {
        Map<TypeVariable<?>, Type> bindings = bindings(type, outer);
        if (Records.isRecord(raw)) {
            return Records.read(json, raw, bindings, path);
        }
        if (raw.isInterface() || Modifier.isAbstract(raw.getModifiers())) {
            throw new IllegalArgumentException("Cannot construct instance of `" + raw.getName()
                    + "` (abstract types either need to be mapped to concrete types) at " + path);
        }
        Object target;
        try {
            Constructor<?> c = raw.getDeclaredConstructor();
            c.setAccessible(true);
            target = c.newInstance();
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("Cannot construct instance of `" + raw.getName()
                    + "` (no Creators, like default constructor, exist) at " + path);
        } catch (InvocationTargetException e) {
            throw new IllegalArgumentException("Cannot construct instance of `" + raw.getName() + "` at " + path
                    + ": " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalArgumentException("Cannot construct instance of `" + raw.getName() + "` at " + path
                    + ": " + e, e);
        }
        Map<String, Setter> setters = setters(raw);
        for (Map.Entry<?, ?> e : json.entrySet()) {
            String key = (String) e.getKey();
            Setter s = setters.get(normalize(key));
            if (s == null) {
                continue;
            }
            Object value = convert(e.getValue(), s.type, bindings, path + "." + key);
            try {
                s.set(target, value);
            } catch (InvocationTargetException ex) {
                throw new IllegalArgumentException("Setting `" + key + "` of `" + raw.getName() + "` failed: "
                        + ex.getCause(), ex.getCause());
            } catch (ReflectiveOperationException | RuntimeException ex) {
                throw new IllegalArgumentException("Cannot set `" + key + "` of `" + raw.getName() + "`: " + ex,
                        ex);
            }
        }
        return target;
    }

    /** One way to set a property: a setter method or a field. */
    private static final class Setter {
        final Type type;
        final Method method;
        final Field field;

        Setter(Method method) {
            this.method = method;
            this.field = null;
            this.type = method.getGenericParameterTypes()[0];
        }

        Setter(Field field) {
            this.method = null;
            this.field = field;
            this.type = field.getGenericType();
        }

        void set(Object target, Object value) throws ReflectiveOperationException {
            if (method != null) {
                method.invoke(target, value);
            } else {
                field.set(target, value);
            }
        }
    }

    private static final Map<Class<?>, Map<String, Setter>> SETTERS = new HashMap<>();

    private static synchronized Map<String, Setter> setters(Class<?> raw) {
        Map<String, Setter> found = SETTERS.get(raw);
        if (found != null) {
            return found;
        }
        Map<String, Setter> out = new HashMap<>();
        Set<String> getters = new java.util.HashSet<>();
        for (Method m : raw.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.isBridge() || m.getDeclaringClass() == Object.class) {
                continue;
            }
            String name = m.getName();
            if (m.getParameterCount() == 1 && name.length() > 3 && name.startsWith("set")) {
                accessible(m);
                out.putIfAbsent(normalize(name.substring(3)), new Setter(m));
            } else if (m.getParameterCount() == 0 && name.length() > 3 && name.startsWith("get")) {
                getters.add(normalize(name.substring(3)));
            } else if (m.getParameterCount() == 0 && name.length() > 2 && name.startsWith("is")) {
                getters.add(normalize(name.substring(2)));
            }
        }
        for (Class<?> c = raw; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                int mod = f.getModifiers();
                if (Modifier.isStatic(mod) || Modifier.isTransient(mod) || f.isSynthetic()) {
                    continue;
                }
                String name = f.getName();
                String key = normalize(name);
                if (out.containsKey(key)) {
                    continue;
                }
                // `boolean isBase64Encoded` with `setBase64Encoded`: the JSON key is the field's name.
                if (name.length() > 2 && name.startsWith("is") && Character.isUpperCase(name.charAt(2))
                        && out.containsKey(normalize(name.substring(2)))) {
                    out.put(key, out.get(normalize(name.substring(2))));
                    continue;
                }
                if (Modifier.isFinal(mod)) {
                    continue;
                }
                if (Modifier.isPublic(mod) || getters.contains(key)) {
                    if (accessible(f)) {
                        out.put(key, new Setter(f));
                    }
                }
            }
        }
        SETTERS.put(raw, out);
        return out;
    }

    private static boolean accessible(java.lang.reflect.AccessibleObject o) {
        try {
            o.setAccessible(true);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static Object scalar(Object json, Class<?> raw, String path) {
        Class<?> box = box(raw);
        if (box == Boolean.class) {
            if (json instanceof Boolean) {
                return json;
            }
            if (json instanceof String) {
                String s = ((String) json).trim();
                if (s.equalsIgnoreCase("true")) {
                    return Boolean.TRUE;
                }
                if (s.equalsIgnoreCase("false")) {
                    return Boolean.FALSE;
                }
                if (s.isEmpty() && !raw.isPrimitive()) {
                    return null;
                }
            }
            if (json instanceof Number) {
                return ((Number) json).intValue() != 0;
            }
            throw mismatch(raw, json, path);
        }
        if (box == Character.class) {
            if (json instanceof String && ((String) json).length() == 1) {
                return ((String) json).charAt(0);
            }
            if (json instanceof Integer) {
                return (char) ((Integer) json).intValue();
            }
            throw mismatch(raw, json, path);
        }
        Number n;
        if (json instanceof Number) {
            n = (Number) json;
        } else if (json instanceof String) {
            String s = ((String) json).trim();
            if (s.isEmpty()) {
                return raw.isPrimitive() ? primitiveDefault(raw) : null;
            }
            try {
                n = new BigDecimal(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Cannot deserialize value of type `" + raw.getName()
                        + "` from String \"" + s + "\": not a valid number at " + path);
            }
        } else if (json instanceof Boolean) {
            throw mismatch(raw, json, path);
        } else {
            throw mismatch(raw, json, path);
        }
        if (box == Integer.class) {
            return n.intValue();
        }
        if (box == Long.class) {
            return n.longValue();
        }
        if (box == Double.class) {
            return n.doubleValue();
        }
        if (box == Float.class) {
            return n.floatValue();
        }
        if (box == Short.class) {
            return n.shortValue();
        }
        if (box == Byte.class) {
            return n.byteValue();
        }
        if (box == BigDecimal.class) {
            return n instanceof BigDecimal ? n : new BigDecimal(n.toString());
        }
        if (box == BigInteger.class) {
            return n instanceof BigInteger ? n : new BigDecimal(n.toString()).toBigInteger();
        }
        if (box == Number.class) {
            return n;
        }
        throw mismatch(raw, json, path);
    }

    private static Object enumValue(Object json, Class<?> raw, String path) {
        Object[] constants = raw.getEnumConstants();
        if (json instanceof String) {
            for (Object c : constants) {
                if (((Enum<?>) c).name().equals(json)) {
                    return c;
                }
            }
            for (Object c : constants) {
                if (((Enum<?>) c).name().equalsIgnoreCase((String) json)) {
                    return c;
                }
            }
            throw new IllegalArgumentException("Cannot deserialize value of type `" + raw.getName()
                    + "` from String \"" + json + "\": not one of the values accepted for Enum class at " + path);
        }
        if (json instanceof Integer) {
            int i = (Integer) json;
            if (i >= 0 && i < constants.length) {
                return constants[i];
            }
        }
        throw mismatch(raw, json, path);
    }

    private static Object time(Object json, Class<?> raw, String path) {
        try {
            if (json instanceof Number) {
                long ms = ((Number) json).longValue();
                if (raw == Instant.class) {
                    return Instant.ofEpochMilli(ms);
                }
                if (Date.class.isAssignableFrom(raw)) {
                    return raw.getConstructor(long.class).newInstance(ms);
                }
            }
            if (json instanceof String) {
                String s = (String) json;
                if (raw == Instant.class) {
                    try {
                        return Instant.parse(s);
                    } catch (RuntimeException e) {
                        return OffsetDateTime.parse(s).toInstant();
                    }
                }
                if (raw == OffsetDateTime.class) {
                    return OffsetDateTime.parse(s);
                }
                if (raw == ZonedDateTime.class) {
                    return ZonedDateTime.parse(s);
                }
                if (raw == LocalDateTime.class) {
                    return LocalDateTime.parse(s);
                }
                if (raw == LocalDate.class) {
                    return LocalDate.parse(s);
                }
                if (raw == LocalTime.class) {
                    return LocalTime.parse(s);
                }
                if (Date.class.isAssignableFrom(raw)) {
                    long ms;
                    try {
                        ms = Instant.parse(s).toEpochMilli();
                    } catch (RuntimeException e) {
                        ms = OffsetDateTime.parse(s).toInstant().toEpochMilli();
                    }
                    return raw.getConstructor(long.class).newInstance(ms);
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalArgumentException("Cannot deserialize value of type `" + raw.getName() + "` from "
                    + kind(json) + " at " + path + ": " + e.getMessage());
        }
        throw mismatch(raw, json, path);
    }

    /** A value made from a string by a constructor {@code (String)} or a static {@code valueOf} / {@code fromString}. */
    private static Object fromString(String s, Class<?> raw) {
        for (String name : new String[] {"valueOf", "fromString", "of", "parse"}) {
            try {
                Method m = raw.getMethod(name, String.class);
                if (Modifier.isStatic(m.getModifiers()) && raw.isAssignableFrom(m.getReturnType())) {
                    return m.invoke(null, s);
                }
            } catch (NoSuchMethodException e) {
                // try the next way
            } catch (InvocationTargetException e) {
                throw new IllegalArgumentException("Cannot make a `" + raw.getName() + "` from \"" + s + "\": "
                        + e.getCause(), e.getCause());
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }
        try {
            return raw.getConstructor(String.class).newInstance(s);
        } catch (NoSuchMethodException e) {
            return null;
        } catch (InvocationTargetException e) {
            throw new IllegalArgumentException("Cannot make a `" + raw.getName() + "` from \"" + s + "\": "
                    + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static Collection<?> newCollection(Class<?> raw, Type element, String path) {
        if (raw.isInterface() || Modifier.isAbstract(raw.getModifiers())) {
            if (raw.isAssignableFrom(ArrayList.class)) {
                return new ArrayList<>();
            }
            if (raw.isAssignableFrom(LinkedHashSet.class)) {
                return new LinkedHashSet<>();
            }
            if (raw.isAssignableFrom(TreeSet.class)) {
                return new TreeSet<>();
            }
            if (raw.isAssignableFrom(ArrayDeque.class)) {
                return new ArrayDeque<>();
            }
            if (raw == EnumSet.class) {
                @SuppressWarnings({"unchecked", "rawtypes"})
                Collection<?> set = EnumSet.noneOf((Class) rawClass(element));
                return set;
            }
            throw new IllegalArgumentException("Cannot construct instance of `" + raw.getName() + "` at " + path);
        }
        try {
            return (Collection<?>) raw.getConstructor().newInstance();
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalArgumentException("Cannot construct instance of `" + raw.getName() + "` at " + path);
        }
    }

    private static Map<?, ?> newMap(Class<?> raw, String path) {
        if (raw.isInterface() || Modifier.isAbstract(raw.getModifiers())) {
            if (raw.isAssignableFrom(LinkedHashMap.class)) {
                return new LinkedHashMap<>();
            }
            if (raw.isAssignableFrom(TreeMap.class)) {
                return new TreeMap<>();
            }
            if (raw.isAssignableFrom(java.util.concurrent.ConcurrentHashMap.class)) {
                return new java.util.concurrent.ConcurrentHashMap<>();
            }
            throw new IllegalArgumentException("Cannot construct instance of `" + raw.getName() + "` at " + path);
        }
        try {
            return (Map<?, ?>) raw.getConstructor().newInstance();
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalArgumentException("Cannot construct instance of `" + raw.getName() + "` at " + path);
        }
    }

    private static IllegalArgumentException mismatch(Class<?> raw, Object json, String path) {
        return new IllegalArgumentException("Cannot deserialize value of type `" + raw.getTypeName() + "` from "
                + kind(json) + " at " + path);
    }

    private static String kind(Object json) {
        if (json instanceof Map) {
            return "Object value (token `JsonToken.START_OBJECT`)";
        }
        if (json instanceof List) {
            return "Array value (token `JsonToken.START_ARRAY`)";
        }
        if (json instanceof String) {
            return "String value";
        }
        if (json instanceof Boolean) {
            return "Boolean value";
        }
        if (json instanceof Number) {
            return "Number value";
        }
        return "null";
    }

    // ------------------------------------------------------------------ types

    /** Resolves type variables through {@code bindings} (unbound ones to their first bound). */
    static Type resolve(Type type, Map<TypeVariable<?>, Type> bindings) {
        for (int guard = 0; guard < 32; guard++) {
            if (type instanceof TypeVariable) {
                Type bound = bindings.get(type);
                type = bound != null ? bound : ((TypeVariable<?>) type).getBounds()[0];
            } else if (type instanceof WildcardType) {
                type = ((WildcardType) type).getUpperBounds()[0];
            } else {
                return type;
            }
        }
        return Object.class;
    }

    static Class<?> rawClass(Type type) {
        if (type instanceof Class) {
            return (Class<?>) type;
        }
        if (type instanceof ParameterizedType) {
            return (Class<?>) ((ParameterizedType) type).getRawType();
        }
        if (type instanceof GenericArrayType) {
            Class<?> component = rawClass(((GenericArrayType) type).getGenericComponentType());
            return Array.newInstance(component, 0).getClass();
        }
        if (type instanceof WildcardType) {
            return rawClass(((WildcardType) type).getUpperBounds()[0]);
        }
        if (type instanceof TypeVariable) {
            return rawClass(((TypeVariable<?>) type).getBounds()[0]);
        }
        return Object.class;
    }

    /**
     * What the type variables of {@code type}'s class and of its
     * superclasses and interfaces stand for, given {@code outer}.
     */
    static Map<TypeVariable<?>, Type> bindings(Type type, Map<TypeVariable<?>, Type> outer) {
        Map<TypeVariable<?>, Type> out = new HashMap<>(outer);
        bind(type, out, 0);
        return out;
    }

    private static void bind(Type type, Map<TypeVariable<?>, Type> out, int depth) {
        if (depth > 64 || type == null) {
            return;
        }
        Class<?> raw = rawClass(type);
        if (type instanceof ParameterizedType) {
            TypeVariable<?>[] vars = raw.getTypeParameters();
            Type[] args = ((ParameterizedType) type).getActualTypeArguments();
            for (int i = 0; i < vars.length && i < args.length; i++) {
                out.put(vars[i], resolve(args[i], out));
            }
        }
        bind(raw.getGenericSuperclass(), out, depth + 1);
        for (Type i : raw.getGenericInterfaces()) {
            bind(i, out, depth + 1);
        }
    }

    /**
     * Type argument {@code index} of {@code generic} (an interface or class
     * {@code type} implements or extends), {@code Object} when unknown.
     */
    static Type typeArgument(Type type, Class<?> generic, int index) {
        Map<TypeVariable<?>, Type> b = bindings(type, new HashMap<TypeVariable<?>, Type>());
        TypeVariable<?>[] vars = generic.getTypeParameters();
        if (index >= vars.length) {
            return Object.class;
        }
        Type t = b.get(vars[index]);
        return t == null ? Object.class : t;
    }

    private static Class<?> box(Class<?> c) {
        if (!c.isPrimitive()) {
            return c;
        }
        if (c == int.class) {
            return Integer.class;
        }
        if (c == long.class) {
            return Long.class;
        }
        if (c == double.class) {
            return Double.class;
        }
        if (c == float.class) {
            return Float.class;
        }
        if (c == boolean.class) {
            return Boolean.class;
        }
        if (c == short.class) {
            return Short.class;
        }
        if (c == byte.class) {
            return Byte.class;
        }
        if (c == char.class) {
            return Character.class;
        }
        return Void.class;
    }

    private static Object primitiveDefault(Class<?> c) {
        if (c == boolean.class) {
            return Boolean.FALSE;
        }
        if (c == char.class) {
            return '\0';
        }
        if (c == void.class) {
            return null;
        }
        return scalar(0, c, "$");
    }

    /** Lower case, letters and digits only: how JSON keys meet property names. */
    static String normalize(String name) {
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isLetterOrDigit(c)) {
                sb.append(Character.toLowerCase(c));
            }
        }
        return sb.toString();
    }

    // ----------------------------------------------------------------- writing

    /**
     * Writes {@code value} as JSON.
     *
     * @throws IllegalArgumentException when it cannot be written (a cycle, a getter that throws)
     */
    static String toJson(Object value) {
        StringBuilder sb = new StringBuilder();
        write(value, sb, 0);
        return sb.toString();
    }

    private static void write(Object v, StringBuilder out, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("the result nests more than " + MAX_DEPTH
                    + " levels deep (a direct self-reference?)");
        }
        if (v == null) {
            out.append("null");
        } else if (v instanceof String) {
            Json.quote((String) v, out);
        } else if (v instanceof Boolean) {
            out.append(v.toString());
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                Json.quote(v.toString(), out);
            } else {
                out.append(v.toString());
            }
        } else if (v instanceof Number) {
            out.append(v instanceof BigDecimal ? ((BigDecimal) v).toString() : v.toString());
        } else if (v instanceof Character || v instanceof CharSequence) {
            Json.quote(v.toString(), out);
        } else if (v instanceof Enum) {
            Json.quote(((Enum<?>) v).name(), out);
        } else if (v instanceof Map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                Json.quote(String.valueOf(e.getKey()), out);
                out.append(':');
                write(e.getValue(), out, depth + 1);
            }
            out.append('}');
        } else if (v instanceof byte[]) {
            Json.quote(Base64.getEncoder().encodeToString((byte[]) v), out);
        } else if (v instanceof char[]) {
            Json.quote(new String((char[]) v), out);
        } else if (v instanceof ByteBuffer) {
            ByteBuffer b = ((ByteBuffer) v).duplicate();
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            Json.quote(Base64.getEncoder().encodeToString(bytes), out);
        } else if (v.getClass().isArray()) {
            out.append('[');
            int n = Array.getLength(v);
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    out.append(',');
                }
                write(Array.get(v, i), out, depth + 1);
            }
            out.append(']');
        } else if (v instanceof Iterable) {
            out.append('[');
            Iterator<?> it = ((Iterable<?>) v).iterator();
            boolean first = true;
            while (it.hasNext()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                write(it.next(), out, depth + 1);
            }
            out.append(']');
        } else if (v instanceof Optional) {
            write(((Optional<?>) v).orElse(null), out, depth + 1);
        } else if (v instanceof Date) {
            out.append(((Date) v).getTime());
        } else if (Records.isRecord(v.getClass())) {
            Records.write(v, out, depth);
        } else if (isPlatform(v.getClass())) {
            Json.quote(v.toString(), out);
        } else {
            writeBean(v, out, depth);
        }
    }

    /** JDK classes are written as their string (a UUID, a URI, a java.time value). */
    private static boolean isPlatform(Class<?> c) {
        String n = c.getName();
        return n.startsWith("java.") || n.startsWith("javax.") || n.startsWith("jdk.") || n.startsWith("sun.");
    }

    /** One property of a bean as written. */
    private static final class Getter {
        final String name;
        final Method method;
        final Field field;

        Getter(String name, Method method, Field field) {
            this.name = name;
            this.method = method;
            this.field = field;
        }

        Object get(Object target) throws ReflectiveOperationException {
            return method != null ? method.invoke(target) : field.get(target);
        }
    }

    private static final Map<Class<?>, List<Getter>> GETTERS = new HashMap<>();

    private static synchronized List<Getter> getters(Class<?> raw) {
        List<Getter> found = GETTERS.get(raw);
        if (found != null) {
            return found;
        }
        Map<String, Getter> byKey = new LinkedHashMap<>();
        Set<String> declared = new java.util.HashSet<>();
        List<Field> fields = new ArrayList<>();
        List<Class<?>> chain = new ArrayList<>();
        for (Class<?> c = raw; c != null && c != Object.class; c = c.getSuperclass()) {
            chain.add(0, c);
        }
        for (Class<?> c : chain) {
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers()) && !f.isSynthetic()) {
                    fields.add(f);
                    declared.add(f.getName());
                }
            }
        }
        Map<String, Getter> methods = new TreeMap<>();
        for (Method m : raw.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.isBridge() || m.getParameterCount() != 0
                    || m.getDeclaringClass() == Object.class || m.getReturnType() == void.class) {
                continue;
            }
            String n = m.getName();
            String prop;
            if (n.length() > 3 && n.startsWith("get")) {
                prop = mangle(n.substring(3));
            } else if (n.length() > 2 && n.startsWith("is")
                    && (m.getReturnType() == boolean.class || m.getReturnType() == Boolean.class)) {
                // Lombok's `isBase64Encoded()` of a field `isBase64Encoded`: the field's name.
                prop = declared.contains(n) ? n : mangle(n.substring(2));
            } else {
                continue;
            }
            if (!accessible(m)) {
                continue;
            }
            methods.putIfAbsent(normalize(prop), new Getter(prop, m, null));
        }
        // Properties in the order of their fields, then the others by name.
        for (Field f : fields) {
            String key = normalize(f.getName());
            Getter g = methods.remove(key);
            if (g == null && f.getName().startsWith("is")) {
                g = methods.remove(normalize(f.getName().substring(2)));
            }
            if (g != null) {
                byKey.put(key, g);
            } else if (Modifier.isPublic(f.getModifiers()) && !Modifier.isTransient(f.getModifiers())
                    && !byKey.containsKey(key) && accessible(f)) {
                byKey.put(key, new Getter(f.getName(), null, f));
            }
        }
        for (Map.Entry<String, Getter> e : methods.entrySet()) {
            byKey.putIfAbsent(e.getKey(), e.getValue());
        }
        List<Getter> out = new ArrayList<>();
        for (Getter g : byKey.values()) {
            String rename = RENAMES.get(raw.getName() + "#" + g.name);
            out.add(rename == null ? g : new Getter(rename, g.method, g.field));
        }
        GETTERS.put(raw, out);
        return out;
    }

    /** Jackson's default property name of a getter: {@code getURL} → {@code url}, {@code getStatusCode} → {@code statusCode}. */
    private static String mangle(String s) {
        StringBuilder sb = new StringBuilder(s);
        for (int i = 0; i < sb.length(); i++) {
            char c = sb.charAt(i);
            char lower = Character.toLowerCase(c);
            if (c == lower) {
                break;
            }
            sb.setCharAt(i, lower);
        }
        return sb.toString();
    }

    private static void writeBean(Object v, StringBuilder out, int depth) {
        out.append('{');
        boolean first = true;
        for (Getter g : getters(v.getClass())) {
            Object value;
            try {
                value = g.get(v);
            } catch (InvocationTargetException e) {
                throw new IllegalArgumentException("Getter of `" + g.name + "` of `" + v.getClass().getName()
                        + "` failed: " + e.getCause(), e.getCause());
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalArgumentException("Cannot read `" + g.name + "` of `" + v.getClass().getName()
                        + "`: " + e, e);
            }
            if (value == null) {
                continue;
            }
            if (!first) {
                out.append(',');
            }
            first = false;
            Json.quote(g.name, out);
            out.append(':');
            write(value, out, depth + 1);
        }
        out.append('}');
    }

    /**
     * Java records (16+), through reflection so the bootstrap compiles on 11:
     * read through their canonical constructor, written through their
     * component accessors.
     */
    private static final class Records {
        private static final Method IS_RECORD = method(Class.class, "isRecord");
        private static final Method COMPONENTS = method(Class.class, "getRecordComponents");

        private static Method method(Class<?> c, String name) {
            try {
                return c.getMethod(name);
            } catch (NoSuchMethodException e) {
                return null;
            }
        }

        static boolean isRecord(Class<?> c) {
            if (IS_RECORD == null) {
                return false;
            }
            try {
                return (Boolean) IS_RECORD.invoke(c);
            } catch (ReflectiveOperationException e) {
                return false;
            }
        }

        private static Object[] components(Class<?> c) throws ReflectiveOperationException {
            return (Object[]) COMPONENTS.invoke(c);
        }

        private static String name(Object component) throws ReflectiveOperationException {
            return (String) component.getClass().getMethod("getName").invoke(component);
        }

        static Object read(Map<?, ?> json, Class<?> raw, Map<TypeVariable<?>, Type> bindings, String path) {
            try {
                Object[] cs = components(raw);
                Class<?>[] types = new Class<?>[cs.length];
                Object[] args = new Object[cs.length];
                Map<String, Object> byKey = new HashMap<>();
                for (Map.Entry<?, ?> e : json.entrySet()) {
                    byKey.put(normalize((String) e.getKey()), e.getValue());
                }
                for (int i = 0; i < cs.length; i++) {
                    Class<?> rc = cs[i].getClass();
                    types[i] = (Class<?>) rc.getMethod("getType").invoke(cs[i]);
                    Type generic = (Type) rc.getMethod("getGenericType").invoke(cs[i]);
                    String name = name(cs[i]);
                    args[i] = convert(byKey.get(normalize(name)), generic, bindings, path + "." + name);
                }
                Constructor<?> c = raw.getDeclaredConstructor(types);
                accessible(c);
                return c.newInstance(args);
            } catch (InvocationTargetException e) {
                throw new IllegalArgumentException("Cannot construct instance of `" + raw.getName() + "` at "
                        + path + ": " + e.getCause(), e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalArgumentException("Cannot construct instance of `" + raw.getName() + "` at "
                        + path + ": " + e, e);
            }
        }

        static void write(Object v, StringBuilder out, int depth) {
            out.append('{');
            boolean first = true;
            try {
                for (Object c : components(v.getClass())) {
                    Method accessor = (Method) c.getClass().getMethod("getAccessor").invoke(c);
                    accessible(accessor);
                    Object value = accessor.invoke(v);
                    if (value == null) {
                        continue;
                    }
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    Json.quote(name(c), out);
                    out.append(':');
                    Mapper.write(value, out, depth + 1);
                }
            } catch (InvocationTargetException e) {
                throw new IllegalArgumentException("Accessor of `" + v.getClass().getName() + "` failed: "
                        + e.getCause(), e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalArgumentException("Cannot read `" + v.getClass().getName() + "`: " + e, e);
            }
            out.append('}');
        }
    }
}
