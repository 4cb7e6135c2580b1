package dev.kiln.cli.fleet;

import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.spec.BuiltinSpecs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which spec judges a job kiln starts: a built-in travels by name, a spec file whole (the agent has no copy). */
class SpecRefTest {
    private static final BurninRequest BURNIN = new BurninRequest(BurninRequest.TYPE, List.of(), List.of(), 60, false,
            null);

    @Test
    void aBuiltInTravelsByNameAndASpecFileInline(@TempDir Path dir) throws Exception {
        BurninRequest byName = SpecRef.judged(BURNIN, SpecRef.resolve("hgx-h200", dir));
        assertThat(byName.specName()).isEqualTo("hgx-h200");
        assertThat(byName.spec()).isNull();

        Files.writeString(dir.resolve("site.yaml"), BuiltinSpecs.yaml("hgx-h100").replace("spec: hgx-h100",
                "spec: site-h100"));
        BurninRequest inline = SpecRef.judged(BURNIN, SpecRef.resolve("site.yaml", dir));
        assertThat(inline.specName()).isNull();
        assertThat(inline.spec().name()).isEqualTo("site-h100");
        assertThat(inline.spec().burnin()).isEqualTo(BuiltinSpecs.get("hgx-h100").burnin());
        // ... and survives the wire as the agent reads it.
        BurninRequest read = KilnJson.mapper().readValue(KilnJson.mapper().writeValueAsBytes(inline),
                BurninRequest.class);
        assertThat(read).isEqualTo(inline);

        assertThat(SpecRef.judged(BURNIN, null)).as("no spec: the agent's default").isEqualTo(BURNIN);
    }
}
