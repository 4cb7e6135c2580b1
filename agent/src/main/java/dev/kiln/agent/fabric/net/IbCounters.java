package dev.kiln.agent.fabric.net;

import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.PortCounters;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * InfiniBand / RoCE port error counters from {@code <sysfsRoot>/class/infiniband/<dev>/ports/<n>/counters/}, read
 * before and after a fabric job's traffic and judged as deltas (a port's lifetime totals say nothing about this
 * test). The sysfs root is configurable, as for {@code SysfsInfinibandProbe}, so tests run on fixture trees.
 *
 * <p>A counter file that does not exist is absent (not every driver exposes all of them); one that exists but cannot
 * be read or parsed is listed as unreadable, never thrown. A counter that went backwards was reset during the test
 * (someone ran {@code perfquery -R}, or the driver reloaded): its delta is the value after the reset, a lower bound,
 * and the port's {@code unreadable} list says so, since {@link PortCounters} has no other place for a note.
 *
 * <p>Judged: {@code symbol_error}, {@code link_downed}, {@code link_error_recovery}, {@code port_rcv_errors},
 * {@code local_link_integrity_errors} and {@code excessive_buffer_overrun_errors} rising fail the port (physical
 * layer: cable, transceiver, connector, switch port); {@code port_xmit_discards} rising warns (congestion).
 * The other counters are reported, not judged.
 */
public final class IbCounters {
    private IbCounters() {
    }

    /** The standard error counters, in the order they are reported. */
    public static final List<String> COUNTERS = List.of("symbol_error", "link_error_recovery", "link_downed",
            "port_rcv_errors", "port_rcv_remote_physical_errors", "port_rcv_switch_relay_errors", "port_xmit_discards",
            "port_xmit_constraint_errors", "port_rcv_constraint_errors", "local_link_integrity_errors",
            "excessive_buffer_overrun_errors", "VL15_dropped");

    /** Rising -> FAIL: the link's physical layer. */
    public static final List<String> FAIL_COUNTERS = List.of("symbol_error", "link_downed", "link_error_recovery",
            "port_rcv_errors", "local_link_integrity_errors", "excessive_buffer_overrun_errors");

    /** Rising -> WARN: congestion, not a broken link. */
    public static final List<String> WARN_COUNTERS = List.of("port_xmit_discards");

    private static final Pattern TRAILING_NUMBER = Pattern.compile("^(.*?)(\\d+)$");

    /**
     * One port's counters at one moment.
     *
     * @param values     counter name -> value, for the counters that could be read
     * @param unreadable counters whose file exists but could not be read or parsed, with why
     */
    public record PortReading(String device, int port, String linkLayer, Map<String, Long> values,
                              List<String> unreadable) {
        public PortReading {
            Objects.requireNonNull(device, "device");
            values = values == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
            unreadable = unreadable == null ? List.of() : List.copyOf(unreadable);
        }

        String key() {
            return device + "/" + port;
        }
    }

    /**
     * Every port's counters at one moment.
     *
     * @param errors directories that could not be listed (the ports under them are missing from {@code ports})
     */
    public record Snapshot(List<PortReading> ports, List<String> errors) {
        public static final Snapshot EMPTY = new Snapshot(List.of(), List.of());

        public Snapshot {
            ports = ports == null ? List.of() : List.copyOf(ports);
            errors = errors == null ? List.of() : List.copyOf(errors);
        }
    }

    /** Reads every port under {@code <sysfsRoot>/class/infiniband}; a node without that directory has no ports. */
    public static Snapshot read(Path sysfsRoot) {
        Path classDir = sysfsRoot.resolve("class").resolve("infiniband");
        if (!Files.isDirectory(classDir)) {
            return Snapshot.EMPTY;
        }
        List<PortReading> ports = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (Path dev : children(classDir, errors)) {
            Path portsDir = dev.resolve("ports");
            if (!Files.isDirectory(portsDir)) {
                continue;
            }
            for (Path portDir : children(portsDir, errors)) {
                int port;
                try {
                    port = Integer.parseInt(portDir.getFileName().toString());
                } catch (NumberFormatException e) {
                    continue;
                }
                ports.add(readPort(dev.getFileName().toString(), port, portDir));
            }
        }
        return new Snapshot(ports, errors);
    }

    private static PortReading readPort(String device, int port, Path portDir) {
        Map<String, Long> values = new LinkedHashMap<>();
        List<String> unreadable = new ArrayList<>();
        String linkLayer = null;
        try {
            linkLayer = Files.readString(portDir.resolve("link_layer")).trim();
        } catch (NoSuchFileException e) {
            // older kernels: no link_layer file (InfiniBand)
        } catch (IOException e) {
            unreadable.add("link_layer: " + e.getMessage());
        }
        Path countersDir = portDir.resolve("counters");
        for (String name : COUNTERS) {
            Path file = countersDir.resolve(name);
            try {
                String text = Files.readString(file).trim();
                values.put(name, Long.parseLong(text));
            } catch (NoSuchFileException e) {
                // not exposed by this driver: absent
            } catch (NumberFormatException e) {
                unreadable.add(name + ": not a number");
            } catch (IOException e) {
                unreadable.add(name + ": " + e.getMessage());
            }
        }
        return new PortReading(device, port, linkLayer, values, unreadable);
    }

    /**
     * After minus before, per port present in {@code before}. A port missing afterwards, a counter readable only
     * once, and a counter reset are named in the port's {@code unreadable} list.
     */
    public static List<PortCounters> delta(Snapshot before, Snapshot after) {
        Map<String, PortReading> afterByKey = new LinkedHashMap<>();
        for (PortReading p : after.ports()) {
            afterByKey.put(p.key(), p);
        }
        List<PortCounters> out = new ArrayList<>();
        for (PortReading b : before.ports()) {
            PortReading a = afterByKey.get(b.key());
            if (a == null) {
                out.add(new PortCounters(b.device(), b.port(), b.linkLayer(), Map.of(),
                        List.of("port disappeared during the test (driver reset or HCA lost?)")));
                continue;
            }
            Map<String, Long> deltas = new LinkedHashMap<>();
            List<String> notes = new ArrayList<>();
            for (String name : COUNTERS) {
                Long vb = b.values().get(name);
                Long va = a.values().get(name);
                if (vb != null && va != null) {
                    if (va >= vb) {
                        deltas.put(name, va - vb);
                    } else {
                        deltas.put(name, va);
                        notes.add(name + ": reset during the test (before " + vb + ", after " + va
                                + "); the delta is a lower bound");
                    }
                } else if (vb != null || va != null) {
                    String why = unreadableReason(vb == null ? b : a, name);
                    notes.add(name + ": read only " + (vb == null ? "after" : "before") + " the test"
                            + (why == null ? "" : " (" + why + ")"));
                } else {
                    String why = unreadableReason(a, name);
                    if (why == null) {
                        why = unreadableReason(b, name);
                    }
                    if (why != null) {
                        notes.add(name + ": " + why);
                    }
                }
            }
            for (String u : a.unreadable()) {
                if (u.startsWith("link_layer:")) {
                    notes.add(u);
                }
            }
            out.add(new PortCounters(b.device(), b.port(), a.linkLayer() != null ? a.linkLayer() : b.linkLayer(),
                    deltas, notes));
        }
        out.sort(Comparator.comparing(PortCounters::device, IbCounters::naturalCompare)
                .thenComparingInt(PortCounters::port));
        return out;
    }

    private static String unreadableReason(PortReading p, String counter) {
        for (String u : p.unreadable()) {
            if (u.startsWith(counter + ":")) {
                return u.substring(counter.length() + 1).trim();
            }
        }
        return null;
    }

    /** Findings for counters that rose: one FAIL per port for link errors, one WARN per port for discards. */
    public static List<FabricFinding> judge(List<PortCounters> ports) {
        List<FabricFinding> out = new ArrayList<>();
        for (PortCounters p : ports) {
            List<String> failing = rising(p, FAIL_COUNTERS);
            String where = p.device() + " port " + p.port();
            String end = where + (p.linkLayer() == null ? "" : " (" + p.linkLayer() + ")");
            if (!failing.isEmpty()) {
                boolean overrunOnly = failing.size() == 1 && failing.getFirst().startsWith("excessive_buffer_overrun");
                out.add(new FabricFinding(FabricTestIds.RDMA, FabricFinding.FAIL, "port",
                        List.of(end, "the switch port it is cabled to"),
                        String.join(", ", failing) + " during the test",
                        "no link errors during the test (each counter's delta 0)",
                        overrunOnly
                                ? "the port overran its input buffers: flow control is not working on this link"
                                  + " (credits on InfiniBand, PFC on RoCE) or the link is erroring"
                                : "the physical link of " + where + " is erroring: cable, transceiver, connector or the"
                                  + " switch port",
                        overrunOnly
                                ? "check flow control (PFC/QoS on RoCE) on " + where + " and its switch port;"
                                  + " reseat the cable/transceiver"
                                : "reseat or replace the cable/transceiver on " + where + "; check the switch port"
                                  + " (its counters, another port); rerun to confirm"));
            }
            List<String> warning = rising(p, WARN_COUNTERS);
            if (!warning.isEmpty()) {
                out.add(new FabricFinding(FabricTestIds.RDMA, FabricFinding.WARN, "port",
                        List.of(end, "the switch port it is cabled to"),
                        String.join(", ", warning) + " during the test",
                        "no transmit discards during the test",
                        "packets from " + where + " were discarded: congestion in the fabric (a slow or down link"
                                + " elsewhere, head-of-line blocking), not a broken cable",
                        "check the fabric for congestion and for links down or erroring (ibdiagnet, switch counters);"
                                + " rerun on an idle fabric"));
            }
        }
        return out;
    }

    private static List<String> rising(PortCounters p, List<String> names) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            Long d = p.deltas().get(n);
            if (d != null && d > 0) {
                out.add(n + " +" + d);
            }
        }
        return out;
    }

    private static List<Path> children(Path dir, List<String> errors) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(out::add);
        } catch (IOException e) {
            errors.add("cannot list " + dir + ": " + e.getMessage());
        }
        out.sort((a, b) -> naturalCompare(a.getFileName().toString(), b.getFileName().toString()));
        return out;
    }

    /** mlx5_2 before mlx5_10. */
    static int naturalCompare(String a, String b) {
        Matcher ma = TRAILING_NUMBER.matcher(a);
        Matcher mb = TRAILING_NUMBER.matcher(b);
        if (ma.matches() && mb.matches() && ma.group(1).equals(mb.group(1))) {
            return Long.compare(Long.parseLong(ma.group(2)), Long.parseLong(mb.group(2)));
        }
        return a.compareTo(b);
    }
}
