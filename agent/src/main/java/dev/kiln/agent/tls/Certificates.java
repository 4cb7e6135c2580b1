package dev.kiln.agent.tls;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A small fleet PKI with the JDK alone: EC P-256 keys, a self-signed CA certificate, and node (server) or
 * operator (client) certificates signed by it. Certificates are X.509 v3 built with {@link Der} and signed
 * with {@link Signature}; every one is read back through {@link CertificateFactory} and verified against
 * its issuer before it is returned, so a bad encoding fails here and not in a TLS handshake.
 *
 * <p>CA: basicConstraints CA:true pathlen 0 (critical), keyUsage keyCertSign, cRLSign, digitalSignature
 * (critical), subject key id. Node: basicConstraints CA:false, keyUsage digitalSignature, extKeyUsage
 * serverAuth or clientAuth, subjectAltName (DNS names and IP addresses), subject and authority key ids.
 */
public final class Certificates {
    /** What an issued certificate is for. */
    public enum Usage {
        /** An agent's server certificate (extKeyUsage serverAuth); needs at least one DNS name or IP. */
        SERVER,
        /** An operator's or a tool's client certificate for mutual TLS (extKeyUsage clientAuth). */
        CLIENT
    }

    /**
     * What to put in a node or client certificate.
     *
     * @param commonName the subject's CN (the node or operator name)
     * @param dnsNames   subjectAltName DNS names (hostname verification matches these)
     * @param ips        subjectAltName IP addresses (for fleet files that address nodes by IP)
     */
    public record Request(String commonName, PublicKey publicKey, List<String> dnsNames, List<InetAddress> ips,
                          Instant notBefore, Instant notAfter, Usage usage) {
        public Request {
            Objects.requireNonNull(commonName, "commonName");
            Objects.requireNonNull(publicKey, "publicKey");
            dnsNames = List.copyOf(dnsNames == null ? List.of() : dnsNames);
            ips = List.copyOf(ips == null ? List.of() : ips);
            Objects.requireNonNull(notBefore, "notBefore");
            Objects.requireNonNull(notAfter, "notAfter");
            Objects.requireNonNull(usage, "usage");
            if (!notAfter.isAfter(notBefore)) {
                throw new IllegalArgumentException("a certificate must end after it begins");
            }
            for (String d : dnsNames) {
                if (!DNS_NAME.matcher(d).matches()) {
                    throw new IllegalArgumentException("'" + d + "' is not a DNS name (letters, digits, '-' and '.', "
                            + "optionally starting with '*.')");
                }
            }
            if (usage == Usage.SERVER && dnsNames.isEmpty() && ips.isEmpty()) {
                throw new IllegalArgumentException("a server certificate needs at least one DNS name or IP address: "
                        + "clients verify the name they connect to against them");
            }
        }
    }

    /** A certificate with its private key. */
    public record Issued(X509Certificate certificate, PrivateKey privateKey) {
    }

    static final Pattern DNS_NAME = Pattern.compile(
            "(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    /** Clients reject certificates that start in their future; allow for clocks an hour apart. */
    public static final java.time.Duration BACKDATE = java.time.Duration.ofHours(1);

    private static final String EC_SHA256 = "1.2.840.10045.4.3.2";
    private static final String RSA_SHA256 = "1.2.840.113549.1.1.11";
    private static final String CN = "2.5.4.3";
    private static final String O = "2.5.4.10";
    private static final String SUBJECT_KEY_ID = "2.5.29.14";
    private static final String KEY_USAGE = "2.5.29.15";
    private static final String SUBJECT_ALT_NAME = "2.5.29.17";
    private static final String BASIC_CONSTRAINTS = "2.5.29.19";
    private static final String AUTHORITY_KEY_ID = "2.5.29.35";
    private static final String EXT_KEY_USAGE = "2.5.29.37";
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int DIGITAL_SIGNATURE = 0;
    private static final int KEY_CERT_SIGN = 5;
    private static final int CRL_SIGN = 6;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Certificates() {
    }

    /** A new EC P-256 key pair. */
    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java has no EC P-256 key generator: " + e.getMessage(), e);
        }
    }

    /** A self-signed CA certificate (subject {@code CN=commonName, O=Kiln}) that may sign end-entity certificates only. */
    public static X509Certificate newCa(String commonName, KeyPair keys, Instant notBefore, Instant notAfter) {
        byte[] name = name(commonName);
        byte[] keyId = keyId(keys.getPublic());
        byte[] extensions = Der.sequence(
                extension(BASIC_CONSTRAINTS, true, Der.sequence(Der.bool(true), Der.integer(0))),
                extension(KEY_USAGE, true, Der.namedBits(DIGITAL_SIGNATURE, KEY_CERT_SIGN, CRL_SIGN)),
                extension(SUBJECT_KEY_ID, false, Der.octetString(keyId)));
        X509Certificate ca = sign(name, name, keys.getPublic(), notBefore, notAfter, extensions, keys.getPrivate());
        verify(ca, keys.getPublic());
        return ca;
    }

    /** A certificate for {@code request}, signed by {@code ca} with {@code caKey}. */
    public static X509Certificate issue(X509Certificate ca, PrivateKey caKey, Request request) {
        Objects.requireNonNull(ca, "ca");
        Objects.requireNonNull(caKey, "caKey");
        if (ca.getBasicConstraints() < 0) {
            throw new IllegalArgumentException("'" + ca.getSubjectX500Principal().getName()
                    + "' is not a CA certificate (basicConstraints CA:false); it cannot sign certificates");
        }
        if (request.notAfter().isAfter(ca.getNotAfter().toInstant())) {
            throw new IllegalArgumentException("the certificate would outlive its CA, which expires "
                    + ca.getNotAfter().toInstant() + "; ask for fewer days or renew the CA");
        }
        List<byte[]> exts = new ArrayList<>();
        exts.add(extension(BASIC_CONSTRAINTS, true, Der.sequence()));
        exts.add(extension(KEY_USAGE, true, Der.namedBits(DIGITAL_SIGNATURE)));
        exts.add(extension(EXT_KEY_USAGE, false, Der.sequence(Der.oid(
                request.usage() == Usage.SERVER ? SERVER_AUTH : CLIENT_AUTH))));
        if (!request.dnsNames().isEmpty() || !request.ips().isEmpty()) {
            List<byte[]> names = new ArrayList<>();
            request.dnsNames().forEach(d -> names.add(Der.implicitPrimitive(2,
                    d.getBytes(java.nio.charset.StandardCharsets.US_ASCII))));
            request.ips().forEach(ip -> names.add(Der.implicitPrimitive(7, ip.getAddress())));
            exts.add(extension(SUBJECT_ALT_NAME, false, Der.sequence(names.toArray(byte[][]::new))));
        }
        exts.add(extension(SUBJECT_KEY_ID, false, Der.octetString(keyId(request.publicKey()))));
        byte[] caKeyId = subjectKeyId(ca);
        if (caKeyId != null) {
            exts.add(extension(AUTHORITY_KEY_ID, false, Der.sequence(Der.implicitPrimitive(0, caKeyId))));
        }
        X509Certificate cert = sign(ca.getSubjectX500Principal().getEncoded(), name(request.commonName()),
                request.publicKey(), request.notBefore(), request.notAfter(),
                Der.sequence(exts.toArray(byte[][]::new)), caKey);
        verify(cert, ca.getPublicKey());
        return cert;
    }

    /** Generates a key pair and issues its certificate. */
    public static Issued issueWithNewKey(X509Certificate ca, PrivateKey caKey, String commonName, List<String> dnsNames,
                                         List<InetAddress> ips, Instant notBefore, Instant notAfter, Usage usage) {
        KeyPair keys = newKeyPair();
        return new Issued(issue(ca, caKey, new Request(commonName, keys.getPublic(), dnsNames, ips, notBefore,
                notAfter, usage)), keys.getPrivate());
    }

    /** Whether {@code s} is a DNS name a certificate may carry (optionally a wildcard {@code *.} prefix). */
    public static boolean isDnsName(String s) {
        return s != null && s.length() <= 253 && DNS_NAME.matcher(s).matches() && ipLiteral(s) == null;
    }

    /** SHA-256 fingerprint as colon-separated hex (as {@code openssl x509 -fingerprint -sha256} prints it). */
    public static String fingerprint(X509Certificate cert) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
            StringBuilder sb = new StringBuilder();
            for (byte b : d) {
                if (!sb.isEmpty()) {
                    sb.append(':');
                }
                sb.append(String.format("%02X", b));
            }
            return sb.toString();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One line: subject, names, validity. */
    public static String describe(X509Certificate cert) {
        List<String> sans = new ArrayList<>();
        try {
            if (cert.getSubjectAlternativeNames() != null) {
                cert.getSubjectAlternativeNames().forEach(l -> sans.add((((Integer) l.get(0)) == 7 ? "IP:" : "DNS:")
                        + l.get(1)));
            }
        } catch (java.security.cert.CertificateParsingException e) {
            sans.add("(unreadable)");
        }
        return cert.getSubjectX500Principal().getName() + (sans.isEmpty() ? "" : ", names " + String.join(" ", sans))
                + ", valid " + cert.getNotBefore().toInstant() + " to " + cert.getNotAfter().toInstant();
    }

    // --- building blocks ----------------------------------------------------------------------------

    private static byte[] name(String commonName) {
        if (commonName.isBlank() || commonName.length() > 64) {
            throw new IllegalArgumentException("a certificate's common name must be 1 to 64 characters, got '"
                    + commonName + "'");
        }
        return Der.sequence(
                Der.set(Der.sequence(Der.oid(O), Der.utf8("Kiln"))),
                Der.set(Der.sequence(Der.oid(CN), Der.utf8(commonName))));
    }

    private static byte[] extension(String oid, boolean critical, byte[] value) {
        return critical ? Der.sequence(Der.oid(oid), Der.bool(true), Der.octetString(value))
                : Der.sequence(Der.oid(oid), Der.octetString(value));
    }

    /** RFC 7093 method 1's spirit: the leftmost 160 bits of SHA-256 over the encoded public key. */
    private static byte[] keyId(PublicKey key) {
        try {
            return Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()), 20);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The CA's own subject key identifier (so the authority key id matches whatever tool made the CA), or null. */
    private static byte[] subjectKeyId(X509Certificate ca) {
        byte[] ext = ca.getExtensionValue(SUBJECT_KEY_ID);
        if (ext == null) {
            return null;
        }
        try {
            return Der.contents(Der.OCTET_STRING, Der.contents(Der.OCTET_STRING, ext));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static X509Certificate sign(byte[] issuer, byte[] subject, PublicKey subjectKey, Instant notBefore,
                                        Instant notAfter, byte[] extensions, PrivateKey signer) {
        boolean ec = "EC".equals(signer.getAlgorithm());
        if (!ec && !"RSA".equals(signer.getAlgorithm())) {
            throw new IllegalArgumentException("the CA key is " + signer.getAlgorithm() + "; Kiln signs with EC or RSA keys");
        }
        byte[] algorithm = ec ? Der.sequence(Der.oid(EC_SHA256)) : Der.sequence(Der.oid(RSA_SHA256), Der.nullValue());
        byte[] serial = new byte[16];
        RANDOM.nextBytes(serial);
        serial[0] &= 0x7F;
        serial[0] |= 0x40; // positive and never shorter than 16 bytes
        byte[] tbs = Der.sequence(
                Der.explicit(0, Der.integer(2)), // v3
                Der.integer(new BigInteger(1, serial)),
                algorithm,
                issuer,
                Der.sequence(Der.time(notBefore), Der.time(notAfter)),
                subject,
                subjectKey.getEncoded(), // SubjectPublicKeyInfo
                Der.explicit(3, extensions));
        try {
            Signature s = Signature.getInstance(ec ? "SHA256withECDSA" : "SHA256withRSA");
            s.initSign(signer, RANDOM);
            s.update(tbs);
            byte[] der = Der.sequence(tbs, algorithm, Der.bitString(s.sign()));
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign the certificate: " + e.getMessage(), e);
        }
    }

    private static void verify(X509Certificate cert, PublicKey issuerKey) {
        try {
            cert.verify(issuerKey);
            cert.checkValidity(java.util.Date.from(cert.getNotBefore().toInstant().plusSeconds(1)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the new certificate does not verify (" + e.getMessage() + "); a bug in Kiln",
                    e);
        }
    }

    /** Whether {@code key} is the private half of {@code pub} (signs a probe and verifies it). */
    public static boolean keyMatches(PrivateKey key, PublicKey pub) {
        if (!key.getAlgorithm().equals(pub.getAlgorithm())) {
            return false;
        }
        String alg = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> key.getAlgorithm();
        };
        try {
            byte[] probe = "kiln tls key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(pub);
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** An IP literal as an address (never a DNS lookup); null when it is not one. */
    public static InetAddress ipLiteral(String s) {
        String v = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
        try {
            if (v.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
                byte[] b = new byte[4];
                String[] parts = v.split("\\.");
                for (int i = 0; i < 4; i++) {
                    int octet = Integer.parseInt(parts[i]);
                    if (octet > 255) {
                        return null;
                    }
                    b[i] = (byte) octet;
                }
                return InetAddress.getByAddress(b);
            }
            if (v.contains(":") && v.matches("[0-9A-Fa-f:.]+")) {
                InetAddress a = InetAddress.getByName(v); // contains ':': parsed as an IPv6 literal, never looked up
                return a instanceof Inet6Address ? a : null;
            }
        } catch (java.net.UnknownHostException | NumberFormatException e) {
            return null;
        }
        return null;
    }
}
