package dev.kiln.agent.core;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Tells systemd about the agent's state through {@code sd_notify(3)}, so a {@code Type=notify} unit's
 * {@code systemctl start kiln-agent} returns only once the API answers. The message is sent by libsystemd's
 * own {@code sd_notify} ({@code libsystemd.so.0}, present wherever systemd runs), loaded lazily through JNA:
 * outside systemd ({@code NOTIFY_SOCKET} unset) nothing is loaded and nothing is sent, and a library that
 * cannot be loaded is an outcome with its reason, never a crash.
 *
 * <p>Java cannot send the {@code AF_UNIX} datagram itself ({@code SocketChannel} only has stream sockets
 * for Unix domain addresses), and {@code systemd-notify} from a child process races its own exit on
 * systemd &lt; 254, so the main process calls the reference implementation.
 */
public final class SystemdNotify {
    /** The soname systemd installs; the unversioned .so only exists with development packages. */
    public static final String LIBRARY = "libsystemd.so.0";

    private SystemdNotify() {
    }

    /** What became of a notification. */
    public enum Result { SENT, NOT_UNDER_SYSTEMD, FAILED }

    /** A {@link Result} and a sentence for the log. */
    public record Outcome(Result result, String detail) {
    }

    interface LibSystemd extends Library {
        /** {@code int sd_notify(int unset_environment, const char *state)}: &gt;0 sent, 0 no socket, &lt;0 -errno. */
        int sd_notify(int unsetEnvironment, String state);
    }

    private static final class Holder {
        static final Object LIB = load();   // a LibSystemd, or the reason (a String) it could not be loaded

        private static Object load() {
            try {
                return Native.load(LIBRARY, LibSystemd.class);
            } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
                return LIBRARY + " could not be loaded (" + e.getMessage() + ")";
            }
        }
    }

    /** {@code READY=1} with a status line ({@code systemctl status} shows it). */
    public static Outcome ready(String status) {
        return notify("READY=1\nSTATUS=" + status.replace('\n', ' '));
    }

    /** Sends {@code state} (newline-separated {@code KEY=VALUE} assignments) when running under systemd. */
    public static Outcome notify(String state) {
        return notify(state, System.getenv("NOTIFY_SOCKET"));
    }

    /**
     * As {@link #notify(String)}, with the value of {@code NOTIFY_SOCKET} as this JVM saw it at start. libsystemd
     * reads the variable from the native environment itself; the Java copy only decides whether to load it.
     */
    static Outcome notify(String state, String notifySocket) {
        if (notifySocket == null || notifySocket.isEmpty()) {
            return new Outcome(Result.NOT_UNDER_SYSTEMD, "NOTIFY_SOCKET is not set; not started by systemd as Type=notify");
        }
        if (!(Holder.LIB instanceof LibSystemd lib)) {
            return new Outcome(Result.FAILED, Holder.LIB + "; systemd was not told " + firstLine(state));
        }
        int rc = lib.sd_notify(0, state);
        if (rc > 0) {
            return new Outcome(Result.SENT, "told systemd " + firstLine(state) + " on " + notifySocket);
        }
        return new Outcome(Result.FAILED, rc == 0 ? "sd_notify found no NOTIFY_SOCKET in the native environment"
                : "sd_notify to " + notifySocket + " failed: errno " + -rc);
    }

    private static String firstLine(String state) {
        int nl = state.indexOf('\n');
        return nl < 0 ? state : state.substring(0, nl);
    }
}
