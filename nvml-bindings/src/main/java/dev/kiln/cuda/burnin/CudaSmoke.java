package dev.kiln.cuda.burnin;

import dev.kiln.cuda.CudaDevice;
import dev.kiln.cuda.CudaSession;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs each burn-in workload for a few seconds on one GPU and prints one JSON line per workload to stdout
 * (progress goes to stderr). Exit status: 0 when every workload PASSED, 3 when any FAILED, 1 otherwise.
 * <pre>java -cp kiln-nvml-bindings.jar:jna-jpms.jar dev.kiln.cuda.burnin.CudaSmoke [--device 0] [--seconds 5]
 *      [--tests compute,memory,hbm,pcie]</pre>
 */
public final class CudaSmoke {
    private CudaSmoke() {
    }

    public static void main(String[] args) {
        int ordinal = 0;
        double seconds = 5;
        List<String> tests = List.of("pcie", "hbm", "memory", "compute");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--device" -> ordinal = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--tests" -> tests = List.of(args[++i].split(","));
                default -> {
                    System.err.println("unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        Duration budget = Duration.ofMillis((long) (seconds * 1000));
        Consumer<Progress> progress = p -> System.err.printf("[%s %3.0f%%] %s%n", p.test(), p.fraction() * 100,
                p.message());
        boolean anyFailed = false;
        boolean allPassed = true;
        try (CudaSession session = CudaSession.openSystem()) {
            CudaDevice dev = session.device(ordinal);
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("test", "cuda.device");
            info.put("driverVersion", session.driverVersion());
            info.put("deviceCount", session.deviceCount());
            info.put("ordinal", dev.ordinal());
            info.put("name", dev.name());
            info.put("pciBusId", dev.pciBusId());
            info.put("computeCapability", dev.computeCapability().toString());
            info.put("smCount", dev.smCount());
            info.put("totalMemory", dev.totalMemory());
            info.put("capabilities", List.copyOf(session.capabilities()));
            System.out.println(Json.write(info));
            for (String t : tests) {
                long t0 = System.nanoTime();
                Workload w = Workload.byId(t).orElseThrow(() -> new IllegalArgumentException("unknown test " + t));
                WorkloadResult result = w.run(dev, budget, () -> false, progress);
                Outcome o = result.outcome();
                anyFailed |= o == Outcome.FAILED;
                allPassed &= o == Outcome.PASSED;
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("test", w.id());
                line.put("wallSeconds", (System.nanoTime() - t0) / 1e9);
                line.put("result", result);
                System.out.println(Json.write(line));
            }
        } catch (RuntimeException e) {
            System.out.println(Json.write(Map.of("test", "cuda.session", "error", String.valueOf(e))));
            System.exit(1);
        }
        System.exit(anyFailed ? 3 : allPassed ? 0 : 1);
    }
}
