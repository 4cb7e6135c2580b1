package dev.kiln.cuda;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** A module loaded from PTX text ({@code cuModuleLoadData}); unloaded by {@link #close()}. */
public final class CudaModule implements AutoCloseable {
    /** Classpath folder of the PTX that tools/build-ptx.sh generates. */
    public static final String RESOURCE_DIR = "/dev/kiln/cuda/ptx/";

    private final CudaCalls calls;
    private final String label;
    private final Pointer handle;
    private boolean closed;

    private CudaModule(CudaCalls calls, String label, Pointer handle) {
        this.calls = calls;
        this.label = label;
        this.handle = handle;
    }

    /** The PTX text of {@code dev/kiln/cuda/ptx/<name>.ptx}. */
    public static String ptxResource(String name) {
        String path = RESOURCE_DIR + name + ".ptx";
        try (InputStream in = CudaModule.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no PTX resource " + path + " on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + path, e);
        }
    }

    static CudaModule loadResource(CudaCalls calls, String name) {
        return load(calls, name, ptxResource(name));
    }

    static CudaModule load(CudaCalls calls, String label, String ptx) {
        PointerByReference p = new PointerByReference();
        calls.check("cuModuleLoadData(" + label + ")", calls.lib().cuModuleLoadData(p, ptx));
        return new CudaModule(calls, label, p.getValue());
    }

    /** The kernel {@code name} (an {@code extern "C"} entry); NOT_FOUND (500) when the module lacks it. */
    public Kernel function(String name) {
        if (closed) {
            throw new IllegalStateException("module " + label + " is unloaded");
        }
        PointerByReference f = new PointerByReference();
        calls.check("cuModuleGetFunction(" + label + "." + name + ")", calls.lib().cuModuleGetFunction(f, handle, name));
        return new Kernel(calls, label + "." + name, f.getValue());
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            calls.check("cuModuleUnload", calls.lib().cuModuleUnload(handle));
        }
    }
}
