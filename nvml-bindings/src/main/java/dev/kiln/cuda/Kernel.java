package dev.kiln.cuda;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import java.lang.ref.Reference;

/**
 * A kernel of a loaded {@link CudaModule}. {@link #launch} marshals {@code void **kernelParams} as the driver
 * expects: a block of N pointers, the i-th pointing at memory that holds the i-th argument's value; every block
 * stays strongly reachable until {@code cuLaunchKernel} has returned (the driver copies the values then).
 */
public final class Kernel {
    private final CudaCalls calls;
    private final String name;
    private final Pointer function;

    Kernel(CudaCalls calls, String name, Pointer function) {
        this.calls = calls;
        this.name = name;
        this.function = function;
    }

    public String name() {
        return name;
    }

    /**
     * Launches asynchronously on {@code stream} (null: the default stream). Arguments: {@link DeviceBuffer}
     * (its 64-bit address), {@link Long} (64-bit: pointers, {@code size_t}, {@code unsigned long long}),
     * {@link Integer} (32-bit {@code int}/{@code unsigned}), {@link Float}, {@link Double}. A launch error is a
     * {@link CudaException}; errors during execution surface at the next synchronizing call.
     */
    public void launch(Dim3 grid, Dim3 block, int sharedBytes, CudaStream stream, Object... args) {
        Memory[] values = new Memory[args.length];
        Memory params = args.length == 0 ? null : new Memory(8L * args.length);
        for (int i = 0; i < args.length; i++) {
            values[i] = marshal(args[i], i);
            params.setPointer(8L * i, values[i]);
        }
        try {
            calls.check("cuLaunchKernel(" + name + ")", calls.lib().cuLaunchKernel(function,
                    grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(), sharedBytes,
                    stream == null ? null : stream.handle(), params, null));
        } finally {
            Reference.reachabilityFence(values);
            Reference.reachabilityFence(params);
        }
    }

    /** One-dimensional convenience form of {@link #launch(Dim3, Dim3, int, CudaStream, Object...)}. */
    public void launch(int grid, int block, CudaStream stream, Object... args) {
        launch(Dim3.of(grid), Dim3.of(block), 0, stream, args);
    }

    private static Memory marshal(Object arg, int index) {
        Memory m;
        switch (arg) {
            case DeviceBuffer b -> {
                m = new Memory(8);
                m.setLong(0, b.address());
            }
            case Long l -> {
                m = new Memory(8);
                m.setLong(0, l);
            }
            case Integer v -> {
                m = new Memory(4);
                m.setInt(0, v);
            }
            case Float f -> {
                m = new Memory(4);
                m.setFloat(0, f);
            }
            case Double d -> {
                m = new Memory(8);
                m.setDouble(0, d);
            }
            case null -> throw new IllegalArgumentException("kernel argument " + index + " is null");
            default -> throw new IllegalArgumentException("kernel argument " + index + " has unsupported type "
                    + arg.getClass().getName() + " (use DeviceBuffer, Long, Integer, Float or Double)");
        }
        return m;
    }
}
