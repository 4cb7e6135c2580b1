package dev.kiln.cli;

import dev.kiln.protocol.spec.Suggestions;
import picocli.CommandLine;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/** A {@code --tests} list of dotted test ids, where the family prefix may be left out ({@code p2p} for {@code fabric.p2p}). */
final class TestIdList {
    private TestIdList() {
    }

    /**
     * The ids as given (first mention wins), each known; an unknown id is a usage error with a "did you mean".
     *
     * @param prefix the family, e.g. {@code burnin.}
     * @param what   the family in words for the message, e.g. {@code burn-in}
     */
    static LinkedHashSet<String> resolve(CommandLine cmd, List<String> given, String prefix, List<String> known,
                                         String what) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (String raw : given) {
            String lower = raw.trim().toLowerCase(Locale.ROOT);
            String id = !lower.startsWith(prefix) && known.contains(prefix + lower) ? prefix + lower : lower;
            if (!known.contains(id)) {
                String hint = Suggestions.closest(id, known)
                        .or(() -> Suggestions.closest(prefix + id, known))
                        .map(s -> "; did you mean '" + s + "'?").orElse("");
                throw new CommandLine.ParameterException(cmd, "unknown " + what + " test '" + raw + "' in --tests"
                        + hint + " (tests: " + String.join(", ", known) + ")");
            }
            out.add(id);
        }
        return out;
    }
}
