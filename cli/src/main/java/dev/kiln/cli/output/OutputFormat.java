package dev.kiln.cli.output;

/** {@code -o table|json|jsonl}. */
public enum OutputFormat {
    /** Aligned columns for people, with a summary line. */
    table,
    /** One JSON array of per-node results, pretty-printed. */
    json,
    /** One compact JSON object per node per line, written as each node's turn comes. */
    jsonl
}
