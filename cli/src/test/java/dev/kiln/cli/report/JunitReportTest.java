package dev.kiln.cli.report;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

import javax.xml.XMLConstants;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import java.io.StringReader;
import java.time.Instant;

import static dev.kiln.cli.report.HtmlReportTest.nodes;
import static dev.kiln.cli.report.HtmlReportTest.text;
import static dev.kiln.cli.report.HtmlReportTest.texts;
import static org.assertj.core.api.Assertions.assertThat;

class JunitReportTest {

    @Test
    void aSuitePerRackACasePerNodeAndStageAndTheCountsAddUp() throws Exception {
        String xml = JunitReport.render(ReportFixtures.small());
        validate(xml);
        Document doc = HtmlReportTest.parse(xml);

        assertThat(texts(doc, "/testsuites/testsuite/@name")).containsExactly("rack-a", "rack-b");
        // rack-a: 3 nodes + 4 + 4 + 4 stages; rack-b: 2 nodes + 4 stages
        assertThat(text(doc, "/testsuites/testsuite[1]/@tests")).isEqualTo("15");
        assertThat(text(doc, "/testsuites/testsuite[2]/@tests")).isEqualTo("6");
        assertThat(texts(doc, "//testcase[@classname='rack-a.node-02']/@name"))
                .containsExactly("acceptance", "stage inventory", "stage checks", "stage burnin", "stage fabric");
        Element acceptance = one(doc, "//testcase[@classname='rack-a.node-02'][@name='acceptance']/failure");
        assertThat(acceptance.getAttribute("type")).isEqualTo("QUARANTINED");
        assertThat(acceptance.getAttribute("message")).startsWith("quarantined: burnin.memory: 12 mismatches")
                .endsWith("2 GPUs to RMA");
        assertThat(acceptance.getTextContent()).contains("FAIL gpu.ecc.uncorrectable [GPU 3 (serial 1650000000003)]")
                .contains("RMA GPU 1 serial 1650000000001 uuid GPU-1111 bus 00000000:2A:00.0");
        assertThat(text(doc, "//testcase[@classname='rack-a.node-02'][@name='stage burnin']/failure"))
                .contains("burnin.memory").doesNotContain("agent.reachable");
        assertThat(text(doc, "//testcase[@classname='rack-a.node-01'][@name='acceptance']/@time"))
                .isEqualTo("9900.000");
        assertThat(nodes(doc, "//testcase[@classname='rack-a.node-01'][@name='acceptance']/failure")).isZero();
        assertThat(text(doc, "//testcase[@classname='rack-b.node-03'][@name='acceptance']/skipped/@message"))
                .isEqualTo("in progress: stage burnin RUNNING");
        assertThat(text(doc, "//testcase[@classname='rack-b.node-04'][@name='acceptance']/skipped/@message"))
                .startsWith("not started");
        assertThat(nodes(doc, "//testcase[@classname='rack-b.node-03'][@name='stage fabric']/skipped")).isEqualTo(1);

        // the suites' counts are the elements they hold, and the root's the sum
        NodeList suites = doc.getElementsByTagName("testsuite");
        int tests = 0;
        int failures = 0;
        int skipped = 0;
        int errors = 0;
        for (int i = 0; i < suites.getLength(); i++) {
            Element s = (Element) suites.item(i);
            assertThat(Integer.parseInt(s.getAttribute("tests"))).isEqualTo(nodes(s, "testcase"));
            assertThat(Integer.parseInt(s.getAttribute("failures"))).isEqualTo(nodes(s, "testcase/failure"));
            assertThat(Integer.parseInt(s.getAttribute("errors"))).isEqualTo(nodes(s, "testcase/error"));
            assertThat(Integer.parseInt(s.getAttribute("skipped"))).isEqualTo(nodes(s, "testcase/skipped"));
            tests += Integer.parseInt(s.getAttribute("tests"));
            failures += Integer.parseInt(s.getAttribute("failures"));
            skipped += Integer.parseInt(s.getAttribute("skipped"));
            errors += Integer.parseInt(s.getAttribute("errors"));
        }
        assertThat(text(doc, "/testsuites/@tests")).isEqualTo(Integer.toString(tests));
        assertThat(text(doc, "/testsuites/@failures")).isEqualTo(Integer.toString(failures)).isEqualTo("2");
        assertThat(text(doc, "/testsuites/@skipped")).isEqualTo(Integer.toString(skipped));
        assertThat(errors).isZero();
    }

    @Test
    void hostileStringsStayWellFormedAndRoundTrip() throws Exception {
        String xml = JunitReport.render(ReportFixtures.hostile());
        validate(xml);
        Document doc = HtmlReportTest.parse(xml);
        String evil = ReportFixtures.EVIL.replace('\u0001', '\uFFFD');

        assertThat(xml).doesNotContain("<script").doesNotContain("\u0001");
        assertThat(texts(doc, "/testsuites/testsuite/@name")).containsExactly("rack\"><b>" + evil);
        assertThat(nodes(doc, "//b")).isZero();
        assertThat(text(doc, "//testcase[@name='stage fabric']/error/@type")).isEqualTo("ERROR");
        assertThat(texts(doc, "//testcase/@name")).contains("stage burnin " + evil);
        Element failure = one(doc, "//testcase[@name='acceptance'][failure]/failure");
        assertThat(failure.getTextContent()).contains("line one\nline two, \"quoted\"");
    }

    @Test
    void theSyntheticFleetValidatesAndOnlyTheTimeOfGenerationDiffers() throws Exception {
        validate(JunitReport.render(SyntheticReport.fleet(200, 7)));
        Instant a = Instant.parse("2025-06-03T00:00:00Z");
        Instant b = Instant.parse("2025-06-04T09:41:00Z");
        assertThat(JunitReport.render(ReportFixtures.complete(a)).replace("2025-06-03T00:00:00Z", "NOW"))
                .isEqualTo(JunitReport.render(ReportFixtures.complete(b)).replace("2025-06-04T09:41:00Z", "NOW"));
    }

    static void validate(String xml) throws Exception {
        SchemaFactory f = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
        Schema schema = f.newSchema(JunitReportTest.class.getResource("junit.xsd"));
        try {
            schema.newValidator().validate(new StreamSource(new StringReader(xml)));
        } catch (SAXException e) {
            throw new AssertionError("JUnit XML does not match junit.xsd: " + e.getMessage(), e);
        }
    }

    private static Element one(Document doc, String xpath) throws Exception {
        NodeList l = (NodeList) javax.xml.xpath.XPathFactory.newInstance().newXPath().evaluate(xpath, doc,
                javax.xml.xpath.XPathConstants.NODESET);
        assertThat(l.getLength()).as(xpath).isEqualTo(1);
        return (Element) l.item(0);
    }
}
