package dev.kiln.cli.db;

import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The fast path's idea of the newest schema matches the migrations on the classpath. */
class SchemaVersionTest {
    private static final Pattern MIGRATION = Pattern.compile("V(\\d+)__\\w+\\.sql");

    @Test
    void latestIsTheNewestMigrationFile() throws Exception {
        URL dir = getClass().getClassLoader().getResource("db/migration");
        assertThat(dir).isNotNull();
        List<String> names;
        try (Stream<Path> files = Files.list(Path.of(dir.toURI()))) {
            names = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(names).isNotEmpty().allMatch(n -> MIGRATION.matcher(n).matches(),
                "named V<n>__<words>.sql (whole numbers: the fast path reads them as integers)");
        int newest = names.stream().map(MIGRATION::matcher).filter(Matcher::matches)
                .mapToInt(m -> Integer.parseInt(m.group(1))).max().orElseThrow();
        assertThat(SchemaVersion.LATEST).isEqualTo(newest);
    }
}
