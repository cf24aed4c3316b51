package dev.weft.tools;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * Entry point of the {@code weft} command. Exit codes: 0 success, 1 failure, 2 wrong arguments.
 * Each sub-command is a class with {@code run(List, PrintStream, PrintStream)}.
 */
public final class Weft {
    static final String USAGE = """
            usage: weft <command> [options]

            commands:
              info      list providers (available or not, with the cause), capabilities, limits and devices
              perf      latency and bandwidth between two processes, like ib_write_lat / ib_write_bw
              demo      two cluster peers connecting by slam connect, with heartbeats and mirroring
              testbed   run a command inside a Soft-RoCE environment (RDMA without hardware)
              help      show this text, or 'weft help <command>' for a command's options

            Fabrics are chosen by URI: tcp://HOST:PORT, verbs://DEVICE[:PORT], softroce://NETDEV.
            """;

    private Weft() {
    }

    /**
     * Runs the command and exits with its code.
     *
     * @param argv command-line arguments
     */
    public static void main(String[] argv) {
        int code = run(Arrays.asList(argv), System.out, System.err);
        System.out.flush();
        System.exit(code);
    }

    /**
     * Runs a command.
     *
     * @param argv command-line arguments
     * @param out standard output
     * @param err standard error
     * @return the exit code
     */
    public static int run(List<String> argv, PrintStream out, PrintStream err) {
        if (argv.isEmpty()) {
            err.print(USAGE);
            return 2;
        }
        String command = argv.get(0);
        List<String> rest = argv.subList(1, argv.size());
        if (asksForHelp(command, rest)) {
            out.println(usageOf(command));
            return 0;
        }
        try {
            return switch (command) {
                case "info" -> InfoCommand.run(rest, out);
                case "perf" -> PerfCommand.run(rest, out, err);
                case "demo" -> DemoCommand.run(rest, out, err);
                case "testbed" -> TestbedCommand.run(rest, out, err);
                case "help", "--help", "-h" -> help(rest, out, err);
                default -> throw new UsageException("unknown command '" + command + "'");
            };
        } catch (UsageException e) {
            err.println("weft: " + e.getMessage());
            err.println(usageOf(command));
            return 2;
        } catch (dev.weft.FabricException e) {
            err.println("weft " + command + ": " + e.getMessage() + " [" + e.code() + "]");
            return 1;
        } catch (java.io.UncheckedIOException e) {
            err.println("weft " + command + ": " + e.getMessage());
            return 1;
        } catch (RuntimeException | OutOfMemoryError e) {
            // a defect of the tool's, not of the caller's input: one line, and the stack trace where asked for
            boolean debug = System.getenv("WEFT_DEBUG") != null;
            err.println("weft " + command + ": unexpected " + e + (debug ? "" : " (run with WEFT_DEBUG=1 for the stack trace, and please"
                    + " report it)"));
            if (debug) {
                e.printStackTrace(err);
            }
            return 1;
        }
    }

    private static int help(List<String> rest, PrintStream out, PrintStream err) {
        if (rest.isEmpty()) {
            out.print(USAGE);
            return 0;
        }
        String text = usageOf(rest.get(0));
        if (text == USAGE) {
            err.println("weft: no help for unknown command '" + rest.get(0) + "'");
            err.print(USAGE);
            return 2;
        }
        out.println(text);
        return 0;
    }

    /**
     * @return whether a known command's words before any {@code --} hold {@code --help} or {@code -h}, wherever (after a
     *         subcommand too: {@code weft perf client --help}); what follows {@code --} is a command's own (testbed exec)
     */
    private static boolean asksForHelp(String command, List<String> rest) {
        if (usageOf(command) == USAGE) {
            return false;
        }
        for (String word : rest) {
            if (word.equals("--")) {
                return false;
            }
            if (word.equals("--help") || word.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    static String usageOf(String command) {
        return switch (command) {
            case "info" -> InfoCommand.USAGE;
            case "perf" -> PerfCommand.USAGE;
            case "demo" -> DemoCommand.USAGE;
            case "testbed" -> TestbedCommand.USAGE;
            default -> USAGE;
        };
    }
}
