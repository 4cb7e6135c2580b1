package dev.kiln.nvml.raw;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.kiln.nvml.Architecture;
import dev.kiln.nvml.ClockEventReason;
import dev.kiln.nvml.NvmlEventType;
import dev.kiln.nvml.RecoveryAction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The raw binding against the ABI facts of nvml-abi.md: struct sizes, offsets and field sizes as
 * JNA lays them out, version words, constants, and the Java type of every parameter of every
 * bound symbol. Checked against the hard-coded {@link NvmlAbiExpected} always and against the
 * file itself when it is beside the clone.
 */
class NvmlAbiTest {

    private static final Optional<NvmlAbiReference> REFERENCE = NvmlAbiReference.load();

    private static NvmlAbiReference reference() {
        assumeTrue(REFERENCE.isPresent(), "nvml-abi.md not found (system property "
                + NvmlAbiReference.PROPERTY + "); only the hard-coded table is checked");
        return REFERENCE.get();
    }

    // --- fieldOffset is protected in JNA's Structure: tiny subclasses expose it ------------

    interface Probe {
        int offsetOf(String field);

        int size();

        Structure structure();
    }

    static final class PciProbe extends NvmlPciInfo implements Probe {
        public int offsetOf(String f) {
            return fieldOffset(f);
        }

        public Structure structure() {
            return this;
        }
    }

    static final class MemoryProbe extends NvmlMemory implements Probe {
        public int offsetOf(String f) {
            return fieldOffset(f);
        }

        public Structure structure() {
            return this;
        }
    }

    static final class MemoryV2Probe extends NvmlMemoryV2 implements Probe {
        public int offsetOf(String f) {
            return fieldOffset(f);
        }

        public Structure structure() {
            return this;
        }
    }

    static final class UtilizationProbe extends NvmlUtilization implements Probe {
        public int offsetOf(String f) {
            return fieldOffset(f);
        }

        public Structure structure() {
            return this;
        }
    }

    static final class TemperatureProbe extends NvmlTemperature implements Probe {
        public int offsetOf(String f) {
            return fieldOffset(f);
        }

        public Structure structure() {
            return this;
        }
    }

    static final class ProcessInfoProbe extends NvmlProcessInfo implements Probe {
        public int offsetOf(String f) {
            return fieldOffset(f);
        }

        public Structure structure() {
            return this;
        }
    }

    static final class FieldValueProbe extends NvmlFieldValue implements Probe {
        public int offsetOf(String f) {
            return fieldOffset(f);
        }

        public Structure structure() {
            return this;
        }
    }

    static final class EventDataProbe extends NvmlEventData implements Probe {
        public int offsetOf(String f) {
            return fieldOffset(f);
        }

        public Structure structure() {
            return this;
        }
    }

    private static final Map<String, Supplier<Probe>> PROBES = new LinkedHashMap<>();

    static {
        PROBES.put("nvmlPciInfo_t", PciProbe::new);
        PROBES.put("nvmlMemory_t", MemoryProbe::new);
        PROBES.put("nvmlMemory_v2_t", MemoryV2Probe::new);
        PROBES.put("nvmlUtilization_t", UtilizationProbe::new);
        PROBES.put("nvmlTemperature_t", TemperatureProbe::new);
        PROBES.put("nvmlProcessInfo_t", ProcessInfoProbe::new);
        PROBES.put("nvmlFieldValue_t", FieldValueProbe::new);
        PROBES.put("nvmlEventData_t", EventDataProbe::new);
    }

    static List<String> structNames() {
        return List.copyOf(NvmlAbiExpected.STRUCTS.keySet());
    }

    /** Size in bytes of one field as JNA marshals it (an array counts all its elements). */
    private static int nativeFieldSize(Structure s, String name) {
        try {
            Field f = s.getClass().getField(name);
            return Native.getNativeSize(f.getType(), f.get(s));
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("no public field " + name + " in " + s.getClass().getSuperclass().getName(), e);
        }
    }

    private static Structure newStructure(String cName) {
        try {
            return NvmlAbiExpected.JAVA_STRUCTS.get(cName).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertLayout(String cName, NvmlAbiExpected.Layout expected, String source) {
        Probe probe = PROBES.get(cName).get();
        Structure s = probe.structure();
        assertThat(s.size()).as("%s sizeof per %s", cName, source).isEqualTo(expected.size());
        Structure.FieldOrder order = s.getClass().getSuperclass().getAnnotation(Structure.FieldOrder.class);
        assertThat(order).as("%s has @FieldOrder", cName).isNotNull();
        assertThat(List.of(order.value())).as("%s field order per %s", cName, source).isEqualTo(expected.fieldNames());
        for (NvmlAbiExpected.Field f : expected.fields()) {
            assertThat(probe.offsetOf(f.name())).as("%s.%s offset per %s", cName, f.name(), source)
                    .isEqualTo(f.offset());
            assertThat(nativeFieldSize(s, f.name())).as("%s.%s size per %s", cName, f.name(), source)
                    .isEqualTo(f.size());
        }
        // Consecutive elements of a C array start sizeof apart; JNA's toArray must agree (process lists).
        Structure[] two = newStructure(cName).toArray(2);
        assertThat(Pointer.nativeValue(two[1].getPointer()) - Pointer.nativeValue(two[0].getPointer()))
                .as("%s array stride", cName).isEqualTo((long) expected.size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("structNames")
    void structLayoutMatchesHardCodedTable(String cName) {
        assertThat(NvmlAbiExpected.JAVA_STRUCTS.get(cName)).isEqualTo(
                PROBES.get(cName).get().getClass().getSuperclass());
        assertLayout(cName, NvmlAbiExpected.STRUCTS.get(cName), "the hard-coded table");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("structNames")
    void structLayoutMatchesReferenceFile(String cName) {
        NvmlAbiExpected.Layout fromFile = reference().structs().get(cName);
        assertThat(fromFile).as("nvml-abi.md has a layout for %s", cName).isNotNull();
        assertLayout(cName, fromFile, "nvml-abi.md");
        assertThat(fromFile).as("hard-coded copy of %s agrees with nvml-abi.md", cName)
                .isEqualTo(NvmlAbiExpected.STRUCTS.get(cName));
    }

    // --- version words ---------------------------------------------------------------------

    @Test
    void versionWordsMatchHardCodedTable() {
        assertThat(NvmlConstants.MEMORY_V2_VERSION).isEqualTo(0x02000028);
        assertThat(NvmlConstants.TEMPERATURE_V1_VERSION).isEqualTo(0x0100000C);
        assertThat((long) NvmlConstants.MEMORY_V2_VERSION).isEqualTo(NvmlAbiExpected.VERSION_WORDS.get("nvmlMemory_v2"));
        assertThat((long) NvmlConstants.TEMPERATURE_V1_VERSION)
                .isEqualTo(NvmlAbiExpected.VERSION_WORDS.get("nvmlTemperature_v1"));
        // A fresh structure carries its version word, and the word encodes the structure's real size.
        assertThat(new NvmlMemoryV2().version).isEqualTo(NvmlConstants.MEMORY_V2_VERSION);
        assertThat(new NvmlTemperature().version).isEqualTo(NvmlConstants.TEMPERATURE_V1_VERSION);
        assertThat(NvmlConstants.structVersion(new NvmlMemoryV2().size(), 2)).isEqualTo(NvmlConstants.MEMORY_V2_VERSION);
        assertThat(NvmlConstants.structVersion(new NvmlTemperature().size(), 1))
                .isEqualTo(NvmlConstants.TEMPERATURE_V1_VERSION);
    }

    @Test
    void versionWordsMatchReferenceFile() {
        Map<String, Long> words = reference().versionWords();
        assertThat(words).containsEntry("nvmlMemory_v2", (long) NvmlConstants.MEMORY_V2_VERSION)
                .containsEntry("nvmlTemperature_v1", (long) NvmlConstants.TEMPERATURE_V1_VERSION);
        assertThat(words).containsAllEntriesOf(NvmlAbiExpected.VERSION_WORDS);
    }

    // --- constants -------------------------------------------------------------------------

    private static long javaConstant(String name) {
        try {
            return NvmlConstants.class.getField(name).getInt(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("NvmlConstants." + name + " missing", e);
        }
    }

    @Test
    void constantsMatchHardCodedTable() {
        NvmlAbiExpected.CONSTANTS.forEach((javaName, c) ->
                assertThat(javaConstant(javaName)).as("NvmlConstants.%s (%s)", javaName, c.nvmlName())
                        .isEqualTo(c.value()));
    }

    @Test
    void constantsMatchReferenceFile() {
        Map<String, Long> fromFile = reference().constants();
        NvmlAbiExpected.CONSTANTS.forEach((javaName, c) -> {
            assertThat(fromFile).as("nvml-abi.md defines %s", c.nvmlName()).containsKey(c.nvmlName());
            assertThat(javaConstant(javaName)).as("NvmlConstants.%s vs nvml-abi.md %s", javaName, c.nvmlName())
                    .isEqualTo(fromFile.get(c.nvmlName()));
        });
    }

    // --- clock event reasons and architectures (typed layer enums that mirror nvml.h) ------

    /** nvmlClocksEventReasonSwPowerCap -> SW_POWER_CAP. */
    private static String enumName(String nvmlName) {
        String camel = nvmlName.replaceFirst("^nvmlClocks(Event|Throttle)Reason", "");
        return camel.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    private static void assertClockReasons(Map<String, Long> masks, String source) {
        Set<ClockEventReason> seen = new HashSet<>();
        masks.forEach((nvmlName, bit) -> {
            if (bit == 0) {
                return; // ...ReasonNone
            }
            ClockEventReason r = ClockEventReason.valueOf(enumName(nvmlName));
            assertThat(r.bit()).as("%s per %s", nvmlName, source).isEqualTo(bit);
            seen.add(r);
        });
        assertThat(seen).as("every ClockEventReason is in %s", source).containsExactlyInAnyOrder(ClockEventReason.values());
    }

    @Test
    void clockEventReasonBitsMatchHardCodedTable() {
        assertClockReasons(NvmlAbiExpected.CLOCK_EVENT_REASONS, "the hard-coded table");
    }

    @Test
    void clockEventReasonBitsMatchReferenceFile() {
        Map<String, Long> fromFile = reference().clockEventReasons();
        assertThat(fromFile).isEqualTo(NvmlAbiExpected.CLOCK_EVENT_REASONS);
        assertClockReasons(fromFile, "nvml-abi.md");
    }

    private static void assertArchitectures(Map<String, Long> codes, String source) {
        codes.forEach((nvmlName, code) -> {
            Architecture a = Architecture.valueOf(nvmlName.substring("NVML_DEVICE_ARCH_".length()));
            assertThat(a.code()).as("%s per %s", nvmlName, source).isEqualTo((int) (long) code);
            assertThat(Architecture.of((int) (long) code)).isEqualTo(a);
        });
        assertThat(codes).hasSize(Architecture.values().length);
    }

    @Test
    void architectureCodesMatchHardCodedTable() {
        assertArchitectures(NvmlAbiExpected.ARCHITECTURES, "the hard-coded table");
        assertThat(Architecture.of(11)).isEqualTo(Architecture.UNKNOWN);
    }

    @Test
    void architectureCodesMatchReferenceFile() {
        Map<String, Long> fromFile = reference().constants().entrySet().stream()
                .filter(e -> e.getKey().startsWith("NVML_DEVICE_ARCH_"))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertThat(fromFile).isEqualTo(NvmlAbiExpected.ARCHITECTURES);
        assertArchitectures(fromFile, "nvml-abi.md");
    }

    // --- event type masks and recovery actions --------------------------------------------

    /** nvmlEventTypeXidCriticalError -> XID_CRITICAL_ERROR; nvmlEventTypePState -> P_STATE. */
    private static String eventEnumName(String nvmlName) {
        return nvmlName.replaceFirst("^nvmlEventType", "").replaceAll("([a-z])([A-Z])", "$1_$2")
                .replaceAll("([A-Z])([A-Z][a-z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    private static long javaLongConstant(String name) {
        try {
            return NvmlConstants.class.getField(name).getLong(null);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("NvmlConstants." + name + " missing", e);
        }
    }

    private static void assertEventTypes(Map<String, Long> masks, String source) {
        Set<NvmlEventType> seen = new HashSet<>();
        masks.forEach((nvmlName, bit) -> {
            if (bit == 0) {
                assertThat(NvmlConstants.EVENT_TYPE_NONE).isZero();
                return;
            }
            NvmlEventType t = NvmlEventType.valueOf(eventEnumName(nvmlName));
            assertThat(t.mask()).as("%s per %s", nvmlName, source).isEqualTo(bit);
            assertThat(NvmlEventType.of(bit)).contains(t);
            assertThat(javaLongConstant("EVENT_TYPE_" + (t == NvmlEventType.P_STATE ? "PSTATE" : t.name())))
                    .as("NvmlConstants for %s", nvmlName).isEqualTo(bit);
            seen.add(t);
        });
        assertThat(seen).as("every NvmlEventType is in %s", source).containsExactlyInAnyOrder(NvmlEventType.values());
    }

    @Test
    void eventTypeMasksMatchHardCodedTable() {
        assertEventTypes(NvmlAbiExpected.EVENT_TYPES, "the hard-coded table");
        assertThat(NvmlEventType.of(0x3L)).as("one bit per event").isEmpty();
        assertThat(NvmlEventType.decode(0x8000_0000_000AL)).containsExactlyInAnyOrder(
                NvmlEventType.DOUBLE_BIT_ECC_ERROR, NvmlEventType.XID_CRITICAL_ERROR);
    }

    @Test
    void eventTypeMasksMatchReferenceFile() {
        Map<String, Long> fromFile = reference().eventTypes();
        assertThat(fromFile).isEqualTo(NvmlAbiExpected.EVENT_TYPES);
        assertEventTypes(fromFile, "nvml-abi.md");
    }

    private static void assertRecoveryActions(Map<String, Long> codes, String source) {
        codes.forEach((nvmlName, code) -> {
            RecoveryAction a = RecoveryAction.valueOf(nvmlName.substring("NVML_GPU_RECOVERY_ACTION_".length()));
            assertThat((long) a.code()).as("%s per %s", nvmlName, source).isEqualTo(code);
            assertThat(RecoveryAction.of(code)).isEqualTo(a);
        });
        assertThat(codes).as("every known RecoveryAction").hasSize(RecoveryAction.values().length - 1);
    }

    @Test
    void recoveryActionCodesMatchHardCodedTable() {
        assertRecoveryActions(NvmlAbiExpected.RECOVERY_ACTIONS, "the hard-coded table");
    }

    @Test
    void recoveryActionCodesMatchReferenceFile() {
        Map<String, Long> fromFile = reference().constants().entrySet().stream()
                .filter(e -> e.getKey().startsWith("NVML_GPU_RECOVERY_ACTION_"))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertThat(fromFile).isEqualTo(NvmlAbiExpected.RECOVERY_ACTIONS);
        assertRecoveryActions(fromFile, "nvml-abi.md");
    }

    // --- the nvmlValue_t union kept as a long ------------------------------------------------

    @Test
    void fieldValueUnionDecodesEachValueType() {
        NvmlFieldValue v = new NvmlFieldValue();
        v.value = 0xDEAD_BEEF_8000_0002L; // garbage above the narrow members must not leak in
        v.valueType = NvmlConstants.VALUE_TYPE_UNSIGNED_INT;
        assertThat(v.integerValue()).isEqualTo(0x8000_0002L);
        v.valueType = NvmlConstants.VALUE_TYPE_SIGNED_INT;
        assertThat(v.integerValue()).isEqualTo((long) (int) 0x8000_0002);
        v.valueType = NvmlConstants.VALUE_TYPE_UNSIGNED_SHORT;
        assertThat(v.integerValue()).isEqualTo(2L);
        v.valueType = NvmlConstants.VALUE_TYPE_UNSIGNED_LONG_LONG;
        assertThat(v.integerValue()).isEqualTo(0xDEAD_BEEF_8000_0002L);
        v.valueType = NvmlConstants.VALUE_TYPE_SIGNED_LONG_LONG;
        assertThat(v.integerValue()).isEqualTo(0xDEAD_BEEF_8000_0002L);
        v.valueType = NvmlConstants.VALUE_TYPE_DOUBLE;
        v.value = Double.doubleToRawLongBits(2.75);
        assertThat(v.isDouble()).isTrue();
        assertThat(v.doubleValue()).isEqualTo(2.75);
        assertThat(v.integerValue()).isEqualTo(2L);
        // Through native memory too: the uint member is the union's first 4 bytes.
        v.valueType = NvmlConstants.VALUE_TYPE_UNSIGNED_INT;
        v.write();
        v.getPointer().setLong(32, 0xFFFF_FFFF_0000_00E6L);
        v.read();
        assertThat(v.integerValue()).isEqualTo(230L);
    }

    // --- symbols and signatures ------------------------------------------------------------

    private static Map<String, Method> libraryMethods() {
        Map<String, Method> out = new LinkedHashMap<>();
        for (Method m : NvmlLibrary.class.getDeclaredMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.isDefault()) {
                continue;
            }
            Method previous = out.put(m.getName(), m);
            assertThat(previous).as("%s is overloaded; JNA binds symbols by name", m.getName()).isNull();
        }
        return out;
    }

    @Test
    void requiredAndOptionalSymbolsAreDisjointAndEachIsALibraryMethod() {
        assertThat(NvmlSymbols.REQUIRED).doesNotContainAnyElementsOf(NvmlSymbols.OPTIONAL);
        Set<String> all = new TreeSet<>(NvmlSymbols.REQUIRED);
        all.addAll(NvmlSymbols.OPTIONAL);
        Map<String, Method> methods = libraryMethods();
        assertThat(methods.keySet()).as("NvmlLibrary methods").containsAll(all);
        assertThat(all).as("every NvmlLibrary method is probed as REQUIRED or OPTIONAL").containsAll(methods.keySet());
        assertThat(NvmlSymbols.REQUIRED).contains("nvmlInit_v2", "nvmlShutdown", "nvmlDeviceGetCount_v2",
                "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetPciInfo_v3");
    }

    @Test
    void everySymbolAppearsInReferenceFile() {
        Set<String> inFile = reference().functions().keySet();
        Set<String> all = new TreeSet<>(NvmlSymbols.REQUIRED);
        all.addAll(NvmlSymbols.OPTIONAL);
        List<String> missing = all.stream().filter(s -> !inFile.contains(s)).toList();
        assertThat(missing).as("symbols of NvmlSymbols absent from nvml-abi.md's symbol list").isEmpty();
    }

    private static final Set<String> FOUR_BYTE_ENUMS = Set.of("nvmlReturn_t", "nvmlDeviceArchitecture_t",
            "nvmlEnableState_t", "nvmlTemperatureSensors_t", "nvmlTemperatureThresholds_t", "nvmlClockType_t",
            "nvmlMemoryErrorType_t", "nvmlEccCounterType_t", "nvmlNvLinkErrorCounter_t", "nvmlGpuTopologyLevel_t",
            "nvmlGpuP2PCapsIndex_t", "nvmlGpuP2PStatus_t");

    /** The JNA type that matches a C type of nvml.h on x86_64 Linux. */
    static Class<?> javaTypeFor(String cType) {
        String t = NvmlAbiExpected.normalizeType(cType);
        switch (t) {
            case "const char *":
                return String.class;
            case "char *":
                return byte[].class;               // caller-owned buffer, never String or char[]
            case "nvmlDevice_t":
                return DeviceHandle.class;         // a pointer, never a long
            case "nvmlDevice_t *", "nvmlEventSet_t *":
                return PointerByReference.class;
            case "nvmlEventSet_t":
                return EventSetHandle.class;       // a pointer, never a long
            case "unsigned long long":
                return long.class;
            case "unsigned long long *":
                return LongByReference.class;
            case "unsigned int", "int":
                return int.class;
            case "unsigned int *", "int *":
                return IntByReference.class;
            default:
                break;
        }
        if (t.endsWith(" *")) {
            String base = t.substring(0, t.length() - 2);
            if (NvmlAbiExpected.JAVA_STRUCTS.containsKey(base)) {
                return NvmlAbiExpected.JAVA_STRUCTS.get(base);
            }
            if (FOUR_BYTE_ENUMS.contains(base)) {
                return IntByReference.class;
            }
        } else if (FOUR_BYTE_ENUMS.contains(t)) {
            return int.class;
        }
        throw new AssertionError("no Java mapping known for C type '" + cType + "'");
    }

    private static void assertSignatures(Map<String, NvmlAbiExpected.Signature> signatures, String source) {
        List<String> problems = new ArrayList<>();
        for (Method m : libraryMethods().values()) {
            NvmlAbiExpected.Signature sig = signatures.get(m.getName());
            if (sig == null) {
                problems.add(m.getName() + ": no signature in " + source);
                continue;
            }
            Class<?> ret = sig.returnType().equals("nvmlReturn_t") ? int.class : javaTypeFor(sig.returnType());
            if (m.getReturnType() != ret) {
                problems.add(m.getName() + ": returns " + m.getReturnType().getSimpleName() + ", C "
                        + sig.returnType() + " needs " + ret.getSimpleName());
            }
            List<Class<?>> expected = sig.parameterTypes().stream().<Class<?>>map(NvmlAbiTest::javaTypeFor).toList();
            List<Class<?>> actual = Arrays.asList(m.getParameterTypes());
            if (!expected.equals(actual)) {
                problems.add(m.getName() + ": Java " + actual.stream().map(Class::getSimpleName).toList()
                        + " but C " + sig.parameterTypes() + " needs "
                        + expected.stream().map(Class::getSimpleName).toList());
            }
        }
        assertThat(problems).as("NvmlLibrary signatures vs %s", source).isEmpty();
    }

    @Test
    void libraryMethodTypesMatchHardCodedSignatures() {
        assertThat(NvmlAbiExpected.SIGNATURES.keySet()).containsExactlyInAnyOrderElementsOf(libraryMethods().keySet());
        assertSignatures(NvmlAbiExpected.SIGNATURES, "the hard-coded table");
    }

    @Test
    void libraryMethodTypesMatchReferenceFileSignatures() {
        Map<String, NvmlAbiExpected.Signature> fromFile = reference().functions();
        assertSignatures(fromFile, "nvml-abi.md");
        NvmlAbiExpected.SIGNATURES.forEach((symbol, sig) ->
                assertThat(fromFile.get(symbol)).as("hard-coded signature of %s agrees with nvml-abi.md", symbol)
                        .isEqualTo(sig));
    }

    @Test
    void typeMappingRejectsWrongJavaTypes() {
        // The mapping the signature checks rely on: guards against the classic wrong mappings.
        assertThat(javaTypeFor("char *")).isNotEqualTo(char[].class).isNotEqualTo(String.class);
        assertThat(javaTypeFor("nvmlDevice_t")).isNotEqualTo(long.class);
        assertThat(javaTypeFor("unsigned long long *")).isEqualTo(LongByReference.class);
        assertThat(javaTypeFor("nvmlPciInfo_t *")).isEqualTo(NvmlPciInfo.class);
        assertThatThrownBy(() -> javaTypeFor("nvmlPciInfoExt_t *"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("nvmlPciInfoExt_t");
    }

    @Test
    void referenceParserReadsTheFileShape() {
        // A miniature of nvml-abi.md: the parser must see every kind of fact, or the file tests would pass vacuously.
        NvmlAbiReference r = NvmlAbiReference.parse("""
                # x
                - `nvmlInit_v2(void)`
                - `nvmlDeviceGetBoardPartNumber(nvmlDevice_t device, char* partNumber, unsigned int length)`
                All return int, except `const char* nvmlErrorString(nvmlReturn_t)`.
                ## Struct layouts
                ### nvmlUtilization_t — sizeof 8, align 4

                | field | offset | size |
                |---|---|---|
                | gpu | 0 | 4 |
                | memory | 4 | 4 |

                ### nvmlMemory_v2_t — sizeof 40, align 8

                | field | offset | size |
                |---|---|---|
                | version | 0 | 4 |

                version word nvmlMemory_v2 = 0x02000028

                ## Constants
                Buffer sizes: NVML_DEVICE_SERIAL_BUFFER_SIZE=30, NVML_NVLINK_MAX_LINKS=36

                nvmlReturn_t: NVML_SUCCESS=0, NVML_ERROR_UNKNOWN=999
                Clock event reasons (mask): nvmlClocksEventReasonGpuIdle=0x0000000000000001
                """);
        assertThat(r.structs()).containsOnlyKeys("nvmlUtilization_t", "nvmlMemory_v2_t");
        assertThat(r.structs().get("nvmlUtilization_t")).isEqualTo(NvmlAbiExpected.STRUCTS.get("nvmlUtilization_t"));
        assertThat(r.structs().get("nvmlMemory_v2_t").size()).isEqualTo(40);
        assertThat(r.versionWords()).containsExactly(Map.entry("nvmlMemory_v2", 0x02000028L));
        assertThat(r.constants()).containsEntry("NVML_DEVICE_SERIAL_BUFFER_SIZE", 30L)
                .containsEntry("NVML_ERROR_UNKNOWN", 999L);
        assertThat(r.returnCodes()).containsExactly(Map.entry("NVML_SUCCESS", 0), Map.entry("NVML_ERROR_UNKNOWN", 999));
        assertThat(r.clockEventReasons()).containsExactly(Map.entry("nvmlClocksEventReasonGpuIdle", 1L));
        assertThat(r.functions()).containsOnlyKeys("nvmlInit_v2", "nvmlDeviceGetBoardPartNumber", "nvmlErrorString");
        assertThat(r.functions().get("nvmlErrorString"))
                .isEqualTo(new NvmlAbiExpected.Signature("const char *", List.of("nvmlReturn_t")));
        assertThat(r.functions().get("nvmlDeviceGetBoardPartNumber")).isEqualTo(
                NvmlAbiExpected.SIGNATURES.get("nvmlDeviceGetBoardPartNumber"));
        assertThat(r.functions().get("nvmlInit_v2").parameterTypes()).isEmpty();
    }

    @Test
    void referenceFileIsFoundWhenTheSharedFolderIsBesideTheClone() {
        // Not an assumption: when the property names a folder that has the file, it must be parsed.
        String dir = System.getProperty(NvmlAbiReference.PROPERTY);
        assumeTrue(dir != null && Files.isRegularFile(Path.of(dir).resolve(NvmlAbiReference.FILE_NAME)),
                "no shared/reference beside the clone");
        NvmlAbiReference r = reference();
        assertThat(r.structs()).containsKeys(NvmlAbiExpected.STRUCTS.keySet().toArray(String[]::new));
        assertThat(r.functions()).hasSizeGreaterThan(90);
        assertThat(r.returnCodes()).hasSize(NvmlAbiExpected.RETURN_CODES.size());
    }

    @Test
    void unknownStructFieldNamesFailTheLayoutCheck() {
        // fieldOffset of a name the structure lacks must not quietly answer 0.
        assertThatThrownBy(() -> new PciProbe().offsetOf("noSuchField"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("noSuchField");
    }
}
