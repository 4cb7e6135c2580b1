package dev.kiln.protocol.fabric;

import java.time.Instant;

/**
 * What {@code POST /v1/fabric/sessions} answers: where the serving agent listens for one peer's
 * TCP test, the one-time token that peer must present, and until when the session accepts it.
 *
 * @param ibWritePort port of an ib_write_bw server this agent started for the session (null: none)
 * @param ibDevice    the HCA that server uses (null: none)
 * @param notes       why an optional server was not started (perftest missing, no HCA...)
 */
public record FabricSession(int schemaVersion, String node, String address, int port, String token,
                            Instant expiresAt, Integer ibWritePort, String ibDevice, java.util.List<String> notes) {
    public static final String KIND = "kiln.fabric.session";

    public FabricSession {
        notes = notes == null ? java.util.List.of() : java.util.List.copyOf(notes);
    }
}
