package dev.kiln.agent.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenAuthTest {
    private static final String TOKEN = "a-test-token-of-length-32-chars!";

    @TempDir
    Path dir;

    @Test
    void acceptsTheBearerSchemeInAnyCase() {
        TokenAuth auth = TokenAuth.of(TOKEN);
        assertThat(auth.accepts("Bearer " + TOKEN)).isTrue();
        assertThat(auth.accepts("bearer " + TOKEN)).isTrue();
        assertThat(auth.accepts("BEARER " + TOKEN)).isTrue();
        assertThat(auth.accepts("Bearer " + TOKEN + "  ")).isTrue();
    }

    @Test
    void rejectsOtherSchemesAndOtherTokens() {
        TokenAuth auth = TokenAuth.of(TOKEN);
        assertThat(auth.accepts(null)).isFalse();
        assertThat(auth.accepts("")).isFalse();
        assertThat(auth.accepts(TOKEN)).isFalse();
        assertThat(auth.accepts("Basic " + TOKEN)).isFalse();
        assertThat(auth.accepts("Token " + TOKEN)).isFalse();
        assertThat(auth.accepts("Bearer")).isFalse();
        assertThat(auth.accepts("Bearer ")).isFalse();
        assertThat(auth.accepts("Bearer" + TOKEN)).isFalse();
        assertThat(auth.accepts("Bearer " + TOKEN.substring(1))).isFalse();
        assertThat(auth.accepts("Bearer " + TOKEN + "x")).isFalse();
        assertThat(auth.accepts("Bearer " + TOKEN.toUpperCase())).as("the token itself is case-sensitive").isFalse();
    }

    @Test
    void shortTokensAreRefused() {
        assertThatThrownBy(() -> TokenAuth.of("short")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 16");
        assertThatThrownBy(() -> TokenAuth.of(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void fromFileReadsTheFirstLineTrimmed() throws Exception {
        Path file = dir.resolve("token");
        Files.writeString(file, "  " + TOKEN + "  \nsecond line is ignored\n");
        TokenAuth auth = TokenAuth.fromFile(file);
        assertThat(auth.accepts("Bearer " + TOKEN)).isTrue();
        assertThat(auth.accepts("Bearer second line is ignored")).isFalse();
    }

    @Test
    void missingFileErrorNamesTheFileAndTheFix() {
        Path file = dir.resolve("nope/agent.token");
        assertThatThrownBy(() -> TokenAuth.fromFile(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("does not exist")
                .hasMessageContaining("--generate-token")
                .hasMessageContaining("0600");
    }

    @Test
    void shortTokenInFileErrorNamesTheFile() throws Exception {
        Path file = dir.resolve("token");
        Files.writeString(file, "hunter2\n");
        assertThatThrownBy(() -> TokenAuth.fromFile(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("shorter than 16")
                .hasMessageContaining("longer random token");
        Files.writeString(file, "");
        assertThatThrownBy(() -> TokenAuth.fromFile(file)).hasMessageContaining("shorter than 16");
    }

    @Test
    void unreadableTokenFileErrorNamesTheFile() throws Exception {
        Path file = Files.createDirectory(dir.resolve("token"));
        assertThatThrownBy(() -> TokenAuth.fromFile(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot read token file " + file);
    }

    @Test
    void generateCreatesAPrivateFileWithALongTokenAndReusesIt() throws Exception {
        Path file = dir.resolve("etc/kiln/agent.token");
        TokenAuth first = TokenAuth.fromFileOrGenerate(file);

        assertThat(file).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String token = Files.readString(file).trim();
        assertThat(token).hasSizeGreaterThanOrEqualTo(32).matches("[A-Za-z0-9_-]+");
        assertThat(first.accepts("Bearer " + token)).isTrue();

        TokenAuth second = TokenAuth.fromFileOrGenerate(file);
        assertThat(Files.readString(file).trim()).as("stable on a second call").isEqualTo(token);
        assertThat(second.accepts("Bearer " + token)).isTrue();
    }

    @Test
    void generatedTokensDiffer() throws Exception {
        String a = TokenAuth.writeNewToken(dir.resolve("a"));
        String b = TokenAuth.writeNewToken(dir.resolve("b"));
        assertThat(a).isNotEqualTo(b);
        assertThat(Files.readString(dir.resolve("a"))).isEqualTo(a + "\n");
    }

    @Test
    void writeNewTokenNeverOverwrites() throws Exception {
        Path file = dir.resolve("token");
        Files.writeString(file, TOKEN + "\n");
        assertThatThrownBy(() -> TokenAuth.writeNewToken(file)).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readString(file)).isEqualTo(TOKEN + "\n");
        assertThat(TokenAuth.fromFileOrGenerate(file).accepts("Bearer " + TOKEN)).isTrue();
    }
}
