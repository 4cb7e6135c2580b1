package dev.kiln.cli.fanout;

/**
 * Turns a 2xx body into a value, or throws {@link BadResponseException} saying what is wrong with it.
 * Runs on a Vert.x event-loop thread: must not block.
 */
@FunctionalInterface
public interface ResponseDecoder<T> {
    T decode(byte[] body) throws BadResponseException;

    /** A body that is not what the endpoint promises. */
    final class BadResponseException extends Exception {
        private final NodeError.Kind kind;

        public BadResponseException(NodeError.Kind kind, String message) {
            super(message, null, false, false);
            this.kind = kind;
        }

        public NodeError.Kind kind() {
            return kind;
        }
    }
}
