package dev.kiln.agent.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Bearer-token check for every {@code /v1} endpoint. The token lives in a file only its owner can read.
 * The token given at creation is the {@link Role#OPERATOR} token; {@link #withReadOnlyToken} adds a
 * {@link Role#READ_ONLY} one. Only SHA-256 digests of the tokens are kept, and a presented token is
 * compared digest to digest with {@link MessageDigest#isEqual}, so neither its content nor its length
 * shows in the time an answer takes.
 */
public final class TokenAuth {
    private static final int MIN_LENGTH = 16;
    /** SHA-256 of the operator token. */
    private final byte[] token;
    private final boolean metricsWithoutToken;
    /** SHA-256 of the read-only token, or null when there is none. */
    private final byte[] readOnlyToken;

    private TokenAuth(String token) {
        this(sha256(token), false, null);
    }

    private TokenAuth(byte[] token, boolean metricsWithoutToken, byte[] readOnlyToken) {
        this.token = token;
        this.metricsWithoutToken = metricsWithoutToken;
        this.readOnlyToken = readOnlyToken;
    }

    /** This token, with {@code GET /metrics} open to anyone who can reach the port (off by default). */
    public TokenAuth withMetricsWithoutToken(boolean open) {
        return new TokenAuth(token, open, readOnlyToken);
    }

    /**
     * This operator token plus a read-only token: {@code readOnly}'s own token (as made by {@link #of} or
     * {@link #fromFile}) may read (inventory, events, jobs, checks, metrics) but not start or cancel jobs.
     */
    public TokenAuth withReadOnlyToken(TokenAuth readOnly) {
        if (MessageDigest.isEqual(readOnly.token, token)) {
            throw new IllegalArgumentException("the read-only token is the operator token; give the read-only role "
                    + "its own token (a second file), or leave it out");
        }
        return new TokenAuth(token, metricsWithoutToken, readOnly.token);
    }

    /** Whether a read-only token is configured. */
    public boolean hasReadOnlyToken() {
        return readOnlyToken != null;
    }

    /** Whether {@code GET /metrics} is served without the bearer token. */
    public boolean metricsWithoutToken() {
        return metricsWithoutToken;
    }

    public static TokenAuth of(String token) {
        if (token == null || token.length() < MIN_LENGTH) {
            throw new IllegalArgumentException("bearer token must be at least " + MIN_LENGTH + " characters");
        }
        return new TokenAuth(token);
    }

    /** Reads the token (first line, trimmed); errors say which file and what to do. */
    public static TokenAuth fromFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).lines().findFirst().orElse("").trim();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("token file " + file + " does not exist; create it with "
                    + "'head -c 32 /dev/urandom | base64 > " + file + "' (mode 0600) or start with --generate-token");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read token file " + file + ": " + e.getMessage());
        }
        if (text.length() < MIN_LENGTH) {
            throw new IllegalArgumentException("token file " + file + " holds a token shorter than " + MIN_LENGTH
                    + " characters; write a longer random token");
        }
        return new TokenAuth(text);
    }

    /** Reads the token file, creating it with a fresh random token (mode 0600) when it does not exist. */
    public static TokenAuth fromFileOrGenerate(Path file) {
        if (!Files.exists(file)) {
            try {
                writeNewToken(file);
            } catch (FileAlreadyExistsException e) {
                // Another process created it first; read theirs.
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot create token file " + file + ": " + e.getMessage());
            }
        }
        return fromFile(file);
    }

    /**
     * Writes a new random 256-bit token to a file that must not exist yet. The token is written to a
     * private temporary file first and then hard-linked into place, so a concurrent reader never sees
     * an empty or partial token and an existing file is never overwritten.
     */
    public static String writeNewToken(Path file) throws IOException {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Path target = file.toAbsolutePath();
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path tmp;
        try {
            tmp = Files.createTempFile(parent, ".kiln-token", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            tmp = Files.createTempFile(parent, ".kiln-token", ".tmp");
        }
        try {
            Files.writeString(tmp, token + "\n", StandardCharsets.UTF_8);
            Files.createLink(target, tmp); // fails with FileAlreadyExistsException instead of replacing
        } finally {
            Files.deleteIfExists(tmp);
        }
        return token;
    }

    /** Constant-time check of an {@code Authorization} header value: true for a token of either role. */
    public boolean accepts(String authorizationHeader) {
        return roleOf(authorizationHeader) != null;
    }

    /**
     * The role of the bearer token in an {@code Authorization} header value, or null when there is no
     * bearer token or it is neither role's. Both digests are always compared.
     */
    public Role roleOf(String authorizationHeader) {
        String presented = bearer(authorizationHeader);
        if (presented == null) {
            return null;
        }
        byte[] digest = sha256(presented);
        boolean operator = MessageDigest.isEqual(digest, token);
        boolean reader = readOnlyToken != null & MessageDigest.isEqual(digest, readOnlyToken == null ? token : readOnlyToken);
        return operator ? Role.OPERATOR : reader ? Role.READ_ONLY : null;
    }

    /**
     * The first 8 hex digits of the SHA-256 of the bearer token in an {@code Authorization} header value
     * (names a token in logs without revealing it), or null when there is none.
     */
    public static String fingerprint(String authorizationHeader) {
        String presented = bearer(authorizationHeader);
        if (presented == null) {
            return null;
        }
        return java.util.HexFormat.of().formatHex(sha256(presented), 0, 4);
    }

    /** The token of a {@code Bearer} header value, or null. */
    private static String bearer(String authorizationHeader) {
        if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String t = authorizationHeader.substring(7).trim();
        return t.isEmpty() ? null : t;
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java has no SHA-256", e);
        }
    }
}
