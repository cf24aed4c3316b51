package dev.weft.tools;

import java.io.PrintStream;
import java.util.List;

/** {@code weft testbed}: run commands inside a Soft-RoCE environment. */
final class TestbedCommand {
    static final String USAGE = """
            usage: weft testbed info
                   weft testbed exec [--timeout SECONDS] -- COMMAND [ARG...]

            info   prints what the testbed would use: the host's rdma_rxe, or a throwaway QEMU VM
                   (kernel version, cache directory, missing packages)
            exec   runs COMMAND inside the Soft-RoCE environment (an rxe device rxe0 on dummy0,
                   192.0.2.1/24) and prints its output; the exit code is the command's.""";

    private TestbedCommand() {
    }

    static int run(List<String> argv, PrintStream out, PrintStream err) {
        err.println("weft testbed: the Soft-RoCE testbed is not part of this build yet");
        return 1;
    }
}
