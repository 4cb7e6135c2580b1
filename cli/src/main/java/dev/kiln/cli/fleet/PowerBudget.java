package dev.kiln.cli.fleet;

import java.util.Locale;
import java.util.Objects;

/**
 * A power budget from the fleet file: the rating of the circuit (breaker) feeding a rack, a row or a hall,
 * as written in its {@code powerKw:}. It is the <em>rating</em>, not the usable load: {@code kiln bringup}
 * plans continuous loads to at most 80% of it (NEC 210; {@code dev.kiln.cli.bringup.PowerModel}).
 *
 * @param scope       what the budget covers
 * @param name        the rack's, row's or hall's name
 * @param ratingWatts the rating in watts ({@code powerKw} x 1000, rounded to the watt)
 * @param line        the fleet file line of its {@code powerKw:} (0 when not from a file)
 */
public record PowerBudget(Scope scope, String name, long ratingWatts, int line) {
    /** What a budget covers, from the smallest to the largest. */
    public enum Scope {
        RACK, ROW, HALL;

        /** {@code rack}, {@code row}, {@code hall}. */
        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public PowerBudget {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(name, "name");
        if (ratingWatts <= 0) {
            throw new IllegalArgumentException("a power budget's rating must be above 0 W, got " + ratingWatts);
        }
    }

    /** {@code rack 'rack-01'}: how messages name it; unique within a fleet. */
    public String id() {
        return scope.word() + " '" + name + "'";
    }

    /** {@code rack:rack-01}: a key for JSON and maps. */
    public String key() {
        return scope.word() + ":" + name;
    }

    @Override
    public String toString() {
        return id() + " rated " + ratingWatts + " W";
    }
}
