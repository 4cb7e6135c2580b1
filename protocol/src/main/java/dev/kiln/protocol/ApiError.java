package dev.kiln.protocol;

/** The body of every non-2xx response from an agent. Never contains a stack trace. */
public record ApiError(int status, String error, String message) {
}
