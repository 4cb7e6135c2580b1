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

/** Bearer-token check for every {@code /v1} endpoint. The token lives in a file only its owner can read. */
public final class TokenAuth {
    private static final int MIN_LENGTH = 16;
    private final byte[] token;

    private TokenAuth(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
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

    /** Constant-time check of an {@code Authorization} header value. */
    public boolean accepts(String authorizationHeader) {
        if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] presented = authorizationHeader.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(presented, token);
    }
}
