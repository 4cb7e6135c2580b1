package dev.kiln.cli.fleet;

import dev.kiln.protocol.spec.SpecFileException;
import dev.kiln.protocol.spec.SpecProblem;
import dev.kiln.protocol.spec.Suggestions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Reads a fleet file:
 * <pre>
 * defaults:
 *   tokenFile: kiln-token   # relative paths resolve against the fleet file's directory
 *   port: 9478              # used when an address has no port (default 9478)
 *   timeoutMs: 5000         # per-request timeout (default: kiln's --timeout default)
 *   spec: hgx-h100          # golden spec: a built-in name or a spec file (relative to this file)
 *   tls: true               # HTTPS to every node (default false; an https:// or http:// address decides for its node)
 *   caFile: pki/ca.pem      # CA the agents' certificates must chain to (default: ca.pem of 'kiln pki', if any)
 *   clientCert: me.pem      # mutual TLS: client certificate and key sent to agents that require one
 *   clientKey: me-key.pem
 * halls:                          # optional: power budgets above the rack
 *   - name: hall-a
 *     powerKw: 1500                 # the feeding circuit's rating in kW; Kiln plans to 80% of it
 * rows:
 *   - name: row-a1
 *     hall: hall-a                  # optional
 *     powerKw: 300                  # optional
 * racks:
 *   - name: rack-01
 *     spec: specs/h100-rev2.yaml     # optional per-rack override
 *     row: row-a1                    # optional: a row listed under 'rows' (its hall is the rack's hall)
 *     hall: hall-a                   # optional: a hall listed under 'halls' (for racks without a row)
 *     powerKw: 40                    # optional: the rack circuit's rating in kW
 *     nodes:
 *       - name: node-001
 *         address: 10.0.0.1          # host, host:port, [ipv6]:port, optionally after https:// or http://
 *         tokenFile: other-token     # optional per-node override
 *         spec: hgx-h200             # optional per-node override
 *         tls: true                  # optional per-node override, as are caFile, clientCert and clientKey
 * </pre>
 * Unknown fields, duplicate names, bad ports, unusable token files and unusable specs are errors that
 * name the file, the line and the field, and say how to fix them; a spec file with an error is reported
 * at that file's own line. Token and spec files are read once each, here, so a fan-out never touches
 * the disk.
 */
public final class FleetFile {
    /** The agent's default port ({@code kiln-agent serve}). */
    public static final int DEFAULT_AGENT_PORT = 9478;
    private static final int MIN_TOKEN_LENGTH = 16;
    private static final long MAX_TIMEOUT_MS = 3_600_000;
    /** Upper bound of a {@code powerKw} (1 GW): catches a rating written in watts. */
    static final double MAX_POWER_KW = 1_000_000;

    private final Path path;
    private final String source;
    private final Path baseDir;
    private final Map<Path, String> tokens = new HashMap<>();
    private final Map<String, SpecRef> specs = new HashMap<>();
    /** Where 'kiln pki' keeps the fleet CA: its ca.pem is the default caFile. */
    private final Path pkiDir;
    private final Map<Path, List<java.security.cert.X509Certificate>> certFiles = new HashMap<>();
    private final Map<Path, java.security.PrivateKey> keyFiles = new HashMap<>();
    private final Map<AgentTls, AgentTls> tlsProfiles = new HashMap<>();

    private FleetFile(Path path) {
        this(path, dev.kiln.cli.pki.PkiCommand.defaultDir());
    }

    private FleetFile(Path path, Path pkiDir) {
        this.path = path;
        this.source = path.toString();
        Path parent = path.toAbsolutePath().getParent();
        this.baseDir = parent == null ? Path.of("").toAbsolutePath() : parent;
        this.pkiDir = pkiDir;
    }

    /** Reads and validates {@code path}; every problem is a {@link FleetFileException}. */
    public static Fleet load(Path path) {
        FleetFile f = new FleetFile(path);
        try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            return f.parse(reader);
        } catch (NoSuchFileException e) {
            throw new FleetFileException("fleet file " + path + " does not exist; pass --fleet FILE, or write one "
                    + "(see docs/fleet-file.md; 'kiln-agent simulate-fleet' writes one for a simulated fleet)");
        } catch (AccessDeniedException e) {
            throw new FleetFileException("cannot read fleet file " + path + ": permission denied");
        } catch (IOException e) {
            throw new FleetFileException("cannot read fleet file " + path + ": " + e.getMessage());
        }
    }

    /** Parses fleet-file text; {@code path} names it in errors and anchors relative token paths. */
    public static Fleet parse(Path path, Reader reader) {
        return new FleetFile(path).parse(reader);
    }

    /** As {@link #parse(Path, Reader)}, with {@code pkiDir} instead of kiln's default PKI directory (its ca.pem is the default caFile). */
    public static Fleet parse(Path path, Reader reader, Path pkiDir) {
        return new FleetFile(path, pkiDir).parse(reader);
    }

    private Fleet parse(Reader reader) {
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setCodePointLimit(256 * 1024 * 1024); // 100,000+ nodes
            options.setMaxAliasesForCollections(10);
            root = new Yaml(options).compose(reader);
        } catch (MarkedYAMLException e) {
            throw error(e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0,
                    "not valid YAML: " + e.getProblem());
        } catch (YAMLException e) {
            throw new FleetFileException(source + ": not valid YAML: " + e.getMessage());
        }
        if (root == null) {
            throw new FleetFileException(source + ": the fleet file is empty; it needs 'racks:' with nodes "
                    + "(see docs/fleet-file.md)");
        }
        Map<String, Node> top = mapping(root, "the top level", Set.of("defaults", "racks", "rows", "halls"));

        // defaults
        Optional<TokenRef> defaultToken = Optional.empty();
        int defaultPort = DEFAULT_AGENT_PORT;
        Optional<Duration> timeout = Optional.empty();
        SpecRef defaultSpec = null;
        TlsFields defaultTls = TlsFields.NONE;
        Node defaultsNode = top.get("defaults");
        if (defaultsNode != null && !isNull(defaultsNode)) {
            Map<String, Node> d = mapping(defaultsNode, "'defaults'", Set.of("tokenFile", "port", "timeoutMs", "spec",
                    "tls", "caFile", "clientCert", "clientKey"));
            defaultTls = tlsFields(d, "defaults: ");
            if (d.containsKey("tokenFile")) {
                defaultToken = Optional.of(tokenRef(d.get("tokenFile"), "defaults: "));
            }
            if (d.containsKey("port")) {
                defaultPort = port(d.get("port"), "defaults: field 'port'", scalar(d.get("port"), "defaults: ", "port"));
            }
            if (d.containsKey("timeoutMs")) {
                timeout = Optional.of(Duration.ofMillis(
                        longIn(d.get("timeoutMs"), "defaults: ", "timeoutMs", 1, MAX_TIMEOUT_MS)));
            }
            if (d.containsKey("spec")) {
                defaultSpec = spec(d.get("spec"), "defaults: ");
            }
        }

        // halls and rows: named groups of racks, each with an optional power budget
        List<PowerBudget> hallBudgets = new ArrayList<>();
        Map<String, Integer> halls = groups(top.get("halls"), "halls", "hall", Set.of("name", "powerKw"),
                (name, m) -> powerKw(m, "hall '" + name + "': ").ifPresent(w ->
                        hallBudgets.add(new PowerBudget(PowerBudget.Scope.HALL, name, w, line(m.get("powerKw"))))));
        List<PowerBudget> rowBudgets = new ArrayList<>();
        Map<String, String> hallOfRow = new HashMap<>();
        Map<String, Integer> rows = groups(top.get("rows"), "rows", "row", Set.of("name", "hall", "powerKw"),
                (name, m) -> {
                    String ctx = "row '" + name + "': ";
                    if (m.containsKey("hall")) {
                        hallOfRow.put(name, reference(m.get("hall"), ctx, "hall", halls));
                    }
                    powerKw(m, ctx).ifPresent(w ->
                            rowBudgets.add(new PowerBudget(PowerBudget.Scope.ROW, name, w, line(m.get("powerKw")))));
                });
        List<PowerBudget> rackBudgets = new ArrayList<>();
        Map<String, FleetPower.Placement> placements = new LinkedHashMap<>();

        // racks
        Node racksNode = top.get("racks");
        if (racksNode == null || isNull(racksNode)) {
            throw error(line(racksNode == null ? root : racksNode), "field 'racks' is missing; list the racks and "
                    + "their nodes (see docs/fleet-file.md)");
        }
        if (!(racksNode instanceof SequenceNode rackSeq)) {
            throw error(line(racksNode), "field 'racks' must be a list of racks ('- name: rack-01')");
        }
        List<String> rackNames = new ArrayList<>();
        Map<String, Integer> rackLines = new HashMap<>();
        Map<String, Integer> nodeLines = new HashMap<>();
        List<FleetNode> nodes = new ArrayList<>();
        for (Node rackNode : rackSeq.getValue()) {
            Map<String, Node> r = mapping(rackNode, "a rack", Set.of("name", "nodes", "spec", "row", "hall", "powerKw"));
            String rack = requiredString(r, rackNode, "a rack's ", "name");
            Integer firstRack = rackLines.putIfAbsent(rack, line(rackNode));
            if (firstRack != null) {
                throw error(line(r.get("name")), "rack '" + rack + "' is listed twice (first at line " + firstRack
                        + "); rack names must be unique");
            }
            rackNames.add(rack);
            String rctx = "rack '" + rack + "': ";
            SpecRef rackSpec = r.containsKey("spec") ? spec(r.get("spec"), rctx) : defaultSpec;
            placements.put(rack, placement(r, rack, rctx, rows, hallOfRow, halls));
            powerKw(r, rctx).ifPresent(w ->
                    rackBudgets.add(new PowerBudget(PowerBudget.Scope.RACK, rack, w, line(r.get("powerKw")))));
            Node nodesNode = r.get("nodes");
            if (nodesNode == null) {
                throw error(line(rackNode), rctx + "field 'nodes' is missing (a list of '- name: ..., address: ...')");
            }
            if (isNull(nodesNode)) {
                continue; // an empty rack
            }
            if (!(nodesNode instanceof SequenceNode nodeSeq)) {
                throw error(line(nodesNode), rctx + "field 'nodes' must be a list of nodes");
            }
            for (Node nodeNode : nodeSeq.getValue()) {
                Map<String, Node> n = mapping(nodeNode, "a node of rack '" + rack + "'",
                        Set.of("name", "address", "tokenFile", "spec", "tls", "caFile", "clientCert", "clientKey"));
                String name = requiredString(n, nodeNode, rctx + "a node's ", "name");
                Integer first = nodeLines.putIfAbsent(name, line(nodeNode));
                if (first != null) {
                    throw error(line(n.get("name")), "node '" + name + "' is listed twice (first at line " + first
                            + "); node names must be unique across the fleet");
                }
                String nctx = "node '" + name + "': ";
                String address = requiredString(n, nodeNode, nctx, "address");
                HostPort hp = hostPort(n.get("address"), nctx, address, defaultPort);
                TokenRef token;
                if (n.containsKey("tokenFile")) {
                    token = tokenRef(n.get("tokenFile"), nctx);
                } else if (defaultToken.isPresent()) {
                    token = defaultToken.get();
                } else {
                    throw error(line(nodeNode), nctx + "no token file; set 'tokenFile' under 'defaults' (or on the "
                            + "node) to a file holding the agents' bearer token");
                }
                SpecRef spec = n.containsKey("spec") ? spec(n.get("spec"), nctx) : rackSpec;
                AgentTls tls = agentTls(hp, tlsFields(n, nctx), defaultTls, nodeNode, nctx);
                nodes.add(new FleetNode(name, rack, address, hp.host, hp.port, token.token, line(nodeNode), spec, tls));
            }
        }
        if (nodes.isEmpty()) {
            throw error(line(racksNode), "the fleet file lists no nodes; add '- name: ..., address: ...' entries "
                    + "under a rack's 'nodes'");
        }
        if (defaultTls.firstFileField() != null && nodes.stream().noneMatch(x -> x.tls() != null)) {
            Node f = defaultTls.firstFileField();
            throw error(line(f), "defaults: TLS files are set but no node speaks TLS, so they would be ignored and "
                    + "tokens sent in clear; add 'tls: true' under 'defaults' or write https:// addresses");
        }
        List<PowerBudget> budgets = new ArrayList<>(hallBudgets);
        budgets.addAll(rowBudgets);
        budgets.addAll(rackBudgets);
        FleetPower power = budgets.isEmpty() && rows.isEmpty() && halls.isEmpty()
                ? FleetPower.NONE : new FleetPower(budgets, placements);
        return new Fleet(path, rackNames, nodes, timeout, power);
    }

    // --- rows, halls and power budgets --------------------------------------------------------

    /**
     * A top-level list of named groups ({@code rows:} or {@code halls:}); each entry's fields go to
     * {@code each}. Returns name -> line, in file order; an absent or null list is no groups.
     */
    private Map<String, Integer> groups(Node listNode, String field, String what, Set<String> allowed,
                                        BiConsumer<String, Map<String, Node>> each) {
        Map<String, Integer> names = new LinkedHashMap<>();
        if (listNode == null || isNull(listNode)) {
            return names;
        }
        if (!(listNode instanceof SequenceNode seq)) {
            throw error(line(listNode), "field '" + field + "' must be a list of " + field + " ('- name: "
                    + what + "-1, powerKw: 400')");
        }
        for (Node entry : seq.getValue()) {
            Map<String, Node> m = mapping(entry, "a " + what + " of '" + field + "'", allowed);
            String name = requiredString(m, entry, "a " + what + "'s ", "name");
            Integer first = names.putIfAbsent(name, line(entry));
            if (first != null) {
                throw error(line(m.get("name")), what + " '" + name + "' is listed twice (first at line " + first
                        + "); " + what + " names must be unique");
            }
            each.accept(name, m);
        }
        return names;
    }

    /** A rack's row and hall: each must be listed under 'rows'/'halls'; the row's hall is the rack's hall. */
    private FleetPower.Placement placement(Map<String, Node> r, String rack, String rctx, Map<String, Integer> rows,
                                           Map<String, String> hallOfRow, Map<String, Integer> halls) {
        String row = r.containsKey("row") ? reference(r.get("row"), rctx, "row", rows) : null;
        String hall = r.containsKey("hall") ? reference(r.get("hall"), rctx, "hall", halls) : null;
        String rowHall = row == null ? null : hallOfRow.get(row);
        if (hall != null && rowHall != null && !hall.equals(rowHall)) {
            throw error(line(r.get("hall")), rctx + "field 'hall': '" + hall + "' contradicts its row '" + row
                    + "', which is in hall '" + rowHall + "'; leave 'hall' out (a rack's hall is its row's)");
        }
        return new FleetPower.Placement(rack, row, hall != null ? hall : rowHall);
    }

    /** A name that must be listed under the top-level {@code kind + "s"}. */
    private String reference(Node n, String ctx, String kind, Map<String, Integer> known) {
        String value = scalar(n, ctx, kind).trim();
        if (value.isEmpty() || isNull(n)) {
            throw error(line(n), ctx + "field '" + kind + "' is empty; name a " + kind + " listed under '" + kind
                    + "s'");
        }
        if (!known.containsKey(value)) {
            String listed = known.isEmpty() ? "the fleet file has no '" + kind + "s:' list; add one with '- name: "
                    + value + "'" : "listed " + kind + "s: " + (known.size() <= 10 ? String.join(", ", known.keySet())
                    : String.join(", ", new ArrayList<>(known.keySet()).subList(0, 10)) + ", ... (" + known.size()
                    + " in all)");
            throw error(line(n), ctx + "field '" + kind + "': " + kind + " '" + value + "' is not listed under '" + kind
                    + "s'" + Suggestions.closest(value, known.keySet())
                    .map(s -> "; did you mean '" + s + "'?").orElse("") + "; " + listed);
        }
        return value;
    }

    /** An optional {@code powerKw}: a circuit rating in kW, returned in watts. */
    private Optional<Long> powerKw(Map<String, Node> m, String ctx) {
        Node n = m.get("powerKw");
        if (n == null || isNull(n)) {
            return Optional.empty();
        }
        String v = scalar(n, ctx, "powerKw").trim();
        String expected = "a number of kilowatts above 0 and at most " + (long) MAX_POWER_KW + ": the rating of the "
                + "circuit feeding it (Kiln plans continuous load to 80% of it), e.g. 'powerKw: 17.3'";
        double kw;
        try {
            kw = v.isEmpty() || !v.matches("[+]?(\\d+(\\.\\d*)?|\\.\\d+)") ? Double.NaN : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            kw = Double.NaN;
        }
        if (Double.isNaN(kw)) {
            throw error(line(n), ctx + "field 'powerKw' must be " + expected + ", got '" + v + "'");
        }
        if (!(kw > 0) || kw > MAX_POWER_KW) {
            throw error(line(n), ctx + "field 'powerKw' must be " + expected + ", got " + v);
        }
        long watts = Math.round(kw * 1000);
        if (watts <= 0) {
            throw error(line(n), ctx + "field 'powerKw' must be " + expected + ", got " + v + " (under 1 W)");
        }
        return Optional.of(watts);
    }

    // --- addresses --------------------------------------------------------------------------

    /** {@code scheme}: "http", "https", or null when the address has none. */
    private record HostPort(String host, int port, String scheme) {
    }

    private HostPort hostPort(Node node, String ctx, String written, int defaultPort) {
        String field = ctx + "field 'address'";
        String scheme = null;
        String address = written;
        int sep = written.indexOf("://");
        if (sep >= 0) {
            scheme = written.substring(0, sep).toLowerCase(java.util.Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw error(line(node), field + ": '" + written + "': only https:// and http:// may precede the host");
            }
            address = written.substring(sep + 3);
            if (address.endsWith("/")) {
                address = address.substring(0, address.length() - 1);
            }
        }
        if (address.contains("://") || address.contains("/")) {
            throw error(line(node), field + ": '" + written + "' is a URL with a path; write host, host:port or "
                    + "[ipv6]:port, optionally after https://");
        }
        if (address.chars().anyMatch(Character::isWhitespace)) {
            throw error(line(node), field + ": '" + address + "' contains whitespace");
        }
        String host;
        String port = null;
        if (address.startsWith("[")) {
            int close = address.indexOf(']');
            if (close < 0) {
                throw error(line(node), field + ": '" + address + "' has '[' without ']'; write [ipv6]:port");
            }
            host = address.substring(1, close);
            String rest = address.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw error(line(node), field + ": '" + address + "': expected ':port' after ']'");
                }
                port = rest.substring(1);
            }
            if (!host.contains(":")) {
                throw error(line(node), field + ": '" + address + "': brackets are for IPv6 addresses only");
            }
        } else {
            int colon = address.indexOf(':');
            if (colon >= 0 && address.indexOf(':', colon + 1) >= 0) {
                throw error(line(node), field + ": '" + address + "' looks like an IPv6 address; put it in "
                        + "brackets: [" + address + "]:" + defaultPort);
            }
            host = colon >= 0 ? address.substring(0, colon) : address;
            port = colon >= 0 ? address.substring(colon + 1) : null;
        }
        if (host.isEmpty()) {
            throw error(line(node), field + ": '" + address + "' has no host");
        }
        int p = port == null ? defaultPort : port(node, field, port);
        return new HostPort(host, p, scheme);
    }

    private int port(Node node, String field, String value) {
        String v = value.trim();
        if (v.isEmpty() || !v.chars().allMatch(c -> c >= '0' && c <= '9') || v.length() > 6) {
            throw error(line(node), field + ": port '" + v + "' is not a number; ports are 1..65535");
        }
        int p = Integer.parseInt(v);
        if (p < 1 || p > 65535) {
            throw error(line(node), field + ": port " + p + " is out of range; ports are 1..65535");
        }
        return p;
    }

    // --- TLS ----------------------------------------------------------------------------------

    /** The TLS fields of 'defaults' or of a node, as written (files resolved and checked). */
    private record TlsFields(Boolean tls, Node tlsNode, Path caFile, Node caNode, Path clientCert, Node certNode,
                             Path clientKey, Node keyNode) {
        static final TlsFields NONE = new TlsFields(null, null, null, null, null, null, null, null);

        Node firstFileField() {
            return caNode != null ? caNode : certNode != null ? certNode : keyNode;
        }
    }

    private TlsFields tlsFields(Map<String, Node> m, String ctx) {
        Boolean tls = null;
        Node tlsNode = m.get("tls");
        if (tlsNode != null && !isNull(tlsNode)) {
            String v = scalar(tlsNode, ctx, "tls").trim();
            if (!v.equals("true") && !v.equals("false")) {
                throw error(line(tlsNode), ctx + "field 'tls' must be true or false, got '" + v + "'");
            }
            tls = Boolean.valueOf(v);
        }
        Node ca = m.get("caFile");
        Node cert = m.get("clientCert");
        Node key = m.get("clientKey");
        Path caFile = ca == null ? null : tlsFile(ca, ctx, "caFile");
        Path certFile = cert == null ? null : tlsFile(cert, ctx, "clientCert");
        Path keyFile = key == null ? null : tlsFile(key, ctx, "clientKey");
        return new TlsFields(tls, tlsNode, caFile, ca, certFile, cert, keyFile, key);
    }

    /**
     * A node's TLS: on for an https:// address or 'tls: true' (the node's, else the defaults'), off for http://
     * or 'tls: false'; files from the node, else the defaults; caFile defaults to ca.pem in kiln's PKI directory.
     */
    private AgentTls agentTls(HostPort hp, TlsFields own, TlsFields defaults, Node nodeNode, String nctx) {
        boolean on;
        if (hp.scheme() != null) {
            on = hp.scheme().equals("https");
            if (own.tls() != null && own.tls() != on) {
                throw error(line(own.tlsNode()), nctx + "field 'tls: " + own.tls() + "' contradicts its address's "
                        + hp.scheme() + "://; keep one of them");
            }
        } else if (own.tls() != null) {
            on = own.tls();
        } else {
            on = defaults.tls() != null && defaults.tls();
        }
        if (!on) {
            if (own.firstFileField() != null) {
                throw error(line(own.firstFileField()), nctx + "TLS files are set but the node speaks plain HTTP; "
                        + "write its address as https://... or add 'tls: true'");
            }
            return null;
        }
        Path ca = own.caFile() != null ? own.caFile() : defaults.caFile() != null ? defaults.caFile() : defaultCaFile();
        Path cert = own.clientCert() != null ? own.clientCert() : defaults.clientCert();
        Path key = own.clientKey() != null ? own.clientKey() : defaults.clientKey();
        if ((cert == null) != (key == null)) {
            throw error(line(nodeNode), nctx + "mutual TLS needs both 'clientCert' and 'clientKey' (set under "
                    + "'defaults' or on the node); only " + (cert == null ? "clientKey" : "clientCert") + " is set");
        }
        if (cert != null) {
            Node at = own.certNode() != null ? own.certNode() : own.keyNode() != null ? own.keyNode()
                    : defaults.certNode() != null ? defaults.certNode() : nodeNode;
            matchingKey(cert, key, at, nctx);
        }
        AgentTls tls = new AgentTls(ca, cert, key, false);
        return tlsProfiles.computeIfAbsent(tls, t -> t);
    }

    /** ca.pem in kiln's PKI directory when it exists (read once), else null: the JDK's trust store. */
    private Path defaultCaFile() {
        if (pkiDir == null) {
            return null;
        }
        Path ca = pkiDir.resolve("ca.pem").toAbsolutePath().normalize();
        if (!Files.isRegularFile(ca)) {
            return null;
        }
        if (!certFiles.containsKey(ca)) {
            try {
                certFiles.put(ca, dev.kiln.agent.tls.Pem.readCertificates(ca, "fleet CA file"));
            } catch (IllegalArgumentException e) {
                throw new FleetFileException(source + ": no caFile is set, so kiln uses the fleet CA of 'kiln pki', "
                        + "but " + e.getMessage() + "; set 'caFile' under 'defaults'");
            }
        }
        return ca;
    }

    /** A TLS file field: resolved against the fleet file's directory, read and checked once. */
    private Path tlsFile(Node node, String ctx, String field) {
        String value = scalar(node, ctx, field).trim();
        if (value.isEmpty() || isNull(node)) {
            throw error(line(node), ctx + "field '" + field + "' is empty");
        }
        Path file = Path.of(value);
        Path resolved = (file.isAbsolute() ? file : baseDir.resolve(file)).normalize();
        try {
            if (field.equals("clientKey")) {
                if (!keyFiles.containsKey(resolved)) {
                    keyFiles.put(resolved, dev.kiln.agent.tls.Pem.readPrivateKey(resolved, "key file"));
                }
            } else if (!certFiles.containsKey(resolved)) {
                certFiles.put(resolved, dev.kiln.agent.tls.Pem.readCertificates(resolved, "certificate file"));
            }
        } catch (IllegalArgumentException e) {
            throw error(line(node), ctx + "field '" + field + "': " + e.getMessage()
                    + " (relative paths resolve against the fleet file's directory)");
        }
        return resolved;
    }

    private void matchingKey(Path cert, Path key, Node at, String ctx) {
        List<java.security.cert.X509Certificate> chain = certFiles.get(cert);
        java.security.PrivateKey k = keyFiles.get(key);
        if (!dev.kiln.agent.tls.Certificates.keyMatches(k, chain.get(0).getPublicKey())) {
            throw error(line(at), ctx + "clientKey " + key + " is not the key of clientCert " + cert + " ("
                    + chain.get(0).getSubjectX500Principal().getName() + ")");
        }
    }

    // --- token files ------------------------------------------------------------------------

    private record TokenRef(Path file, String token) {
    }

    private TokenRef tokenRef(Node node, String ctx) {
        String value = scalar(node, ctx, "tokenFile").trim();
        String field = ctx + "field 'tokenFile'";
        if (value.isEmpty()) {
            throw error(line(node), field + " is empty");
        }
        Path file = Path.of(value);
        Path resolved = (file.isAbsolute() ? file : baseDir.resolve(file)).normalize();
        String token = tokens.get(resolved);
        if (token == null) {
            token = readToken(resolved, node, field);
            tokens.put(resolved, token);
        }
        return new TokenRef(resolved, token);
    }

    private String readToken(Path file, Node node, String field) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw error(line(node), field + ": token file " + file + " does not exist; copy the agents' token there "
                    + "(each agent reads it from /etc/kiln/agent.token) or fix the path (relative paths resolve "
                    + "against the fleet file's directory)");
        } catch (AccessDeniedException e) {
            throw error(line(node), field + ": cannot read token file " + file + ": permission denied; it should "
                    + "be readable by you and nobody else (chmod 600)");
        } catch (IOException e) {
            throw error(line(node), field + ": cannot read token file " + file + ": " + e.getMessage());
        }
        String token = text.lines().findFirst().orElse("").trim();
        if (token.isEmpty()) {
            throw error(line(node), field + ": token file " + file + " is empty; its first line must be the "
                    + "agents' bearer token");
        }
        if (token.length() < MIN_TOKEN_LENGTH) {
            throw error(line(node), field + ": token file " + file + " holds a token shorter than "
                    + MIN_TOKEN_LENGTH + " characters, which no agent accepts");
        }
        return token;
    }

    // --- golden specs -----------------------------------------------------------------------

    /** A built-in spec name or a spec file path (relative to the fleet file), read and validated once. */
    private SpecRef spec(Node node, String ctx) {
        String value = scalar(node, ctx, "spec").trim();
        String field = ctx + "field 'spec'";
        if (value.isEmpty() || isNull(node)) {
            throw error(line(node), field + " is empty; name a built-in spec (" + SpecRef.builtIns()
                    + ") or a spec file");
        }
        SpecRef cached = specs.get(value);
        if (cached != null) {
            return cached;
        }
        SpecRef ref;
        try {
            ref = SpecRef.resolve(value, baseDir);
        } catch (SpecRef.NotFound e) {
            throw error(line(node), field + ": " + e.getMessage());
        } catch (SpecFileException e) {
            // The fix is in the spec file: its own file:line first, then where the fleet file names it.
            int more = (int) e.problems().stream().filter(SpecProblem::isError).count() - 1;
            throw new FleetFileException(e.getMessage() + " (named by " + source + ":" + line(node) + ": " + field
                    + ")" + (more > 0 ? "; " + more + " more error" + (more == 1 ? "" : "s")
                    + ": run 'kiln spec lint " + SpecRef.file(value, baseDir) + "'" : ""));
        }
        specs.put(value, ref);
        return ref;
    }

    // --- small typed accessors over SnakeYAML nodes, each error naming line and field ---------

    private Map<String, Node> mapping(Node node, String what, Set<String> allowed) {
        if (!(node instanceof MappingNode mn)) {
            throw error(line(node), what + " must be a mapping of field: value");
        }
        Map<String, Node> out = new LinkedHashMap<>();
        for (NodeTuple t : mn.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) {
                throw error(line(t.getKeyNode()), "field names in " + what + " must be plain words");
            }
            String key = k.getValue();
            if (!allowed.contains(key)) {
                throw error(line(k), "unknown field '" + key + "' in " + what + "; expected one of "
                        + allowed.stream().sorted().toList());
            }
            if (out.put(key, t.getValueNode()) != null) {
                throw error(line(k), "field '" + key + "' appears twice in " + what);
            }
        }
        return out;
    }

    private String scalar(Node node, String ctx, String field) {
        if (!(node instanceof ScalarNode s)) {
            throw error(line(node), ctx + "field '" + field + "' must be a single value, not a list or mapping");
        }
        return s.getValue();
    }

    private String requiredString(Map<String, Node> m, Node owner, String ctx, String field) {
        Node n = m.get(field);
        if (n == null) {
            throw error(line(owner), ctx + "field '" + field + "' is missing");
        }
        String v = scalar(n, ctx, field).trim();
        if (v.isEmpty() || isNull(n)) {
            throw error(line(n), ctx + "field '" + field + "' is empty");
        }
        return v;
    }

    private long longIn(Node n, String ctx, String field, long min, long max) {
        String v = scalar(n, ctx, field).trim();
        long l;
        try {
            l = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw error(line(n), ctx + "field '" + field + "' must be an integer, got '" + v + "'");
        }
        if (l < min || l > max) {
            throw error(line(n), ctx + "field '" + field + "' must be between " + min + " and " + max + ", got " + v);
        }
        return l;
    }

    private static boolean isNull(Node n) {
        return n instanceof ScalarNode s && Tag.NULL.equals(s.getTag());
    }

    private static int line(Node node) {
        return node == null || node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }

    private FleetFileException error(int line, String message) {
        return new FleetFileException(source + (line > 0 ? ":" + line : "") + ": " + message);
    }
}
