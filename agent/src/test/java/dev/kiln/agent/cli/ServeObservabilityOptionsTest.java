package dev.kiln.agent.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code kiln-agent serve --log-format json|text} and {@code --metrics-without-token}, parsed without booting Quarkus. */
class ServeObservabilityOptionsTest {
    private static ServeCommand parse(String... args) {
        CommandLine cl = AgentMain.commandLine();
        CommandLine.ParseResult pr = cl.parseArgs(AgentMain.withDefaultSubcommand(args));
        return (ServeCommand) pr.subcommand().commandSpec().userObject();
    }

    @Test
    void logFormatAndOpenMetricsAreOptInAndParsed() {
        ServeCommand plain = parse("--simulate", "hgx-h100");
        assertThat(plain.logFormat).as("unset: application.properties (text) or QUARKUS_LOG_CONSOLE_JSON_ENABLED decides")
                .isNull();
        assertThat(plain.metricsWithoutToken).isFalse();

        ServeCommand json = parse("serve", "--log-format", "json", "--metrics-without-token");
        assertThat(json.logFormat).isEqualTo(ServeCommand.LogFormat.json);
        assertThat(json.metricsWithoutToken).isTrue();
        assertThat(parse("--log-format", "text").logFormat).isEqualTo(ServeCommand.LogFormat.text);
        assertThatThrownBy(() -> parse("--log-format", "xml")).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("xml");
    }

    @Test
    void helpDocumentsBoth() {
        StringWriter out = new StringWriter();
        CommandLine cl = AgentMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        assertThat(cl.execute("serve", "--help")).isZero();
        assertThat(out.toString()).contains("--log-format=text|json", "--metrics-without-token", "GET /metrics");
    }
}
