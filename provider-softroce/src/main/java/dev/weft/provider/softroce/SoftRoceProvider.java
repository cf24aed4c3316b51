package dev.weft.provider.softroce;

import dev.weft.Availability;
import dev.weft.DeviceInfo;
import dev.weft.ErrorCode;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.ProviderInfo;
import dev.weft.provider.softroce.internal.HostCommand;
import dev.weft.provider.verbs.VerbsProvider;
import dev.weft.spi.FabricProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Soft-RoCE provider, scheme {@code softroce}: {@code softroce://NETDEV[?k=v...]} finds the
 * rxe device bound to the network interface NETDEV, or creates one ({@code rdma link add
 * rxe_NETDEV type rxe netdev NETDEV}), and then behaves exactly as the verbs provider on that
 * device ({@code verbs://rxe_NETDEV}); parameters are the verbs provider's.
 *
 * <p>Unavailable, with the cause, where the kernel has no {@code rdma_rxe} (then use the testbed:
 * {@code weft testbed exec -- ...}) or the verbs libraries are missing. Creating a device needs
 * CAP_NET_ADMIN. The constructor does nothing. Thread-safe.
 */
public final class SoftRoceProvider implements FabricProvider {
    private static final Pattern LINK = Pattern.compile("link (\\S+)/(\\d+) .*netdev (\\S+)");
    private final VerbsProvider verbs = new VerbsProvider();

    /** Creates the provider; does no work. */
    public SoftRoceProvider() {
    }

    @Override
    public String scheme() {
        return "softroce";
    }

    @Override
    public ProviderInfo info() {
        ProviderInfo v = verbs.info();
        return new ProviderInfo("Weft Soft-RoCE", "softroce", VerbsProvider.VERSION,
                "the verbs provider on an rxe (Soft-RoCE) device bound to a network interface, created on demand", v.transports(),
                v.capabilities(), v.limits(), v.uriParameters());
    }

    private static boolean kernelHasRxe() {
        if (Files.isDirectory(Path.of("/sys/module/rdma_rxe"))) {
            return true;
        }
        String release = System.getProperty("os.version");
        Path modules = Path.of("/lib/modules", release, "kernel/drivers/infiniband/sw/rxe");
        try (Stream<Path> s = Files.list(modules)) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith("rdma_rxe.ko"));
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public Availability availability() {
        if (!kernelHasRxe()) {
            return Availability.unavailable("this kernel (" + System.getProperty("os.version") + ") has no rdma_rxe module",
                    "run inside the Soft-RoCE testbed: weft testbed exec -- COMMAND");
        }
        Availability v = verbs.availability();
        if (!v.available() && v.cause().contains("cannot be loaded")) {
            return v;
        }
        return Availability.ofAvailable();
    }

    @Override
    public List<DeviceInfo> devices() {
        return verbs.devices().stream().filter(d -> d.name().startsWith("rxe")).toList();
    }

    @Override
    public Fabric open(FabricUri uri) {
        if (!"softroce".equals(uri.scheme())) {
            throw FabricException.invalid("the softroce provider cannot open \"" + uri.safeText() + "\"");
        }
        uri.requireNoRegion("softroce://eth0 (a region belongs in the peer URI given to connect)");
        if (uri.hasPort()) {
            throw new FabricException(ErrorCode.INVALID_URI, "softroce:// names a network interface, not a port: \"" + uri.safeText()
                    + "\"; e.g. softroce://eth0");
        }
        Availability a = availability();
        if (!a.available()) {
            throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "the softroce provider is unavailable: " + a);
        }
        String netdev = uri.host();
        if (!Files.isDirectory(Path.of("/sys/class/net", netdev))) {
            throw new FabricException(ErrorCode.INVALID_URI, "no network interface \"" + netdev + "\"; interfaces here: " + interfaces());
        }
        Optional<String> existing = rxeOn(netdev);
        boolean[] madeHere = new boolean[1];
        String device = existing.orElseGet(() -> create(netdev, madeHere));
        String text = uri.toString();
        int q = text.indexOf('?');
        try {
            return verbs.open(FabricUri.parse("verbs://" + device + (q < 0 ? "" : text.substring(q))));
        } catch (RuntimeException | Error e) {
            if (madeHere[0]) {
                deleteQuietly(device, e); // this call made it for a fabric that was never opened: nothing of it stays
            }
            throw e;
        }
    }

    /** Deletes a device this provider created, adding a failure to delete it to {@code cause} as a suppressed exception. */
    private static void deleteQuietly(String device, Throwable cause) {
        try {
            rdma("link", "delete", device);
        } catch (RuntimeException deleteFailed) {
            cause.addSuppressed(deleteFailed);
        }
    }

    private static List<String> interfaces() {
        try (Stream<Path> s = Files.list(Path.of("/sys/class/net"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** @return the rxe device bound to {@code netdev}, from {@code rdma link show} */
    static Optional<String> rxeOn(String netdev) {
        for (String line : rdma("link", "show").lines().toList()) {
            Matcher m = LINK.matcher(line);
            if (m.find() && m.group(3).equals(netdev) && m.group(1).startsWith("rxe")) {
                return Optional.of(m.group(1));
            }
        }
        return Optional.empty();
    }

    /**
     * Adds an rxe device on {@code netdev}. Another process (or thread) may add one at the same moment: the kernel then
     * refuses the second ({@code EEXIST}), and the device the other made is used (and never deleted by this call).
     *
     * @param madeHere set to true when this call added the device
     */
    private static String create(String netdev, boolean[] madeHere) {
        String name = "rxe_" + netdev;
        try {
            rdma("link", "add", name, "type", "rxe", "netdev", netdev);
            madeHere[0] = true;
        } catch (FabricException refused) {
            Optional<String> madeMeanwhile = rxeOn(netdev);
            if (madeMeanwhile.isPresent()) {
                return madeMeanwhile.get();
            }
            throw refused;
        }
        return rxeOn(netdev).orElseThrow(() -> new FabricException(ErrorCode.NATIVE_ERROR, "rdma link add " + name
                + " reported success but no rxe device is bound to " + netdev));
    }

    private static String rdma(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "rdma";
        System.arraycopy(args, 0, command, 1, args.length);
        HostCommand.Result r = HostCommand.run(30, null, "the rdma tool is missing: apt-get install iproute2", command);
        if (r.exit() != 0) {
            throw new FabricException(ErrorCode.NATIVE_ERROR, String.join(" ", command) + " failed: " + r.output().trim()
                    + " (adding a link needs root or CAP_NET_ADMIN and the rdma_rxe module; the dmesg says more)");
        }
        return r.output();
    }
}
