package dev.kiln.agent.checks;

import dev.kiln.protocol.spec.CheckIds;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The registry, the protocol's list of ids and docs/checks.md name the same checks. */
class ChecksDocTest {
    @Test
    void registryMatchesCheckIdsAndTheDocs() throws Exception {
        assertThat(CheckRegistry.builtIn().ids()).containsExactlyInAnyOrderElementsOf(CheckIds.ALL);
        Path doc = Path.of("..", "docs", "checks.md");
        String text = Files.readString(doc);
        for (String id : CheckRegistry.builtIn().ids()) {
            assertThat(text).as("docs/checks.md documents %s", id).contains("| `" + id + "` |");
        }
        for (Check c : CheckRegistry.builtIn().all()) {
            assertThat(c.description()).as(c.id()).isNotBlank();
        }
    }
}
