package dev.kiln.agent.core;

import dev.kiln.protocol.ErrorEntry;
import dev.kiln.protocol.IbPort;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * InfiniBand and RoCE ports from {@code <sysfsRoot>/class/infiniband/<device>/ports/<port>/}.
 * The root is configurable (node_exporter's {@code --path.sysfs}) so tests run on fixture trees.
 * A node without the directory simply has no ports; an unreadable file is an error entry.
 */
public final class SysfsInfinibandProbe implements InfinibandProbe {
    private static final Pattern CODED = Pattern.compile("^\\s*(\\d+)\\s*:\\s*(.+?)\\s*$");
    private static final Pattern RATE = Pattern.compile("^\\s*([0-9]+(?:\\.[0-9]+)?)\\s*Gb/sec.*$");

    private final Path sysfsRoot;

    public SysfsInfinibandProbe(Path sysfsRoot) {
        this.sysfsRoot = sysfsRoot;
    }

    @Override
    public IbReading read() {
        Path classDir = sysfsRoot.resolve("class").resolve("infiniband");
        List<IbPort> ports = new ArrayList<>();
        List<ErrorEntry> errors = new ArrayList<>();
        if (!Files.isDirectory(classDir)) {
            return new IbReading(List.of(), List.of());
        }
        for (Path dev : sortedChildren(classDir, errors)) {
            String device = dev.getFileName().toString();
            String fw = readOptional(dev.resolve("fw_ver"), errors, device);
            String guid = readOptional(dev.resolve("node_guid"), errors, device);
            Path portsDir = dev.resolve("ports");
            if (!Files.isDirectory(portsDir)) {
                continue;
            }
            for (Path portDir : sortedChildren(portsDir, errors)) {
                String portName = portDir.getFileName().toString();
                int port;
                try {
                    port = Integer.parseInt(portName);
                } catch (NumberFormatException e) {
                    continue;
                }
                String where = device + "/" + port;
                String state = readOptional(portDir.resolve("state"), errors, where);
                String phys = readOptional(portDir.resolve("phys_state"), errors, where);
                String rate = readOptional(portDir.resolve("rate"), errors, where);
                String linkLayer = readOptional(portDir.resolve("link_layer"), errors, where);
                ports.add(new IbPort(device, port, codedName(state), codedNumber(state), codedName(phys),
                        codedNumber(phys), rateGbps(rate), rate, linkLayer, fw, guid));
            }
        }
        return new IbReading(List.copyOf(ports), List.copyOf(errors));
    }

    private static List<Path> sortedChildren(Path dir, List<ErrorEntry> errors) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(out::add);
        } catch (IOException e) {
            errors.add(new ErrorEntry("infiniband", null, dir.toString(), "READ_FAILED",
                    "cannot list " + dir + ": " + e.getMessage()));
        }
        out.sort((a, b) -> naturalCompare(a.getFileName().toString(), b.getFileName().toString()));
        return out;
    }

    /** mlx5_2 before mlx5_10. */
    static int naturalCompare(String a, String b) {
        Matcher ma = Pattern.compile("^(.*?)(\\d+)$").matcher(a);
        Matcher mb = Pattern.compile("^(.*?)(\\d+)$").matcher(b);
        if (ma.matches() && mb.matches() && ma.group(1).equals(mb.group(1))) {
            return Long.compare(Long.parseLong(ma.group(2)), Long.parseLong(mb.group(2)));
        }
        return a.compareTo(b);
    }

    private static String readOptional(Path file, List<ErrorEntry> errors, String where) {
        try {
            return Files.readString(file).trim();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            errors.add(new ErrorEntry("infiniband", null, where + "/" + file.getFileName(), "READ_FAILED",
                    "cannot read " + file + ": " + e.getMessage()));
            return null;
        }
    }

    /** "4: ACTIVE" -> "ACTIVE"; a value without a code is returned as it is. */
    static String codedName(String v) {
        if (v == null) {
            return null;
        }
        Matcher m = CODED.matcher(v);
        return m.matches() ? m.group(2) : v;
    }

    static Integer codedNumber(String v) {
        if (v == null) {
            return null;
        }
        Matcher m = CODED.matcher(v);
        return m.matches() ? Integer.valueOf(m.group(1)) : null;
    }

    /** "400 Gb/sec (4X NDR)" -> 400.0; "2.5 Gb/sec (1X SDR)" -> 2.5. */
    static Double rateGbps(String v) {
        if (v == null) {
            return null;
        }
        Matcher m = RATE.matcher(v);
        return m.matches() ? Double.valueOf(m.group(1)) : null;
    }
}
