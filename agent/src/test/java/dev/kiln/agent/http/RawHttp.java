package dev.kiln.agent.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** Sends bytes no HTTP client would send, and reads back whatever the server answers. */
final class RawHttp {
    private RawHttp() {
    }

    /** The status and body of a raw exchange; status is -1 when nothing parseable came back. */
    record Response(int status, String head, String body) {
    }

    static Response send(String host, int port, String request) throws IOException {
        return exchange(host, port, request.getBytes(StandardCharsets.ISO_8859_1), new byte[0], 5_000);
    }

    /**
     * Writes head and body, tolerating the server closing early (it may answer 413 before reading the whole body),
     * then reads whatever came back within {@code timeoutMs}.
     */
    static Response exchange(String host, int port, byte[] head, byte[] body, int timeoutMs) throws IOException {
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout(timeoutMs);
            OutputStream out = s.getOutputStream();
            try {
                out.write(head);
                out.write(body);
                out.flush();
            } catch (IOException e) {
                // Refused mid-body: read the answer it sent.
            }
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    got.write(buf, 0, n);
                    if (complete(got.toString(StandardCharsets.ISO_8859_1))) {
                        break;
                    }
                }
            } catch (SocketTimeoutException | SocketException e) {
                // Return what we have; the assertion on it will say what was missing.
            }
            String text = got.toString(StandardCharsets.UTF_8);
            int split = text.indexOf("\r\n\r\n");
            String h = split < 0 ? text : text.substring(0, split);
            String b = split < 0 ? "" : text.substring(split + 4);
            int status = h.startsWith("HTTP/1.") && h.length() >= 12 ? Integer.parseInt(h.substring(9, 12)) : -1;
            return new Response(status, h, b);
        }
    }

    private static boolean complete(String text) {
        int split = text.indexOf("\r\n\r\n");
        if (split < 0) {
            return false;
        }
        for (String line : text.substring(0, split).split("\r\n")) {
            if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                int length = Integer.parseInt(line.substring(15).trim());
                return text.length() - split - 4 >= length;
            }
        }
        return false;
    }
}
