package dev.kiln.cli.pki;

import dev.kiln.agent.tls.Certificates;
import dev.kiln.agent.tls.Pem;
import dev.kiln.cli.UsageException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * {@code kiln pki}: a fleet certificate authority for a site that has no other PKI. {@code init} makes the CA
 * (EC P-256, self-signed, 10 years); {@code issue} signs a node's server certificate or an operator's client
 * certificate with it. Files: {@code DIR/ca.pem}, {@code DIR/ca-key.pem} (0600), {@code DIR/NAME.pem},
 * {@code DIR/NAME-key.pem} (0600). Certificates are built with the JDK alone ({@link Certificates}).
 */
@Command(name = "pki", mixinStandardHelpOptions = true,
        header = "Create a fleet CA and issue agent (server) and operator (client) certificates.",
        description = {"A small fleet PKI, so a site needs no other: 'kiln pki init' creates the CA once; 'kiln pki issue "
                + "NODE' writes NODE.pem and NODE-key.pem for an agent's --tls-cert/--tls-key; 'kiln pki issue NAME "
                + "--client' writes an operator's client certificate for agents started with --tls-client-ca.",
                "", "kiln verifies agents against DIR/ca.pem by default (a fleet file's caFile overrides it). Keep "
                + "ca-key.pem off the network: whoever holds it can impersonate every agent. See docs/security.md."},
        subcommands = {PkiCommand.Init.class, PkiCommand.Issue.class})
public final class PkiCommand implements Callable<Integer> {
    /** The fleet CA's file names in the PKI directory. */
    public static final String CA_CERT = "ca.pem";
    public static final String CA_KEY = "ca-key.pem";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return dev.kiln.cli.ExitCodes.USAGE;
    }

    /** {@code $KILN_HOME/pki}, else {@code ~/.config/kiln/pki}. */
    public static Path defaultDir() {
        return defaultDir(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    static Path defaultDir(Map<String, String> env, Path userHome) {
        String home = env.get("KILN_HOME");
        return (home != null && !home.isBlank() ? Path.of(home).resolve("pki") : userHome.resolve(".config/kiln/pki"))
                .toAbsolutePath().normalize();
    }

    /** The PKI directory option both subcommands share. */
    static final class DirOption {
        @Option(names = "--dir", paramLabel = "DIR",
                description = "PKI directory (default: $KILN_HOME/pki, else ~/.config/kiln/pki).")
        Path dir;

        Path dir() {
            return dir != null ? dir.toAbsolutePath().normalize() : defaultDir();
        }
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            header = "Create the fleet CA: DIR/ca.pem (share it) and DIR/ca-key.pem (keep it private).",
            description = {"Generates an EC P-256 key and a self-signed CA certificate that may sign agent and operator "
                    + "certificates (not other CAs). Refuses to overwrite an existing CA: every agent and operator "
                    + "trusts it by its key."})
    static final class Init implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.Mixin
        DirOption dirOption = new DirOption();

        @Option(names = "--name", paramLabel = "NAME",
                description = "The CA's common name (default: 'Kiln fleet CA <host> <date>').")
        String name;

        @Option(names = "--days", paramLabel = "N", defaultValue = "3650",
                description = "How long the CA is valid, in days (default: ${DEFAULT-VALUE}, 10 years).")
        int days;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Path dir = dirOption.dir();
            checkDays(spec, days, 36_500);
            Path cert = dir.resolve(CA_CERT);
            Path key = dir.resolve(CA_KEY);
            for (Path p : List.of(cert, key)) {
                if (Files.exists(p)) {
                    throw new UsageException("refusing to overwrite the fleet CA: " + p + " exists. Agents and operators "
                            + "trust that CA; to start over, move " + dir + " away first (and reissue every certificate)");
                }
            }
            String cn = name != null ? name : "Kiln fleet CA " + host() + " " + java.time.LocalDate.now();
            if (cn.isBlank() || cn.length() > 64) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--name must be 1 to 64 characters");
            }
            Instant now = Instant.now();
            KeyPair keys = Certificates.newKeyPair();
            X509Certificate ca = Certificates.newCa(cn, keys, now.minus(Certificates.BACKDATE), now.plus(Duration.ofDays(days)));
            privateDir(dir);
            write(key, Pem.privateKey(keys.getPrivate()), true);
            write(cert, Pem.certificates(List.of(ca)), false);
            out.println("kiln: created the fleet CA '" + cn + "', valid until " + ca.getNotAfter().toInstant());
            out.println("  certificate  " + cert + "   (public: copy it to every agent that checks client certificates, "
                    + "--tls-client-ca)");
            out.println("  private key  " + key + "   (mode 0600: keep it here, never on a node)");
            out.println("  SHA-256 " + Certificates.fingerprint(ca));
            out.println("Next: 'kiln pki issue NODE --ip ADDRESS' for each agent, 'kiln pki issue YOU --client' for "
                    + "mutual TLS.");
            out.flush();
            return 0;
        }
    }

    @Command(name = "issue", mixinStandardHelpOptions = true,
            header = "Issue a certificate signed by the fleet CA: an agent's (default) or an operator's (--client).",
            description = {"Writes DIR/NAME.pem and DIR/NAME-key.pem (0600). An agent certificate names NAME as a DNS "
                    + "name (or IP address, when NAME is one) plus every --dns and --ip: kiln verifies the host of the "
                    + "node's fleet-file address against these, so give the address the fleet file uses. "
                    + "A --client certificate identifies an operator or tool to agents started with --tls-client-ca."})
    static final class Issue implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.Mixin
        DirOption dirOption = new DirOption();

        @Parameters(index = "0", paramLabel = "NAME", description = "The node (or, with --client, the operator) name.")
        String name;

        @Option(names = "--dns", paramLabel = "NAME", split = ",", description = "Also valid for this DNS name; repeatable.")
        List<String> dns = new ArrayList<>();

        @Option(names = "--ip", paramLabel = "ADDR", split = ",", description = "Also valid for this IP address; repeatable.")
        List<String> ips = new ArrayList<>();

        @Option(names = "--days", paramLabel = "N", defaultValue = "825",
                description = "How long the certificate is valid, in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--client", description = "A client certificate (mutual TLS) instead of an agent's server certificate.")
        boolean client;

        @Option(names = "--force", description = "Replace NAME.pem and NAME-key.pem if they exist (renewal).")
        boolean force;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Path dir = dirOption.dir();
            checkDays(spec, days, 3650);
            if (!NAME.matcher(name).matches() || name.equals("ca") || name.endsWith("-key")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "NAME '" + name + "' must be 1 to 63 "
                        + "letters, digits, '.', '_' or '-', start with a letter or digit, and be neither 'ca' nor end "
                        + "in '-key' (it names the files)");
            }
            Set<String> dnsNames = new LinkedHashSet<>();
            Set<InetAddress> addresses = new LinkedHashSet<>();
            if (!client) {
                InetAddress self = Certificates.ipLiteral(name);
                if (self != null) {
                    addresses.add(self);
                } else if (Certificates.isDnsName(name)) {
                    dnsNames.add(name); // else only --dns/--ip name it ('node_01' is no host name)
                }
            }
            for (String d : dns) {
                if (!Certificates.isDnsName(d.trim())) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--dns '" + d + "' is not a DNS name "
                            + "(an IP address goes to --ip)");
                }
                dnsNames.add(d.trim());
            }
            for (String ip : ips) {
                InetAddress a = Certificates.ipLiteral(ip.trim());
                if (a == null) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--ip '" + ip + "' is not an IPv4 or "
                            + "IPv6 address (a host name goes to --dns)");
                }
                addresses.add(a);
            }
            Path caCert = dir.resolve(CA_CERT);
            Path caKeyFile = dir.resolve(CA_KEY);
            if (!Files.exists(caCert) || !Files.exists(caKeyFile)) {
                throw new UsageException("no fleet CA in " + dir + " (" + CA_CERT + " and " + CA_KEY + "); run 'kiln pki "
                        + "init" + (dirOption.dir == null ? "" : " --dir " + dir) + "' first");
            }
            X509Certificate ca;
            PrivateKey caKey;
            try {
                ca = Pem.readCertificates(caCert, "fleet CA file").get(0);
                caKey = Pem.readPrivateKey(caKeyFile, "fleet CA key file");
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            if (!Certificates.keyMatches(caKey, ca.getPublicKey())) {
                throw new UsageException(caKeyFile + " is not the key of " + caCert + "; restore the pair 'kiln pki init' "
                        + "wrote");
            }
            warnIfReadable(caKeyFile, err);
            Path cert = dir.resolve(name + ".pem");
            Path key = dir.resolve(name + "-key.pem");
            if (!force) {
                for (Path p : List.of(cert, key)) {
                    if (Files.exists(p)) {
                        throw new UsageException(p + " already exists; pass --force to replace it (renewal), or choose "
                                + "another NAME");
                    }
                }
            }
            Instant now = Instant.now();
            Certificates.Issued issued;
            try {
                issued = Certificates.issueWithNewKey(ca, caKey, name, List.copyOf(dnsNames), List.copyOf(addresses),
                        now.minus(Certificates.BACKDATE), now.plus(Duration.ofDays(days)),
                        client ? Certificates.Usage.CLIENT : Certificates.Usage.SERVER);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            write(key, Pem.privateKey(issued.privateKey()), true, force);
            write(cert, Pem.certificates(List.of(issued.certificate())), false, force);
            X509Certificate c = issued.certificate();
            out.println("kiln: issued " + (client ? "a client" : "an agent") + " certificate: " + Certificates.describe(c));
            out.println("  certificate  " + cert);
            out.println("  private key  " + key + "   (mode 0600)");
            if (client) {
                out.println("Use it from the fleet file ('clientCert: " + cert + "' and 'clientKey: " + key + "' under "
                        + "'defaults') with agents started with --tls-client-ca " + caCert + ".");
            } else {
                out.println("Install both on " + name + ", readable only by the agent's user, e.g. /etc/kiln/tls/, and run");
                out.println("  kiln-agent serve --tls-cert /etc/kiln/tls/" + name + ".pem --tls-key /etc/kiln/tls/" + name
                        + "-key.pem");
                out.println("and give the node an https:// address in the fleet file.");
            }
            out.flush();
            return 0;
        }
    }

    private static void checkDays(CommandSpec spec, int days, int max) {
        if (days < 1 || days > max) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--days must be between 1 and " + max + ", got "
                    + days);
        }
    }

    private static String host() {
        try {
            String h = InetAddress.getLocalHost().getHostName();
            int dot = h.indexOf('.');
            return dot > 0 ? h.substring(0, dot) : h;
        } catch (IOException e) {
            return "localhost";
        }
    }

    private static void privateDir(Path dir) {
        try {
            if (!Files.isDirectory(dir)) {
                try {
                    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } catch (UnsupportedOperationException e) {
                    Files.createDirectories(dir);
                }
            }
        } catch (IOException e) {
            throw new UsageException("cannot create the PKI directory " + dir + ": " + e.getMessage());
        }
    }

    private static void write(Path file, String text, boolean secret) {
        write(file, text, secret, false);
    }

    private static void write(Path file, String text, boolean secret, boolean replace) {
        try {
            Pem.write(file, text, secret, replace);
        } catch (FileAlreadyExistsException e) {
            throw new UsageException(file + " appeared while kiln was writing it; nothing was replaced");
        } catch (IOException e) {
            throw new UsageException("cannot write " + file + ": " + e.getMessage());
        }
    }

    private static void warnIfReadable(Path key, PrintWriter err) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(key);
            if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
                err.println("kiln: warning: " + key + " is readable by others (" + PosixFilePermissions.toString(perms)
                        + "); whoever reads it can impersonate every agent: chmod 600 " + key);
                err.flush();
            }
        } catch (IOException | UnsupportedOperationException e) {
            // Not POSIX, or unreadable metadata: nothing to warn about.
        }
    }
}
