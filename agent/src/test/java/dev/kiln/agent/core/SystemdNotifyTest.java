package dev.kiln.agent.core;

import com.sun.jna.Library;
import com.sun.jna.Native;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link SystemdNotify} against a fake systemd: an {@code AF_UNIX} datagram socket bound here (through libc,
 * since Java has no Unix datagram sockets) and named in the native environment's {@code NOTIFY_SOCKET},
 * which is where libsystemd's {@code sd_notify} looks.
 */
@EnabledOnOs(OS.LINUX)
class SystemdNotifyTest {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int MSG_DONTWAIT = 0x40;

    /** The few libc calls a fake NOTIFY_SOCKET needs (test-only; size_t and ssize_t as long: LP64 Linux). */
    interface Libc extends Library {
        int socket(int domain, int type, int protocol);

        int bind(int fd, byte[] address, int length);

        long recv(int fd, byte[] buffer, long length, int flags);

        int close(int fd);

        int setenv(String name, String value, int overwrite);

        int unsetenv(String name);
    }

    private Libc libc;
    private int fd = -1;

    @BeforeEach
    void libraries() {
        libc = Native.load("c", Libc.class);
        boolean haveLibsystemd;
        try {
            Native.load(SystemdNotify.LIBRARY, Library.class);
            haveLibsystemd = true;
        } catch (UnsatisfiedLinkError e) {
            haveLibsystemd = false;
        }
        assumeTrue(haveLibsystemd, SystemdNotify.LIBRARY + " is not installed here (it is wherever systemd runs)");
    }

    @AfterEach
    void cleanUp() {
        libc.unsetenv("NOTIFY_SOCKET");
        if (fd >= 0) {
            libc.close(fd);
        }
    }

    @Test
    void outsideSystemdNothingIsSent() {
        assertThat(SystemdNotify.notify("READY=1", null).result()).isEqualTo(SystemdNotify.Result.NOT_UNDER_SYSTEMD);
        assertThat(SystemdNotify.notify("READY=1", "").result()).isEqualTo(SystemdNotify.Result.NOT_UNDER_SYSTEMD);
    }

    @Test
    void readyReachesAFakeNotifySocket(@TempDir Path dir) {
        String path = dir.resolve("notify").toString();
        fd = listen(sockaddr(path.getBytes(StandardCharsets.UTF_8), false));
        libc.setenv("NOTIFY_SOCKET", path, 1);

        SystemdNotify.Outcome outcome = SystemdNotify.notify("READY=1\nSTATUS=serving /v1 on 0.0.0.0:9478", path);

        assertThat(outcome.result()).as(outcome.detail()).isEqualTo(SystemdNotify.Result.SENT);
        assertThat(receive()).isEqualTo("READY=1\nSTATUS=serving /v1 on 0.0.0.0:9478");
    }

    @Test
    void abstractNamespaceSocketsWorkToo() {
        String name = "kiln-notify-test-" + UUID.randomUUID();
        fd = listen(sockaddr(name.getBytes(StandardCharsets.UTF_8), true));
        libc.setenv("NOTIFY_SOCKET", "@" + name, 1);

        SystemdNotify.Outcome outcome = SystemdNotify.ready("ok");

        // ready() reads the JVM's own NOTIFY_SOCKET, unset in tests: it must not send.
        assertThat(outcome.result()).isEqualTo(SystemdNotify.Result.NOT_UNDER_SYSTEMD);
        assertThat(SystemdNotify.notify("READY=1", "@" + name).result()).isEqualTo(SystemdNotify.Result.SENT);
        assertThat(receive()).isEqualTo("READY=1");
    }

    @Test
    void aMissingSocketIsAFailureWithTheReason(@TempDir Path dir) {
        String path = dir.resolve("nobody-listens").toString();
        libc.setenv("NOTIFY_SOCKET", path, 1);

        SystemdNotify.Outcome outcome = SystemdNotify.notify("READY=1", path);

        assertThat(outcome.result()).isEqualTo(SystemdNotify.Result.FAILED);
        assertThat(outcome.detail()).contains(path).contains("errno 2");   // ENOENT
    }

    /** struct sockaddr_un: sa_family_t (host order), then the path; abstract names start with a NUL. */
    private static byte[] sockaddr(byte[] name, boolean abstractName) {
        int offset = abstractName ? 3 : 2;
        byte[] address = new byte[offset + name.length + (abstractName ? 0 : 1)];
        address[0] = (byte) AF_UNIX;   // little-endian short; the tests run on x86-64 and aarch64
        System.arraycopy(name, 0, address, offset, name.length);
        return address;
    }

    private int listen(byte[] address) {
        int socket = libc.socket(AF_UNIX, SOCK_DGRAM, 0);
        assertThat(socket).as("socket()").isGreaterThanOrEqualTo(0);
        assertThat(libc.bind(socket, address, address.length)).as("bind()").isZero();
        return socket;
    }

    /** sd_notify has returned, so the datagram is queued already: never block. */
    private String receive() {
        byte[] buffer = new byte[4096];
        long n = libc.recv(fd, buffer, buffer.length, MSG_DONTWAIT);
        assertThat(n).as("recv(): a datagram was queued").isPositive();
        return new String(buffer, 0, (int) n, StandardCharsets.UTF_8);
    }
}
