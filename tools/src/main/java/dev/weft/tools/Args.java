package dev.weft.tools;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small parser for {@code --name value} (or {@code --name=value}) options and {@code --flag} switches. Anything
 * else is a {@link UsageException} naming the word: an unknown option, an option given twice, a positional word, a
 * word after {@code --} (no command that parses with this class takes one; {@code weft testbed exec} splits its
 * command off before). Not thread-safe.
 */
final class Args {
    private final Map<String, String> options = new LinkedHashMap<>();

    private Args() {
    }

    /**
     * @param argv the words after the command name
     * @param valued options that take a value
     * @param flags options that take none
     */
    static Args parse(List<String> argv, Set<String> valued, Set<String> flags) {
        return parse(argv, valued, flags, "this command takes only options");
    }

    /**
     * @param argv the words after the command name
     * @param valued options that take a value
     * @param flags options that take none
     * @param positionalHint what the message for a positional word adds: what the command takes instead
     */
    static Args parse(List<String> argv, Set<String> valued, Set<String> flags, String positionalHint) {
        Args a = new Args();
        for (int i = 0; i < argv.size(); i++) {
            String word = argv.get(i);
            if (word.equals("--")) {
                if (i + 1 < argv.size()) {
                    throw new UsageException("unexpected '" + argv.get(i + 1) + "' after --; this command takes only options");
                }
                break;
            }
            if (!word.startsWith("--")) {
                throw new UsageException("unexpected argument '" + word + "'; " + positionalHint);
            }
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
                value = "true";
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= argv.size() || isOption(argv.get(i + 1), valued, flags)) {
                        throw new UsageException("option --" + name + " needs a value");
                    }
                    value = argv.get(++i);
                }
            } else {
                throw new UsageException("unknown option --" + name);
            }
            String earlier = a.options.putIfAbsent(name, value);
            if (earlier != null) {
                throw new UsageException("option --" + name + " is given twice" + (flags.contains(name) ? ""
                        : " ('" + earlier + "' and '" + value + "')") + "; give it once");
            }
        }
        return a;
    }

    /** @return whether {@code word} is {@code --} or one of the options: then it is no option's value */
    private static boolean isOption(String word, Set<String> valued, Set<String> flags) {
        if (word.equals("--")) {
            return true;
        }
        if (!word.startsWith("--")) {
            return false;
        }
        String name = word.substring(2);
        int eq = name.indexOf('=');
        name = eq >= 0 ? name.substring(0, eq) : name;
        return valued.contains(name) || flags.contains(name);
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
        return parseSize(name, v, min, max);
    }

    /** Parses a count or byte size with an optional K, M or G suffix (powers of 1024), without a range. */
    static long parseSize(String name, String v) {
        return parseSize(name, v, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    /**
     * Parses a count or byte size with an optional K, M or G suffix (powers of 1024).
     *
     * @throws UsageException naming the option and the range for a number outside {@code min..max} (also one too large
     *         for a long), and saying what a number looks like for anything else
     */
    static long parseSize(String name, String v, long min, long max) {
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
        if (!digits.matches("-?[0-9]+")) {
            throw new UsageException("--" + name + " " + v + " is not a number (a K, M or G suffix is allowed)");
        }
        long parsed;
        try {
            parsed = Math.multiplyExact(Long.parseLong(digits), factor);
        } catch (NumberFormatException | ArithmeticException e) {
            parsed = digits.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE; // beyond a long: out of any range
        }
        if (parsed < min || parsed > max) {
            throw new UsageException("--" + name + " " + v + " is out of range " + text(min) + ".." + text(max));
        }
        return parsed;
    }

    /** @return {@code n} as a person writes it on the command line: with an M or G suffix where it is a whole number of those */
    static String text(long n) {
        for (long unit = 1L << 30; unit >= 1L << 20; unit >>= 10) {
            if (n != 0 && n % unit == 0 && n < Long.MAX_VALUE && n > Long.MIN_VALUE) {
                return n / unit + (unit == 1L << 30 ? "G" : "M");
            }
        }
        return Long.toString(n);
    }
}
