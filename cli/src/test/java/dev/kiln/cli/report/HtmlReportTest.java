package dev.kiln.cli.report;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import java.io.StringReader;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class HtmlReportTest {

    @Test
    void sectionsComeInOrderWithTheFleetFiguresAndRmaSerialsAtTheTop() throws Exception {
        String html = HtmlReport.render(ReportFixtures.small());
        Document doc = parse(html);

        List<String> sections = texts(doc, "/html/body/section/@id");
        assertThat(sections).containsExactly("summary", "critical-path", "rma", "racks", "attention", "nodes");
        String summary = text(doc, "//section[@id='summary']");
        assertThat(summary).contains("2 of 5").contains("40 %").contains("0.57") // 2 nodes over 3.5 h
                .contains("2 h 37 min") // median of 2 h 30 and 2 h 45
                .contains("node-01").contains("2 nodes still open");
        String rma = text(doc, "//section[@id='rma']");
        assertThat(rma).contains("GPUs to RMA (2)").contains("1650000000001").contains("1650000000003")
                .contains("GPU-1111").contains("00000000:2A:00.0").contains("burnin.memory: 12 mismatches");
        assertThat(html.indexOf("1650000000001")).as("serials before the node details")
                .isLessThan(html.indexOf("id=\"nodes\""));
        String cp = text(doc, "//section[@id='critical-path']");
        assertThat(cp).contains("node-10").contains("before first contact").contains("until accepted")
                .contains("3 h 30 min").contains("2 nodes are still open").contains("node-04 has not been contacted");
        assertThat(nodes(doc, "//section[@id='critical-path']//svg[@class='timeline']/g")).isEqualTo(7);
        assertThat(texts(doc, "//section[@id='racks']//tbody/tr/td[1]")).containsExactly("rack-a", "rack-b");
        assertThat(texts(doc, "//section[@id='attention']//tbody/tr/td[1]"))
                .containsExactly("node-02", "node-03", "node-04");
    }

    @Test
    void everyNodeHasItsSectionWithChartsHeatmapOrASayingThereIsNone() throws Exception {
        Document doc = parse(HtmlReport.render(ReportFixtures.small()));

        assertThat(texts(doc, "//details[@class='node']/summary/span[@class='nn']"))
                .containsExactly("node-01", "node-02", "node-10", "node-03", "node-04");
        assertThat(nodes(doc, "//details[@class='node'][not(@open)]")).as("only the clean accepted node is closed")
                .isEqualTo(1);
        Element n01 = node(doc, "node-01");
        assertThat(nodes(n01, ".//svg[@class='chart temperature']/path[@class='ln']")).isEqualTo(2);
        assertThat(nodes(n01, ".//svg[@class='chart power']/path[@class='ln']")).isEqualTo(2);
        // axes with units, a legend per GPU
        assertThat(texts(n01, ".//svg[@class='chart temperature']/text[@class='yu']")).containsExactly("\u00b0C");
        assertThat(texts(n01, ".//svg[@class='chart power']/text[@class='yu']")).containsExactly("W");
        assertThat(texts(n01, ".//svg[@class='chart power']/text[@class='xl']")).contains("0:00", "1:00", "2:00");
        assertThat(texts(n01, ".//svg[@class='chart power']/text[@class='lg']")).containsExactly("GPU 0", "GPU 1");
        // the power line has a gap where a reading was missing: two subpaths
        String d = attr(n01, ".//svg[@class='chart power']/path[@class='ln'][1]/@d");
        assertThat(d.chars().filter(c -> c == 'M').count()).isEqualTo(2);
        // heatmap: 4x4 grid, one slow direction marked, legend
        assertThat(nodes(n01, ".//svg[@class='heatmap']/rect[starts-with(@class,'hm-')][title]")).isEqualTo(16);
        assertThat(texts(n01, ".//svg[@class='heatmap']/text[@class='hv']")).contains("300!").contains("370");
        assertThat(text(n01, ".//svg[@class='heatmap']")).contains("below the minimum")
                .contains("minimum 335 GB/s (hgx-h100)");

        assertThat(text(node(doc, "node-10"), ".")).contains("No burn-in telemetry recorded for this node.");
        assertThat(nodes(node(doc, "node-10"), ".//svg")).isZero();
        assertThat(nodes(node(doc, "node-03"), ".//svg[@class='chart temperature']/path")).as("from agent samples")
                .isEqualTo(4);
        Element n02 = node(doc, "node-02");
        assertThat(texts(n02, ".//table[@class='rma']//td[@class='serial']"))
                .containsExactly("1650000000001", "1650000000003");
        assertThat(text(n02, ".//table[@class='findings']")).contains("burnin.memory").contains("RMA GPU 1");
        assertThat(text(node(doc, "node-04"), ".")).contains("No stage has run.");
    }

    @Test
    void selfContainedNoScriptNoExternalReference() {
        String html = HtmlReport.render(SyntheticReport.fleet(40, 3));

        assertThat(html).doesNotContain("http://").doesNotContain("https://").doesNotContainIgnoringCase("<script")
                .doesNotContain("<link").doesNotContain("@import").doesNotContain("<iframe").doesNotContain("<img")
                .doesNotContain(" src=").doesNotContain("url(http").doesNotContain("xlink:href");
        assertThat(html).contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                + "style-src 'unsafe-inline'; img-src data:\"/>");
        // every link is to an anchor in this file
        Matcher m = Pattern.compile("href=\"([^\"]*)\"").matcher(html);
        List<String> hrefs = new ArrayList<>();
        while (m.find()) {
            hrefs.add(m.group(1));
        }
        assertThat(hrefs).isNotEmpty().allSatisfy(h -> assertThat(h).matches("#(node|rack)-\\d+"));
    }

    @Test
    void hostileStringsAreEscapedEverywhereAndComeBackIntact() throws Exception {
        String html = HtmlReport.render(ReportFixtures.hostile());

        assertThat(html).doesNotContainIgnoringCase("<script").doesNotContain("<img").doesNotContain("<b>")
                .doesNotContain("\u0001").doesNotContain("onerror=alert(1)>");
        assertThat(html).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&#39;&amp;amp;");
        // the data survives as text: a parser gets back exactly what the model held (controls replaced)
        Document doc = parse(html);
        String name = "node " + ReportFixtures.EVIL.replace('\u0001', '\uFFFD');
        assertThat(texts(doc, "//details[@class='node']/summary/span[@class='nn']")).contains(name);
        assertThat(text(doc, "/html/head/title")).isEqualTo("Kiln acceptance report: fleet "
                + ReportFixtures.EVIL.replace('\u0001', '\uFFFD'));
        assertThat(texts(doc, "//section[@id='rma']//td[@class='serial']"))
                .containsExactly("=1+1," + ReportFixtures.EVIL.replace('\u0001', '\uFFFD'));
        // a URL in a message is text, never a reference
        assertThat(html).contains("see " + ReportFixtures.EVIL_URL);
        assertThat(html).doesNotContain("href=\"http").doesNotContain("src=\"http");
        assertThat(nodes(doc, "//*[local-name()='script' or local-name()='img' or local-name()='b']")).isZero();
        assertThat(nodes(doc, "//@*[starts-with(local-name(),'on')]")).isZero();
    }

    @Test
    void sameModelSameBytesAndOnlyTheTimeOfGenerationDiffers() {
        assertThat(HtmlReport.render(ReportFixtures.small())).isEqualTo(HtmlReport.render(ReportFixtures.small()));
        Instant a = Instant.parse("2025-06-03T00:00:00Z");
        Instant b = Instant.parse("2025-06-04T09:41:00Z");
        String ha = HtmlReport.render(ReportFixtures.complete(a)).replace(Fmt.time(a), "NOW");
        String hb = HtmlReport.render(ReportFixtures.complete(b)).replace(Fmt.time(b), "NOW");
        assertThat(ha).isEqualTo(hb);
    }

    @Test
    void aTwoHundredNodeFleetStaysReasonable() throws Exception {
        ReportModel model = SyntheticReport.fleet(200, 7);
        String html = HtmlReport.render(model);

        assertThat(html.length()).as("bytes").isLessThan(8_000_000);
        Document doc = parse(html);
        assertThat(nodes(doc, "//details[@class='node']")).isEqualTo(200);
        assertThat(text(doc, "//section[@id='rma']/h2")).isEqualTo("GPUs to RMA (5)");
        // every telemetry line is decimated to about 2 points per time slice
        NodeList paths = (NodeList) XPathFactory.newInstance().newXPath()
                .evaluate("//svg[@class='chart temperature']/path", doc, XPathConstants.NODESET);
        for (int i = 0; i < paths.getLength(); i++) {
            String d = ((Element) paths.item(i)).getAttribute("d");
            assertThat(d.split("[ l-]+").length).isLessThan(2 * 2 * HtmlReport.CHART_BUCKETS + 8);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** The report is well-formed XML by design; parse it with external entities and DTDs off. */
    static Document parse(String html) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        f.setExpandEntityReferences(false);
        return f.newDocumentBuilder().parse(new InputSource(new StringReader(html)));
    }

    private static Element node(Document doc, String name) throws Exception {
        NodeList l = (NodeList) XPathFactory.newInstance().newXPath()
                .evaluate("//details[@class='node'][summary/span[@class='nn']='" + name + "']", doc,
                        XPathConstants.NODESET);
        assertThat(l.getLength()).as(name).isEqualTo(1);
        return (Element) l.item(0);
    }

    static List<String> texts(Object ctx, String xpath) throws Exception {
        NodeList l = (NodeList) XPathFactory.newInstance().newXPath().evaluate(xpath, ctx, XPathConstants.NODESET);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < l.getLength(); i++) {
            out.add(l.item(i).getTextContent());
        }
        return out;
    }

    static String text(Object ctx, String xpath) throws Exception {
        return (String) XPathFactory.newInstance().newXPath().evaluate(xpath, ctx, XPathConstants.STRING);
    }

    private static String attr(Object ctx, String xpath) throws Exception {
        return text(ctx, xpath);
    }

    static int nodes(Object ctx, String xpath) throws Exception {
        return ((NodeList) XPathFactory.newInstance().newXPath().evaluate(xpath, ctx, XPathConstants.NODESET))
                .getLength();
    }
}
