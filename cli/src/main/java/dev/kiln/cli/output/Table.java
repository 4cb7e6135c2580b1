package dev.kiln.cli.output;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain text table: columns padded to their widest cell, two spaces apart, the last column unpadded.
 * Empty cells show as {@code -}, except in the last column (a free-text note) where they stay blank.
 */
public final class Table {
    private final String[] headers;
    private final List<String[]> rows = new ArrayList<>();

    public Table(String... headers) {
        this.headers = headers.clone();
    }

    public void add(String... cells) {
        if (cells.length != headers.length) {
            throw new IllegalArgumentException("expected " + headers.length + " cells, got " + cells.length);
        }
        String[] copy = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            boolean blank = cells[i] == null || cells[i].isEmpty();
            copy[i] = blank ? (i == cells.length - 1 ? "" : "-") : cells[i];
        }
        rows.add(copy);
    }

    public int size() {
        return rows.size();
    }

    public void print(PrintWriter out) {
        int[] width = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            width[i] = headers[i].length();
        }
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        printRow(out, headers, width);
        for (String[] r : rows) {
            printRow(out, r, width);
        }
        out.flush();
    }

    private static void printRow(PrintWriter out, String[] cells, int[] width) {
        StringBuilder sb = new StringBuilder(128);
        for (int i = 0; i < cells.length; i++) {
            if (i == cells.length - 1) {
                sb.append(cells[i]);
            } else {
                sb.append(cells[i]);
                sb.append(" ".repeat(width[i] - cells[i].length() + 2));
            }
        }
        int end = sb.length();
        while (end > 0 && sb.charAt(end - 1) == ' ') {
            end--;
        }
        sb.setLength(end);
        out.println(sb);
    }
}
