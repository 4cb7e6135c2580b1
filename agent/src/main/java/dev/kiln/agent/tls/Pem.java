package dev.kiln.agent.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM files: X.509 certificates and PKCS#8 private keys ({@code -----BEGIN PRIVATE KEY-----}), the forms
 * Vert.x, Quarkus, OpenSSL and curl all read. Errors are {@link IllegalArgumentException}s that name the file
 * and say what to do.
 */
public final class Pem {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    private Pem() {
    }

    /** Every certificate in {@code file}, in order; at least one. */
    public static List<X509Certificate> readCertificates(Path file, String what) {
        String text = read(file, what);
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Block b : blocks(text)) {
                if (b.type.equals("CERTIFICATE")) {
                    for (Certificate c : cf.generateCertificates(new ByteArrayInputStream(b.der))) {
                        out.add((X509Certificate) c);
                    }
                }
            }
        } catch (CertificateException | IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " " + file + " holds a certificate that cannot be read: "
                    + e.getMessage());
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(what + " " + file + " holds no PEM certificate "
                    + "('-----BEGIN CERTIFICATE-----'); give the certificate file, not the key");
        }
        return out;
    }

    /** The PKCS#8 private key (EC or RSA) in {@code file}. */
    public static PrivateKey readPrivateKey(Path file, String what) {
        String text = read(file, what);
        for (Block b : blocks(text)) {
            switch (b.type) {
                case "PRIVATE KEY" -> {
                    for (String alg : new String[]{"EC", "RSA", "Ed25519"}) {
                        try {
                            return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(b.der));
                        } catch (GeneralSecurityException e) {
                            // try the next algorithm
                        }
                    }
                    throw new IllegalArgumentException(what + " " + file + " holds a PKCS#8 key of a kind this Java "
                            + "cannot read; use an EC P-256 key ('kiln pki issue' makes them)");
                }
                case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException(what + " " + file
                        + " is encrypted; the agent starts unattended, so give it an unencrypted key readable only by "
                        + "its user: 'openssl pkcs8 -in " + file + " -out key.pem' (then chmod 600)");
                case "EC PRIVATE KEY", "RSA PRIVATE KEY" -> throw new IllegalArgumentException(what + " " + file
                        + " holds a '" + b.type + "' (traditional format); convert it to PKCS#8 with "
                        + "'openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pem'");
                default -> {
                    // a certificate or parameters: look further
                }
            }
        }
        throw new IllegalArgumentException(what + " " + file + " holds no PEM private key ('-----BEGIN PRIVATE "
                + "KEY-----'); give the key file, not the certificate");
    }

    /** PEM text of certificates. */
    public static String certificates(List<X509Certificate> certs) {
        StringBuilder sb = new StringBuilder();
        try {
            for (X509Certificate c : certs) {
                sb.append(block("CERTIFICATE", c.getEncoded()));
            }
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
        return sb.toString();
    }

    /** PEM text of a PKCS#8 private key. */
    public static String privateKey(PrivateKey key) {
        if (!"PKCS#8".equals(key.getFormat())) {
            throw new IllegalArgumentException("key is " + key.getFormat() + ", not PKCS#8");
        }
        return block("PRIVATE KEY", key.getEncoded());
    }

    /**
     * Writes {@code text} to {@code file}, readable by its owner only when {@code secret}. The file appears
     * whole (written to a private temporary file, then moved or linked into place); an existing file is
     * replaced only when {@code replace}, otherwise it is a {@link FileAlreadyExistsException}.
     */
    public static void write(Path file, String text, boolean secret, boolean replace) throws IOException {
        Path target = file.toAbsolutePath();
        Files.createDirectories(target.getParent());
        Path tmp;
        try {
            tmp = Files.createTempFile(target.getParent(), ".kiln-pem", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            tmp = Files.createTempFile(target.getParent(), ".kiln-pem", ".tmp");
        }
        try {
            Files.writeString(tmp, text, StandardCharsets.US_ASCII);
            if (!secret) {
                try {
                    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
                } catch (UnsupportedOperationException e) {
                    // not a POSIX file system
                }
            }
            if (replace) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.createLink(target, tmp); // fails instead of replacing
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String block(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private record Block(String type, byte[] der) {
    }

    private static List<Block> blocks(String text) {
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            try {
                out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("a PEM '" + m.group(1) + "' block is not valid base64");
            }
        }
        return out;
    }

    private static String read(Path file, String what) {
        try {
            if (Files.size(file) > 1 << 20) {
                throw new IllegalArgumentException(what + " " + file + " is larger than 1 MiB; is it a PEM file?");
            }
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + " " + file + " does not exist");
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException("cannot read " + what + " " + file + ": permission denied");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + what + " " + file + ": " + e.getMessage());
        }
    }
}
