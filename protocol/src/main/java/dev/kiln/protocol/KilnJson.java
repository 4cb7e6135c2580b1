package dev.kiln.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.kiln.protocol.spec.NodeSpecJsonModule;

import java.io.UncheckedIOException;

/**
 * The one JSON configuration both ends use: ISO-8601 timestamps, nulls written (a null field means
 * "not supported", and its presence keeps the shape stable), unknown fields ignored on read so an
 * older CLI can read a newer agent. A {@link dev.kiln.protocol.spec.NodeSpec} is the exception: it is
 * written and read in the spec file's shape and validated like a spec file ({@link NodeSpecJsonModule}).
 */
public final class KilnJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new Jdk8Module())
            .addModule(new JavaTimeModule())
            .addModule(new NodeSpecJsonModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    private static final ObjectMapper PRETTY = MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT);

    private KilnJson() {
    }

    /** Shared and thread-safe; do not reconfigure. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static ObjectMapper pretty() {
        return PRETTY;
    }

    /** {@code value} as compact JSON. */
    public static String write(Object value) {
        return write(MAPPER, value);
    }

    /**
     * {@code value} as JSON by {@code mapper} ({@link #mapper()} or {@link #pretty()}). Kiln's types and plain maps
     * always serialise, so a failure is a bug and is thrown unchecked.
     */
    public static String write(ObjectMapper mapper, Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
