package dev.weft.provider.softroce.testbed;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What runs inside the VM: {@link #INIT}, the initramfs's {@code /init} (busybox sh), and the
 * per-run script {@link #script} it executes after switching to the host's root.
 *
 * <p>{@code /init} loads the modules in order, mounts the host's root read-only over 9p (with the
 * page cache on, {@code cache=loose}: the root does not change during a run, and the JVM maps
 * its module image and class-data archive from it) with a
 * tmpfs overlay on top (the guest may write anywhere; nothing reaches the host), mounts the caller's
 * share (kernel parameter {@code weft.share}, if any) and then the run's private folder
 * ({@code weft.run}: {@code guest.sh}, {@code output.log}, {@code rc}) writable, each at the same path as
 * on the host, chroots, runs {@code guest.sh}, records its exit code in {@code rc} and powers off. Host paths stay visible at the same place (including
 * {@code /tmp}, where a checkout or a test's temporary directory may live). The guest has no network to the outside ({@code -nic none});
 * the RDMA devices are an rxe on a {@code dummy0} interface with 192.0.2.1/24 and, when asked
 * for, a siw on {@code siwnet} with 203.0.113.1/24.
 */
final class Guest {
    private Guest() {
    }

    /** The address of the guest's rxe device. */
    static final String ADDRESS = "192.0.2.1";
    /** The address of the guest's siw device. */
    static final String SIW_ADDRESS = "203.0.113.1";

    static final String INIT = """
            #!/bin/busybox sh
            /bin/busybox --install -s /bin
            export PATH=/bin
            mount -t proc proc /proc
            mount -t sysfs sysfs /sys
            mount -t devtmpfs devtmpfs /dev
            for m in $(cat /modules/order); do
              insmod /modules/$m || echo "weft-testbed: insmod $m failed"
            done
            run=$(sed -n 's/.*weft\\.run=\\([^ ]*\\).*/\\1/p' /proc/cmdline)
            share=$(sed -n 's/.*weft\\.share=\\([^ ]*\\).*/\\1/p' /proc/cmdline)
            mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /host || echo "weft-testbed: cannot mount the host root"
            mount -t tmpfs -o size=50% tmpfs /ovl
            mkdir -p /ovl/upper /ovl/work
            mount -t overlay overlay -o lowerdir=/host,upperdir=/ovl/upper,workdir=/ovl/work /newroot || echo "weft-testbed: overlay failed"
            mount -t proc proc /newroot/proc
            mount -t sysfs sysfs /newroot/sys
            mount -t devtmpfs devtmpfs /newroot/dev
            mkdir -p /newroot/dev/shm /newroot/dev/pts
            mount -t tmpfs tmpfs /newroot/dev/shm
            if [ -n "$share" ]; then
              mkdir -p "/newroot$share"
              mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 share "/newroot$share" || echo "weft-testbed: cannot mount the share"
            fi
            mkdir -p "/newroot$run"
            mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 run "/newroot$run" || echo "weft-testbed: cannot mount the run folder"
            echo "weft-testbed: guest up"
            chroot /newroot /bin/sh "$run/guest.sh" > "/newroot$run/output.log" 2>&1
            echo $? > "/newroot$run/rc"
            sync
            umount "/newroot$run"
            [ -z "$share" ] || umount "/newroot$share"
            echo o > /proc/sysrq-trigger
            sleep 10
            """;

    /** The file {@code guest.sh} creates beside itself just before it executes the command: the set-up went through. */
    static final String STARTED = "started";

    /**
     * The per-run script. It sets up the devices and the environment, then creates {@value #STARTED} beside itself
     * ({@code ${0%/*}}: {@code /init} runs it by its path) and executes the command. Without that file the exit code
     * is the set-up's (97 a device, 95 siw.ko refused, 96 no working directory, 94 no marker), not the command's.
     *
     * @param command the command and its arguments
     * @param workDir where it runs
     * @param env extra environment
     * @param devices which devices to bring up
     * @param siwModule the {@code siw.ko} to load when {@code devices} has SIW
     * @return {@code guest.sh}
     */
    static String script(List<String> command, Path workDir, Map<String, String> env, Set<Testbed.Device> devices, Path siwModule) {
        StringBuilder s = new StringBuilder("""
                export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
                export HOME=/root LC_ALL=C.UTF-8 WEFT_TESTBED=guest
                ulimit -l unlimited
                ip link set lo up
                ip link set dummy0 up
                ip addr add %s/24 dev dummy0
                """.formatted(ADDRESS));
        if (devices.contains(Testbed.Device.RXE)) {
            s.append("rdma link add rxe0 type rxe netdev dummy0 || { echo 'weft-testbed: rdma link add rxe0 failed'; exit 97; }\n");
        }
        if (devices.contains(Testbed.Device.SIW)) {
            s.append("""
                    ip link add siwnet type dummy && ip link set siwnet up && ip addr add %s/24 dev siwnet || { echo 'weft-testbed: cannot create siwnet'; exit 97; }
                    insmod %s || { echo 'weft-testbed: the guest kernel refused siw.ko (dmesg follows)'; dmesg | tail -n 15; exit 95; }
                    rdma link add siw0 type siw netdev siwnet || { echo 'weft-testbed: rdma link add siw0 failed'; exit 97; }
                    """.formatted(SIW_ADDRESS, quote(siwModule.toString())));
        }
        env.forEach((k, v) -> {
            if (!k.matches("[A-Za-z_][A-Za-z0-9_]*")) { // it stands unquoted in the script: nothing else is a variable's name
                throw dev.weft.FabricException.invalid("environment variable name \"" + k + "\" cannot be passed to the testbed guest:"
                        + " a name is letters, digits and _ and does not start with a digit");
            }
            s.append("export ").append(k).append('=').append(quote(v)).append('\n');
        });
        s.append("cd ").append(quote(workDir.toString())).append(" || { echo 'weft-testbed: cannot enter the working directory in the guest'; exit 96; }\n");
        s.append(": > \"${0%/*}/").append(STARTED).append("\" || { echo 'weft-testbed: cannot write the start marker'; exit 94; }\n");
        s.append("exec");
        for (String arg : command) {
            s.append(' ').append(quote(arg));
        }
        s.append('\n');
        return s.toString();
    }

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
