package dev.kiln.agent.tls;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The few ASN.1 DER encodings an X.509 certificate needs, each returning its complete TLV bytes. Enough
 * for {@link Certificates}; not a general ASN.1 library (no reader beyond {@link #contents}).
 */
final class Der {
    static final int BOOLEAN = 0x01;
    static final int INTEGER = 0x02;
    static final int BIT_STRING = 0x03;
    static final int OCTET_STRING = 0x04;
    static final int NULL = 0x05;
    static final int OID = 0x06;
    static final int UTF8_STRING = 0x0C;
    static final int IA5_STRING = 0x16;
    static final int UTC_TIME = 0x17;
    static final int GENERALIZED_TIME = 0x18;
    static final int SEQUENCE = 0x30;
    static final int SET = 0x31;

    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter GENERALIZED = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private Der() {
    }

    /** Tag, definite length (short or long form), contents. */
    static byte[] tlv(int tag, byte[] contents) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(contents.length + 6);
        out.write(tag);
        int n = contents.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = (32 - Integer.numberOfLeadingZeros(n) + 7) / 8;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(n >>> (8 * i));
            }
        }
        out.writeBytes(contents);
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] sequence(byte[]... elements) {
        return tlv(SEQUENCE, concat(elements));
    }

    static byte[] set(byte[]... elements) {
        return tlv(SET, concat(elements));
    }

    static byte[] integer(BigInteger value) {
        return tlv(INTEGER, value.toByteArray()); // two's complement, minimal: what DER asks for
    }

    static byte[] integer(long value) {
        return integer(BigInteger.valueOf(value));
    }

    static byte[] bool(boolean value) {
        return tlv(BOOLEAN, new byte[]{(byte) (value ? 0xFF : 0x00)});
    }

    static byte[] nullValue() {
        return new byte[]{NULL, 0};
    }

    static byte[] octetString(byte[] contents) {
        return tlv(OCTET_STRING, contents);
    }

    /** A BIT STRING of whole bytes (a key or a signature). */
    static byte[] bitString(byte[] bytes) {
        return tlv(BIT_STRING, concat(new byte[]{0}, bytes));
    }

    /**
     * A named-bit BIT STRING (key usage): bit 0 is the most significant bit of the first byte; DER drops
     * trailing zero bits and says how many bits of the last byte are unused.
     */
    static byte[] namedBits(int... bits) {
        int highest = -1;
        for (int b : bits) {
            highest = Math.max(highest, b);
        }
        if (highest < 0) {
            return tlv(BIT_STRING, new byte[]{0});
        }
        byte[] value = new byte[highest / 8 + 1];
        for (int b : bits) {
            value[b / 8] |= (byte) (0x80 >>> (b % 8));
        }
        int unused = 7 - highest % 8;
        return tlv(BIT_STRING, concat(new byte[]{(byte) unused}, value));
    }

    /** An OBJECT IDENTIFIER from dotted form, e.g. {@code 2.5.4.3}. */
    static byte[] oid(String dotted) {
        String[] arcs = dotted.split("\\.");
        if (arcs.length < 2) {
            throw new IllegalArgumentException("OID needs at least two arcs: " + dotted);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        base128(out, new BigInteger(arcs[0]).multiply(BigInteger.valueOf(40)).add(new BigInteger(arcs[1])));
        for (int i = 2; i < arcs.length; i++) {
            base128(out, new BigInteger(arcs[i]));
        }
        return tlv(OID, out.toByteArray());
    }

    private static void base128(ByteArrayOutputStream out, BigInteger value) {
        int groups = Math.max(1, (value.bitLength() + 6) / 7);
        for (int g = groups - 1; g >= 0; g--) {
            int seven = value.shiftRight(7 * g).intValue() & 0x7F;
            out.write(g == 0 ? seven : seven | 0x80);
        }
    }

    static byte[] utf8(String s) {
        return tlv(UTF8_STRING, s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] ia5(String s) {
        return tlv(IA5_STRING, s.getBytes(StandardCharsets.US_ASCII));
    }

    /** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, always 'Z'. */
    static byte[] time(Instant t) {
        Instant s = t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        int year = s.atZone(ZoneOffset.UTC).getYear();
        if (year >= 1950 && year < 2050) {
            return tlv(UTC_TIME, UTC.format(s).getBytes(StandardCharsets.US_ASCII));
        }
        return tlv(GENERALIZED_TIME, GENERALIZED.format(s).getBytes(StandardCharsets.US_ASCII));
    }

    /** {@code [n] EXPLICIT}: a constructed context-specific tag around a complete encoding. */
    static byte[] explicit(int n, byte[] encoded) {
        return tlv(0xA0 | n, encoded);
    }

    /** {@code [n] IMPLICIT} for a primitive type: the context-specific tag replaces the type's own. */
    static byte[] implicitPrimitive(int n, byte[] contents) {
        return tlv(0x80 | n, contents);
    }

    /** The contents of the single TLV in {@code encoded} (whose tag must be {@code tag}). */
    static byte[] contents(int tag, byte[] encoded) {
        if (encoded.length < 2 || (encoded[0] & 0xFF) != tag) {
            throw new IllegalArgumentException("expected DER tag 0x" + Integer.toHexString(tag));
        }
        int first = encoded[1] & 0xFF;
        int offset = 2;
        int length;
        if (first < 0x80) {
            length = first;
        } else {
            int bytes = first & 0x7F;
            if (bytes == 0 || bytes > 3 || encoded.length < 2 + bytes) {
                throw new IllegalArgumentException("unsupported DER length");
            }
            length = 0;
            for (int i = 0; i < bytes; i++) {
                length = (length << 8) | (encoded[2 + i] & 0xFF);
            }
            offset += bytes;
        }
        if (offset + length > encoded.length) {
            throw new IllegalArgumentException("truncated DER value");
        }
        return java.util.Arrays.copyOfRange(encoded, offset, offset + length);
    }
}
