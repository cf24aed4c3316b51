package dev.weft.tools;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small parser for {@code --name value} options, {@code --flag} switches, positional words and
 * everything after {@code --}. Unknown options are a {@link UsageException}. Not thread-safe.
 */
final class Args {
    private final Map<String, String> options = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();
    private final List<String> rest = new ArrayList<>();

    private Args() {
    }

    /**
     * @param argv the words after the command name
     * @param valued options that take a value
     * @param flags options that take none
     */
    static Args parse(List<String> argv, Set<String> valued, Set<String> flags) {
        Args a = new Args();
        for (int i = 0; i < argv.size(); i++) {
            String word = argv.get(i);
            if (word.equals("--")) {
                a.rest.addAll(argv.subList(i + 1, argv.size()));
                break;
            }
            if (word.startsWith("--")) {
                String name = word.substring(2);
                String value = null;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                if (flags.contains(name)) {
                    if (value != null) {
                        throw new UsageException("option --" + name + " takes no value");
                    }
                    a.options.put(name, "true");
                } else if (valued.contains(name)) {
                    if (value == null) {
                        if (i + 1 >= argv.size()) {
                            throw new UsageException("option --" + name + " needs a value");
                        }
                        value = argv.get(++i);
                    }
                    a.options.put(name, value);
                } else {
                    throw new UsageException("unknown option --" + name);
                }
            } else {
                a.positional.add(word);
            }
        }
        return a;
    }

    boolean flag(String name) {
        return options.containsKey(name);
    }

    String option(String name, String defaultValue) {
        return options.getOrDefault(name, defaultValue);
    }

    String required(String name) {
        String v = options.get(name);
        if (v == null) {
            throw new UsageException("option --" + name + " is required");
        }
        return v;
    }

    long longOption(String name, long defaultValue, long min, long max) {
        String v = options.get(name);
        if (v == null) {
            return defaultValue;
        }
        long parsed = parseSize(name, v);
        if (parsed < min || parsed > max) {
            throw new UsageException("--" + name + " " + v + " is out of range " + min + ".." + max);
        }
        return parsed;
    }

    /** Parses a count or byte size with an optional K, M or G suffix (powers of 1024). */
    static long parseSize(String name, String v) {
        long factor = 1;
        String digits = v;
        if (!v.isEmpty()) {
            switch (Character.toUpperCase(v.charAt(v.length() - 1))) {
                case 'K' -> factor = 1024;
                case 'M' -> factor = 1024 * 1024;
                case 'G' -> factor = 1024L * 1024 * 1024;
                default -> factor = 1;
            }
            if (factor != 1) {
                digits = v.substring(0, v.length() - 1);
            }
        }
        try {
            return Math.multiplyExact(Long.parseLong(digits), factor);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new UsageException("--" + name + " " + v + " is not a number (a K, M or G suffix is allowed)");
        }
    }

    List<String> positional() {
        return positional;
    }

    List<String> rest() {
        return rest;
    }
}
