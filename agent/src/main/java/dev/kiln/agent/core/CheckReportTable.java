package dev.kiln.agent.core;

import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** One node's check report for a person: one line per check, then every finding with what to do. */
public final class CheckReportTable {
    private CheckReportTable() {
    }

    public static String render(CheckReport r) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Node %s against spec %s: %s (%d ms)%n%n", r.node().name(), r.spec(),
                r.verdict(), r.durationMs()));
        Map<String, Map<CheckStatus, Integer>> perCheck = new LinkedHashMap<>();
        for (CheckResult x : r.results()) {
            perCheck.computeIfAbsent(x.id(), k -> new EnumMap<>(CheckStatus.class)).merge(x.status(), 1, Integer::sum);
        }
        b.append(String.format(Locale.ROOT, "  %-22s %-6s %s%n", "CHECK", "RESULT", "DETAIL"));
        perCheck.forEach((id, counts) -> {
            CheckStatus worst = CheckStatus.PASS;
            for (CheckStatus s : counts.keySet()) {
                worst = CheckStatus.worse(worst, s);
            }
            if (counts.size() == 1 && counts.containsKey(CheckStatus.SKIP)) {
                worst = CheckStatus.SKIP;
            }
            StringBuilder detail = new StringBuilder();
            counts.forEach((s, n) -> detail.append(detail.isEmpty() ? "" : ", ").append(n).append(' ')
                    .append(s.name().toLowerCase(Locale.ROOT)));
            b.append(String.format(Locale.ROOT, "  %-22s %-6s %s%n", id, worst, detail));
        });
        boolean header = false;
        for (CheckResult x : r.results()) {
            if (x.status() == CheckStatus.PASS) {
                continue;
            }
            if (!header) {
                b.append("\nFindings:\n");
                header = true;
            }
            b.append(String.format(Locale.ROOT, "  %-5s %-22s %s%n", x.status(), x.id(), x.message()));
            if (x.observed() != null || x.expected() != null) {
                b.append(String.format(Locale.ROOT, "        observed %s; expected %s%n", x.observed(), x.expected()));
            }
            if (x.action() != null) {
                b.append("        action: ").append(x.action()).append('\n');
            }
        }
        return b.toString();
    }
}
