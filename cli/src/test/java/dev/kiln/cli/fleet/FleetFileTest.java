package dev.kiln.cli.fleet;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FleetFileTest {
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    @BeforeEach
    void token() throws IOException {
        Files.writeString(dir.resolve("kiln-token"), TOKEN + "\n");
    }

    private Path write(String yaml) throws IOException {
        Path f = dir.resolve("fleet.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private String errorOf(String yaml) throws IOException {
        Path f = write(yaml);
        try {
            FleetFile.load(f);
        } catch (FleetFileException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected a FleetFileException for:\n" + yaml);
    }

    @Test
    void readsTheFormatTheSimulatorWritesAndMore() throws IOException {
        Files.writeString(dir.resolve("rack2-token"), "fedcba9876543210fedcba9876543210\n");
        Fleet fleet = FleetFile.load(write("""
                # a comment
                defaults:
                  tokenFile: kiln-token
                  port: 9000
                  timeoutMs: 1500
                racks:
                  - name: rack-01
                    nodes:
                      - name: node-001
                        address: 10.0.0.1
                      - name: node-002
                        address: gpu-002.example.com:9478
                  - name: rack-02
                    nodes:
                      - name: node-003
                        address: "[fd00::3]:9100"
                        tokenFile: rack2-token
                      - name: node-004
                        address: "[fd00::4]"
                """));
        assertThat(fleet.racks()).containsExactly("rack-01", "rack-02");
        assertThat(fleet.timeout()).contains(Duration.ofMillis(1500));
        assertThat(fleet.nodes()).extracting(FleetNode::name).containsExactly("node-001", "node-002", "node-003", "node-004");
        FleetNode n1 = fleet.nodes().get(0);
        assertThat(n1.host()).isEqualTo("10.0.0.1");
        assertThat(n1.port()).isEqualTo(9000); // defaults.port
        assertThat(n1.rack()).isEqualTo("rack-01");
        assertThat(n1.token()).isEqualTo(TOKEN); // relative tokenFile resolved against the fleet file's directory
        assertThat(n1.line()).isEqualTo(9);
        assertThat(fleet.nodes().get(1).port()).isEqualTo(9478);
        FleetNode n3 = fleet.nodes().get(2);
        assertThat(n3.host()).isEqualTo("fd00::3");
        assertThat(n3.port()).isEqualTo(9100);
        assertThat(n3.hostPort()).isEqualTo("[fd00::3]:9100");
        assertThat(n3.token()).isEqualTo("fedcba9876543210fedcba9876543210");
        assertThat(fleet.nodes().get(3).port()).isEqualTo(9000);
        // one String per token file, however many nodes share it
        assertThat(fleet.nodes().get(0).token()).isSameAs(fleet.nodes().get(1).token());
        assertThat(n1.toString()).doesNotContain(TOKEN);
    }

    @Test
    void specIsInheritedFromDefaultsThroughRackToNode() throws IOException {
        Files.createDirectories(dir.resolve("specs"));
        Files.writeString(dir.resolve("specs/h100-rev2.yaml"), "spec: h100-rev2\ngpu:\n  count: 8\n");
        Fleet fleet = FleetFile.load(write("""
                defaults:
                  tokenFile: kiln-token
                  spec: hgx-h100
                racks:
                  - name: rack-01
                    nodes:
                      - name: node-001
                        address: 10.0.0.1
                      - name: node-002
                        address: 10.0.0.2
                        spec: pcie-l40s
                  - name: rack-02
                    spec: specs/h100-rev2.yaml
                    nodes:
                      - name: node-003
                        address: 10.0.0.3
                      - name: node-004
                        address: 10.0.0.4
                """));
        assertThat(fleet.nodes()).extracting(n -> n.spec().name())
                .containsExactly("hgx-h100", "pcie-l40s", "h100-rev2", "h100-rev2");
        assertThat(fleet.nodes().get(0).spec().builtIn()).isTrue();
        SpecRef rev2 = fleet.nodes().get(2).spec();
        assertThat(rev2.source()).as("relative to the fleet file's directory")
                .isEqualTo(dir.resolve("specs/h100-rev2.yaml").toAbsolutePath().normalize().toString());
        assertThat(rev2.spec().gpu().count()).isEqualTo(8);
        assertThat(fleet.nodes().get(3).spec()).as("read once, shared").isSameAs(rev2);

        Fleet none = FleetFile.load(write("""
                defaults: {tokenFile: kiln-token}
                racks:
                  - name: rack-01
                    nodes:
                      - {name: node-001, address: 10.0.0.1}
                """));
        assertThat(none.nodes().get(0).spec()).isNull();
    }

    @Test
    void unknownSpecNamesLineFieldAndTheBuiltIns() throws IOException {
        assertThat(errorOf("""
                defaults:
                  tokenFile: kiln-token
                racks:
                  - name: rack-01
                    spec: hgx-h10
                    nodes:
                      - {name: node-001, address: 10.0.0.1}
                """)).contains("fleet.yaml:5: rack 'rack-01': field 'spec': 'hgx-h10' is neither a built-in spec nor "
                + "a spec file (no file " + dir.toAbsolutePath().resolve("hgx-h10") + "); did you mean 'hgx-h100'?; "
                + "built-in specs: hgx-h100, hgx-h200, hgx-b200, pcie-l40s");
        assertThat(errorOf("""
                defaults:
                  tokenFile: kiln-token
                  spec: ""
                racks:
                  - name: rack-01
                    nodes:
                      - {name: node-001, address: 10.0.0.1}
                """)).contains("fleet.yaml:3: defaults: field 'spec' is empty");
        assertThat(errorOf("""
                defaults:
                  tokenFile: kiln-token
                racks:
                  - name: rack-01
                    nodes:
                      - name: node-001
                        address: 10.0.0.1
                        spec: [hgx-h100]
                """)).contains("fleet.yaml:8: node 'node-001': field 'spec' must be a single value");
    }

    @Test
    void aSpecFileWithAnErrorIsReportedAtItsOwnLine() throws IOException {
        Path spec = dir.resolve("broken.yaml");
        Files.writeString(spec, "spec: broken\ngpu:\n  count: eight\n  model: [x]\n");
        String message = errorOf("""
                defaults:
                  tokenFile: kiln-token
                racks:
                  - name: rack-01
                    nodes:
                      - name: node-001
                        address: 10.0.0.1
                        spec: broken.yaml
                """);
        assertThat(message).startsWith(spec.toAbsolutePath() + ":3: ").contains("gpu.count")
                .contains("(named by " + dir.resolve("fleet.yaml") + ":8: node 'node-001': field 'spec')")
                .contains("1 more error: run 'kiln spec lint " + spec.toAbsolutePath() + "'");
    }

    @Test
    void missingAddressNamesLineNodeAndField() throws IOException {
        assertThat(errorOf("""
                defaults:
                  tokenFile: kiln-token
                racks:
                  - name: rack-01
                    nodes:
                      - name: node-001
                        address: 10.0.0.1
                      - name: node-003
                        tokenFile: kiln-token
                """)).endsWith("fleet.yaml:8: node 'node-003': field 'address' is missing");
    }

    @Test
    void unknownFieldNamesLineAndExpectedFields() throws IOException {
        assertThat(errorOf("""
                defaults:
                  tokenFile: kiln-token
                racks:
                  - name: rack-01
                    nodes:
                      - name: node-001
                        adress: 10.0.0.1
                """)).contains("fleet.yaml:7: unknown field 'adress' in a node of rack 'rack-01'; expected one of "
                + "[address, caFile, clientCert, clientKey, name, spec, tls, tokenFile]");
        assertThat(errorOf("""
                defaults:
                  tokenFile: kiln-token
                  retries: 3
                racks: []
                """)).contains("fleet.yaml:3: unknown field 'retries' in 'defaults'");
        assertThat(errorOf("""
                rack:
                  - name: rack-01
                """)).contains("fleet.yaml:1: unknown field 'rack' in the top level; expected one of [defaults, halls, racks, rows]");
    }

    @Test
    void duplicateNodeNamesPointAtBothLines() throws IOException {
        assertThat(errorOf("""
                defaults:
                  tokenFile: kiln-token
                racks:
                  - name: rack-01
                    nodes:
                      - name: node-001
                        address: 10.0.0.1
                  - name: rack-02
                    nodes:
                      - name: node-001
                        address: 10.0.0.2
                """)).contains("fleet.yaml:10: node 'node-001' is listed twice (first at line 6)");
    }

    @Test
    void badPortsAndAddresses() throws IOException {
        String head = """
                defaults:
                  tokenFile: kiln-token
                racks:
                  - name: rack-01
                    nodes:
                      - name: node-001
                """;
        assertThat(errorOf(head + "        address: 10.0.0.1:99999\n"))
                .contains("fleet.yaml:7: node 'node-001': field 'address': port 99999 is out of range; ports are 1..65535");
        assertThat(errorOf(head + "        address: 10.0.0.1:http\n"))
                .contains("fleet.yaml:7: node 'node-001': field 'address': port 'http' is not a number");
        assertThat(errorOf(head + "        address: fd00::1\n"))
                .contains("fleet.yaml:7:").contains("put it in brackets: [fd00::1]:9478");
        assertThat(errorOf(head + "        address: http://10.0.0.1:9478/v1\n"))
                .contains("fleet.yaml:7:").contains("is a URL with a path");
        assertThat(errorOf(head + "        address: ftp://10.0.0.1:9478\n"))
                .contains("fleet.yaml:7:").contains("only https:// and http://");
        assertThat(errorOf(head + "        address: \"\"\n"))
                .contains("fleet.yaml:7: node 'node-001': field 'address' is empty");
        assertThat(errorOf("""
                defaults:
                  tokenFile: kiln-token
                  port: 0
                racks: []
                """)).contains("fleet.yaml:3: defaults: field 'port': port 0 is out of range");
    }

    @Test
    void missingTokenFileSaysWhichFileAndHowToFix() throws IOException {
        String msg = errorOf("""
                defaults:
                  tokenFile: no-such-token
                racks:
                  - name: rack-01
                    nodes:
                      - name: node-001
                        address: 10.0.0.1
                """);
        assertThat(msg).contains("fleet.yaml:2: defaults: field 'tokenFile': token file "
                + dir.resolve("no-such-token") + " does not exist")
                .contains("/etc/kiln/agent.token");
        assertThat(errorOf("""
                racks:
                  - name: rack-01
                    nodes:
                      - name: node-001
                        address: 10.0.0.1
                """)).contains("fleet.yaml:4: node 'node-001': no token file; set 'tokenFile' under 'defaults'");
        Files.writeString(dir.resolve("short-token"), "abc\n");
        assertThat(errorOf("""
                defaults:
                  tokenFile: short-token
                racks: []
                """)).contains("fleet.yaml:2:").contains("shorter than 16 characters");
    }

    @Test
    void structureErrors() throws IOException {
        assertThat(errorOf("defaults:\n  tokenFile: kiln-token\n")).contains("fleet.yaml:1: field 'racks' is missing");
        assertThat(errorOf("racks:\n  name: rack-01\n")).contains("fleet.yaml:2: field 'racks' must be a list");
        assertThat(errorOf("""
                defaults:
                  tokenFile: kiln-token
                racks:
                  - name: rack-01
                    nodes: []
                """)).contains("fleet.yaml:4: the fleet file lists no nodes");
        assertThat(errorOf("""
                defaults: {tokenFile: kiln-token}
                racks:
                  - nodes:
                      - {name: node-001, address: 10.0.0.1}
                """)).contains("fleet.yaml:3: a rack's field 'name' is missing");
        assertThat(errorOf("""
                defaults: {tokenFile: kiln-token, timeoutMs: soon}
                racks: []
                """)).contains("fleet.yaml:1: defaults: field 'timeoutMs' must be an integer, got 'soon'");
        assertThat(errorOf("")).contains("fleet.yaml: the fleet file is empty");
    }

    @Test
    void invalidYamlNamesTheLine() throws IOException {
        assertThat(errorOf("""
                defaults:
                  tokenFile: kiln-token
                racks:
                  - name: rack-01
                    nodes: [ {name: node-001, address: 10.0.0.1}
                  - name: rack-02
                """)).matches("(?s).*fleet\\.yaml:\\d+: not valid YAML: .*");
    }

    @Test
    void missingFleetFileSaysHowToGetOne() {
        assertThatThrownBy(() -> FleetFile.load(dir.resolve("absent.yaml")))
                .isInstanceOf(FleetFileException.class)
                .hasMessageContaining("absent.yaml does not exist; pass --fleet FILE");
    }
}
