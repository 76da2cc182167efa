package com.amazonaws.services.lambda.runtime.events;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/** The {@code toString} of the event classes: {@code {name: value, …}}, nulls left out. */
final class Describe {

    private Describe() {}

    static String of(Object o) {
        List<Class<?>> chain = new ArrayList<Class<?>>();
        for (Class<?> c = o.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            chain.add(0, c);
        }
        StringBuilder sb = new StringBuilder("{");
        for (Class<?> c : chain) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || f.isSynthetic()) {
                    continue;
                }
                Object v;
                try {
                    f.setAccessible(true);
                    v = f.get(o);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    continue;
                }
                if (v == null) {
                    continue;
                }
                if (sb.length() > 1) {
                    sb.append(",");
                }
                sb.append(f.getName()).append(": ").append(v);
            }
        }
        return sb.append("}").toString();
    }
}
