package dev.kiln.nvml.raw;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The facts of {@code shared/reference/nvml-abi.md}, parsed. The file lives beside the clone
 * (surefire passes its folder as system property {@code kiln.shared.reference}); tests that need
 * it skip when it is absent and the hard-coded {@link NvmlAbiExpected} table is checked alone.
 *
 * @param structs     C struct name (e.g. {@code nvmlPciInfo_t}) to its layout
 * @param versionWords version word name (e.g. {@code nvmlMemory_v2}) to its value
 * @param constants   every {@code NVML_NAME=value} in the file (return codes, buffer sizes, enums)
 * @param functions   every function signature written in backticks, by exported symbol
 * @param returnCodes the nvmlReturn_t list, in file order
 * @param clockEventReasons the clock event reason masks, by their nvml.h name
 * @param eventTypes  the event type masks, by their nvml.h name
 */
public record NvmlAbiReference(Map<String, NvmlAbiExpected.Layout> structs, Map<String, Long> versionWords,
                               Map<String, Long> constants, Map<String, NvmlAbiExpected.Signature> functions,
                               Map<String, Integer> returnCodes, Map<String, Long> clockEventReasons,
                               Map<String, Long> eventTypes) {

    public static final String PROPERTY = "kiln.shared.reference";
    public static final String FILE_NAME = "nvml-abi.md";

    private static final Pattern STRUCT_HEADING =
            Pattern.compile("^### (\\w+) \\S+ sizeof (\\d+), align (\\d+)\\s*$");
    private static final Pattern FIELD_ROW = Pattern.compile("^\\|\\s*(\\w+)\\s*\\|\\s*(\\d+)\\s*\\|\\s*(\\d+)\\s*\\|\\s*$");
    private static final Pattern VERSION_WORD = Pattern.compile("version word (\\w+) = (0x[0-9A-Fa-f]+)");
    private static final Pattern CONSTANT = Pattern.compile("\\b(NVML_\\w+)=(0x[0-9A-Fa-f]+|-?\\d+)\\b");
    private static final Pattern CLOCK_REASON = Pattern.compile("\\b(nvmlClocks\\w+)=(0x[0-9A-Fa-f]+)\\b");
    private static final Pattern EVENT_TYPE = Pattern.compile("\\b(nvmlEventType\\w+)=(0x[0-9A-Fa-f]+)\\b");
    private static final Pattern FUNCTION = Pattern.compile("`([^`(]*?)\\b(nvml\\w+)\\(([^)`]*)\\)`");

    /** Where the file is: the system property's folder, else a {@code shared/reference} above the working dir. */
    public static Optional<Path> locate() {
        String dir = System.getProperty(PROPERTY);
        if (dir != null && !dir.isBlank()) {
            Path p = Path.of(dir).resolve(FILE_NAME);
            return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path p = d.resolve("shared").resolve("reference").resolve(FILE_NAME);
            if (Files.isRegularFile(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The parsed file, or empty when it is not beside this clone. */
    public static Optional<NvmlAbiReference> load() {
        return locate().map(p -> {
            try {
                return parse(Files.readString(p));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    public static NvmlAbiReference parse(String text) {
        Map<String, NvmlAbiExpected.Layout> structs = new LinkedHashMap<>();
        Map<String, Long> versionWords = new LinkedHashMap<>();
        String struct = null;
        int size = 0;
        int align = 0;
        List<NvmlAbiExpected.Field> fields = new ArrayList<>();
        for (String line : text.split("\n")) {
            Matcher h = STRUCT_HEADING.matcher(line);
            if (h.matches() || line.startsWith("## ")) {
                if (struct != null) {
                    structs.put(struct, new NvmlAbiExpected.Layout(size, align, fields));
                    struct = null;
                }
                if (h.matches()) {
                    struct = h.group(1);
                    size = Integer.parseInt(h.group(2));
                    align = Integer.parseInt(h.group(3));
                    fields = new ArrayList<>();
                }
                continue;
            }
            Matcher f = FIELD_ROW.matcher(line);
            if (struct != null && f.matches()) {
                fields.add(new NvmlAbiExpected.Field(f.group(1), Integer.parseInt(f.group(2)),
                        Integer.parseInt(f.group(3))));
            }
            Matcher v = VERSION_WORD.matcher(line);
            if (v.find()) {
                versionWords.put(v.group(1), Long.decode(v.group(2)));
            }
        }
        if (struct != null) {
            structs.put(struct, new NvmlAbiExpected.Layout(size, align, fields));
        }

        Map<String, Long> constants = new LinkedHashMap<>();
        Matcher c = CONSTANT.matcher(text);
        while (c.find()) {
            constants.putIfAbsent(c.group(1), Long.decode(c.group(2)));
        }

        Map<String, Integer> returnCodes = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("nvmlReturn_t:")) {
                Matcher r = CONSTANT.matcher(line);
                while (r.find()) {
                    returnCodes.put(r.group(1), Integer.decode(r.group(2)));
                }
            }
        }

        Map<String, Long> clockReasons = new LinkedHashMap<>();
        Matcher cr = CLOCK_REASON.matcher(text);
        while (cr.find()) {
            clockReasons.put(cr.group(1), Long.decode(cr.group(2)));
        }

        Map<String, Long> eventTypes = new LinkedHashMap<>();
        Matcher et = EVENT_TYPE.matcher(text);
        while (et.find()) {
            eventTypes.put(et.group(1), Long.decode(et.group(2)));
        }

        Map<String, NvmlAbiExpected.Signature> functions = new LinkedHashMap<>();
        Matcher fn = FUNCTION.matcher(text);
        while (fn.find()) {
            String returnType = fn.group(1).isBlank() ? "nvmlReturn_t" : NvmlAbiExpected.normalizeType(fn.group(1));
            functions.put(fn.group(2), NvmlAbiExpected.Signature.of(returnType, fn.group(3)));
        }
        return new NvmlAbiReference(structs, versionWords, constants, functions, returnCodes, clockReasons,
                eventTypes);
    }
}
